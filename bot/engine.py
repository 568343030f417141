"""The engine: InboundMessage -> identity -> dedup -> parse -> handler -> commit -> Reply.

Synchronous and thread-safe (one unit of work per message); asyncio channels call :meth:`Engine.handle`
through ``asyncio.to_thread``. Two error tiers (DESIGN.md §2): expected outcomes become a reply in the
user's language; anything else is logged with ids, never the message text, and answered with an apology.
The reply is returned after the commit, so a channel never does network I/O inside a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Insert, Select, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.clock import zone
from bot.crm import linking, questions, users
from bot.crm.audit import Actor, act_as
from bot.crm.errors import AmbiguousMatch, CrmOutcome, NeedsChoice, NotAllowed, Option
from bot.crm.gazetteer import DatabaseGazetteer
from bot.crm.matching import Matcher
from bot.crm.models import ChannelIdentity, PendingQuestion, ProcessedMessage, User
from bot.crm.rights import scope_of
from bot.handlers import HandlerContext, handler_for, outcomes, right_needed
from bot.handlers.items import item_handler
from bot.i18n import t
from bot.messages import Choice, InboundMessage, Reply, Sender
from bot.parsers import parse, warm_up
from bot.parsers.intents import Intent
from storage import DatabaseUnavailable, UnitOfWork

if TYPE_CHECKING:  # the mail pipeline loads when chat first files a mail, not at start-up
    from bot.crm.mail.archive import MailProcessor

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4000
# Chat accounts link to a user with a one-time code; console and email users are known by login/address.
LINKABLE_CHANNELS = frozenset({"slack", "telegram"})


def find_user(
    session: Session, sender_channel: str, external_id: str, email: str | None, *, first_looked: bool = False
) -> tuple[User | None, bool]:
    """The CRM user behind a channel account (the login for the console, a linked identity, else the
    email), and whether a chat account was recognised by its profile email but is not linked yet.
    *first_looked*: :func:`first_look` asked for the console login or the chat identity already."""
    user = None
    console = sender_channel in ("console", "cli")
    if console and not first_looked:
        user = users.get_by_login(session, external_id)
    if user is None and (console or not first_looked):
        user = users.get_by_identity(session, sender_channel, external_id)
    unlinked = False
    if user is None and sender_channel == "email":
        user = users.get_by_email(session, external_id)
    if user is None and email:
        user = users.get_by_email(session, email)
        unlinked = user is not None and sender_channel in LINKABLE_CHANNELS
    if user is not None and not user.is_active:
        return None, False
    return user, unlinked


def identify(session: Session, sender_channel: str, external_id: str, email: str | None) -> User | None:
    return find_user(session, sender_channel, external_id, email)[0]


def remember_identity(session: Session, user: User, msg: InboundMessage) -> None:
    """Link a chat account that was recognised by its profile email, on its first message, so that
    reminders and digests can find the user's Slack DM later."""
    try:
        with session.begin_nested():  # two first messages at once: one of them links, both are answered
            session.add(
                ChannelIdentity(
                    channel=msg.channel,
                    external_id=msg.sender.external_id,
                    user_id=user.id,
                    display_name=msg.sender.display_name,
                )
            )
            users.linked_chat(user, msg.channel)
    except IntegrityError:
        log.info("chat account %s/%s was linked meanwhile", msg.channel, msg.sender.external_id)


# The statements every message runs are built once: building one costs twice what running it does.
@cache
def _processed_query() -> Select[int]:
    return select(ProcessedMessage.id).where(
        ProcessedMessage.channel == bindparam("channel"),
        ProcessedMessage.message_id == bindparam("message_id"),
    )


@cache
def _processed_insert() -> Insert:
    return insert(cast(Table, ProcessedMessage.__table__))  # a Core insert: the ORM's bulk path costs 3x


def already_handled(session: Session, msg: InboundMessage) -> bool:
    """Whether (channel, message id) was handled and committed before (a redelivery or retry)."""
    params = {"channel": msg.channel, "message_id": msg.message_id}
    return session.scalar(_processed_query(), params) is not None


