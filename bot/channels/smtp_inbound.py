"""SMTP intake (aiosmtpd): the bot's own mail server for BCC/forwarded mail; never a relay.

* RCPT is accepted only for the bot's addresses and their plus-addresses (``crm+acme@…``): 550 otherwise.
* Messages over the size limit get 552 (aiosmtpd enforces ``data_size_limit``).
* 250 only after ``accept`` has stored the raw message durably; 451 when it could not, so the sending MTA
  retries. What happens to the mail afterwards is decided from the stored copy.
* Optional STARTTLS (certificate files) and AUTH (user/password pairs; then required before MAIL).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.messages import RawMail

log = logging.getLogger(__name__)

Accept = Callable[[RawMail], Awaitable[None]]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    addresses: frozenset[str]  # the bot's own addresses, lower-case
    max_bytes: int = 25 * 1024 * 1024
    hostname: str = "crmbot"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    credentials: Mapping[str, str] = field(default_factory=dict)  # user -> password; empty: no AUTH


def accepts(address: str, addresses: frozenset[str]) -> bool:
    """Whether *address* is one of ours: exactly, or as a plus-address of one of ours."""
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return False
    return address in addresses or f"{local.split('+', 1)[0]}@{domain}" in addresses


class IntakeHandler:
    """aiosmtpd handler hooks (found by name; they return the protocol's own answer)."""

    def __init__(self, settings: SmtpSettings, accept: Accept, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.accept = accept
        self.clock = clock

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepts(address, self.settings.addresses):
            log.info("refused RCPT for a foreign address from %s", session.peer)
            return f"550 5.1.1 <{address}>: recipient address rejected: not a mailbox of this server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content if envelope.original_content is not None else envelope.content
        raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogateescape")
        mail = RawMail(
            data=raw,
            received_via="smtp",
            received_at=self.clock(),
            envelope_from=envelope.mail_from or None,
            envelope_to=tuple(envelope.rcpt_tos),
            source=f"smtp:{session.peer[0] if session.peer else '?'}",
        )
        try:
            await self.accept(mail)
        except Exception:
            log.exception("could not store an incoming mail (%d bytes); answered 451", len(raw))
            return "451 4.3.0 Temporary failure storing the message, please retry"
        return "250 2.0.0 Message accepted"


class _Authenticator:
    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.credentials = dict(credentials)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if self.credentials.get(user) == password and user in self.credentials:
                return AuthResult(success=True)
        # handled=False: aiosmtpd then answers 535 (with handled=True the client would hang)
        return AuthResult(success=False, handled=False)


def _tls(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


class SmtpServer:
    """The SMTP server on the running event loop (aiosmtpd's protocol served by asyncio directly)."""

    def __init__(
        self, settings: SmtpSettings, accept: Accept, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.handler = IntakeHandler(settings, accept, clock or (lambda: datetime.now(UTC)))
        self.server: asyncio.Server | None = None

    def _protocol(self) -> SMTP:
        tls = _tls(self.settings)
        auth = bool(self.settings.credentials)
        return SMTP(
            self.handler,
            hostname=self.settings.hostname,
            ident="crmbot",
            data_size_limit=self.settings.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=tls,
            require_starttls=tls is not None and auth,
            auth_required=auth,
            auth_require_tls=tls is not None,
            authenticator=_Authenticator(self.settings.credentials) if auth else None,
        )

    async def start(self) -> int:
        # aiosmtpd logs every line of DATA at DEBUG and every envelope address at INFO ("mail.log"):
        # customer data, never for the log (STYLE rule 10). Its warnings and errors still show.
        quiet = logging.getLogger("mail.log")
        quiet.setLevel(max(quiet.level, logging.WARNING))
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._protocol, self.settings.host, self.settings.port)
        port = int(self.server.sockets[0].getsockname()[1])
        log.info("SMTP intake listening on %s:%d", self.settings.host, port)
        return port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
