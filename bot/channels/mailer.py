"""Outbound mail: OutboundMail -> SMTP (aiosmtplib), with retry and backoff and correct threading headers.

Every mail the bot writes itself carries ``Auto-Submitted: auto-generated`` so that other systems (and our
own intake) never answer it automatically — no mail loops. ``send_message`` sends a complete message as it
is (the outbox: a calendar invitation from a user to a contact, person-to-person mail) with the envelope
sender and recipients given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal, Protocol

import aiosmtplib

from bot.messages import OutboundMail

log = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, mail: OutboundMail) -> str:
        """Send *mail*; returns its Message-ID. Raises MailerError when it could not be delivered."""
        ...

    async def send_message(self, message: EmailMessage, *, sender: str, recipients: Sequence[str]) -> str:
        """Send a complete message as it is (the outbox: calendar invitations from a user) with this
        envelope, one attempt; returns its Message-ID. Raises MailerError when it was not accepted."""
        ...


class MailerError(RuntimeError):
    pass


def build_message(mail: OutboundMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id or make_msgid(domain=sender.rpartition("@")[2] or None)
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
        message["References"] = " ".join(dict.fromkeys([*mail.references, mail.in_reply_to]))
    elif mail.references:
        message["References"] = " ".join(mail.references)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in repr() or a log
    timeout: float = 30.0
    backoff: tuple[float, ...] = (1.0, 5.0, 30.0)

    async def _submit(
        self, message: EmailMessage, sender: str | None = None, recipients: Sequence[str] | None = None
    ) -> None:
        """One SMTP transaction; the envelope from the headers unless given."""
        await aiosmtplib.send(
            message,
            sender=sender,
            recipients=list(recipients) if recipients is not None else None,
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self.password,
            use_tls=self.security == "ssl",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
        )

    async def send_message(self, message: EmailMessage, *, sender: str, recipients: Sequence[str]) -> str:
        try:
            await self._submit(message, sender, recipients)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.warning("sending mail %s failed: %s", message["Message-ID"], type(exc).__name__)
            raise MailerError(f"could not send mail to {', '.join(recipients)}: {exc}") from exc
        return str(message["Message-ID"])

    async def send(self, mail: OutboundMail) -> str:
        message = build_message(mail, self.sender)
        attempts = len(self.backoff) + 1
        for attempt in range(1, attempts + 1):
            try:
                await self._submit(message)
                return str(message["Message-ID"])
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                permanent = isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600
                log.warning(
                    "sending mail %s failed (attempt %d/%d): %s",
                    message["Message-ID"],
                    attempt,
                    attempts,
                    type(exc).__name__,
                )
                if permanent or attempt == attempts:
                    raise MailerError(f"could not send mail to {', '.join(mail.to)}: {exc}") from exc
                await asyncio.sleep(self.backoff[attempt - 1])
        raise MailerError("unreachable")


@dataclass
class FakeMailer:
    """Records mails instead of sending them (tests, and `crmbot run` without an outbound server)."""

    sender: str = "crm@localhost"
    sent: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # of send_message
    fail: bool = False

    async def send_message(self, message: EmailMessage, *, sender: str, recipients: Sequence[str]) -> str:
        if self.fail:
            raise MailerError("fake mailer set to fail")
        self.sent.append(message)
        self.envelopes.append((sender, tuple(recipients)))
        return str(message["Message-ID"])

    async def send(self, mail: OutboundMail) -> str:
        if self.fail:
            raise MailerError("fake mailer set to fail")
        message = build_message(mail, self.sender)
        self.sent.append(message)
        return str(message["Message-ID"])
