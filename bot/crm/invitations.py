"""Calendar invitations the bot sends for a user, on request only: an iTIP REQUEST from the user to the
contacts of a planned meeting or call, a REQUEST with a higher SEQUENCE when it moves, a CANCEL when it is
called off or undone after the invitation went out.

The mail is the user's (From and Reply-To the user, ORGANIZER the user) sent by the bot (Sender and the
envelope sender the bot's address), shaped the way Outlook and Gmail send invitations: multipart/alternative
with a text in the user's language and ``text/calendar; method=REQUEST``, and the same calendar attached as
``invite.ics``. It is a person-to-person mail, so it carries no ``Auto-Submitted``. Every mail is queued in
the outbox (:mod:`bot.crm.outbox`) in the caller's transaction and sent after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm import outbox
from bot.crm.models import Activity, ActivityType, Contact, OutboxMail, SendStatus, User
from bot.i18n import format_when, t
from bot.normalize import normalize_email

PRODID = "-//crmbot//crmbot calendar invitations//EN"
DEFAULT_LENGTH = timedelta(hours=1)
INVITE, UPDATE, CANCEL = "invite", "invite_update", "invite_cancel"


@dataclass(frozen=True, slots=True)
class Invitee:
    """Someone on the invitation: a name (may be empty) and an address."""

    name: str
    email: str

    @property
    def header(self) -> str:
        return str(Address(self.name, addr_spec=self.email))


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """What calling off an invitation did: *to* whom it was; *cancel_queued*: it had gone out (or may
    have), so a CANCEL follows; otherwise it was still waiting and is never sent."""

    to: tuple[str, ...]
    cancel_queued: bool


def invitees(contacts: Sequence[Contact]) -> tuple[list[Invitee], list[Contact]]:
    """The contacts that can be invited (with an address) and those that cannot."""
    found: list[Invitee] = []
    missing: list[Contact] = []
    for contact in contacts:
        address = normalize_email(contact.email) if contact.email else None
        if address is None:
            missing.append(contact)
        elif all(i.email != address for i in found):
            found.append(Invitee(contact.full_name, address))
    return found, missing


def organizer_of(user: User) -> Invitee | None:
    address = normalize_email(user.email) if user.email else None
    return Invitee(user.name, address) if address else None


def invite(
    session: Session,
    activity: Activity,
    *,
    organizer: User,
    attendees: Sequence[Invitee],
    sender: str,
    now: datetime,
) -> OutboxMail:
    """Queue the invitation to a planned *activity*; the activity gets a new UID (SEQUENCE 0) and, when it
    had none, an end an hour after its start."""
    person = organizer_of(organizer)
    if person is None or not attendees:
        raise ValueError("an invitation needs the organizer's and at least one attendee's address")
    activity.ical_uid = f"{uuid4()}@{_domain(sender)}"
    activity.ical_sequence = 0
    if activity.end_at is None and not activity.all_day:
        activity.end_at = activity.start_at + DEFAULT_LENGTH
    return _queue(session, activity, INVITE, organizer, person, list(attendees), sender, now)


def update_invitation(session: Session, activity: Activity, *, now: datetime) -> OutboxMail | None:
    """After the time or place of *activity* changed: queue a REQUEST with SEQUENCE+1 to the people it
    was sent to. A version still waiting is replaced. None when the bot never invited anyone to it (or the
    invitation was cancelled)."""
    withdrawn = _withdraw_all(session, activity, only_pending=True)
    if withdrawn is None:
        return None
    last, went_out = withdrawn
    activity.ical_sequence = (activity.ical_sequence or 0) + 1
    return _again(session, activity, last, UPDATE if went_out else INVITE, now)


def cancel_invitation(session: Session, activity: Activity, *, now: datetime) -> Withdrawn | None:
    """Call the invitation off: what is still waiting is never sent; if it went out (or is going out right
    now), a CANCEL with SEQUENCE+1 follows to the same people. None when there was no invitation."""
    withdrawn = _withdraw_all(session, activity, only_pending=False)
    if withdrawn is None:
        return None
    last, went_out = withdrawn
    if went_out:
        activity.ical_sequence = (activity.ical_sequence or 0) + 1
        _again(session, activity, last, CANCEL, now)
    return Withdrawn(outbox.recipients_of(last), went_out)


# -- the outbox rows of an activity ---------------------------------------------------------------------


def _withdraw_all(
    session: Session, activity: Activity, *, only_pending: bool
) -> tuple[OutboxMail, bool] | None:
    """Withdraw the REQUESTs the bot queued for *activity* that have not gone out (with *only_pending*,
    not those being sent either). Returns the latest REQUEST and whether any went out (or may have); None
    when there were none, or a CANCEL ended them."""
    if activity.ical_uid is None:
        return None
    rows = outbox.for_activity(session, activity.id, (INVITE, UPDATE, CANCEL))
    if not rows or rows[-1].kind == CANCEL:
        return None
    went_out = False
    for row in rows:
        if row.kind != CANCEL:
            went_out |= _withdraw(session, row, only_pending=only_pending)
    return rows[-1], went_out


def _withdraw(session: Session, row: OutboxMail, *, only_pending: bool) -> bool:
    """Cancel *row* if it has not gone out; whether it went out (or may have: it was being sent)."""
    if row.status == SendStatus.CANCELLED:
        return False
    was = outbox.cancel_unsent(session, row.id, only_pending=only_pending)
    if was is not None:
        return was == SendStatus.SENDING
    session.refresh(row)
    return row.status in (SendStatus.SENT, SendStatus.SENDING)


def _again(session: Session, activity: Activity, last: OutboxMail, kind: str, now: datetime) -> OutboxMail:
    """A new version of *last* (same organizer, sender and people) for *activity* as it is now."""
    user = session.get(User, last.user_id) if last.user_id is not None else activity.owner
    if user is None:
        raise ValueError(f"the invitation of activity {activity.id} has no user")
    person = organizer_of(user) or Invitee(user.name, last.mail_from)
    names = {
        normalize_email(a.contact.email): a.contact.full_name
        for a in activity.attendees
        if a.contact is not None and a.contact.email
    }
    people = [Invitee(names.get(address, ""), address) for address in outbox.recipients_of(last)]
    return _queue(session, activity, kind, user, person, people, last.mail_from, now)


# -- the mail -------------------------------------------------------------------------------------------


def _queue(
    session: Session,
    activity: Activity,
    kind: str,
    user: User,
    organizer: Invitee,
    attendees: list[Invitee],
    sender: str,
    now: datetime,
) -> OutboxMail:
    message = build_message(
        activity,
        kind=kind,
        organizer=organizer,
        attendees=attendees,
        sender=sender,
        lang=user.language,
        tz=zone(user.timezone),
        now=now,
    )
    return outbox.queue(
        session,
        message,
        kind=kind,
        mail_from=sender,
        recipients=[a.email for a in attendees],
        user_id=user.id,
        activity_id=activity.id,
    )


def build_message(
    activity: Activity,
    *,
    kind: str,
    organizer: Invitee,
    attendees: Sequence[Invitee],
    sender: str,
    lang: str,
    tz: ZoneInfo,
    now: datetime,
) -> EmailMessage:
    """The iTIP mail for *activity* as it is now (UID and SEQUENCE from the activity)."""
    method = "CANCEL" if kind == CANCEL else "REQUEST"
    summary = _summary(activity, organizer, attendees, lang)
    calendar = build_calendar(
        activity, method=method, summary=summary, organizer=organizer, attendees=attendees, tz=tz, now=now
    )
    when = _when(activity, tz, lang, now)
    message = EmailMessage(policy=SMTP)
    message["From"] = organizer.header
    message["Sender"] = sender
    message["Reply-To"] = organizer.header
    message["To"] = ", ".join(a.header for a in attendees)
    starts = format_when(activity.start_at, tz, lang, now=now, all_day=activity.all_day)
    message["Subject"] = t(lang, f"invite.subject.{kind}", summary=summary, when=starts)
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(_text(activity, kind, organizer, attendees, when, lang))
    text_calendar = calendar.decode("utf-8")
    message.add_alternative(text_calendar, subtype="calendar", params={"method": method})
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    return message


def build_calendar(
    activity: Activity,
    *,
    method: str,
    summary: str,
    organizer: Invitee,
    attendees: Sequence[Invitee],
    tz: ZoneInfo,
    now: datetime,
) -> bytes:
    """VCALENDAR with METHOD and one VEVENT: times in UTC (an all-day event as dates), the user as
    ORGANIZER, each contact as a required ATTENDEE asked to answer."""
    # icalendar (40 ms to import) only when an invitation is sent, not at every start-up
    from icalendar import Calendar, Event, vCalAddress
    from icalendar.enums import PARTSTAT, ROLE, STATUS

    if activity.ical_uid is None:
        raise ValueError(f"activity {activity.id} has no calendar UID")
    start: date | datetime
    end: date | datetime
    if activity.all_day:
        start = activity.start_at.astimezone(tz).date()
        end = start + timedelta(days=1)
    else:
        start = activity.start_at.astimezone(UTC)
        end = (activity.end_at or activity.start_at + DEFAULT_LENGTH).astimezone(UTC)
    event = Event.new(
        uid=activity.ical_uid,
        sequence=activity.ical_sequence or 0,
        stamp=now,
        start=start,
        end=end,
        summary=summary,
        description=activity.body or None,
        location=activity.location or None,
        organizer=vCalAddress.new(organizer.email, cn=organizer.name or None),
        attendees=[
            vCalAddress.new(
                a.email,
                cn=a.name or None,
                role=ROLE.REQ_PARTICIPANT,
                partstat=PARTSTAT.NEEDS_ACTION,
                rsvp=True,
            )
            for a in attendees
        ],
        status=STATUS.CANCELLED if method == "CANCEL" else STATUS.CONFIRMED,
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def _summary(activity: Activity, organizer: Invitee, attendees: Sequence[Invitee], lang: str) -> str:
    kind = "call" if activity.type_code == ActivityType.CALL else "meeting"
    names = ", ".join(a.name or a.email for a in attendees)
    return t(lang, f"invite.summary.{kind}", organizer=organizer.name or organizer.email, attendees=names)


def _when(activity: Activity, tz: ZoneInfo, lang: str, now: datetime) -> str:
    if activity.all_day:
        return format_when(activity.start_at, tz, lang, now=now, all_day=True)
    end = activity.end_at or activity.start_at + DEFAULT_LENGTH
    return f"{format_when(activity.start_at, tz, lang, now=now)}–{end.astimezone(tz):%H:%M} ({tz.key})"


def _text(
    activity: Activity,
    kind: str,
    organizer: Invitee,
    attendees: Sequence[Invitee],
    when: str,
    lang: str,
) -> str:
    """The human part, in the user's language: what this is, when, where, who, and the note."""
    who = ", ".join(p.name or p.email for p in (organizer, *attendees))
    lines = [t(lang, f"invite.text.{kind}", organizer=organizer.name or organizer.email), ""]
    lines.append(t(lang, "invite.text.when", when=when))
    if activity.location:
        lines.append(t(lang, "invite.text.where", where=activity.location))
    lines.append(t(lang, "invite.text.who", who=who))
    if activity.body:
        lines += ["", activity.body]
    return "\n".join(lines) + "\n"


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"
