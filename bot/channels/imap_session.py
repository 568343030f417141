"""One connection to an IMAP mailbox over aioimaplib: connect (SSL, STARTTLS or plain), log in, select a
folder, and the few UID commands the IMAP channel needs, with typed results.

aioimaplib's errors (and the ones it does not raise: a dropped connection leaves its pending commands waiting)
are translated here into the ``ImapError`` tree, so the channel has one thing to catch. A session that raised
is broken: close it and open a new one.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import aioimaplib

if TYPE_CHECKING:
    from bot.channels.imap import ImapAccount

log = logging.getLogger(__name__)

T = TypeVar("T")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UID = re.compile(rb"\bUID (\d+)")
_EMPTY_BODY = re.compile(rb'BODY\[\] (NIL|"")')
_LOGOUT_SECONDS = 2.0


class ImapError(Exception):
    """Reading the mailbox failed; the text is safe to log and show (no password, no message content)."""


class ImapConnectionError(ImapError):
    """The connection could not be made, was lost, or the server stopped answering in time."""


class ImapLoginError(ImapError):
    """The server refused the login (wrong credentials, a locked account, plaintext login disabled)."""


class ImapCommandError(ImapError):
    """The server answered a command with NO or BAD."""

    def __init__(self, command: str, result: str, text: str) -> None:
        super().__init__(f"{command} refused ({result}): {text}")
        self.command = command
        self.result = result


def encode_mailbox(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (RFC 3501 §5.1.3).

    ``Geschäft`` -> ``"Gesch&AOQ-ft"``; ``R&D`` -> ``"R&-D"``.
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    escaped = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _text(lines: Iterable[Any]) -> str:
    """The tagged completion text of a response (its last line), for error messages."""
    last = list(lines)[-1:] or [b""]
    line = last[0]
    if isinstance(line, bytes | bytearray):
        return bytes(line).decode("utf-8", errors="replace")
    return str(line)


def _check(command: str, response: Any) -> Any:
    if response.result != "OK":
        raise ImapCommandError(command, str(response.result), _text(response.lines))
    return response


def parse_uidvalidity(lines: Iterable[Any]) -> int | None:
    for line in lines:
        if isinstance(line, bytes) and (match := _UIDVALIDITY.search(line)):
            return int(match.group(1))
    return None


def parse_search(lines: list[Any]) -> list[int]:
    """UIDs from ``UID SEARCH`` untagged lines (aioimaplib strips the keyword); the last line is the tag's."""
    uids: set[int] = set()
    for line in lines[:-1]:
        if isinstance(line, bytes):
            uids.update(int(token) for token in line.split() if token.isdigit())
    return sorted(uids)


def _has_uid(line: Any, uid: int) -> bool:
    match = _UID.search(line) if isinstance(line, bytes) else None
    return match is not None and int(match.group(1)) == uid


def parse_fetched_body(lines: list[Any], uid: int) -> bytes | None:
    """The ``BODY[]`` of message ``uid`` in a ``UID FETCH`` response; None when the server sent nothing for
    that UID (the message is gone); ImapError when it answered for the UID without a body we understand.

    aioimaplib delivers a literal as a bytearray between the line that announces it and the line that closes
    the parenthesis; unsolicited FETCH responses (flag changes by another client) may be mixed in, so the UID
    is checked on either side.
    """
    for index, item in enumerate(lines):
        if not isinstance(item, bytearray):
            continue
        before = lines[index - 1] if index > 0 else b""
        after = lines[index + 1] if index + 1 < len(lines) else b""
        if (
            isinstance(before, bytes)
            and b"BODY[]" in before
            and (_has_uid(before, uid) or _has_uid(after, uid))
        ):
            return bytes(item)
    for line in lines[:-1]:
        if _has_uid(line, uid) and b"FETCH" in line:
            if _EMPTY_BODY.search(line):
                return b""
            raise ImapError(f"the server answered UID FETCH {uid} without a message body")
    return None


