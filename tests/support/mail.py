"""Building test mails, and a mail room on a test app."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm.mail import MailSettings, Outcome
from bot.mailroom import MailRoom
from bot.messages import RawMail

BOT = "crm@nordlicht.example"
SETTINGS = MailSettings(bot_addresses=frozenset({BOT}), internal_domains=frozenset({"nordlicht.example"}))
_ids = itertools.count(1)


def mail(
    sender: str,
    to: str | list[str],
    subject: str = "Angebot Q1",
    body: str = "Hallo,\n\nanbei das Angebot.\n\nViele Grüße\nAnna",
    *,
    cc: str | list[str] | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    date: datetime | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    if cc:
        message["Cc"] = cc if isinstance(cc, str) else ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    message["Message-ID"] = message_id or f"<test-{next(_ids)}@mail.example>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


class Room:
    """A mail room on a test app with a fake outbound mailer."""

    def __init__(self, app: App, settings: MailSettings = SETTINGS) -> None:
        self.app = app
        self.mailer = FakeMailer(sender=BOT)
        self.room = MailRoom(app, self.mailer, settings)

    def deliver(
        self,
        raw: bytes,
        *,
        rcpt: tuple[str, ...] = (BOT,),
        via: str = "smtp",
        submitted_by: int | None = None,
    ) -> Outcome:
        email_id = self.room.receive(
            RawMail(raw, via, self.app.clock.now(), envelope_to=rcpt), submitted_by=submitted_by
        )
        return self.room.process(email_id)
