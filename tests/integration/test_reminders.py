"""Reminders: due at the user's local time in any zone (DST included), sent once after downtime and
marked late, exactly once with four sender processes on one database, Done/Snooze from Telegram, and
email when the chat fails."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm.models import Activity, ChannelIdentity, Percent, Reminder, ReminderStatus, User
from bot.delivery import Delivery
from bot.scheduler.reminders import ReminderSender
from tests.support.chat import Conversation
from tests.support.factories import company, person, user


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def seed(app: App, *people: tuple[str, str]) -> None:
    with app.uow() as uow:
        s = uow.session
        for login, tz in people:
            user(s, login, name=login.title(), language="en", timezone=tz, emails=[f"{login}@ourco.example"])
        acme = company(s, "ACME GmbH")
        person(s, "Max", "Mustermann", acme)
        uow.commit()


def reminder_of(app: App, login: str) -> Reminder:
    with app.uow(read_only=True) as uow:
        uid = uow.session.scalar(select(User.id).where(User.login == login))
        return uow.session.scalars(select(Reminder).where(Reminder.user_id == uid)).one()


def mail_sender(app: App) -> tuple[ReminderSender, FakeMailer]:
    mailer = FakeMailer()
    return ReminderSender(app, Delivery(app, {}, mailer), worker="test"), mailer


@pytest.mark.parametrize(
    ("tz", "now", "due_utc"),
    [
        ("Europe/Berlin", utc(2026, 11, 23, 8, 0), utc(2026, 11, 24, 8, 0)),
        (
            "America/New_York",
            utc(2026, 11, 23, 8, 0),
            utc(2026, 11, 24, 14, 0),
        ),
        ("Asia/Kolkata", utc(2026, 11, 23, 8, 0), utc(2026, 11, 24, 3, 30)),
        (
            "Pacific/Auckland",
            utc(2026, 11, 23, 8, 0),
            utc(2026, 11, 23, 20, 0),
        ),
        # the days around DST switches: the local 09:00 moves in UTC
        ("Europe/Berlin", utc(2027, 3, 27, 10, 0), utc(2027, 3, 28, 7, 0)),
        (
            "America/New_York",
            utc(2027, 3, 13, 15, 0),
            utc(2027, 3, 14, 13, 0),
        ),
        ("Pacific/Auckland", utc(2027, 4, 3, 0, 0), utc(2027, 4, 3, 21, 0)),
        (
            "Europe/Berlin",
            utc(2026, 10, 24, 10, 0),
            utc(2026, 10, 25, 8, 0),
        ),
    ],
)
async def test_a_reminder_comes_at_its_local_time(
    app: App, tz: str, now: datetime, due_utc: datetime
) -> None:
    seed(app, ("ria", tz))
    reply = Conversation(app, "ria").send("remind me tomorrow at 9 to call Max", now=now)
    assert reply.text.startswith("Reminder set: tomorrow 09:00 — call Max")
    assert reminder_of(app, "ria").due_at == due_utc
    sender, mailer = mail_sender(app)
    assert await sender.tick(due_utc - timedelta(seconds=1)) == 0
    assert await sender.tick(due_utc) == 1
    assert await sender.tick(due_utc + timedelta(minutes=1)) == 0
    assert len(mailer.sent) == 1
    assert mailer.sent[0]["Subject"] == "Reminder: call Max"
    sent = reminder_of(app, "ria")
    assert sent.status == ReminderStatus.SENT
    assert sent.sent_late is False


async def test_after_downtime_a_due_reminder_is_sent_once_and_marked_late(app: App) -> None:
    seed(app, ("anna", "Europe/Berlin"))
    Conversation(app, "anna").send("remind me tomorrow at 9 to call Max")
    due = reminder_of(app, "anna").due_at
    sender, mailer = mail_sender(app)
    back = due + timedelta(hours=3)  # the bot was down over the due time
    assert await sender.tick(back) == 1
    assert await sender.tick(back + timedelta(seconds=20)) == 0
    late = reminder_of(app, "anna")
    assert late.sent_late is True
    assert "was due Tue 24 Nov, 09:00" in mailer.sent[0].get_content()


async def test_a_failed_delivery_is_retried_with_backoff(app: App) -> None:
    seed(app, ("anna", "Europe/Berlin"))
    Conversation(app, "anna").send("remind me tomorrow at 9 to call Max")
    due = reminder_of(app, "anna").due_at
    sender, mailer = mail_sender(app)
    mailer.fail = True
    assert await sender.tick(due) == 0
    failed = reminder_of(app, "anna")
    assert failed.status == ReminderStatus.PENDING
    assert failed.attempts == 1
    assert "fake mailer set to fail" in (failed.last_error or "")
    mailer.fail = False
    assert await sender.tick(due + timedelta(seconds=10)) == 0  # backoff: not yet
    assert await sender.tick(due + timedelta(seconds=31)) == 1
    assert len(mailer.sent) == 1


def test_four_sender_processes_deliver_each_of_1000_reminders_exactly_once(app: App, tmp_path: Path) -> None:
    seed(app, ("anna", "Europe/Berlin"), ("bob", "America/New_York"))
    due = utc(2026, 11, 23, 7, 0)
    with app.uow() as uow:
        ids = list(uow.session.scalars(select(User.id)))
        rows = [
            {
                "user_id": ids[i % 2],
                "due_at": due + timedelta(seconds=i),
                "kind": "custom",
                "message": f"r{i}",
                "status": "pending",
                "attempts": 0,
                "snooze_count": 0,
                "sent_late": False,
                "created_at": due,
                "updated_at": due,
            }
            for i in range(1000)
        ]
        uow.session.execute(insert(Reminder), rows)
        uow.commit()
    url = app.settings.effective_database_url
    now = (due + timedelta(hours=1)).isoformat()
    outs = [tmp_path / f"sent-{n}.txt" for n in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.reminder_worker",
                url,
                str(tmp_path / f"d{n}"),
                str(out),
                now,
            ]
        )
        for n, out in enumerate(outs)
    ]
    for proc in procs:
        assert proc.wait(120) == 0
    sent = Counter(int(line) for out in outs if out.exists() for line in out.read_text().split())
    assert len(sent) == 1000
    assert max(sent.values()) == 1
    assert sum(1 for out in outs if out.exists() and out.read_text()) >= 2  # the work was shared
    with app.uow(read_only=True) as uow:
        statuses = Counter(uow.session.scalars(select(Reminder.status)))
    assert statuses == {"sent": 1000}


async def test_done_and_snooze_from_telegram_and_email_when_the_chat_fails(sqlite_app: App) -> None:
    pytest.importorskip("telegram", reason="python-telegram-bot is not installed")
    from bot.channels.telegram import TelegramChannel, TelegramSettings
    from tests.support.chat_http import serving
    from tests.support.fake_telegram import FakeTelegram

    app = sqlite_app
    seed(app, ("anna", "Europe/Berlin"))
    with app.uow() as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        anna.preferred_channel = "telegram"
        uow.session.add(ChannelIdentity(channel="telegram", external_id="42", user_id=anna.id))
        uow.commit()
    Conversation(app, "anna").send("remind me tomorrow at 9 to call Max")
    due = reminder_of(app, "anna").due_at
    async with FakeTelegram() as tg:
        settings = TelegramSettings(token=tg.token, api_url=tg.base_url, secret="s", poll_timeout=1)
        async with serving(app, lambda g: TelegramChannel(settings, g), lambda _: {}) as (channel, _, _):
            mailer = FakeMailer()
            sender = ReminderSender(app, Delivery(app, {"telegram": channel.send}, mailer), worker="t")
            assert await sender.tick(due) == 1
            sent = tg.sent[0]
            assert sent["text"].startswith("<b>Reminder</b>\ncall Max")
            labels = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
            assert labels == ["Done", "In 1 hour", "Tomorrow 09:00", "Next week"]

            def tap(label: str) -> None:
                message = tg.last_message(42)
                buttons = {
                    b["text"]: b["callback_data"]
                    for row in message["reply_markup"]["inline_keyboard"]
                    for b in row
                }
                tg.push(tg.callback_update(buttons[label], message_id=message["message_id"]))

            tap("In 1 hour")
            await tg.wait_for(lambda: len(tg.sent) == 2)
            assert tg.sent[1]["text"].startswith("Snoozed: call Max")
            snoozed = reminder_of(app, "anna")
            assert snoozed.status == ReminderStatus.PENDING
            assert snoozed.due_at == app.clock.now() + timedelta(hours=1)
            assert await sender.tick(snoozed.due_at) == 1
            await tg.wait_for(lambda: len(tg.sent) == 3)
            tap("Done")
            await tg.wait_for(lambda: len(tg.sent) == 4)
            assert tg.sent[3]["text"].startswith("Done: call Max")
            with app.uow(read_only=True) as uow:
                todo = uow.session.scalars(
                    select(Activity).where(Activity.percent != Percent.NOT_APPLICABLE)
                ).one()
                assert todo.percent == Percent.DONE
            assert reminder_of(app, "anna").status == ReminderStatus.SENT  # it went out; the to-do is done
            assert mailer.sent == []
            # Telegram refuses: the next reminder goes by email
            Conversation(app, "anna").send("remind me Friday at 10 to send the offer")
            tg.on("sendMessage", lambda params: (_ for _ in ()).throw(RuntimeError("down")))
            friday = utc(2026, 11, 27, 9, 0)
            assert await sender.tick(friday) == 1
            assert len(mailer.sent) == 1
            assert mailer.sent[0]["To"] == "anna@ourco.example"


async def test_the_user_at_the_terminal_gets_reminders_there_and_answers_by_number(sqlite_app: App) -> None:
    import io

    from rich.console import Console

    from bot.channels.console import ConsoleChannel
    from bot.engine import Engine

    app = sqlite_app
    seed(app, ("anna", "Europe/Berlin"))
    Conversation(app, "anna").send("remind me tomorrow at 9 to call Max")
    due = reminder_of(app, "anna").due_at
    out = io.StringIO()
    terminal = ConsoleChannel(
        "anna", Engine(app).handle, lambda: due, console=Console(file=out, width=120, highlight=False)
    )
    mailer = FakeMailer()
    delivery = Delivery(app, {"console": terminal.send}, mailer, console_login="anna")
    assert await ReminderSender(app, delivery, worker="t").tick(due) == 1
    assert "Reminder\ncall Max\n" in out.getvalue()
    assert "2) In 1 hour" in out.getvalue()
    assert mailer.sent == []
    terminal.exchange("2")
    assert "Snoozed: call Max" in out.getvalue()
    assert reminder_of(app, "anna").due_at == due + timedelta(hours=1)


async def test_a_planned_meeting_reminds_its_people_ahead_by_their_own_lead_time(app: App) -> None:
    seed(app, ("anna", "Europe/Berlin"), ("bob", "America/New_York"), ("cleo", "Europe/Berlin"))
    with app.uow() as uow:
        people = {u.login: u for u in uow.session.scalars(select(User))}
        people["bob"].reminder_lead_minutes = 60
        people["cleo"].reminder_lead_minutes = 0  # wants none
        uow.commit()
    reply = Conversation(app, "anna").send("meeting with Max tomorrow at 14:00")
    meeting_id = reply.data["record"]["id"]
    start = utc(2026, 11, 24, 13, 0)  # 14:00 Berlin
    with app.uow() as uow:
        meeting = uow.session.get(Activity, meeting_id)
        assert meeting is not None
        assert meeting.start_at == start
        from bot.crm.models import ActivityAttendee

        for login in ("bob", "cleo"):  # colleagues on the invitation
            meeting.attendees.append(ActivityAttendee(user_id=people[login].id))
        uow.commit()
    sender, mailer = mail_sender(app)
    assert await sender.tick(start - timedelta(hours=2)) == 0  # within a day ahead: the rows are made
    assert await sender.tick(start - timedelta(minutes=61)) == 0
    assert await sender.tick(start - timedelta(minutes=60)) == 1  # Bob: an hour ahead
    assert mailer.sent[-1]["To"] == "bob@ourco.example"
    assert await sender.tick(start - timedelta(minutes=16)) == 0
    assert await sender.tick(start - timedelta(minutes=15)) == 1  # Anna: the default 15 minutes
    anna_mail = mailer.sent[-1]
    assert anna_mail["To"] == "anna@ourco.example"
    assert "meeting tomorrow 14:00" not in anna_mail.get_content()  # it is today by now
    assert "ACME GmbH · meeting today 14:00" in anna_mail.get_content()
    assert await sender.tick(start) == 0
    with app.uow(read_only=True) as uow:
        kinds = Counter(uow.session.scalars(select(Reminder.kind)))
    assert kinds == {"meeting": 2}  # none for Cleo


async def test_a_moved_meeting_moves_its_reminder_and_a_cancelled_one_cancels_it(app: App) -> None:
    seed(app, ("anna", "Europe/Berlin"))
    reply = Conversation(app, "anna").send("meeting with Max tomorrow at 14:00")
    meeting_id = reply.data["record"]["id"]
    sender, mailer = mail_sender(app)
    morning = utc(2026, 11, 24, 7, 0)
    await sender.tick(morning)
    meeting_reminder = select(Reminder).where(Reminder.kind == "meeting")
    with app.uow() as uow:
        assert uow.session.scalars(meeting_reminder).one().due_at == utc(2026, 11, 24, 12, 45)
        meeting = uow.session.get(Activity, meeting_id)
        assert meeting is not None
        meeting.start_at = utc(2026, 11, 24, 15, 0)
        uow.commit()
    await sender.tick(morning + timedelta(minutes=1))
    with app.uow() as uow:
        assert uow.session.scalars(meeting_reminder).one().due_at == utc(2026, 11, 24, 14, 45)
        meeting = uow.session.get(Activity, meeting_id)
        assert meeting is not None
        meeting.percent = Percent.NOT_APPLICABLE  # cancelled (as a CANCEL invitation does)
        uow.commit()
    await sender.tick(morning + timedelta(minutes=2))
    assert await sender.tick(utc(2026, 11, 24, 14, 45)) == 0
    with app.uow(read_only=True) as uow:
        assert uow.session.scalars(meeting_reminder).one().status == ReminderStatus.CANCELLED
    assert mailer.sent == []


def test_my_reminders_lists_what_is_coming_and_cancels_one(app: App) -> None:
    seed(app, ("anna", "Europe/Berlin"))
    anna = Conversation(app, "anna")
    anna.send("remind me tomorrow at 9 to call Max")
    anna.send("remind me Friday at 10 to send the offer")
    listed = anna.send("my reminders")
    assert listed.data["intent"] == "followups"
    (section,) = listed.sections
    assert section.title == "Your reminders"
    assert [item.text for item in section.items] == [
        "tomorrow 09:00 · call Max (ACME GmbH)",
        "Fri 27 Nov, 10:00 · send the offer",
    ]
    assert [a.label for a in section.items[0].actions] == ["Cancel", "Done"]
    cancelled = anna.send("Cancel #1", choice=section.items[0].actions[0].value)
    assert cancelled.text == "Cancelled: call Max"
    again = anna.send("my reminders")
    assert [item.text for item in again.sections[0].items] == ["Fri 27 Nov, 10:00 · send the offer"]
    assert anna.send("Undo", choice=cancelled.actions[0].value).text.startswith("Undone")
    assert len(anna.send("meine Erinnerungen").sections[0].items) == 2
    assert "Wann" not in anna.say("my reminders")


def test_four_processes_making_meeting_reminders_at_once_make_each_once(app: App, database_url: str) -> None:
    """Every process's tick makes the meeting reminders of the next day; at start-up they all do it at
    the same moment (on PostgreSQL this once deadlocked on the unique index)."""
    import threading

    from bot.bootstrap import build_app
    from bot.config import load_settings
    from bot.crm.activities import log_activity
    from bot.crm.models import ActivityAttendee
    from bot.crm.reminders import ensure_meeting_reminders

    seed(app, ("anna", "Europe/Berlin"), ("bob", "America/New_York"), ("cleo", "Europe/Berlin"))
    now = utc(2026, 11, 23, 8, 0)
    with app.uow() as uow:
        s = uow.session
        people = list(s.scalars(select(User).order_by(User.id)))
        for n in range(120):
            meeting = log_activity(
                s,
                type_code="AC_RDV",
                label=f"Meeting {n}",
                owner=people[n % 3],
                start_at=now + timedelta(hours=1, minutes=n * 7),
                percent=Percent.TODO,
            )
            for other in people:
                if other.id != meeting.owner_id:
                    meeting.attendees.append(ActivityAttendee(user_id=other.id))
        uow.commit()
    apps = [
        build_app(load_settings(database_url=database_url, data_dir=app.settings.data_dir, now=now))
        for _ in range(4)
    ]
    errors: list[BaseException] = []
    created: list[int] = []
    start = threading.Barrier(len(apps))

    def run(other: App) -> None:
        try:
            start.wait()
            with other.uow() as uow:
                created.append(ensure_meeting_reminders(uow.session, now=now))
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for other in apps:
        other.close()
    assert errors == []
    assert sum(created) == 360  # 120 meetings × 3 people, each made by exactly one process
    with app.uow(read_only=True) as uow:
        rows = uow.session.execute(select(Reminder.user_id, Reminder.activity_id)).all()
    assert len(rows) == len(set(rows)) == 360
