"""The per-user calendar feed: the user's calls, meetings and to-dos as an iCalendar (RFC 5545) subscription.

Each user may have one secret token (``users.ics_token``); ``<public URL>/ics/<token>.ics`` serves the feed
to Google Calendar, Outlook or Apple Calendar, which poll it. ``crmbot user ics-token LOGIN`` shows the
URL (issuing the token on first use) and ``--rotate`` replaces a leaked one: the old URL stops working.

What is in the feed: calls, meetings and to-dos (``AC_OTH`` with a percent, i.e. follow-ups; not plain
notes) that the user owns or attends, starting within a window around now (90 days back, a year ahead).
Notes, emails and automatic events are left out: they are history, not appointments, and a calendar full
of mails is noise. Events keep the UID of the invitation they came from, so a calendar that also got the
invitation shows the meeting once. DTSTAMP is the event's last change (not the time of the request), so
the same data gives the same bytes and HTTP caches can answer "not modified".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.clock import zone
from bot.crm.mail.invites import CANCELLED_PREFIX
from bot.crm.models import Activity, ActivityAttendee, ActivityType, Contact, Percent, User
from bot.i18n import t
from bot.normalize import fold, name_key

PRODID = "-//crmbot//calendar feed//EN"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
REFRESH = timedelta(hours=1)  # how often calendar apps should poll (a hint; Google takes hours anyway)
# Length of an event planned without an end.
DEFAULT_DURATION = {
    ActivityType.CALL: timedelta(minutes=15),
    ActivityType.MEETING: timedelta(hours=1),
    ActivityType.NOTE: timedelta(minutes=15),  # a to-do
}
_KIND = {ActivityType.CALL: "call", ActivityType.MEETING: "meeting", ActivityType.NOTE: "todo"}


def issue_token(session: Session, user: User, *, rotate: bool = False) -> str:
    """The user's feed token: the one they have, or a new one when they have none or *rotate* is set
    (then the old URL stops working). The change is audited like any other write."""
    if user.ics_token and not rotate:
        return user.ics_token
    user.ics_token = secrets.token_urlsafe(TOKEN_BYTES)
    session.flush()
    return user.ics_token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user whose feed *token* is; None for a malformed, unknown or replaced token."""
    if not _TOKEN.fullmatch(token):
        return None  # not one of ours: no database round trip
    return session.scalar(select(User).where(User.ics_token == token, User.is_active.is_(True)))


def uid_host(mail_addresses: Sequence[str]) -> str:
    """The right-hand side of generated UIDs: the domain of the bot's first address, else "crmbot"."""
    for address in mail_addresses:
        domain = address.rpartition("@")[2].strip().lower()
        if domain:
            return domain
    return "crmbot"


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ics/{token}.ics"


def feed_activities(
    session: Session, user: User, *, now: datetime, past_days: int = 90, future_days: int = 365
) -> list[Activity]:
    """The activities in *user*'s feed, ordered by start (then id): one query for the events and one for
    all their attendees, however many there are."""
    attended = select(ActivityAttendee.activity_id).where(ActivityAttendee.user_id == user.id)
    stmt = (
        select(Activity)
        .where(
            or_(
                Activity.type_code.in_((ActivityType.CALL, ActivityType.MEETING)),
                and_(Activity.type_code == ActivityType.NOTE, Activity.percent >= Percent.TODO),
            ),
            or_(Activity.owner_id == user.id, Activity.id.in_(attended)),
            Activity.start_at >= now - timedelta(days=past_days),
            Activity.start_at <= now + timedelta(days=future_days),
        )
        .options(selectinload(Activity.attendees))
        .order_by(Activity.start_at, Activity.id)
    )
    return list(session.scalars(stmt).unique())


