"""Channel-neutral message types. Every channel adapter fills these and renders ``Reply`` back.

Text fields are plain text: adapters escape them for their platform (Slack mrkdwn, Telegram HTML, the
terminal) and apply the light structure the fields carry (``title`` bold, ``context`` small/grey,
``choices`` as buttons or a numbered list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Sender:
    channel: str
    external_id: str  # Slack user id, Telegram user id, email address, console login
    display_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str
    message_id: str  # unique per channel: dedup key across retries and restarts
    sender: Sender
    text: str
    received_at: datetime
    conversation_id: str = ""  # DM, channel or thread: pending clarifications live per user and conversation
    choice: str | None = None  # the value of a pressed button (instead of typed text)
    # Set when the channel already knows what the message is: Slack's "Log to CRM" shortcut sends
    # intent="log_note" with the message as the text, and target= the third party the user named.
    intent: str | None = None
    target: str | None = None
    raw: Any = field(default=None, repr=False, compare=False)  # the platform payload, for debugging only


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    value: str  # what comes back as InboundMessage.choice when picked


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """One entry of a section, with its own buttons (Done, Snooze …); *number* is how a person refers to it
    ("done 2" in a reply mail, the console)."""

    text: str
    number: int | None = None
    actions: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplySection:
    title: str
    items: tuple[ReplyItem, ...] = ()
    more: str | None = None  # "… and 4 more"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    title: str | None = None
    lines: tuple[str, ...] = ()
    sections: tuple[ReplySection, ...] = ()  # a digest: titled lists whose items carry their own buttons
    context: str | None = None
    choices: tuple[Choice, ...] = ()
    actions: tuple[Choice, ...] = ()  # buttons under the reply: Undo, Done, Snooze ...
    attachments: tuple[Attachment, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # the structured result (``say --json``)
    silent: bool = False  # nothing to send (e.g. a duplicate delivery)
    lang: str | None = None  # the language it is written in (None: bilingual or unknown)
    tz: str | None = None  # the reader's time zone, for dates a channel adds

    def plain(self) -> str:
        """The whole reply as plain text (fallback for platforms without structure, logs, tests)."""
        parts = [p for p in (self.title, self.text) if p]
        parts.extend(self.lines)
        for section in self.sections:
            if parts:
                parts.append("")
            parts.append(section.title)
            parts.extend(item_line(item) for item in section.items)
            if section.more:
                parts.append(section.more)
        if self.context:
            parts.append(self.context)
        parts.extend(f"{i}) {c.label}" for i, c in enumerate(self.choices, start=1))
        return "\n".join(parts)


def item_line(item: ReplyItem) -> str:
    return f"{item.number}. {item.text}" if item.number is not None else f"• {item.text}"


def item_action_rows(reply: Reply) -> list[tuple[Choice, ...]]:
    """The buttons of the reply's section items, one row per item, labelled with its number ("Done #2")."""
    return [
        tuple(
            Choice(
                f"{action.label} #{item.number}" if item.number is not None else action.label, action.value
            )
            for action in item.actions
        )
        for section in reply.sections
        for item in section.items
        if item.actions
    ]


def item_actions(reply: Reply) -> tuple[Choice, ...]:
    return tuple(choice for row in item_action_rows(reply) for choice in row)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message the bot starts (reminder, digest, receipt): who gets it on which channel."""

    channel: str
    recipient: str
    reply: Reply
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class RawMail:
    """An email as it arrived, before anything is decided about it (SMTP, IMAP or a file import)."""

    data: bytes
    received_via: str  # smtp | imap | import
    received_at: datetime
    envelope_from: str | None = None
    envelope_to: tuple[str, ...] = ()
    source: str | None = None  # where exactly: "imap:<mailbox>:<uidvalidity>:<uid>", a file path …


@dataclass(frozen=True, slots=True)
class OutboundMail:
    """A mail the bot sends (notices, receipts, digests, invitations)."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    message_id: str | None = None  # set by the mailer when empty
    attachments: tuple[Attachment, ...] = ()
