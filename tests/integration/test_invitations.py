"""Calendar invitations, as a user asks for them in chat: the meeting is logged and an iTIP REQUEST from the
user goes to the contact through the outbox and a real SMTP server on 127.0.0.1 — only when asked; undo
withdraws it (or sends a CANCEL once it went out); an update raises SEQUENCE; an SMTP outage is retried
with backoff; two senders send once; and the invitation coming back by BCC updates the same meeting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from bot.bootstrap import App, build_app
from bot.channels.mailer import FakeMailer, SmtpMailer
from bot.config import load_settings
from bot.crm import invitations
from bot.crm.models import Activity, ActivityType, OutboxMail, SendStatus
from bot.messages import Reply
from bot.parsers.email import parse_email
from bot.scheduler.outbox import OutboxSender
from tests.conftest import NOW
from tests.support.chat import Conversation
from tests.support.factories import company, person, user
from tests.support.mail import BOT, Room
from tests.support.smtp_sink import Delivered, SmtpSink, smtp_sink

MAX = "max.mustermann@acme.example"
TOMORROW_14_BERLIN = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[App]:
    """A bot with its own address (the Sender of what it sends for its users), on each backend."""
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path / "data", now=NOW, mail_addresses=[BOT]
    )
    application = build_app(settings)
    with application.uow() as uow:
        s = uow.session
        user(s, "anna", name="Anna Berger", emails=["anna@nordlicht.example"], language="de")
        user(
            s,
            "bob",
            name="Bob Miller",
            emails=["bob@nordlicht.example"],
            language="en",
            timezone="Europe/Berlin",
        )
        acme = company(s, "ACME GmbH")
        person(s, "Max", "Mustermann", acme, email=MAX)
        person(s, "Erika", "Musterfrau", acme)  # no email address
        uow.commit()
    yield application
    application.close()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender=BOT, security="plain", timeout=5.0)


def outbox_rows(app: App) -> list[OutboxMail]:
    with app.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def meetings(app: App) -> list[Activity]:
    with app.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(Activity).where(Activity.type_code == ActivityType.MEETING)))


def calendar_part(message: EmailMessage) -> EmailMessage:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one inline calendar"
    assert isinstance(parts[0], EmailMessage)
    return parts[0]


def event_of(message: EmailMessage) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(calendar_part(message).get_content())
    [event] = calendar.walk("VEVENT")
    assert isinstance(event, icalendar.Event)
    return calendar, event


def invited(app: App, text: str = "meeting with Max tomorrow 2pm, send invite", login: str = "bob") -> Reply:
    reply = Conversation(app, login).send(text)
    assert reply.data.get("invitation", {}).get("uid"), reply.plain()
    return reply


# -- asking for it ---------------------------------------------------------------------------------------


async def test_meeting_with_invite_is_logged_and_the_invitation_arrives_over_smtp(
    app: App, sink: SmtpSink
) -> None:
    reply = invited(app)
    assert reply.text == "Meeting planned: Max Mustermann, ACME GmbH · tomorrow 14:00"
    assert reply.lines == (f"Invitation to Max Mustermann <{MAX}> will be sent.",)
    assert [a.label for a in reply.actions] == ["Undo"]
    [meeting] = meetings(app)
    assert reply.data["invitation"] == {"to": [f"Max Mustermann <{MAX}>"], "uid": meeting.ical_uid}
    assert meeting.ical_uid is not None
    assert meeting.ical_uid.endswith("@nordlicht.example")
    assert (meeting.ical_sequence, meeting.start_at, meeting.end_at) == (
        0,
        TOMORROW_14_BERLIN,
        TOMORROW_14_BERLIN + timedelta(hours=1),
    )
    [row] = outbox_rows(app)
    assert (row.kind, row.status, row.recipients, row.mail_from, row.activity_id) == (
        "invite",
        SendStatus.PENDING,
        MAX,
        BOT,
        meeting.id,
    )
    assert sink.delivered == [], "nothing leaves before the outbox tick"

    sender = OutboxSender(app, mailer(sink.port), worker="w1")
    assert await sender.tick(NOW) == 1
    assert await sender.tick(NOW + timedelta(minutes=1)) == 0, "sent once"
    [arrived] = sink.delivered
    assert (arrived.mail_from, arrived.rcpt_tos) == (BOT, (MAX,))
    message = arrived.message
    assert message["From"] == "Bob Miller <bob@nordlicht.example>"
    assert message["Sender"] == BOT
    assert message["Reply-To"] == "Bob Miller <bob@nordlicht.example>"
    assert message["To"] == f"Max Mustermann <{MAX}>"
    assert (
        message["Subject"]
        .strip()
        .startswith("Invitation: Meeting Bob Miller / Max Mustermann @ Tue 24 Nov, 14:00")
    )
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] is None, "a person-to-person invitation, not machine mail"
    assert message.get_content_type() == "multipart/mixed"
    [alternative] = [p for p in message.iter_parts() if p.get_content_type() == "multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/calendar"]
    text = next(alternative.iter_parts())
    assert isinstance(text, EmailMessage)
    assert "When: Tue 24 Nov, 14:00–15:00 (Europe/Berlin)" in text.get_content()
    assert "Who: Bob Miller, Max Mustermann" in text.get_content()
    inline = calendar_part(message)
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert ics.get_content_type() == "application/ics"

    calendar, event = event_of(message)
    assert (str(calendar["METHOD"]), str(calendar["VERSION"]), str(calendar["PRODID"])) == (
        "REQUEST",
        "2.0",
        invitations.PRODID,
    )
    assert str(event["UID"]) == meeting.ical_uid
    assert int(str(event["SEQUENCE"])) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == TOMORROW_14_BERLIN
    assert event.decoded("DTSTART").utcoffset() == timedelta(0), "in UTC"
    assert "DTSTART:20261124T130000Z" in calendar_part(message).get_content().replace("\r\n", "\n")
    assert event.decoded("DTEND") == TOMORROW_14_BERLIN + timedelta(hours=1)
    organizer = event["ORGANIZER"]
    assert (str(organizer), organizer.params["CN"]) == ("mailto:bob@nordlicht.example", "Bob Miller")
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{MAX}"
    assert {k: attendee.params[k] for k in ("CN", "ROLE", "PARTSTAT", "RSVP")} == {
        "CN": "Max Mustermann",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }

    ours = parse_email(arrived.data)  # our own intake reads it as the invitation it is
    [invite] = ours.invites
    assert (invite.method, invite.uid, invite.sequence, invite.start, invite.end) == (
        "REQUEST",
        meeting.ical_uid,
        0,
        TOMORROW_14_BERLIN,
        TOMORROW_14_BERLIN + timedelta(hours=1),
    )
    assert invite.organizer is not None
    assert invite.organizer.email == "bob@nordlicht.example"
    assert [a.email for a in invite.attendees] == [MAX]
    assert ours.attachments == (), "invite.ics is the invitation, not a document"
    [done] = outbox_rows(app)
    assert (done.status, done.sent_at, done.attempts) == (SendStatus.SENT, NOW, 1)


@pytest.mark.parametrize(
    "text",
    [
        "Termin mit Max morgen 14 Uhr, Einladung senden",
        "Termin mit Max morgen 14 Uhr, Einladung schicken",
        "Termin mit Max morgen 14 Uhr mit Einladung",
    ],
)
async def test_german_request_sends_a_german_invitation(app: App, text: str) -> None:
    reply = invited(app, text, login="anna")
    assert reply.text == "Termin geplant: Max Mustermann, ACME GmbH · morgen 14:00"
    assert reply.lines == (f"Einladung an Max Mustermann <{MAX}> wird verschickt.",)
    fake = FakeMailer()
    assert await OutboxSender(app, fake, worker="w1").tick(NOW) == 1
    [message] = fake.sent
    assert fake.envelopes == [(BOT, (MAX,))]
    assert message["From"] == "Anna Berger <anna@nordlicht.example>"
    assert (
        message["Subject"]
        .strip()
        .startswith("Einladung: Termin Anna Berger / Max Mustermann @ Di 24.11., 14:00")
    )
    text_part = message.get_body(("plain",))
    assert text_part is not None
    assert "Wann: Di 24.11., 14:00–15:00 (Europe/Berlin)" in text_part.get_content()
    _, event = event_of(message)
    assert event.decoded("DTSTART") == TOMORROW_14_BERLIN


async def test_invite_someone_to_a_meeting(app: App) -> None:
    reply = invited(app, "invite Max to a meeting on Friday 10am")
    assert reply.text == "Meeting planned: Max Mustermann, ACME GmbH · Fri 27 Nov, 10:00"
    [meeting] = meetings(app)
    assert meeting.start_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert len(outbox_rows(app)) == 1


def test_the_request_survives_the_question_which_max(app: App) -> None:
    with app.uow() as uow:
        person(uow.session, "Max", "Weber", company(uow.session, "Soylent GmbH"), email="max@soylent.example")
        uow.commit()
    chat = Conversation(app, "bob")
    question = chat.send("meeting with Max tomorrow 2pm, send invite")
    assert question.data["needs_clarification"] is True
    assert outbox_rows(app) == []
    number = next(i for i, c in enumerate(question.choices, 1) if c.label.startswith("Max Weber"))
    reply = chat.pick(number)
    assert reply.lines == ("Invitation to Max Weber <max@soylent.example> will be sent.",)
    assert [r.recipients for r in outbox_rows(app)] == ["max@soylent.example"]


async def test_a_meeting_without_a_time_is_invited_as_an_all_day_event(app: App) -> None:
    invited(app, "meeting with Max on Friday, send invite")
    fake = FakeMailer()
    assert await OutboxSender(app, fake, worker="w1").tick(NOW) == 1
    _, event = event_of(fake.sent[0])
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (date(2026, 11, 27), date(2026, 11, 28))
    [invite] = parse_email(bytes(fake.sent[0])).invites
    assert invite.all_day is True


# -- never without being asked; clear answers when it cannot be done -----------------------------------------


async def test_no_invitation_without_being_asked(app: App) -> None:
    reply = Conversation(app, "bob").send("meeting with Max tomorrow 2pm")
    assert reply.text == "Meeting planned: Max Mustermann, ACME GmbH · tomorrow 14:00"
    assert "invitation" not in reply.data
    assert "nvitation" not in reply.plain()
    [meeting] = meetings(app)
    assert meeting.ical_uid is None
    assert outbox_rows(app) == []
    fake = FakeMailer()
    assert await OutboxSender(app, fake, worker="w1").tick(NOW + timedelta(days=1)) == 0
    assert fake.sent == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "meeting with Erika tomorrow 2pm, send invite",
            "No invitation sent: no email address in the CRM for Erika Musterfrau.",
            "no_email",
        ),
        (
            "meeting with ACME tomorrow 2pm, send invite",
            "No invitation sent: there is no contact to invite. Name a person with an email address, "
            "e.g. “meeting with Max Mustermann tomorrow 2pm, send invite”.",
            "no_contact",
        ),
        (
            "met Max yesterday 2pm, send invite",
            "No invitation sent: an invitation makes no sense for a meeting in the past.",
            "past",
        ),
    ],
)
def test_no_invitation_when_it_cannot_be_sent_but_the_meeting_is_logged(
    app: App, text: str, line: str, reason: str
) -> None:
    reply = Conversation(app, "bob").send(text)
    assert reply.data["record"] is not None, "the meeting is logged all the same"
    assert line in reply.lines
    assert reply.data["invitation"] == {"to": [], "uid": None, "not_sent": reason}
    assert outbox_rows(app) == []
    assert [m.ical_uid for m in meetings(app)] == [None]


def test_a_contact_without_address_is_named_when_the_others_are_invited(app: App) -> None:
    reply = invited(app, "meeting with Max and Erika tomorrow 2pm, send invite")
    assert reply.lines == (
        f"Invitation to Max Mustermann <{MAX}> will be sent.",
        "Not invited (no email address): Erika Musterfrau",
    )
    assert outbox_rows(app)[0].recipients == MAX


# -- undo, updates -----------------------------------------------------------------------------------------


async def test_undo_before_sending_withdraws_the_invitation(app: App, sink: SmtpSink) -> None:
    chat = Conversation(app, "bob")
    chat.send("meeting with Max tomorrow 2pm, send invite")
    reply = chat.send("undo")
    assert reply.text == "Undone: Meeting with Max Mustermann"
    assert reply.lines == (f"The invitation to {MAX} will not be sent.",)
    assert meetings(app) == []
    [row] = outbox_rows(app)
    assert row.status == SendStatus.CANCELLED
    assert await OutboxSender(app, mailer(sink.port), worker="w1").tick(NOW + timedelta(minutes=1)) == 0
    assert sink.delivered == []


async def test_undo_after_sending_sends_a_cancel_with_a_higher_sequence(app: App, sink: SmtpSink) -> None:
    chat = Conversation(app, "bob")
    uid = chat.send("meeting with Max tomorrow 2pm, send invite").data["invitation"]["uid"]
    sender = OutboxSender(app, mailer(sink.port), worker="w1")
    assert await sender.tick(NOW) == 1
    reply = chat.send("undo", choice=chat.last.actions[0].value if chat.last else None)
    assert reply.text == "Undone: Meeting with Max Mustermann"
    assert reply.lines == (f"A cancellation goes to {MAX}.",)
    assert await sender.tick(NOW + timedelta(seconds=20)) == 1
    _, cancel = sink.delivered
    assert (cancel.mail_from, cancel.rcpt_tos) == (BOT, (MAX,))
    assert cancel.message["Subject"].strip().startswith("Cancelled: Meeting Bob Miller / Max Mustermann")
    assert calendar_part(cancel.message).get_param("method") == "CANCEL"
    calendar, event = event_of(cancel.message)
    assert (
        str(calendar["METHOD"]),
        str(event["UID"]),
        int(str(event["SEQUENCE"])),
        str(event["STATUS"]),
    ) == (
        "CANCEL",
        uid,
        1,
        "CANCELLED",
    )
    assert str(event["ATTENDEE"]) == f"mailto:{MAX}"
    assert [(r.kind, r.status) for r in outbox_rows(app)] == [
        ("invite", SendStatus.SENT),
        ("invite_cancel", SendStatus.SENT),
    ]


async def test_update_invitation_sends_the_new_time_with_sequence_plus_one(app: App) -> None:
    invited(app)
    fake = FakeMailer()
    sender = OutboxSender(app, fake, worker="w1")
    assert await sender.tick(NOW) == 1
    later = TOMORROW_14_BERLIN + timedelta(days=3, hours=1)
    with app.uow() as uow:
        [meeting] = uow.session.scalars(select(Activity).where(Activity.type_code == ActivityType.MEETING))
        meeting.start_at, meeting.end_at, meeting.location = later, later + timedelta(hours=1), "ACME, Raum 2"
        row = invitations.update_invitation(uow.session, meeting, now=NOW)
        assert row is not None
        assert row.kind == "invite_update"
        uow.commit()
    assert await sender.tick(NOW + timedelta(seconds=20)) == 1
    first, update = fake.sent
    _, old = event_of(first)
    calendar, new = event_of(update)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(new["UID"]) == str(old["UID"])
    assert (int(str(old["SEQUENCE"])), int(str(new["SEQUENCE"]))) == (0, 1)
    assert new.decoded("DTSTART") == later
    assert str(new["LOCATION"]) == "ACME, Raum 2"
    assert update["Subject"].strip().startswith("Updated invitation: ")  # (folded at the start)
    assert meetings(app)[0].ical_sequence == 1


async def test_an_update_before_sending_replaces_the_waiting_invitation(app: App) -> None:
    invited(app)
    with app.uow() as uow:
        [meeting] = uow.session.scalars(select(Activity).where(Activity.type_code == ActivityType.MEETING))
        meeting.location = "Café Einstein"
        invitations.update_invitation(uow.session, meeting, now=NOW)
        uow.commit()
    assert [(r.kind, r.status) for r in outbox_rows(app)] == [
        ("invite", SendStatus.CANCELLED),
        ("invite", SendStatus.PENDING),
    ]
    fake = FakeMailer()
    assert await OutboxSender(app, fake, worker="w1").tick(NOW) == 1
    _, event = event_of(fake.sent[0])
    assert (str(event["LOCATION"]), int(str(event["SEQUENCE"]))) == ("Café Einstein", 1)


def test_no_update_for_a_meeting_nobody_was_invited_to(app: App) -> None:
    Conversation(app, "bob").send("meeting with Max tomorrow 2pm")
    with app.uow() as uow:
        [meeting] = uow.session.scalars(select(Activity).where(Activity.type_code == ActivityType.MEETING))
        assert invitations.update_invitation(uow.session, meeting, now=NOW) is None
        assert invitations.cancel_invitation(uow.session, meeting, now=NOW) is None
        uow.commit()
    assert outbox_rows(app) == []


# -- sending -----------------------------------------------------------------------------------------------


async def test_smtp_down_the_mail_waits_with_backoff_and_goes_out_when_it_is_back(app: App) -> None:
    invited(app)
    with smtp_sink(started=False) as sink:
        sender = OutboxSender(app, mailer(sink.port), worker="w1")
        assert await sender.tick(NOW) == 0
        [row] = outbox_rows(app)
        assert (row.status, row.attempts, row.claimed_at) == (SendStatus.PENDING, 1, NOW)
        assert "could not send" in (row.last_error or "")
        sink.start()
        assert await sender.tick(NOW + timedelta(seconds=10)) == 0, "backoff: 30 s after the first failure"
        assert outbox_rows(app)[0].attempts == 1
        assert sink.delivered == []
        assert await sender.tick(NOW + timedelta(seconds=31)) == 1
        assert len(sink.delivered) == 1
    [sent] = outbox_rows(app)
    assert (sent.status, sent.attempts) == (SendStatus.SENT, 2)


async def test_after_eight_failures_the_mail_is_failed(app: App) -> None:
    invited(app)
    fake = FakeMailer(fail=True)
    sender = OutboxSender(app, fake, worker="w1")
    moment = NOW
    for _ in range(8):
        await sender.tick(moment)
        moment += timedelta(hours=1)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == (SendStatus.FAILED, 8)
    fake.fail = False
    assert await sender.tick(moment) == 0


async def test_two_senders_ticking_at_once_send_each_mail_once(app: App, sink: SmtpSink) -> None:
    uids = [
        invited(app, text).data["invitation"]["uid"]
        for text in (
            "meeting with Max tomorrow 2pm, send invite",
            "call with Max on Friday 10am, send invite",
            "meeting with Max on Thursday 3pm, send invite",
        )
    ]
    one = OutboxSender(app, mailer(sink.port), worker="w1")
    two = OutboxSender(app, mailer(sink.port), worker="w2")
    counts = await asyncio.gather(one.tick(NOW), two.tick(NOW), one.tick(NOW), two.tick(NOW))
    assert sum(counts) == 3
    assert sorted(_delivered_uids(sink.delivered)) == sorted(uids)
    assert {r.status for r in outbox_rows(app)} == {SendStatus.SENT}


async def test_without_an_outbound_server_mail_waits_and_one_warning_per_tick(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    invited(app)
    invited(app, "call with Max on Friday 10am, send invite")
    sender = OutboxSender(app, None, worker="w1")
    with caplog.at_level(logging.WARNING, logger="bot.scheduler.outbox"):
        assert await sender.tick(NOW) == 0
    warnings = [r for r in caplog.records if r.name == "bot.scheduler.outbox"]
    assert len(warnings) == 1
    assert "2 queued mail(s) not sent" in warnings[0].getMessage()
    assert [(r.status, r.attempts) for r in outbox_rows(app)] == [(SendStatus.PENDING, 0)] * 2


def test_nothing_is_queued_when_the_message_fails(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox row is written in the meeting's transaction: no meeting, no mail."""

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.engine.mark_handled", broken)
    reply = Conversation(app, "bob").send("meeting with Max tomorrow 2pm, send invite")
    assert reply.data.get("error") == "internal"
    assert meetings(app) == []
    assert outbox_rows(app) == []


# -- the round trip ----------------------------------------------------------------------------------------


async def test_the_invitation_coming_back_by_bcc_updates_the_same_meeting(app: App, sink: SmtpSink) -> None:
    uid = invited(app).data["invitation"]["uid"]
    assert await OutboxSender(app, mailer(sink.port), worker="w1").tick(NOW) == 1
    [arrived] = sink.delivered
    before = meetings(app)
    outcome = Room(app).deliver(arrived.data)
    assert outcome.status == "archived", outcome
    after = meetings(app)
    assert [m.id for m in after] == [m.id for m in before], "the same meeting, not a second one"
    assert after[0].ical_uid == uid
    assert after[0].start_at == TOMORROW_14_BERLIN
    assert after[0].ical_sequence == 0


def _delivered_uids(delivered: list[Delivered]) -> list[str]:
    return [parse_email(d.data).invites[0].uid for d in delivered]