class ImapSession:
    """A logged-in connection with ``account.folder`` selected. Open with ``await ImapSession.open(...)``."""

    def __init__(self, account: ImapAccount, timeout: float) -> None:
        self.account = account
        self.timeout = timeout
        self.uidvalidity = 0
        self.idling = False
        self._lost = asyncio.Event()
        self._closed = False
        self._client: Any = None

    # -- connecting --------------------------------------------------------------------------------------

    @classmethod
    async def open(cls, account: ImapAccount, *, timeout: float = 30.0) -> ImapSession:
        session = cls(account, timeout)
        try:
            await session._connect()
        except BaseException:
            await session.close()
            raise
        return session

    async def _connect(self) -> None:
        account = self.account
        tls_context = None
        if account.security == "ssl":
            tls_context = account.ssl_context or ssl.create_default_context()
        try:
            self._client = aioimaplib.IMAP4(
                host=account.host,
                port=account.port,
                timeout=self.timeout,
                conn_lost_cb=self._connection_lost,
                ssl_context=tls_context,
            )
        except (OSError, ValueError) as exc:
            raise ImapConnectionError(f"cannot connect to {account.host}:{account.port}: {exc}") from exc
        await self._guard(self._client.wait_hello_from_server(), "the server greeting")
        if account.security == "starttls":
            await self._starttls()
        if "LOGINDISABLED" in self._client.protocol.capabilities:
            raise ImapLoginError(f"{account.host} does not allow a plaintext login (LOGINDISABLED); use TLS")
        response = await self._guard(self._client.login(account.user, account.password), "LOGIN")
        if response.result != "OK":
            raise ImapLoginError(f"login refused by {account.host}: {_text(response.lines)}")
        await self._guard(asyncio.wait_for(self._client.protocol.capability(), self.timeout), "CAPABILITY")
        selected = await self._guard(self._client.select(encode_mailbox(account.folder)), "SELECT")
        response = _check("SELECT", selected)
        uidvalidity = parse_uidvalidity(response.lines)
        if uidvalidity is None:
            raise ImapError(f"the server sent no UIDVALIDITY for folder {account.folder!r}")
        self.uidvalidity = uidvalidity

    async def _starttls(self) -> None:
        protocol = self._client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapConnectionError(f"{self.account.host} does not offer STARTTLS")
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop, timeout=self.timeout)
        _check("STARTTLS", await self._guard(protocol.execute(command), "STARTTLS"))
        context = self.account.ssl_context or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        upgrade = loop.start_tls(protocol.transport, protocol, context, server_hostname=self.account.host)
        protocol.transport = await self._guard(asyncio.wait_for(upgrade, self.timeout), "the TLS handshake")
        # Capabilities announced before TLS must not be trusted: ask again.
        await self._guard(asyncio.wait_for(protocol.capability(), self.timeout), "CAPABILITY")

    def _connection_lost(self, exc: Exception | None) -> None:
        self._lost.set()

    @property
    def connected(self) -> bool:
        return self._client is not None and not self._lost.is_set() and not self._closed

    def has_capability(self, name: str) -> bool:
        return self._client is not None and name in self._client.protocol.capabilities

    @property
    def can_idle(self) -> bool:
        return self.has_capability("IDLE")

    async def close(self) -> None:
        """Log out politely when the connection is healthy, then drop it. Never raises."""
        if self._closed:
            return
        self._closed = True
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if not self._lost.is_set() and client.get_state() in ("AUTH", "SELECTED", "NONAUTH"):
                if client.has_pending_idle():
                    client.idle_done()
                await self._guard(asyncio.wait_for(client.logout(), _LOGOUT_SECONDS), "LOGOUT")
        except Exception:  # a broken connection: dropping it below is all we can do
            log.debug("imap %s: logout failed", self.account.name)
        finally:
            transport = client.protocol.transport
            if transport is not None:
                transport.close()

    # -- the commands the channel needs ------------------------------------------------------------------

    async def search_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, ascending (``n:*`` also matches the highest UID when n exceeds it)."""
        # NOOP first: the poll RFC 3501 names; servers need not notice new mail before it (Dovecot does not).
        _check("NOOP", await self._guard(self._client.noop(), "NOOP"))
        search = self._client.uid_search("UID", f"{last_uid + 1}:*", charset=None)
        response = await self._guard(search, "SEARCH")
        return [uid for uid in parse_search(_check("UID SEARCH", response).lines) if uid > last_uid]

    async def fetch(self, uid: int) -> bytes | None:
        """The raw message without setting \\Seen (BODY.PEEK); None when it is gone (expunged meanwhile)."""
        response = await self._guard(self._client.uid("fetch", str(uid), "(UID BODY.PEEK[])"), "FETCH")
        return parse_fetched_body(_check("UID FETCH", response).lines, uid)

    async def mark_seen(self, uid: int) -> None:
        store = self._client.uid("store", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        _check("UID STORE", await self._guard(store, "STORE"))

    async def ensure_folder(self, name: str) -> bool:
        """Create ``name`` (and subscribe to it) unless it exists; True when it was created."""
        mailbox = encode_mailbox(name)
        listed = _check("LIST", await self._guard(self._client.list('""', mailbox), "LIST"))
        if len(listed.lines) > 1:
            return False
        _check("CREATE", await self._guard(self._client.create(mailbox), "CREATE"))
        # Subscribed, so that mail clients show it; a refusal does not matter.
        await self._guard(self._client.subscribe(mailbox), "SUBSCRIBE")
        return True

    async def move(self, uid: int, folder: str) -> None:
        """UID MOVE when the server has MOVE; else UID COPY, flag \\Deleted, expunge (by UID with UIDPLUS)."""
        mailbox = encode_mailbox(folder)
        if self.has_capability("MOVE"):
            _check("UID MOVE", await self._guard(self._client.uid("move", str(uid), mailbox), "MOVE"))
            return
        _check("UID COPY", await self._guard(self._client.uid("copy", str(uid), mailbox), "COPY"))
        deleted = self._client.uid("store", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
        _check("UID STORE", await self._guard(deleted, "STORE"))
        if self.has_capability("UIDPLUS"):
            _check("UID EXPUNGE", await self._guard(self._client.uid("expunge", str(uid)), "EXPUNGE"))
        else:
            _check("EXPUNGE", await self._guard(self._client.expunge(), "EXPUNGE"))

    async def wait_for_news(self, seconds: float) -> bool:
        """IDLE for up to ``seconds``: True as soon as the server announces new mail (EXISTS), False when the
        time is up. Keepalives (``* OK Still here``), flag changes and expunges do not end the wait."""
        queue = self._client.protocol.idle_queue
        while not queue.empty():  # leftovers from the previous IDLE
            queue.get_nowait()
        # aioimaplib's own IDLE timer is set past our deadline: we end the IDLE ourselves.
        start = self._client.idle_start(timeout=seconds + 60)
        idle = await self._guard(asyncio.wait_for(start, self.timeout), "IDLE")
        news = False
        self.idling = True
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            while not news and (remaining := deadline - loop.time()) > 0:
                lines = await self._guard(self._next_push(remaining), "IDLE")
                if lines is None or lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                for line in lines:
                    if isinstance(line, bytes) and line.startswith(b"BYE"):
                        raise ImapConnectionError(f"the server closed the connection: {_text([line])}")
                    if isinstance(line, bytes) and line.endswith(b"EXISTS"):
                        news = True
        finally:
            self.idling = False
        self._client.idle_done()
        _check("IDLE", await self._guard(asyncio.wait_for(idle, self.timeout), "DONE"))
        return news

    async def _next_push(self, seconds: float) -> Any:
        try:
            return await self._client.wait_server_push(timeout=seconds)
        except TimeoutError:
            return None

    async def sleep(self, seconds: float) -> None:
        """Wait, and notice a connection the server drops meanwhile (raises ImapConnectionError)."""
        try:
            await asyncio.wait_for(self._lost.wait(), seconds)
        except TimeoutError:
            return
        raise ImapConnectionError("the server closed the connection")

    # -- error translation -------------------------------------------------------------------------------

    async def _guard(self, awaitable: Awaitable[T], what: str) -> T:
        """Await an aioimaplib call. A dropped connection ends it at once (aioimaplib would wait for its
        timeout) and foreign errors become ImapError."""
        if self._lost.is_set():
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # never started: no "was never awaited" warning
            raise ImapConnectionError(f"connection lost before {what}")
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if not task.done() or task.cancelled():
            raise ImapConnectionError(f"connection lost during {what}")
        try:
            return task.result()
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            raise ImapConnectionError(f"no answer to {what} within {self.timeout:g} s") from exc
        except ssl.SSLError as exc:
            raise ImapConnectionError(f"TLS failed during {what}: {exc.reason or exc}") from exc
        except OSError as exc:
            raise ImapConnectionError(f"connection failed during {what}: {exc}") from exc
        except aioimaplib.AioImapException as exc:
            raise ImapError(f"{what} failed: {exc}") from exc