def mark_handled(session: Session, msg: InboundMessage, user_id: int, result: dict[str, Any]) -> None:
    """Record the message in the same transaction as its writes. Two workers handling the same delivery at
    once both get here; the unique key lets only one commit, and the other's writes roll back with it."""
    session.flush()  # the handler's own writes first, as they would be at commit
    session.execute(
        _processed_insert(),
        {
            "channel": msg.channel,
            "message_id": msg.message_id,
            "user_id": user_id,
            "processed_at": msg.received_at,
            "result": result,
        },
    )


@dataclass(frozen=True, slots=True)
class FirstLook:
    """What every message asks first: who sent it, whether it was handled before, the open question."""

    user: User | None
    unlinked: bool  # a chat account recognised by its profile email, not linked yet
    handled: bool
    open_question: PendingQuestion | None  # questions.NOT_LOADED when it was not read here


@cache
def _first_look_statement(by: str) -> Select[Any]:
    handled = _processed_query().exists().label("handled")
    sender = users.by_login_statement() if by == "login" else users.by_identity_statement()
    return sender.add_columns(handled, PendingQuestion).outerjoin(
        PendingQuestion, questions.open_question_clause()
    )


def first_look(session: Session, msg: InboundMessage, conversation: str) -> FirstLook:
    """One round trip for the common case (a known login or linked chat account): the sender, whether the
    message was handled and the conversation's open question. Anybody else through :func:`find_user`."""
    by = "login" if msg.channel in ("console", "cli") else "identity"
    params = {
        "login": msg.sender.external_id,
        "channel": msg.channel,
        "external_id": msg.sender.external_id,
        "message_id": msg.message_id,
        "conversation_id": conversation,
    }
    row = session.execute(_first_look_statement(by), params).first()
    if row is None:
        user, unlinked = find_user(
            session, msg.channel, msg.sender.external_id, msg.sender.email, first_looked=True
        )
        handled = user is not None and already_handled(session, msg)
        return FirstLook(user, unlinked, handled, questions.NOT_LOADED)
    user, handled, question = row
    if not user.is_active:
        return FirstLook(None, False, False, None)
    return FirstLook(user, False, bool(handled), question)


