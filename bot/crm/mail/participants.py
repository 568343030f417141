"""Who sent a mail to the bot, which way it went, and who the customer-side people on it are.

* The submitter is the registered user in ``Resent-From`` (a redirected mail) or ``From``; mail from anyone
  else is not ours to file.
* Direction, from the user's point of view: a mail the user wrote is outgoing (AC_EMAIL); a mail the user
  received and forwarded or redirected is incoming (AC_EMAIL_IN).
* Participants: for a forward, the original sender and recipients from the quoted header block (or the
  attached message); for a mail the user wrote, To and Cc; for a redirected one, From and Cc. Our own
  people and domains, the bot's addresses, no-reply and system addresses and the never-log list are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm import users
from bot.crm.models import NeverLog, User
from bot.normalize import email_domain, normalize_email
from bot.parsers.email import Address, ParsedEmail

_SYSTEM_LOCALPARTS = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|noreply-\w+|mailer-daemon|postmaster|bounces?|notifications?)"
    r"(?:[+.-].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class MailSettings:
    bot_addresses: frozenset[str]  # crm@company (lower-case); crm+acme@company belongs to it
    internal_domains: frozenset[str]
    inline_images: bool = False
    loop_limit: int = 20
    loop_window_minutes: int = 120
    max_bytes: int = 25 * 1024 * 1024  # a bigger mail is kept but not filed: rejected as too large

    def is_bot(self, address: str) -> bool:
        local, _, domain = address.lower().partition("@")
        return (
            address.lower() in self.bot_addresses
            or f"{local.split('+', 1)[0]}@{domain}" in self.bot_addresses
        )


@dataclass(frozen=True, slots=True)
class Envelope:
    """Delivery facts the parsed body does not carry."""

    resent_from: Address | None = None
    delivered_to: tuple[str, ...] = ()  # Delivered-To, X-Original-To, and the SMTP RCPT TO addresses


def read_envelope(raw: bytes, rcpt_to: Sequence[str] = ()) -> Envelope:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    resent = [
        Address(email, name or None)
        for name, addr in getaddresses([str(v) for v in headers.get_all("Resent-From", [])])
        if (email := normalize_email(addr))
    ]
    delivered = [str(v) for key in ("Delivered-To", "X-Original-To") for v in headers.get_all(key, [])]
    addresses = [a for a in (normalize_email(x) for x in [*rcpt_to, *delivered]) if a]
    return Envelope(resent[0] if resent else None, tuple(dict.fromkeys(addresses)))


@dataclass
class Parties:
    submitter: User | None
    direction: str  # "out" (AC_EMAIL) | "in" (AC_EMAIL_IN)
    people: list[Address] = field(default_factory=list)  # customer-side participants, in order
    # To of a sent mail, the sender of a received one: who the mail is mainly with
    primary: list[Address] = field(default_factory=list)
    removed: list[tuple[Address, str]] = field(default_factory=list)  # (who, why): internal, never-log …
    forwarded: bool = False


def _never_log(session: Session) -> tuple[set[str], set[str]]:
    rows = session.execute(select(NeverLog.pattern, NeverLog.kind)).all()
    return {p for p, k in rows if k == "address"}, {p for p, k in rows if k == "domain"}


class _KnownUsers:
    """The users among a mail's addresses, looked up in one query."""

    def __init__(self, session: Session, parsed: ParsedEmail, envelope: Envelope) -> None:
        addresses = [envelope.resent_from, parsed.sender, *parsed.to, *parsed.cc]
        if parsed.forwarded is not None:
            original = parsed.forwarded
            addresses += [original.sender, *original.to, *original.cc]
        for invite in parsed.invites:
            addresses += [invite.organizer, *invite.attendees]
        self._by_email = users.by_emails(session, (a.email for a in addresses if a is not None))

    def __call__(self, address: Address | None) -> User | None:
        return self._by_email.get(normalize_email(address.email) or "") if address is not None else None


def parties(
    session: Session,
    parsed: ParsedEmail,
    envelope: Envelope,
    settings: MailSettings,
    *,
    forced: User | None = None,
) -> Parties:
    """*forced*: file as this user's mail whoever sent it (an imported archive of received mail)."""
    user_of = _KnownUsers(session, parsed, envelope)
    resent_user = user_of(envelope.resent_from)
    from_user = user_of(parsed.sender)
    to, cc, sender = parsed.to, parsed.cc, parsed.sender
    if forced is not None and from_user is None and parsed.forwarded is None:
        found = Parties(forced, "in", _unique([sender, *to, *cc]), _unique([sender]))
    elif forced is not None and from_user is not None and from_user.id != forced.id:
        found = Parties(forced, "in", _unique([*to, *cc]), _unique(to))  # a colleague's mail to the user
    elif resent_user is not None and from_user is None:
        found = Parties(resent_user, "in", _unique([sender, *cc]), _unique([sender]))
    elif from_user is not None and parsed.forwarded is not None and parsed.forwarded.sender is not None:
        original = parsed.forwarded
        if user_of(original.sender) is not None:  # the user forwards a mail they wrote
            people = _unique([*original.to, *original.cc])
            found = Parties(from_user, "out", people, _unique(original.to), forwarded=True)
        else:
            people = _unique([original.sender, *original.to, *original.cc])
            found = Parties(from_user, "in", people, _unique([original.sender]), forwarded=True)
    elif from_user is not None:
        found = Parties(from_user, "out", _unique([*to, *cc]), _unique(to))
    else:
        return Parties(None, "in")
    for invite in parsed.invites:  # the people of a meeting invitation are the mail's participants too
        found.people = _unique([*found.people, invite.organizer, *invite.attendees])
    _filter(session, found, settings, user_of)
    return found


def _unique(addresses: Iterable[Address | None]) -> list[Address]:
    seen: dict[str, Address] = {}
    for address in addresses:
        if address is not None and address.email not in seen:
            seen[address.email] = address
    return list(seen.values())


def _filter(session: Session, found: Parties, settings: MailSettings, user_of: _KnownUsers) -> None:
    never_addresses, never_domains = _never_log(session)
    kept = []
    for person in found.people:
        domain = email_domain(person.email) or ""
        local = person.email.split("@", 1)[0]
        if settings.is_bot(person.email):
            reason = "bot"
        elif domain in settings.internal_domains or user_of(person) is not None:
            reason = "internal"
        elif _SYSTEM_LOCALPARTS.match(local):
            reason = "system"
        elif person.email in never_addresses or domain in never_domains:
            reason = "never-log"
        else:
            kept.append(person)
            continue
        found.removed.append((person, reason))
    found.people = kept
    found.primary = [p for p in found.primary if p in kept]
