"""What an email says, once parsed: the contract between the MIME parser and the mail pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Address:
    email: str  # lower-cased bare address
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class Part:
    """An attachment (or, when configured, an inline image)."""

    filename: str
    mime_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarInvite:
    """A text/calendar part (iTIP): an invitation, an update or a cancellation."""

    method: str  # REQUEST | CANCEL | REPLY | PUBLISH …
    uid: str
    sequence: int
    summary: str
    start: datetime | None  # aware
    end: datetime | None
    all_day: bool
    location: str | None
    description: str | None
    organizer: Address | None
    attendees: tuple[Address, ...]
    status: str | None  # CONFIRMED | CANCELLED | TENTATIVE …


@dataclass(frozen=True, slots=True)
class Forwarded:
    """The original message inside a forward: from the quoted header block or an attached message/rfc822."""

    sender: Address | None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    subject: str | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    message_id: str | None  # "<id@host>" as in the header, or None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: Address | None  # From
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None  # aware (UTC when the header gave no zone)
    text: str  # the whole body as plain text (HTML converted)
    summary: str  # the new part: quoted replies and signature removed, at most ~1,000 characters
    first_line: str  # the first non-empty line of the new part (for "ACME" / "Kunde: ACME" keywords)
    attachments: tuple[Part, ...] = ()
    invites: tuple[CalendarInvite, ...] = ()
    forwarded: Forwarded | None = None
    auto_reason: str | None = None  # "auto-reply", "bounce", "list" …: never archived
    defects: tuple[str, ...] = field(default_factory=tuple)  # what was wrong but survivable
