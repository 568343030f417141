"""The daily digest: what is in it (and what never is), once per user and local date across zones and DST
switches, several senders at once, Done/Snooze/File from its items (console, Telegram, Slack, mail
replies), and ``crmbot digest``."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm import digest as digests
from bot.crm.activities import log_activity
from bot.crm.models import (
    Activity,
    ActivityType,
    CustomerType,
    DigestRun,
    EmailMessage,
    EmailStatus,
    Percent,
    ProspectStatus,
    Reminder,
    ReminderStatus,
    SendStatus,
    ThirdParty,
    User,
)
from bot.crm.thirdparties import assign_salesrep
from bot.delivery import Delivery
from bot.scheduler.digest import DigestSender, build, render, settings_of
from tests.support.chat import Conversation
from tests.support.factories import company, person, user
from tests.support.mail import BOT, Room, mail

BERLIN = ZoneInfo("Europe/Berlin")
ANNA = "Anna Berger <anna@nordlicht.example>"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


MONDAY = date(2026, 11, 23)


def seed_anna(app: App) -> dict[str, int]:
    """Anna (Berlin, German) with one of everything the digest shows, and things it must leave out."""
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", name="Anna Berger", emails=["anna@nordlicht.example"])
        bob = user(s, "bob", name="Bob Miller", timezone="America/New_York", language="en")
        initech = company(s, "Initech GmbH")
        acme = company(s, "ACME GmbH")
        quiet = company(s, "Autohaus Becker GmbH", customer_type=CustomerType.CUSTOMER)
        fresh = company(s, "Frisch AG", customer_type=CustomerType.CUSTOMER)
        prospect = company(s, "Rheinland Versicherung AG", customer_type=CustomerType.PROSPECT)
        blocked = company(
            s,
            "Nie Wieder KG",
            customer_type=CustomerType.PROSPECT,
            prospect_status=ProspectStatus.DO_NOT_CONTACT,
        )
        bobs = company(s, "Bobs Bagels Inc", customer_type=CustomerType.CUSTOMER)
        for tp in (initech, acme, quiet, fresh, prospect, blocked):
            assign_salesrep(s, anna, tp)
        assign_salesrep(s, bob, bobs)
        max_ = person(s, "Max", "Mustermann", acme, email="max@acme.example")
        long_ago = at(MONDAY, 10) - timedelta(days=45)
        for tp, when in (
            (quiet, at(MONDAY, 10) - timedelta(days=45)),
            (fresh, at(MONDAY, 10) - timedelta(days=10)),
            (prospect, at(MONDAY, 10) - timedelta(days=20)),
            (blocked, long_ago),
            (bobs, long_ago),
            (initech, at(MONDAY, 10) - timedelta(days=3)),
            (acme, at(MONDAY, 10) - timedelta(days=3)),
        ):
            log_activity(
                s, type_code=ActivityType.CALL, label="Anruf", start_at=when, owner=anna, thirdparty=tp
            )
        meeting = log_activity(
            s,
            type_code=ActivityType.MEETING,
            label="Termin mit Initech",
            start_at=at(MONDAY, 14),
            end_at=at(MONDAY, 15),
            owner=anna,
            thirdparty=initech,
            percent=Percent.TODO,
            location="Berlin, Friedrichstr. 1",
        )
        due = log_activity(
            s,
            type_code=ActivityType.NOTE,
            label="Angebot an Max schicken",
            start_at=at(MONDAY, 11),
            owner=anna,
            contacts=[max_],
            percent=Percent.TODO,
        )
        overdue = log_activity(
            s,
            type_code=ActivityType.NOTE,
            label="Wiedervorlage ACME",
            start_at=at(MONDAY, 9) - timedelta(days=3),
            owner=anna,
            thirdparty=acme,
            percent=Percent.TODO,
        )
        yesterday = log_activity(
            s,
            type_code=ActivityType.NOTE,
            label="Notiz zu Initech",
            start_at=at(MONDAY, 18) - timedelta(days=1),
            owner=anna,
            thirdparty=initech,
        )
        log_activity(  # Bob's to-do and Bob's meeting are not Anna's
            s,
            type_code=ActivityType.NOTE,
            label="Bobs to-do",
            start_at=at(MONDAY, 9),
            owner=bob,
            thirdparty=bobs,
            percent=Percent.TODO,
        )
        log_activity(  # tomorrow: not today
            s,
            type_code=ActivityType.MEETING,
            label="Termin morgen",
            start_at=at(MONDAY, 14) + timedelta(days=1),
            owner=anna,
            thirdparty=acme,
            percent=Percent.TODO,
        )
        uow.commit()
        return {
            "anna": anna.id,
            "bob": bob.id,
            "meeting": meeting.id,
            "due": due.id,
            "overdue": overdue.id,
            "yesterday": yesterday.id,
            "quiet": quiet.id,
            "prospect": prospect.id,
        }


def unresolved_mail(app: App, candidates: list[str]) -> int:
    """A BCC the router could not place (a stranger on a domain nobody knows), with *candidates*."""
    room = Room(app)
    outcome = room.deliver(
        mail(
            "Anna Berger <anna@nordlicht.example>", "k.weber@unbekannt.example", subject="Rückfrage Lieferung"
        ),
        rcpt=(BOT,),
    )
    assert outcome.status == EmailStatus.UNRESOLVED
    with app.uow() as uow:
        row = uow.session.get(EmailMessage, outcome.email_id)
        assert row is not None
        row.candidates = [
            {
                "id": uow.session.scalars(select(ThirdParty.id).where(ThirdParty.name == name)).one(),
                "name": name,
            }
            for name in candidates
        ]
        uow.commit()
    return outcome.email_id


def test_the_digest_holds_the_day_and_nothing_that_is_not_the_users(app: App) -> None:
    ids = seed_anna(app)
    email_id = unresolved_mail(app, ["ACME GmbH"])
    now = at(MONDAY, 8)
    with app.uow(read_only=True) as uow:
        anna = uow.session.get(User, ids["anna"])
        assert anna is not None
        digest = digests.for_user(uow.session, anna, now=now, settings=settings_of(app))
        rendered = render(digest, anna, now)
    assert [i.activity_id for i in digest.today.items] == [ids["meeting"]]
    assert [i.activity_id for i in digest.due.items] == [ids["due"]]
    assert [i.activity_id for i in digest.overdue.items] == [ids["overdue"]]
    stale = {i.label: i.days for i in digest.stale.items}
    assert stale == {"Autohaus Becker GmbH": 45, "Rheinland Versicherung AG": 20}  # not Frisch (10 d), not
    # "Nie Wieder" (do not contact), not Bob's customer, not Initech/ACME (3 d)
    assert [i.email_id for i in digest.unfiled.items] == [email_id]
    assert [i.activity_id for i in digest.yesterday.items] == [ids["yesterday"]]
    text = rendered.text
    assert rendered.subject == "Dein Tag — Mo 23.11.: 7 Punkte"
    assert (
        "Termine und Anrufe heute\n1. 14:00 · Termin mit Initech (Initech GmbH) · Berlin, Friedrichstr. 1"
        in text
    )
    assert "Heute fällig\n2. 11:00 · Angebot an Max schicken (ACME GmbH)" in text
    assert "Überfällig\n3. Fr 20.11., 09:00 · Wiedervorlage ACME (ACME GmbH)" in text
    assert "4. Autohaus Becker GmbH (Kunde) — letzter Kontakt vor 45 Tagen" in text
    assert "5. Rheinland Versicherung AG (Interessent) — letzter Kontakt vor 20 Tagen" in text
    assert "Rückfrage Lieferung" in text
    assert "Gestern erfasst\n7. gestern 18:00 · Notiz zu Initech (Initech GmbH)" in text
    assert "Bobs" not in text
    assert "Nie Wieder" not in text
    assert "Frisch" not in text
    assert "morgen" not in text.split("Antworte")[0]
    assert "„erledigt 2“" in text  # how to answer by mail
    assert rendered.actions == {
        "2": f"todo:{ids['due']}",
        "3": f"todo:{ids['overdue']}",
        "4": f"stale:{ids['quiet']}",
        "5": f"stale:{ids['prospect']}",
    }
    assert '<li value="4">Autohaus Becker GmbH (Kunde) — letzter Kontakt vor 45 Tagen</li>' in rendered.html
    buttons = {
        item.number: [a.value for a in item.actions] for s in rendered.reply.sections for item in s.items
    }
    assert buttons[2] == [
        f"todo:{ids['due']}:done",
        f"todo:{ids['due']}:snooze:tomorrow",
        f"todo:{ids['due']}:snooze:week",
    ]
    assert buttons[6] == [f"mail:{email_id}:file"]
    assert buttons[1] == []
    assert buttons[7] == []


def test_an_empty_day_says_so(app: App) -> None:
    with app.uow() as uow:
        user(uow.session, "eve", language="en", timezone="Asia/Kolkata")
        uow.commit()
        eve = uow.session.scalars(select(User).where(User.login == "eve")).one()
        uow.session.expunge(eve)
    rendered = build(app, eve, utc(2026, 11, 23, 3, 0))
    assert rendered.reply.plain() == (
        "Your day — Mon 23 Nov\nNothing due today, nothing overdue, nobody waiting. Have a good day!"
    )
    assert rendered.actions == {}


ZONES = {
    "berlin": "Europe/Berlin",
    "newyork": "America/New_York",
    "kolkata": "Asia/Kolkata",
    "auckland": "Pacific/Auckland",
}


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (utc(2027, 3, 10, 0, 0), 7),  # New York springs forward on Sun 14 Mar 2027
        (utc(2027, 3, 24, 0, 0), 7),  # Berlin on Sun 28 Mar; Auckland falls back on Sun 4 Apr
        (utc(2027, 3, 31, 0, 0), 7),
        (utc(2026, 10, 21, 0, 0), 7),  # Berlin falls back on Sun 25 Oct 2026; New York on 1 Nov
        (utc(2026, 10, 28, 0, 0), 7),
    ],
)
async def test_exactly_one_digest_per_local_day_at_local_eight_across_zones_and_dst(
    sqlite_app: App, start: datetime, days: int
) -> None:
    app = sqlite_app
    with app.uow() as uow:
        for login, tz in ZONES.items():
            every_day = user(uow.session, login, timezone=tz, language="en")
            every_day.digest_days = "1234567" if login in ("berlin", "auckland") else "12345"
        uow.commit()
    mailer = FakeMailer()
    sender = DigestSender(app, Delivery(app, {}, mailer), worker="t")
    now = start
    while now < start + timedelta(days=days):
        await sender.tick(now)
        now += timedelta(minutes=10)
    with app.uow(read_only=True) as uow:
        runs = uow.session.execute(
            select(User.login, User.timezone, DigestRun.local_date, DigestRun.sent_at, DigestRun.status).join(
                User, User.id == DigestRun.user_id
            )
        ).all()
    per_user: dict[str, list[date]] = defaultdict(list)
    for login, tz, local_date, sent_at, status in runs:
        assert status == SendStatus.SENT
        local = sent_at.astimezone(ZoneInfo(tz))
        assert local.date() == local_date
        if sent_at == start:  # the bot "started" after that day's 08:00: caught up at once
            assert time(8, 0) < local.time() < time(20, 0), (login, local)
        else:
            assert (local.hour, local.minute) == (8, 0), (login, local)  # the first tick at local 08:00
        per_user[login].append(local_date)
    end = start + timedelta(days=days) - timedelta(minutes=10)
    for login, tz in ZONES.items():
        weekdays = 7 if login in ("berlin", "auckland") else 5
        first, last = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
        wanted = []
        day = first.date()
        while day <= last.date():
            started = first if day == first.date() else datetime.combine(day, time(0, 0), ZoneInfo(tz))
            ended = last if day == last.date() else datetime.combine(day, time(23, 59), ZoneInfo(tz))
            if day.isoweekday() <= weekdays and started.time() < time(20, 0) and ended.time() >= time(8, 0):
                wanted.append(day)
            day += timedelta(days=1)
        assert sorted(per_user[login]) == wanted, login
    assert len(mailer.sent) == len(runs)


async def test_two_senders_at_once_send_each_digest_once(app: App) -> None:
    with app.uow() as uow:
        for n in range(30):
            user(uow.session, f"u{n}", timezone="Europe/Berlin", language="en")
        uow.commit()
    mailer = FakeMailer()
    one = DigestSender(app, Delivery(app, {}, mailer), worker="one")
    two = DigestSender(app, Delivery(app, {}, mailer), worker="two")
    now = at(MONDAY, 8, 5)
    counts = await asyncio.gather(one.tick(now), two.tick(now), one.tick(now))
    assert sum(counts) == 30
    assert Counter(m["To"] for m in mailer.sent) == {f"u{n}@ourco.example": 1 for n in range(30)}
    assert await two.tick(now + timedelta(hours=2)) == 0


async def test_switched_off_other_days_and_own_time(app: App) -> None:
    with app.uow() as uow:
        off = user(uow.session, "off", language="en")
        off.digest_enabled = False
        late = user(uow.session, "late", language="en")
        late.digest_time = time(9, 30)
        weekend = user(uow.session, "weekend", language="en")
        weekend.digest_days = "67"
        uow.commit()
    mailer = FakeMailer()
    sender = DigestSender(app, Delivery(app, {}, mailer), worker="t")
    assert await sender.tick(at(MONDAY, 9, 29)) == 0
    assert await sender.tick(at(MONDAY, 9, 30)) == 1
    assert [m["To"] for m in mailer.sent] == ["late@ourco.example"]
    saturday = MONDAY + timedelta(days=5)
    assert await sender.tick(at(saturday, 8)) == 1
    assert mailer.sent[-1]["To"] == "weekend@ourco.example"


async def test_after_downtime_the_digest_still_comes_once_but_not_the_next_night(app: App) -> None:
    with app.uow() as uow:
        user(uow.session, "anna", language="en")
        uow.commit()
    mailer = FakeMailer()
    sender = DigestSender(app, Delivery(app, {}, mailer), worker="t")
    assert await sender.tick(at(MONDAY, 19, 59)) == 1  # down from 07:00 to 20:00: within 12 h
    assert await sender.tick(at(MONDAY, 21)) == 0
    tuesday = MONDAY + timedelta(days=1)
    assert await sender.tick(at(tuesday, 20, 1)) == 0  # came back after the catch-up window: skipped
    assert len(mailer.sent) == 1


async def test_a_failed_digest_is_retried_then_sent(app: App) -> None:
    with app.uow() as uow:
        user(uow.session, "anna", language="en")
        uow.commit()
    mailer = FakeMailer()
    mailer.fail = True
    sender = DigestSender(app, Delivery(app, {}, mailer), worker="t")
    assert await sender.tick(at(MONDAY, 8)) == 0
    with app.uow(read_only=True) as uow:
        run = uow.session.scalars(select(DigestRun)).one()
        assert (run.status, run.attempts) == (SendStatus.PENDING, 1)
        assert "fake mailer" in (run.last_error or "")
    mailer.fail = False
    assert await sender.tick(at(MONDAY, 8, 0) + timedelta(seconds=10)) == 0  # backoff: 30 s first
    assert await sender.tick(at(MONDAY, 8, 0) + timedelta(seconds=31)) == 1
    assert await sender.tick(at(MONDAY, 8, 20)) == 0
    assert len(mailer.sent) == 1


def test_done_snooze_file_and_remind_from_the_digest_items(app: App) -> None:
    ids = seed_anna(app)
    email_id = unresolved_mail(app, ["ACME GmbH", "Initech GmbH"])
    anna = Conversation(app, "anna")
    done = anna.send("1", choice=f"todo:{ids['due']}:done")
    assert done.text == "Erledigt: Angebot an Max schicken"
    with app.uow(read_only=True) as uow:
        assert uow.session.get(Activity, ids["due"]).percent == Percent.DONE  # type: ignore[union-attr]
    later = anna.send("2", choice=f"todo:{ids['overdue']}:snooze:tomorrow")
    assert later.text.startswith("Verschoben: Wiedervorlage ACME")
    with app.uow(read_only=True) as uow:
        moved = uow.session.get(Activity, ids["overdue"])
        assert moved is not None
        assert moved.start_at == at(MONDAY + timedelta(days=1), 9)
        reminder = uow.session.scalars(select(Reminder).where(Reminder.activity_id == ids["overdue"])).one()
        assert (reminder.status, reminder.due_at) == (ReminderStatus.PENDING, moved.start_at)
    which = anna.send("Zuordnen…", choice=f"mail:{email_id}:file")
    assert which.text == "Wohin gehört „Rückfrage Lieferung“?"
    assert [c.label for c in which.choices] == ["ACME GmbH", "Initech GmbH"]
    filed = anna.send("ACME GmbH", choice=which.choices[0].value)
    assert filed.text == "„Rückfrage Lieferung“ bei ACME GmbH abgelegt."
    with app.uow(read_only=True) as uow:
        row = uow.session.get(EmailMessage, email_id)
        assert row is not None
        assert row.status == EmailStatus.ARCHIVED
        event = uow.session.get(Activity, row.activity_id)
        assert event is not None
        assert event.thirdparty_id is not None
    again = anna.send("ACME GmbH", choice=which.choices[1].value)
    assert again.text == "„Rückfrage Lieferung“ ist schon erledigt."
    undone = anna.send("Rückgängig", choice=filed.actions[0].value)
    assert "rückgängig" in undone.text.lower()
    assert "nichts" not in undone.text, undone.text  # "nothing to undo" would pass the line above
    with app.uow(read_only=True) as uow:
        row = uow.session.get(EmailMessage, email_id)
        assert row is not None
        assert row.status == EmailStatus.UNRESOLVED
        assert row.activity_id is None
    remind = anna.send("Morgen erinnern", choice=f"stale:{ids['quiet']}:remind")
    assert remind.text.startswith("Erinnerung gesetzt: morgen 09:00 — Autohaus Becker GmbH kontaktieren")
    # Bob cannot touch Anna's items
    bob = Conversation(app, "bob")
    assert bob.send("x", choice=f"todo:{ids['overdue']}:done").text == "That reminder no longer exists."
    assert bob.send("x", choice=f"mail:{email_id}:file").text == "That reminder no longer exists."


async def test_answering_the_digest_and_a_reminder_by_mail(app: App) -> None:
    ids = seed_anna(app)
    mailer = FakeMailer()
    sender = DigestSender(app, Delivery(app, {}, mailer), worker="t")
    assert await sender.tick(at(MONDAY, 8)) == 1
    digest_mail = mailer.sent[0]
    assert digest_mail["To"] == "anna@nordlicht.example"
    body = digest_mail.get_body(("plain",))
    assert body is not None
    assert "2. 11:00 · Angebot an Max schicken" in body.get_content()
    html_part = digest_mail.get_body(("html",))
    assert html_part is not None
    assert "<h3" in html_part.get_content()
    room = Room(app)

    async def reply(text: str, to: str) -> str:
        outcome = room.deliver(
            mail("Anna Berger <anna@nordlicht.example>", BOT, subject="Re: digest", body=text, in_reply_to=to)
        )
        assert outcome.status == EmailStatus.SKIPPED
        await room.room.notify(outcome)
        answer = room.mailer.sent[-1]
        return str(answer.get_content()).strip()

    assert (
        await reply("erledigt 2\n\n> Dein Tag …", digest_mail["Message-ID"])
        == "Erledigt: Angebot an Max schicken"
    )
    assert (await reply("3 morgen", digest_mail["Message-ID"])).startswith("Verschoben: Wiedervorlage ACME")
    assert (
        await reply("erledigt 9", digest_mail["Message-ID"]) == "In dieser Übersicht gibt es keinen Punkt 9."
    )
    assert (await reply("vielleicht", digest_mail["Message-ID"])).startswith(
        "„vielleicht“ habe ich nicht verstanden."
    )
    with app.uow(read_only=True) as uow:
        assert uow.session.get(Activity, ids["due"]).percent == Percent.DONE  # type: ignore[union-attr]
        moved = uow.session.get(Activity, ids["overdue"])
        assert moved is not None
        assert moved.start_at == at(MONDAY + timedelta(days=1), 9)
    # the reminder for the snoozed to-do goes out by mail on Tuesday; "nächste Woche" moves it to Monday
    from bot.scheduler.reminders import ReminderSender

    reminders_out = FakeMailer()
    tuesday_nine = at(MONDAY + timedelta(days=1), 9)
    assert await ReminderSender(app, Delivery(app, {}, reminders_out), worker="r").tick(tuesday_nine) == 1
    reminder_mail = reminders_out.sent[0]
    assert "„nächste Woche“" in reminder_mail.get_content()
    app.clock.set(tuesday_nine)  # type: ignore[attr-defined]
    assert (await reply("Nächste Woche", reminder_mail["Message-ID"])).startswith(
        "Verschoben: Wiedervorlage ACME"
    )
    with app.uow(read_only=True) as uow:
        reminder = uow.session.scalars(select(Reminder).where(Reminder.activity_id == ids["overdue"])).one()
        assert (reminder.status, reminder.due_at) == (
            ReminderStatus.PENDING,
            at(MONDAY + timedelta(days=7), 9),
        )
    # Bob (a user too) replying to Anna's digest mail gets nothing done: the answer is Anna's alone
    outcome = room.deliver(
        mail("Bob Miller <bob@ourco.example>", BOT, body="erledigt 3", in_reply_to=digest_mail["Message-ID"])
    )
    assert outcome.reason != "answer to a reminder or digest"
    with app.uow(read_only=True) as uow:
        untouched = uow.session.get(Activity, ids["overdue"])
        assert untouched is not None
        assert untouched.percent == Percent.TODO


async def test_digest_items_in_telegram_keep_the_rest_of_the_list(sqlite_app: App) -> None:
    pytest.importorskip("telegram", reason="python-telegram-bot is not installed")
    from bot.channels.telegram import TelegramChannel, TelegramSettings
    from bot.crm.models import ChannelIdentity
    from tests.support.chat_http import serving
    from tests.support.fake_telegram import FakeTelegram

    app = sqlite_app
    ids = seed_anna(app)
    with app.uow() as uow:
        anna = uow.session.get(User, ids["anna"])
        assert anna is not None
        anna.preferred_channel = "telegram"
        uow.session.add(ChannelIdentity(channel="telegram", external_id="42", user_id=anna.id))
        uow.commit()
    async with FakeTelegram() as tg:
        settings = TelegramSettings(token=tg.token, api_url=tg.base_url, secret="s", poll_timeout=1)
        async with serving(app, lambda g: TelegramChannel(settings, g), lambda _: {}) as (channel, _, _):
            mailer = FakeMailer()
            sender = DigestSender(app, Delivery(app, {"telegram": channel.send}, mailer), worker="t")
            assert await sender.tick(at(MONDAY, 8)) == 1
            sent = tg.sent[0]
            message = tg.last_message(42)
            assert sent["text"].startswith("<b>Dein Tag — Mo 23.11.</b>\n6 Punkte für heute.\n\n<b>Termine")
            rows = sent["reply_markup"]["inline_keyboard"]
            assert [b["text"] for b in rows[0]] == ["Erledigt #2", "Morgen 09:00 #2", "Nächste Woche #2"]
            assert len(rows) == 4  # 2 and 3 (to-dos), 4 and 5 (stale)
            tg.push(tg.callback_update(rows[0][0]["callback_data"], message_id=message["message_id"]))
            await tg.wait_for(lambda: len(tg.sent) == 2)
            assert tg.sent[1]["text"].startswith("Erledigt: Angebot an Max schicken")
            markup = [e for e in tg.edits if "reply_markup" in e][-1]["reply_markup"]
            assert len(markup["inline_keyboard"]) == 3  # only the pressed item's row is gone
            assert not any(e.get("text") for e in tg.edits)  # the digest text stays as it was
            assert mailer.sent == []
    with app.uow(read_only=True) as uow:
        assert uow.session.get(Activity, ids["due"]).percent == Percent.DONE  # type: ignore[union-attr]
        assert uow.session.scalars(select(DigestRun.channel)).one() == "telegram"


async def test_a_mail_the_bot_cannot_file_is_asked_about_in_telegram_and_filed_by_a_tap(
    sqlite_app: App,
) -> None:
    pytest.importorskip("telegram", reason="python-telegram-bot is not installed")
    from bot.channels.telegram import TelegramChannel, TelegramSettings
    from bot.crm.models import ChannelIdentity
    from tests.support.chat_http import serving
    from tests.support.fake_telegram import FakeTelegram

    app = sqlite_app
    ids = seed_anna(app)
    with app.uow() as uow:
        uow.session.add(ChannelIdentity(channel="telegram", external_id="42", user_id=ids["anna"]))
        anna = uow.session.get(User, ids["anna"])
        assert anna is not None
        anna.preferred_channel = "telegram"
        uow.commit()
    async with FakeTelegram() as tg:
        settings = TelegramSettings(token=tg.token, api_url=tg.base_url, secret="s", poll_timeout=1)
        async with serving(app, lambda g: TelegramChannel(settings, g), lambda _: {}) as (channel, _, _):
            room = Room(app)
            room.room.delivery = Delivery(app, {"telegram": channel.send}, room.mailer)
            outcome = room.deliver(
                mail(
                    "Anna Berger <anna@nordlicht.example>", "k.weber@initech-berlin.example", subject="Termin"
                )
            )
            assert outcome.status == EmailStatus.UNRESOLVED
            await room.room.notify(outcome)
            await tg.wait_for(lambda: len(tg.sent) == 1)
            asked = tg.sent[0]
            assert asked["text"].startswith("<b>")
            assert "Termin" in asked["text"]
            buttons = {
                b["text"]: b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row
            }
            assert "Initech GmbH" in buttons
            assert room.mailer.sent == []  # told in chat, not by mail
            message = tg.last_message(42)
            tg.push(tg.callback_update(buttons["Initech GmbH"], message_id=message["message_id"]))
            await tg.wait_for(lambda: len(tg.sent) == 2)
            assert tg.sent[1]["text"].startswith("„Termin“ bei Initech GmbH abgelegt.")
    with app.uow(read_only=True) as uow:
        row = uow.session.get(EmailMessage, outcome.email_id)
        assert row is not None
        assert row.status == EmailStatus.ARCHIVED
        event = uow.session.get(Activity, row.activity_id)
        assert event is not None
        assert event.thirdparty is not None
        assert event.thirdparty.name == "Initech GmbH"


async def test_without_a_linked_chat_the_question_comes_by_mail(app: App) -> None:
    seed_anna(app)
    room = Room(app)
    room.room.delivery = Delivery(app, {}, room.mailer)
    outcome = room.deliver(
        mail("Anna Berger <anna@nordlicht.example>", "k.weber@initech-berlin.example", subject="Termin")
    )
    await room.room.notify(outcome)
    assert len(room.mailer.sent) == 1
    assert "Termin" in str(room.mailer.sent[0]["Subject"])
