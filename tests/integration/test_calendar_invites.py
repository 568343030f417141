"""Invitations that arrive by mail keep one planned meeting per UID: an Outlook REQUEST (Windows zone name)
creates it, an update with a higher SEQUENCE moves it (and its reminder), a late older version changes
nothing, a CANCEL cancels it (and its reminder), and the user's calendar feed shows it that way."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm import calendar_feed
from bot.crm.audit import Actor
from bot.crm.demo import load_demo
from bot.crm.mail import MailSettings
from bot.crm.models import Activity, Percent, Reminder, ReminderStatus, User
from bot.delivery import Delivery
from bot.mailroom import MailRoom
from bot.messages import RawMail
from bot.scheduler.reminders import ReminderSender
from tests.conftest import make_app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SETTINGS = MailSettings(
    bot_addresses=frozenset({"crm@nordlicht.example"}),
    internal_domains=frozenset({"nordlicht.example"}),
)


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[App, MailRoom]]:
    app = make_app(sqlite_url, tmp_path / "data")
    with app.uow(Actor(None, "cli")) as uow:
        load_demo(uow.session, now=NOW)
        uow.commit()
    yield app, MailRoom(app, FakeMailer(), SETTINGS)
    app.close()


def deliver(room: MailRoom, raw: bytes, at: datetime) -> str:
    email_id = room.receive(RawMail(raw, "import", at, envelope_to=("crm@nordlicht.example",)))
    return room.process(email_id, at).status


def moved(raw: bytes, *, start: str, end: str, sequence: int, message_id: str) -> bytes:
    """The Outlook invitation as Outlook sends its update: same UID, new times, higher SEQUENCE."""
    mail = message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
            text = re.sub(r"(DTSTART;TZID=W\. Europe Standard Time:)\d{8}T\d{6}", rf"\g<1>{start}", text)
            text = re.sub(r"(DTEND;TZID=W\. Europe Standard Time:)\d{8}T\d{6}", rf"\g<1>{end}", text)
            text = re.sub(r"\r\nSEQUENCE:\d+", f"\r\nSEQUENCE:{sequence}", text)
            part.set_payload(base64.encodebytes(text.encode()).decode(), charset=None)
    del mail["Message-ID"]
    mail["Message-ID"] = message_id
    return mail.as_bytes()


def meeting_of(app: App, uid_start: str) -> Activity:
    with app.uow(read_only=True) as uow:
        found = uow.session.scalars(select(Activity).where(Activity.ical_uid.startswith(uid_start))).one()
        uow.session.expunge(found)
        return found


def meeting_reminder(app: App, meeting_id: int) -> Reminder:
    with app.uow(read_only=True) as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        return uow.session.scalars(
            select(Reminder).where(
                Reminder.kind == "meeting", Reminder.user_id == anna.id, Reminder.activity_id == meeting_id
            )
        ).one()


async def test_an_outlook_meeting_is_created_moved_and_cancelled_by_uid(demo: tuple[App, MailRoom]) -> None:
    app, room = demo
    request = (FIXTURES / "invite_outlook.eml").read_bytes()
    assert deliver(room, request, NOW) == "archived"
    meeting = meeting_of(app, "040000008200E000")
    assert (meeting.start_at, meeting.end_at) == (
        datetime(2026, 11, 26, 13, 0, tzinfo=UTC),  # 14:00 "W. Europe Standard Time"
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
    )
    assert meeting.percent == Percent.TODO
    with app.uow(read_only=True) as uow:
        found = uow.session.get(Activity, meeting.id)
        assert found is not None
        people = {a.contact.full_name for a in found.attendees if a.contact is not None}
    assert people == {"Max Mustermann", "Erika Musterfrau"}

    mailer = FakeMailer()
    sender = ReminderSender(app, Delivery(app, {}, mailer), worker="t")
    await sender.tick(
        datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    )  # the day of the meeting: its reminder is made
    assert meeting_reminder(app, meeting.id).due_at == datetime(2026, 11, 26, 12, 45, tzinfo=UTC)

    update = moved(request, start="20261126T160000", end="20261126T170000", sequence=1, message_id="<upd1@x>")
    assert deliver(room, update, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) == "archived"
    again = meeting_of(app, "040000008200E000")
    assert again.id == meeting.id  # the same meeting, moved
    assert (again.start_at, again.ical_sequence) == (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), 1)
    stale = moved(request, start="20261126T100000", end="20261126T110000", sequence=0, message_id="<upd0@x>")
    deliver(room, stale, datetime(2026, 11, 26, 9, 5, tzinfo=UTC))  # an older version arriving late
    assert meeting_of(app, "040000008200E000").start_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    await sender.tick(datetime(2026, 11, 26, 9, 10, tzinfo=UTC))
    assert meeting_reminder(app, meeting.id).due_at == datetime(2026, 11, 26, 14, 45, tzinfo=UTC)

    cancel = (FIXTURES / "invite_cancel.eml").read_bytes()
    assert deliver(room, cancel, datetime(2026, 11, 26, 10, 0, tzinfo=UTC)) == "archived"
    cancelled = meeting_of(app, "040000008200E000")
    assert cancelled.percent == Percent.NOT_APPLICABLE
    assert cancelled.label.startswith("Cancelled: ")
    await sender.tick(datetime(2026, 11, 26, 14, 45, tzinfo=UTC))
    assert meeting_reminder(app, meeting.id).status == ReminderStatus.CANCELLED
    assert not any("Projektbesprechung" in str(m["Subject"]) for m in mailer.sent)

    with app.uow(read_only=True) as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        feed = calendar_feed.feed(uow.session, anna, now=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    events = {str(e["UID"]): e for e in Calendar.from_ical(feed).walk("VEVENT")}
    event = next(e for uid, e in events.items() if uid.startswith("040000008200E000"))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
