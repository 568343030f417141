"""The mail room: intake for the mail channels, one worker that files stored mail, and the notices.

``accept`` is what the SMTP and IMAP channels call: it returns once the raw mail is durably stored and
queues it. The worker files queued mail one unit of work at a time (and, on start, everything a previous
run received but did not finish), then sends the notices — after the commit, never inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.bootstrap import App
from bot.channels.mailer import Mailer, MailerError
from bot.config import Settings
from bot.crm.audit import Actor
from bot.crm.mail import GroupIntake, MailProcessor, MailSettings, Notice, Outcome, pending_ids
from bot.crm.mail.notices import NoticeText, render
from bot.crm.models import EmailMessage, ImapState, User
from bot.delivery import Delivery, DeliveryFailed
from bot.handlers.items import mail_value
from bot.messages import Choice, OutboundMail, RawMail, Reply

log = logging.getLogger(__name__)

REPLYABLE = frozenset({"unresolved", "receipt", "filed_by_reply"})
# Told in chat when the user has a linked chat (the answers to mail replies go back by mail).
CHAT_NOTICES = frozenset({"unresolved", "held"})
RETRY_FIRST_SECONDS = 2.0  # a mail whose filing failed is tried again after 2, 4, 8 … seconds
RETRY_MAX_SECONDS = 300.0
RETRY_LIMIT = 10
INTAKE_FIRST_SECONDS = 1.0  # filing waits for mails being received, at most this long per mail
INTAKE_POLL_SECONDS = 0.005


def mail_settings(settings: Settings) -> MailSettings:
    return MailSettings(
        bot_addresses=frozenset(settings.mail_addresses),
        internal_domains=frozenset(settings.internal_domains),
        inline_images=settings.mail_inline_images,
        loop_limit=settings.mail_loop_limit,
        loop_window_minutes=settings.mail_loop_window_minutes,
        max_bytes=settings.smtp_max_bytes,
    )


class MailRoom:
    def __init__(self, app: App, mailer: Mailer | None = None, settings: MailSettings | None = None) -> None:
        self.app = app
        self.settings = settings or mail_settings(app.settings)
        self.processor = MailProcessor(self.settings, app.documents, app.fuzzy)
        self.intake = GroupIntake(lambda: app.uow(Actor(None, "email")), app.documents)
        self.mailer = mailer
        self.delivery: Delivery | None = None  # set by `crmbot run` once the chat channels exist
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.handled = 0
        self.failures = 0
        self._retries: dict[int, int] = {}  # email id -> failed attempts in this run

    # -- intake ---------------------------------------------------------------------------------------

    def receive(self, raw: RawMail, *, submitted_by: int | None = None) -> int:
        """Store *raw* durably (committed together with mails arriving at the same moment)."""
        return self.intake.receive(raw, submitted_by=submitted_by).email_id

    async def accept(self, raw: RawMail) -> None:
        """Store *raw* durably, then queue it; raises when it could not be stored (SMTP answers 451)."""
        email_id = await asyncio.to_thread(self.receive, raw)
        self.queue.put_nowait(email_id)

    # -- processing -----------------------------------------------------------------------------------

    def process(self, email_id: int, now: datetime | None = None) -> Outcome:
        """File one stored mail in its own unit of work."""
        now = now or self.app.clock.now()
        try:
            with self.app.uow(Actor(None, "email", str(email_id))) as uow:
                outcome = self.processor.process(uow.session, email_id, now)
                uow.commit()
                return outcome
        except Exception as exc:
            self.failures += 1
            log.exception("filing mail %s failed; it stays received and is retried", email_id)
            self._record_error(email_id, exc)
            return Outcome(email_id, "", f"error: {type(exc).__name__}", failed=True)

    def _record_error(self, email_id: int, exc: Exception) -> None:
        with contextlib.suppress(Exception), self.app.uow() as uow:
            uow.session.execute(
                update(EmailMessage)
                .where(EmailMessage.id == email_id)
                .values(last_error=str(exc)[:2000], attempts=EmailMessage.attempts + 1)  # rolled back with it
            )
            uow.commit()

    def process_pending(self) -> list[Outcome]:
        """File everything received and not processed yet (start-up, `crmbot import eml`)."""
        return [self.process(email_id) for email_id in pending_ids(self.app.uow)]

    # -- notices --------------------------------------------------------------------------------------

    async def notify(self, outcome: Outcome) -> None:
        for notice in outcome.notices:
            try:
                await self._send(notice)
            except (MailerError, OSError) as exc:
                log.warning("could not send %s notice for mail %s: %s", notice.kind, notice.email_id, exc)

    async def _send(self, notice: Notice) -> None:
        target = await asyncio.to_thread(self._recipient, notice)
        if target is None:
            return
        address, language, original_id = target
        bot = sorted(self.settings.bot_addresses)[0] if self.settings.bot_addresses else "crm@localhost"
        text = render(notice, language, bot)
        if self.delivery is not None and notice.kind in CHAT_NOTICES:
            try:
                used, _ = await self.delivery.deliver(
                    notice.user_id, _chat_notice(notice, text), subject=text.subject, email=False
                )
                log.info("%s notice for mail %s told by %s", notice.kind, notice.email_id, used)
                return
            except DeliveryFailed:
                pass  # no linked chat, or it failed: by mail below
        if self.mailer is None:
            log.info(
                "notice %s for mail %s not sent: no outbound mail server configured",
                notice.kind,
                notice.email_id,
            )
            return
        mail = OutboundMail(to=(address,), subject=text.subject, text=text.text, in_reply_to=original_id)
        message_id = await self.mailer.send(mail)
        if notice.kind in REPLYABLE:  # a reply to it files, moves or takes back the mail
            await asyncio.to_thread(self._remember_notice, notice.email_id, message_id)

    def _recipient(self, notice: Notice) -> tuple[str, str, str | None] | None:
        with self.app.uow(read_only=True) as uow:
            user = uow.session.get(User, notice.user_id)
            if user is None or user.email is None:
                return None
            original = uow.session.scalar(
                select(EmailMessage.message_id).where(EmailMessage.id == notice.email_id)
            )
            return user.email, user.language, original

    def _remember_notice(self, email_id: int, message_id: str) -> None:
        with self.app.uow() as uow:
            uow.session.execute(
                update(EmailMessage)
                .where(EmailMessage.id == email_id)
                .values(notice_message_id=message_id[:998], notified_at=self.app.clock.now())
            )
            uow.commit()

    # -- the worker -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """File queued mail until cancelled; starts with what a previous run left unfinished.

        Nothing ends this loop but cancellation: a database that is down at start-up is waited for, and a
        mail whose filing failed is queued again after a growing pause (it stays ``received`` meanwhile).
        """
        pause = RETRY_FIRST_SECONDS
        while True:
            try:
                for email_id in await asyncio.to_thread(pending_ids, self.app.uow):
                    self.queue.put_nowait(email_id)
                break
            except Exception as exc:
                log.warning("cannot read the unfinished mail (%s); trying again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
        while True:
            email_id = await self.queue.get()
            await self._after_intake()
            try:
                await self._handle(email_id)
            except Exception:  # a notice that could not be prepared: the mail itself is filed
                log.exception("after filing mail %s", email_id)

    async def _after_intake(self) -> None:
        """Let mails being received go first, for at most INTAKE_FIRST_SECONDS.

        Their senders wait for the 250 (an SMTP client, an IMAP pass), a queued mail waits for nobody;
        filing holds the database's write lock and a core for a while, so in a burst it steps back. The
        cap keeps it filing through a flood that never pauses."""
        deadline = time.monotonic() + INTAKE_FIRST_SECONDS
        while self.intake.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(INTAKE_POLL_SECONDS)

    async def _handle(self, email_id: int) -> None:
        outcome = await asyncio.to_thread(self.process, email_id)
        if outcome.failed:
            self._retry_later(email_id)
            return
        self._retries.pop(email_id, None)
        if not outcome.status:  # queued twice (intake and the start-up scan): filed the first time
            return
        self.handled += 1
        log.info("mail %s: %s (%s)", email_id, outcome.status, outcome.reason)
        await self.notify(outcome)

    def _retry_later(self, email_id: int) -> None:
        tries = self._retries.get(email_id, 0) + 1
        if tries > RETRY_LIMIT:
            log.error("mail %s failed %d times; it stays received until the next start", email_id, tries - 1)
            self._retries.pop(email_id, None)
            return
        self._retries[email_id] = tries
        delay = min(RETRY_FIRST_SECONDS * 2 ** (tries - 1), RETRY_MAX_SECONDS)
        asyncio.get_running_loop().call_later(delay, self.queue.put_nowait, email_id)


class DatabaseImapState:
    """Where each IMAP account got to, in the imap_state table (the IMAP channel's ImapState port)."""

    def __init__(self, app: App, clock: Callable[[], datetime] | None = None) -> None:
        self.app = app
        self.clock = clock or (lambda: datetime.now(UTC))

    def load(self, account: str) -> tuple[int | None, int]:
        with self.app.uow(read_only=True) as uow:
            row = uow.session.scalar(select(ImapState).where(ImapState.account == account))
            return (row.uidvalidity, row.last_uid) if row else (None, 0)

    def save(self, account: str, uidvalidity: int, last_uid: int) -> None:
        with self.app.uow() as uow:
            row = uow.session.scalar(select(ImapState).where(ImapState.account == account))
            if row is None:
                row = ImapState(account=account, last_uid=0, updated_at=self.clock())
                uow.session.add(row)
            row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, last_uid, self.clock()
            uow.commit()


def _chat_notice(notice: Notice, text: NoticeText) -> Reply:
    """A notice as a chat message: where the mail could belong becomes buttons that file it."""
    candidates = notice.params.get("candidates") or [] if notice.kind == "unresolved" else []
    choices = tuple(
        Choice(str(c["name"]), mail_value(notice.email_id, f"to:{c['id']}")) for c in candidates[:5]
    )
    return Reply(text.text, title=text.subject, choices=choices, data={"email": notice.email_id})
