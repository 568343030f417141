"""The engine: InboundMessage -> identity -> dedup -> parse -> handler -> commit -> Reply.

Synchronous and thread-safe (one unit of work per message); asyncio channels call :meth:`Engine.handle`
through ``asyncio.to_thread``. Two error tiers (DESIGN.md §2): expected outcomes become a reply in the
user's language; anything else is logged with ids, never the message text, and answered with an apology.
The reply is returned after the commit, so a channel never does network I/O inside a transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.clock import zone
from bot.crm import users
from bot.crm.audit import Actor, act_as
from bot.crm.errors import CrmOutcome
from bot.crm.matching import Matcher
from bot.crm.models import ProcessedMessage, User
from bot.crm.rights import visible_thirdparty_ids
from bot.handlers import HandlerContext, handler_for, outcomes
from bot.i18n import t
from bot.messages import InboundMessage, Reply
from bot.parsers import parse
from bot.parsers.intents import Intent
from storage import DatabaseUnavailable

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4000


def identify(session: Session, sender_channel: str, external_id: str, email: str | None) -> User | None:
    """The CRM user behind a channel account: a linked identity, else (console) the login, else the email."""
    user = users.get_by_identity(session, sender_channel, external_id)
    if user is None and sender_channel in ("console", "cli"):
        user = users.get_by_login(session, external_id)
    if user is None and sender_channel == "email":
        user = users.get_by_email(session, external_id)
    if user is None and email:
        user = users.get_by_email(session, email)
    if user is not None and not user.is_active:
        return None
    return user


def claim(session: Session, msg: InboundMessage, user_id: int) -> bool:
    """Record (channel, message id) in this transaction; False when it was handled before."""
    try:
        with session.begin_nested():
            session.execute(
                insert(ProcessedMessage).values(
                    channel=msg.channel,
                    message_id=msg.message_id,
                    user_id=user_id,
                    processed_at=msg.received_at,
                )
            )
    except IntegrityError:
        return False
    return True


def _bilingual(key: str, **params: object) -> str:
    return f"{t('en', key, **params)}\n{t('de', key, **params)}"


def result_data(intent: Intent, reply: Reply) -> dict[str, Any]:
    """The structured result (DESIGN.md §6 ``say --json``)."""
    data: dict[str, Any] = {
        "intent": intent.name,
        "thirdparty": None,
        "contact": None,
        "when": None,
        "followup": None,
        "record": None,
        "needs_clarification": False,
        "choices": [c.label for c in reply.choices],
    }
    data.update(reply.data)
    data["reply"] = reply.plain()
    return data


class Engine:
    def __init__(self, app: App) -> None:
        self.app = app

    def handle(self, msg: InboundMessage) -> Reply:
        """Answer one message. Never raises: failures become an apology and a log line with ids."""
        lang = "en"
        try:
            if len(msg.text) > MAX_TEXT_LENGTH:
                return Reply(_bilingual("error.too_long", length=len(msg.text), limit=MAX_TEXT_LENGTH))
            with self.app.uow() as uow:
                session = uow.session
                user = identify(session, msg.channel, msg.sender.external_id, msg.sender.email)
                if user is None:
                    log.info(
                        "refused message %s/%s from unknown sender %s",
                        msg.channel,
                        msg.message_id,
                        msg.sender.external_id,
                    )
                    return Reply(_bilingual("error.unknown_user"), data={"refused": True})
                lang = user.language
                if not claim(session, msg, user.id):
                    log.info("duplicate delivery %s/%s ignored", msg.channel, msg.message_id)
                    return Reply("", silent=True, data={"duplicate": True})
                act_as(session, Actor(user.id, msg.channel, msg.message_id, now=self.app.clock.now))
                reply = self._dispatch(session, user, msg)
                session.execute(
                    update(ProcessedMessage)
                    .where(
                        ProcessedMessage.channel == msg.channel, ProcessedMessage.message_id == msg.message_id
                    )
                    .values(result={k: v for k, v in reply.data.items() if k != "reply"})
                )
                uow.commit()
                return reply
        except (DatabaseUnavailable, OperationalError):
            log.exception("database unavailable while handling %s/%s", msg.channel, msg.message_id)
            return Reply(t(lang, "error.database"), data={"error": "database"})
        except Exception:
            log.exception("failed to handle %s/%s", msg.channel, msg.message_id)
            return Reply(t(lang, "error.apology"), data={"error": "internal"})

    def _dispatch(self, session: Session, user: User, msg: InboundMessage) -> Reply:
        visible_ids = visible_thirdparty_ids(session, user)
        matcher = Matcher(
            session, self.app.fuzzy, visible=None if visible_ids is None else visible_ids.__contains__
        )
        ctx = HandlerContext(
            session=session,
            user=user,
            lang=user.language,
            tz=zone(user.timezone),
            now=msg.received_at,
            matcher=matcher,
            message=msg,
        )
        intent = parse(msg.choice or msg.text)
        try:
            with session.begin_nested():
                reply = handler_for(intent)(intent, ctx)
        except CrmOutcome as outcome:
            reply = outcomes.render(outcome, intent, ctx)
        return _with_data(reply, result_data(intent, reply))

    def user_language(self, login: str) -> str | None:
        with self.app.uow(read_only=True) as uow:
            return uow.session.scalar(select(User.language).where(User.login == login))


def _with_data(reply: Reply, data: dict[str, Any]) -> Reply:
    from dataclasses import replace

    return replace(reply, data=data)