def _conversation(msg: InboundMessage) -> str:
    """Where an open question lives: the thread or chat, else the sender's direct conversation."""
    return msg.conversation_id or f"{msg.channel}:{msg.sender.external_id}"


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
    def __init__(self, app: App, *, warm: bool = True) -> None:
        self.app = app
        if warm:
            warm_up()

    @cached_property
    def mail_processor(self) -> MailProcessor:
        """Files mail picked in chat through the same code as the mail room."""
        from bot.crm.mail.archive import MailProcessor
        from bot.mailroom import mail_settings

        return MailProcessor(mail_settings(self.app.settings), self.app.documents, self.app.fuzzy)

    def handle(self, msg: InboundMessage) -> Reply:
        """Answer one message. Never raises: failures become an apology and a log line with ids."""
        lang = "en"
        try:
            if len(msg.text) > MAX_TEXT_LENGTH:
                return _plain_result(
                    Reply(_bilingual("error.too_long", length=len(msg.text), limit=MAX_TEXT_LENGTH)),
                    error="too_long",
                )
            with self.app.uow() as uow:
                session = uow.session
                code = linking.code_in(msg.text) if msg.channel in LINKABLE_CHANNELS else None
                if code is not None:
                    linked = self._link(uow, msg, code)
                    if linked is not None:
                        return linked
                look = first_look(session, msg, _conversation(msg))
                user = look.user
                if user is None:
                    log.info(
                        "refused message %s/%s from unknown sender %s",
                        msg.channel,
                        msg.message_id,
                        msg.sender.external_id,
                    )
                    return _plain_result(Reply(_bilingual("error.unknown_user")), refused=True)
                lang = user.language
                if look.handled:
                    return _duplicate(msg)
                act_as(session, Actor(user.id, msg.channel, msg.message_id, now=self.app.clock.now))
                if look.unlinked:
                    remember_identity(session, user, msg)
                reply = self._dispatch(session, user, msg, look.open_question)
                mark_handled(session, msg, user.id, {k: v for k, v in reply.data.items() if k != "reply"})
                uow.commit()
                return reply
        except IntegrityError as exc:
            if "processed_messages" not in str(exc.orig):
                log.exception("failed to handle %s/%s", msg.channel, msg.message_id)
                return _plain_result(Reply(t(lang, "error.apology")), error="internal")
            return _duplicate(msg)
        except (DatabaseUnavailable, OperationalError):
            log.exception("database unavailable while handling %s/%s", msg.channel, msg.message_id)
            return _plain_result(Reply(t(lang, "error.database")), error="database")
        except Exception:
            log.exception("failed to handle %s/%s", msg.channel, msg.message_id)
            return _plain_result(Reply(t(lang, "error.apology")), error="internal")

    def language_of(self, sender: Sender) -> str | None:
        """The language of the user behind a chat account, or None when the account is unknown."""
        with self.app.uow(read_only=True) as uow:
            user = identify(uow.session, sender.channel, sender.external_id, sender.email)
            return user.language if user is not None else None

    def _link(self, uow: UnitOfWork, msg: InboundMessage, code: str) -> Reply | None:
        """ "link CODE" / "/start CODE": tie this chat account to the code's user. None: not a code after
        all (an unknown code from a known user is an ordinary message, e.g. "link Mustermann")."""
        session = uow.session
        owner = linking.code_owner(session, code)
        if owner is None and identify(session, msg.channel, msg.sender.external_id, msg.sender.email):
            return None
        lang = owner.language if owner is not None else None
        if owner is not None and already_handled(session, msg):
            return _duplicate(msg)
        try:
            if owner is not None:
                act_as(session, Actor(owner.id, msg.channel, msg.message_id, now=self.app.clock.now))
            user = linking.redeem(
                session,
                code,
                channel=msg.channel,
                external_id=msg.sender.external_id,
                display_name=msg.sender.display_name,
                now=msg.received_at,
            )
        except linking.LinkError as exc:
            log.info("link code refused (%s) for %s/%s", exc.reason, msg.channel, msg.sender.external_id)
            key = f"link.{exc.reason}"
            text = t(lang, key) if lang else _bilingual(key)
            return _plain_result(Reply(text), refused=True)
        reply = Reply(t(user.language, "link.done", name=user.name), data={"linked": user.login})
        mark_handled(session, msg, user.id, {"linked": user.login})
        uow.commit()
        log.info("linked %s/%s to user %s", msg.channel, msg.sender.external_id, user.login)
        return _plain_result(reply, linked=user.login)

    def _context(self, session: Session, user: User, msg: InboundMessage) -> HandlerContext:
        scope = scope_of(session, user)
        return HandlerContext(
            session=session,
            user=user,
            lang=user.language,
            tz=zone(user.timezone),
            now=msg.received_at,
            matcher=Matcher.for_scope(session, self.app.fuzzy, scope),
            message=msg,
            scope=scope,
            mail_processor=lambda: self.mail_processor,
            mail_from=self.app.settings.outbound_from,
        )

    def _dispatch(
        self, session: Session, user: User, msg: InboundMessage, open_question: Any = questions.NOT_LOADED
    ) -> Reply:
        ctx = self._context(session, user, msg)
        pressed = item_handler(msg.choice)
        if pressed is not None:  # Done / Snooze on a reminder or a digest item: open questions stay open
            assert msg.choice is not None
            try:
                if not ctx.scope.may("thirdparty.write"):
                    raise NotAllowed("thirdparty.write")
                with session.begin_nested():
                    reply = pressed(msg.choice, ctx)
            except CrmOutcome as outcome:
                reply = outcomes.render(outcome, Intent("remind"), ctx)
            return replace(
                _with_data(reply, result_data(Intent("remind"), reply)), lang=ctx.lang, tz=user.timezone
            )
        conversation = _conversation(msg)
        picked = questions.answer(
            session,
            user_id=user.id,
            conversation_id=conversation,
            text=msg.text,
            choice=msg.choice,
            now=ctx.now,
            open_question=open_question,
        )
        if picked is not None:
            intent = Intent.from_json(picked.question.intent).with_resolved(
                picked.question.slot, picked.value
            )
        elif questions.is_pick(msg.choice):
            return _with_data(
                Reply(ctx.t("error.expired")), {"intent": "unknown", "reply": ctx.t("error.expired")}
            )
        else:
            text = msg.choice or msg.text
            gazetteer = DatabaseGazetteer.for_scope(session, ctx.scope)
            intent = parse(text, now=ctx.now, tz=ctx.tz, language=user.language, gazetteer=gazetteer)
            if msg.intent is not None:
                intent = self._given(msg, ctx, intent, gazetteer)
        try:
            needed = right_needed(intent)
            if needed is not None and not ctx.scope.may(needed):
                raise NotAllowed(needed)
            with session.begin_nested():
                reply = handler_for(intent)(intent, ctx)
        except NeedsChoice as question:
            reply = self._ask(ctx, conversation, intent, question)
        except AmbiguousMatch as ambiguous:
            options = [
                Option(c.label, c.thirdparty_id if c.kind == "contact" else c.id)
                for c in ambiguous.candidates
            ]
            key = "match.ambiguous_contact" if ambiguous.kind == "contact" else "match.ambiguous_thirdparty"
            reply = self._ask(
                ctx,
                conversation,
                intent,
                NeedsChoice(ambiguous.slot, ctx.t(key, query=ambiguous.query), options),
            )
        except CrmOutcome as outcome:
            reply = outcomes.render(outcome, intent, ctx)
        return replace(_with_data(reply, result_data(intent, reply)), lang=ctx.lang, tz=user.timezone)

    def _given(
        self, msg: InboundMessage, ctx: HandlerContext, parsed: Intent, gazetteer: DatabaseGazetteer
    ) -> Intent:
        """The intent the channel named (e.g. "Log to CRM": a note with the whole message as its text),
        with the people and companies found in the message, or in ``msg.target`` when the user named one."""
        mentions, unknown = parsed.mentions, parsed.unknown_names
        if msg.target:
            named = parse(msg.target, now=ctx.now, tz=ctx.tz, language=ctx.lang, gazetteer=gazetteer)
            mentions = named.mentions
            unknown = named.unknown_names or (() if named.mentions else (msg.target.strip(),))
        return Intent(
            msg.intent or "unknown",
            target=msg.target,
            body=msg.text.strip(),
            mentions=mentions,
            unknown_names=unknown,
            language=parsed.language,
        )

    def _ask(self, ctx: HandlerContext, conversation: str, intent: Intent, question: NeedsChoice) -> Reply:
        stored = questions.ask(
            ctx.session,
            user_id=ctx.user.id,
            conversation_id=conversation,
            channel=ctx.message.channel,
            message_id=ctx.message.message_id,
            now=ctx.now,
            slot=question.slot,
            intent=intent.to_json(),
            options=[{"label": o.label, "value": o.value} for o in question.options],
        )
        choices = tuple(
            Choice(o.label, questions.pick_value(stored.id, i)) for i, o in enumerate(question.options)
        )
        return Reply(
            question.question,
            lines=question.lines,
            choices=choices,
            data={"needs_clarification": True, "choices": [c.label for c in choices]},
        )


def _duplicate(msg: InboundMessage) -> Reply:
    log.info("duplicate delivery %s/%s ignored", msg.channel, msg.message_id)
    return Reply("", silent=True, data={"duplicate": True})


def _plain_result(reply: Reply, **extra: Any) -> Reply:
    """A reply that handled no intent (refusal, error), still in the shape of the result contract."""
    return _with_data(reply, {**result_data(Intent("unknown"), reply), **extra})


def _with_data(reply: Reply, data: dict[str, Any]) -> Reply:
    return replace(reply, data=data)