def feed(
    session: Session,
    user: User,
    *,
    now: datetime,
    past_days: int = 90,
    future_days: int = 365,
    calendar_name: str | None = None,
    host: str = "crmbot",
) -> bytes:
    """*user*'s calendar as iCalendar bytes (UTF-8, CRLF line ends, long lines folded)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name or f"crmbot – {user.name}")
    cal.add("x-wr-timezone", user.timezone or "UTC")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")  # the same as REFRESH-INTERVAL, for Outlook
    for activity in feed_activities(session, user, now=now, past_days=past_days, future_days=future_days):
        cal.add_component(_event(activity, user, host))
    body: bytes = cal.to_ical()
    return body


def _event(activity: Activity, user: User, host: str) -> Event:
    lang = user.language
    kind = _KIND[ActivityType(activity.type_code)]
    event = Event()
    event.add("uid", activity.ical_uid or f"crmbot-activity-{activity.id}@{host}")
    event.add("dtstamp", activity.updated_at)
    event.add("last-modified", activity.updated_at)
    event.add("sequence", activity.ical_sequence or 0)
    start, end = _span(activity, _zone_of(activity.owner or user))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", _summary(activity))
    description = _description(activity, lang)
    if description:
        event.add("description", description)
    if activity.location:
        event.add("location", activity.location)
    cancelled = activity.label.startswith(CANCELLED_PREFIX)
    open_todo = kind == "todo" and activity.percent != Percent.DONE
    event.add("status", "CANCELLED" if cancelled else "TENTATIVE" if open_todo else "CONFIRMED")
    # To-dos and cancelled meetings do not make the user look busy.
    event.add("transp", "TRANSPARENT" if cancelled or kind == "todo" else "OPAQUE")
    event.add("categories", [t(lang, f"kind.{kind}").capitalize()])
    for contact in _contacts(activity):
        if contact.email:
            address = vCalAddress(f"mailto:{contact.email}")
            address.params["cn"] = vText(contact.full_name)
            event.add("attendee", address)
    return event


def _zone_of(user: User) -> tzinfo:
    try:
        return zone(user.timezone)
    except ValueError:
        return UTC


def _span(activity: Activity, tz: tzinfo) -> tuple[datetime | date, datetime | date]:
    """DTSTART and DTEND: UTC times, or for an all-day event its dates with an exclusive end."""
    start = activity.start_at.astimezone(UTC)
    if activity.all_day:
        first = _day(start, tz)
        last = _day(activity.end_at.astimezone(UTC), tz) if activity.end_at is not None else first
        return first, max(last, first + timedelta(days=1))
    end = activity.end_at.astimezone(UTC) if activity.end_at is not None else None
    if end is None or end <= start:
        duration = DEFAULT_DURATION[ActivityType(activity.type_code)]
        if activity.type_code == ActivityType.CALL and activity.call_duration_s:
            duration = timedelta(seconds=activity.call_duration_s)
        end = start + duration
    return start, end


def _day(moment: datetime, tz: tzinfo) -> date:
    """The calendar day of an all-day event's boundary. Invitations store midnight UTC of the day; the
    chat stores midnight in the owner's zone."""
    if moment.time() == time(0):
        return moment.date()
    return moment.astimezone(tz).date()


def _summary(activity: Activity) -> str:
    """The label, with the third party's name when the label does not name it already."""
    tp = activity.thirdparty
    if tp is None:
        return activity.label
    key = name_key(tp.name)
    if key and f" {key} " in f" {fold(activity.label)} ":
        return activity.label
    return f"{activity.label} ({tp.name})"


def _contacts(activity: Activity) -> list[Contact]:
    """The main contact first, then the other contacts on the event."""
    found = [activity.contact] if activity.contact is not None else []
    for attendee in sorted(activity.attendees, key=lambda a: a.id):
        if attendee.contact is not None and attendee.contact not in found:
            found.append(attendee.contact)
    return found


def _description(activity: Activity, lang: str) -> str:
    parts = [activity.body.strip()] if activity.body and activity.body.strip() else []
    facts = []
    if activity.thirdparty is not None:
        facts.append(t(lang, "calendar.thirdparty", name=activity.thirdparty.name))
    contacts = _contacts(activity)
    if contacts:
        facts.append(t(lang, "calendar.contacts", names=", ".join(c.full_name for c in contacts)))
    if facts:
        parts.append("\n".join(facts))
    return "\n\n".join(parts)
