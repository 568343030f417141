"""The IMAP channel: reads the mailbox that salespeople BCC or forward customer mail to, and hands each new
message to intake as a ``RawMail``. DESIGN.md §4: a message is marked or moved only after intake stored it.

How it reads a folder:

* New means a UID above the last one handled (``UID SEARCH UID n:*``), never "UNSEEN": someone reading the
  mailbox in a mail client must not make the bot miss mail. UIDs only hold within the folder's UIDVALIDITY;
  when that changes, the folder is read again from the start (intake de-duplicates by Message-ID).
* A message is fetched with ``BODY.PEEK[]`` (no \\Seen) and handed to ``accept``; only after that returns is
  it flagged \\Seen (and moved to ``move_to``) and the position saved. If ``accept`` raises, the message stays
  untouched and the pass stops; it is fetched again after a backoff. If flagging fails after ``accept``
  returned, the message may be fetched again later: intake de-duplicates, so nothing is lost or filed twice.
* With IDLE (when the server offers it and ``idle`` is set) a push of new mail starts a pass at once. The IDLE
  is renewed every ``poll_seconds`` (at most every 25 min; servers may drop it after 30), and each renewal
  runs a pass too: a safety net for a push lost between commands, and proof that the connection still lives.
  Without IDLE the folder is polled every ``poll_seconds``.
* Any error (connection, login, server, ``accept``) closes the connection and retries after a backoff (1, 2,
  5, 10, 30, 60 s, then 60 s), reset by a successful pass; ``run`` never ends on its own. Logs carry the
  account name, UIDs and counters, never message content or the password.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from bot.channels.imap_session import (
    ImapCommandError,
    ImapConnectionError,
    ImapError,
    ImapLoginError,
    ImapSession,
    encode_mailbox,
)
from bot.messages import RawMail

__all__ = [
    "DEFAULT_BACKOFF",
    "Accept",
    "AcceptFailedError",
    "ImapAccount",
    "ImapChannel",
    "ImapCommandError",
    "ImapConnectionError",
    "ImapError",
    "ImapLoginError",
    "ImapState",
    "ImapStatus",
    "encode_mailbox",
]

log = logging.getLogger(__name__)

CHANNEL = "imap"
DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 5, 10, 30, 60)
IDLE_MAX_SECONDS = 25 * 60.0
SECURITY = ("ssl", "starttls", "plain")


@dataclass(frozen=True)
class ImapAccount:
    """One mailbox to read; bootstrap fills it from the app settings."""

    name: str  # a stable id for the saved position ("sales-inbox")
    host: str
    port: int
    security: Literal["ssl", "starttls", "plain"]
    user: str
    password: str = field(repr=False)  # never logged
    folder: str = "INBOX"
    move_to: str | None = None  # after filing: move here (created if missing); None: only flag \Seen
    idle: bool = True
    poll_seconds: float = 60.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)  # None: system CAs

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"IMAP account {self.name!r}: security must be one of {', '.join(SECURITY)}")
        if self.poll_seconds <= 0:
            raise ValueError(f"IMAP account {self.name!r}: poll_seconds must be positive")
        if self.move_to is not None and self.move_to == self.folder:
            raise ValueError(f"IMAP account {self.name!r}: move_to must differ from the folder it reads")


class ImapState(Protocol):
    """Where reading got to, per account; persisted by the caller (a table), a fake in tests. Blocking."""

    def load(self, account: str) -> tuple[int | None, int]: ...  # (uidvalidity, last handled uid)

    def save(self, account: str, uidvalidity: int, last_uid: int) -> None: ...


# Returns once the mail is durably stored; raises if it could not be.
Accept = Callable[[RawMail], Awaitable[None]]


@dataclass(frozen=True)
class ImapStatus:
    """A snapshot for health reporting."""

    account: str
    connected: bool = False
    idling: bool = False
    uidvalidity: int | None = None
    last_uid: int | None = None  # the last UID handled in the current UIDVALIDITY
    accepted: int = 0  # messages accept() took since start
    passes: int = 0  # successful passes since start
    last_pass_at: datetime | None = None
    failures: int = 0  # consecutive failed attempts; 0 again after a successful pass
    retry_in: float | None = None  # the backoff chosen after the last failure
    last_error: str | None = None
    last_error_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.connected and self.failures == 0


class AcceptFailedError(Exception):
    """``accept`` raised for a message (its exception is the cause): the message stays unseen and is fetched
    again on a later pass."""

    def __init__(self, account: str, uid: int, cause: BaseException) -> None:
        super().__init__(f"accept failed for uid {uid}: {type(cause).__name__}")
        self.account = account
        self.uid = uid


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ImapChannel:
    """Reads one IMAP folder. ``run()`` until cancelled; ``check_once()`` for one pass (tests, the CLI).

    ``run`` and ``check_once`` must not run at the same time on one channel.
    """

    def __init__(
        self,
        account: ImapAccount,
        accept: Accept,
        state: ImapState,
        *,
        clock: Callable[[], datetime] = _utcnow,
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
        timeout: float = 30.0,  # seconds to wait for any answer from the server
    ) -> None:
        if not backoff or any(delay < 0 for delay in backoff):
            raise ValueError("backoff needs at least one delay, none negative")
        self.account = account
        self._accept = accept
        self._state = state
        self._clock = clock
        self._backoff = tuple(float(delay) for delay in backoff)
        self._timeout = timeout
        self._status = ImapStatus(account=account.name)
        self._session: ImapSession | None = None

    @property
    def status(self) -> ImapStatus:
        session = self._session
        if session is None:
            return self._status
        return replace(self._status, connected=session.connected, idling=session.idling)

    # -- the two ways to read ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Read the folder until cancelled; errors are logged, shown in ``status``, retried with backoff."""
        while True:
            try:
                await self._serve()
            except Exception as exc:  # no error ends the loop; CancelledError (a BaseException) does
                await asyncio.sleep(self._failed(exc))

    async def check_once(self) -> int:
        """Connect, fetch every new message, log out; the number accepted. Raises ImapError when the mailbox
        cannot be read, AcceptFailedError when accept raised (messages accepted before that stay filed)."""
        try:
            session = await self._open()
            try:
                return await self._pass(session)
            finally:
                await self._close(session)
        except Exception as exc:
            self._record_error(exc)
            raise

    # -- internals ---------------------------------------------------------------------------------------

    async def _serve(self) -> None:
        session = await self._open()
        try:
            while True:
                await self._pass(session)
                if self.account.idle and session.can_idle:
                    await session.wait_for_news(min(self.account.poll_seconds, IDLE_MAX_SECONDS))
                else:
                    await session.sleep(self.account.poll_seconds)
        finally:
            await self._close(session)

    async def _open(self) -> ImapSession:
        account = self.account
        session = await ImapSession.open(account, timeout=self._timeout)
        self._session = session
        log.info(
            "imap %s: connected to %s:%d (%s), folder %r, uidvalidity %d, %s",
            account.name,
            account.host,
            account.port,
            account.security,
            account.folder,
            session.uidvalidity,
            "idle" if account.idle and session.can_idle else f"polling every {account.poll_seconds:g} s",
        )
        if account.move_to:
            try:
                if await session.ensure_folder(account.move_to):
                    log.info("imap %s: created folder %r", account.name, account.move_to)
            except ImapCommandError as exc:  # moving will fail and be logged; \Seen still marks handled mail
                log.warning("imap %s: cannot create folder %r: %s", account.name, account.move_to, exc)
        return session

    async def _close(self, session: ImapSession) -> None:
        await session.close()
        if self._session is session:
            self._session = None

    async def _pass(self, session: ImapSession) -> int:
        """Fetch, accept and file every message above the saved position; the number accepted."""
        name = self.account.name
        uidvalidity = session.uidvalidity
        stored_uidvalidity, last_uid = await asyncio.to_thread(self._state.load, name)
        if stored_uidvalidity != uidvalidity:
            if stored_uidvalidity is not None:
                log.warning(
                    "imap %s: UIDVALIDITY changed from %d to %d (last uid was %d); reading the folder again",
                    name,
                    stored_uidvalidity,
                    uidvalidity,
                    last_uid,
                )
            last_uid = 0
            await asyncio.to_thread(self._state.save, name, uidvalidity, 0)
        self._status = replace(self._status, uidvalidity=uidvalidity, last_uid=last_uid)
        accepted = 0
        for uid in await session.search_after(last_uid):
            data = await session.fetch(uid)
            if data is None:
                log.warning("imap %s: uid %d vanished before it was fetched (expunged elsewhere)", name, uid)
            else:
                raw = RawMail(
                    data=data,
                    received_via=CHANNEL,
                    received_at=self._clock(),
                    source=f"imap:{name}:{uidvalidity}:{uid}",
                )
                try:
                    await self._accept(raw)
                except Exception as exc:
                    raise AcceptFailedError(name, uid, exc) from exc
                accepted += 1
                self._status = replace(self._status, accepted=self._status.accepted + 1)
                await self._file(session, uid)
            await asyncio.to_thread(self._state.save, name, uidvalidity, uid)
            self._status = replace(self._status, last_uid=uid)
        if accepted:
            log.info("imap %s: accepted %d message(s), last uid %d", name, accepted, self._status.last_uid)
        self._status = replace(
            self._status,
            passes=self._status.passes + 1,
            last_pass_at=self._clock(),
            failures=0,
            retry_in=None,
        )
        return accepted

    async def _file(self, session: ImapSession, uid: int) -> None:
        """Flag a stored message \\Seen and move it. A refused command is logged and the message counts as
        handled; a lost connection propagates before the position is saved, so the message is fetched (and
        de-duplicated by intake) again."""
        try:
            await session.mark_seen(uid)
            if self.account.move_to:
                await session.move(uid, self.account.move_to)
        except ImapCommandError as exc:
            name = self.account.name
            log.warning("imap %s: uid %d is stored but could not be filed in the mailbox: %s", name, uid, exc)

    def _failed(self, exc: Exception) -> float:
        """Record a failed attempt; the delay before the next one."""
        failures = self._status.failures + 1
        delay = self._backoff[min(failures, len(self._backoff)) - 1]
        self._record_error(exc)
        self._status = replace(self._status, failures=failures, retry_in=delay)
        log.info("imap %s: retrying in %g s (attempt %d failed)", self.account.name, delay, failures)
        return delay

    def _record_error(self, exc: Exception) -> None:
        name = self.account.name
        if isinstance(exc, AcceptFailedError):
            text = str(exc)
            log.warning("imap %s: %s; the message stays unseen and is fetched again", name, text)
        elif isinstance(exc, ImapLoginError):
            text = str(exc)
            log.error("imap %s: %s", name, text)
        elif isinstance(exc, ImapError):
            text = str(exc)
            log.warning("imap %s: %s", name, text)
        else:  # a bug here or in the state store: keep the traceback
            text = f"unexpected {type(exc).__name__}"
            log.error("imap %s: %s", name, text, exc_info=exc)
        self._status = replace(self._status, last_error=text, last_error_at=self._clock())
