"""The calendar feed: a user's calls, meetings and to-dos as iCalendar, behind a secret URL that the HTTP
app serves (with ETag and 304), that can be rotated, and that never answers for someone else's token."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from icalendar import Calendar, Event, vCalAddress, vCategory
from multidict import CIMultiDict
from sqlalchemy import select

from bot.bootstrap import App, build_app
from bot.channels.http import HttpServer
from bot.config import load_settings
from bot.crm import calendar_feed
from bot.crm.activities import log_activity
from bot.crm.mail.invites import CANCELLED_PREFIX
from bot.crm.models import Activity, ActivityType, AuditLog, Percent, User
from bot.metrics import Metrics
from bot.runner import start_http
from tests.conftest import NOW
from tests.support.factories import company, person, user
from tests.support.postgres import free_port
from tests.support.statements import counted_statements

HOST = "ourco.example"
INVITE_UID = "040000008200E00074C5B7101A82E00800000000B0A1C2D3@globex.example"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seed(app: App) -> dict[str, int]:
    """Anna's week (NOW is Mon 23 Nov 2026, 08:00 UTC), Bob's things, and what stays out of calendars."""
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", name="Anna Berger", timezone="Europe/Berlin", language="de")
        bob = user(s, "bob", name="Bob Smith", timezone="America/New_York", language="en")
        acme = company(s, "ACME GmbH")
        globex = company(s, "Globex Corporation")
        max_ = person(s, "Max", "Mustermann", acme, email="max@acme.example")
        erika = person(s, "Erika", "Musterfrau", acme)  # no address: named, but no ATTENDEE line
        hank = person(s, "Hank", "Scorpio", globex, email="hank@globex.example")
        ids: dict[str, int] = {}

        def add(key: str, **kw: Any) -> Activity:
            activity = log_activity(s, **kw)
            s.flush()
            ids[key] = activity.id
            return activity

        add(
            "call",
            type_code=ActivityType.CALL,
            label="Call with Max Mustermann",
            body="Pricing for Q1.",
            start_at=utc(2026, 11, 20, 10, 0),
            owner=anna,
            contacts=[max_, erika],
            percent=Percent.DONE,
        )
        invited = add(
            "invite",
            type_code=ActivityType.MEETING,
            label="Quarterly review",
            start_at=utc(2026, 11, 26, 15, 0),
            owner=anna,
            contacts=[hank],
            percent=Percent.TODO,
            location="1 Globex Plaza, Springfield",
        )
        invited.ical_uid, invited.ical_sequence = INVITE_UID, 2
        add(
            "cancelled",
            type_code=ActivityType.MEETING,
            label=CANCELLED_PREFIX + "Workshop at ACME",
            start_at=utc(2026, 11, 30, 9, 0),
            end_at=utc(2026, 11, 30, 11, 0),
            owner=anna,
            contacts=[max_],
            percent=Percent.NOT_APPLICABLE,
        )
        add(  # from an invitation: midnight UTC of the days
            "trade_fair",
            type_code=ActivityType.MEETING,
            label="Trade fair",
            start_at=utc(2026, 12, 1),
            end_at=utc(2026, 12, 3),
            all_day=True,
            owner=anna,
            thirdparty=globex,
            percent=Percent.TODO,
        )
        add(  # from the chat ("follow up Friday"): midnight in Berlin
            "todo_day",
            type_code=ActivityType.NOTE,
            label="Follow up: Max Mustermann",
            start_at=datetime(2026, 11, 26, 23, 0, tzinfo=UTC),
            all_day=True,
            owner=anna,
            contacts=[max_],
            percent=Percent.TODO,
        )
        add(
            "todo",
            type_code=ActivityType.NOTE,
            label="Send the offer",
            start_at=utc(2026, 11, 24, 8, 0),
            owner=anna,
            thirdparty=acme,
            percent=Percent.TODO,
        )
        add(
            "bobs_meeting",
            type_code=ActivityType.MEETING,
            label="Kick-off at Globex",
            start_at=utc(2026, 11, 25, 14, 0),
            end_at=utc(2026, 11, 25, 15, 30),
            owner=bob,
            users=[bob, anna],
            contacts=[hank],
            percent=Percent.TODO,
        )
        # Not in Anna's calendar: a note, an email, Bob's own call, and what lies outside the window.
        add(
            "note",
            type_code=ActivityType.NOTE,
            label="Note on ACME",
            start_at=utc(2026, 11, 20, 11, 0),
            owner=anna,
            thirdparty=acme,
        )
        add(
            "email",
            type_code=ActivityType.EMAIL,
            label="Offer Q1",
            start_at=utc(2026, 11, 20, 12, 0),
            owner=anna,
            contacts=[max_],
        )
        add(
            "bobs_call",
            type_code=ActivityType.CALL,
            label="Call with Hank Scorpio",
            start_at=utc(2026, 11, 23, 15, 0),
            owner=bob,
            contacts=[hank],
            percent=Percent.DONE,
        )
        add(
            "too_old",
            type_code=ActivityType.CALL,
            label="Old call",
            start_at=NOW - timedelta(days=91),
            owner=anna,
            thirdparty=acme,
            percent=Percent.DONE,
        )
        add(
            "too_far",
            type_code=ActivityType.MEETING,
            label="Far meeting",
            start_at=NOW + timedelta(days=366),
            owner=anna,
            thirdparty=acme,
            percent=Percent.TODO,
        )
        uow.commit()
        ids["anna"], ids["bob"] = anna.id, bob.id
    return ids


def render(app: App, login: str, **kw: Any) -> bytes:
    with app.uow(read_only=True) as uow:
        who = uow.session.scalars(select(User).where(User.login == login)).one()
        return calendar_feed.feed(uow.session, who, now=NOW, host=HOST, **kw)


def vevents(body: bytes) -> list[Event]:
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if isinstance(e, Event)]


def events(body: bytes) -> dict[str, Event]:
    return {str(e["SUMMARY"]): e for e in vevents(body)}


def categories(e: Event) -> list[str]:
    prop = e["CATEGORIES"]
    assert isinstance(prop, vCategory)
    return [str(c) for c in prop.cats]


def attendees(e: Event) -> list[vCalAddress]:
    value = e.get("ATTENDEE", [])
    return [a for a in (value if isinstance(value, list) else [value]) if isinstance(a, vCalAddress)]


def ical(e: Event, name: str) -> bytes:
    value = e[name].to_ical()
    assert isinstance(value, bytes)
    return value


def test_the_feed_has_the_users_calls_meetings_and_todos_in_the_window(app: App) -> None:
    seed(app)
    found = events(render(app, "anna"))
    assert sorted(found) == sorted(
        [
            "Call with Max Mustermann (ACME GmbH)",
            "Quarterly review (Globex Corporation)",
            "Cancelled: Workshop at ACME",  # names ACME already
            "Trade fair (Globex Corporation)",
            "Follow up: Max Mustermann (ACME GmbH)",
            "Send the offer (ACME GmbH)",
            "Kick-off at Globex",  # Bob's meeting, Anna attends
        ]
    )
    bobs = events(render(app, "bob"))
    assert sorted(bobs) == ["Call with Hank Scorpio (Globex Corporation)", "Kick-off at Globex"]


def test_the_calendar_says_what_calendar_apps_need(app: App) -> None:
    seed(app)
    body = render(app, "anna")
    cal = Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == calendar_feed.PRODID
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "crmbot – Anna Berger"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    # RFC 5545: CRLF line ends, lines folded at 75 octets
    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    found = vevents(body)
    assert len(found) == 7
    for e in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "STATUS", "SEQUENCE", "LAST-MODIFIED"):
            assert name in e, name
        assert ical(e, "DTSTAMP").endswith(b"Z")
    starts = [_as_utc(e.decoded("DTSTART")) for e in found]
    assert starts == sorted(starts)


def _as_utc(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def test_events_keep_invitation_uids_and_times_are_utc(app: App) -> None:
    ids = seed(app)
    found = events(render(app, "anna"))
    invite = found["Quarterly review (Globex Corporation)"]
    assert str(invite["UID"]) == INVITE_UID
    assert invite.decoded("SEQUENCE") == 2
    assert ical(invite, "DTSTART") == b"20261126T150000Z"
    assert ical(invite, "DTEND") == b"20261126T160000Z"  # a meeting without end: one hour
    assert str(invite["LOCATION"]) == "1 Globex Plaza, Springfield"
    assert str(invite["STATUS"]) == "CONFIRMED"
    assert categories(invite) == ["Termin"]  # Anna reads German

    call = found["Call with Max Mustermann (ACME GmbH)"]
    assert str(call["UID"]) == f"crmbot-activity-{ids['call']}@{HOST}"
    assert call.decoded("SEQUENCE") == 0
    assert call.decoded("DTSTART") == utc(2026, 11, 20, 10, 0)
    assert call.decoded("DTEND") == utc(2026, 11, 20, 10, 15)  # a call: 15 minutes
    assert categories(call) == ["Anruf"]
    description = str(call["DESCRIPTION"])
    assert description.startswith("Pricing for Q1.")
    assert "Firma: ACME GmbH" in description
    assert "Kontakte: Max Mustermann, Erika Musterfrau" in description

    kickoff = found["Kick-off at Globex"]
    assert kickoff.decoded("DTEND") - kickoff.decoded("DTSTART") == timedelta(minutes=90)


def test_all_day_events_are_dates_with_an_exclusive_end(app: App) -> None:
    seed(app)
    found = events(render(app, "anna"))
    fair = found["Trade fair (Globex Corporation)"]
    assert ical(fair, "DTSTART") == b"20261201"
    assert fair["DTSTART"].params["VALUE"] == "DATE"
    assert fair.decoded("DTSTART") == date(2026, 12, 1)
    assert fair.decoded("DTEND") == date(2026, 12, 3)
    followup = found["Follow up: Max Mustermann (ACME GmbH)"]  # Friday in Berlin, stored as 23:00 UTC
    assert followup.decoded("DTSTART") == date(2026, 11, 27)
    assert followup.decoded("DTEND") == date(2026, 11, 28)


def test_status_marks_cancelled_meetings_and_open_todos(app: App) -> None:
    seed(app)
    found = events(render(app, "anna"))
    cancelled = found["Cancelled: Workshop at ACME"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["TRANSP"]) == "TRANSPARENT"
    todo = found["Send the offer (ACME GmbH)"]
    assert str(todo["STATUS"]) == "TENTATIVE"
    assert str(todo["TRANSP"]) == "TRANSPARENT"
    assert categories(todo) == ["Aufgabe"]
    assert todo.decoded("DTEND") - todo.decoded("DTSTART") == timedelta(minutes=15)
    assert str(found["Kick-off at Globex"]["TRANSP"]) == "OPAQUE"


def test_contacts_with_an_address_are_attendees(app: App) -> None:
    seed(app)
    body = render(app, "anna")
    call = events(body)["Call with Max Mustermann (ACME GmbH)"]
    people = attendees(call)
    assert [str(a) for a in people] == ["mailto:max@acme.example"]  # Erika has no address
    assert people[0].params["CN"] == "Max Mustermann"
    assert b'ATTENDEE;CN="Hank Scorpio":mailto:hank@globex.example\r\n' in body


def test_the_window_can_be_narrowed(app: App) -> None:
    seed(app)
    assert sorted(events(render(app, "anna", past_days=0, future_days=4))) == [
        "Follow up: Max Mustermann (ACME GmbH)",  # Thursday 23:00 UTC, before Friday 08:00 UTC
        "Kick-off at Globex",
        "Quarterly review (Globex Corporation)",
        "Send the offer (ACME GmbH)",
    ]
    wide = events(render(app, "anna", past_days=100, future_days=400))
    assert {"Old call (ACME GmbH)", "Far meeting (ACME GmbH)"} <= set(wide)


def test_the_feed_takes_the_same_few_queries_however_many_events(sqlite_app: App) -> None:
    seed(sqlite_app)
    with sqlite_app.uow(read_only=True) as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        with counted_statements(sqlite_app) as few:
            calendar_feed.feed(uow.session, anna, now=NOW)
    with sqlite_app.uow() as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        acme = company(uow.session, "Hooli")
        for n in range(30):
            log_activity(
                uow.session,
                type_code=ActivityType.MEETING,
                label=f"Meeting {n}",
                start_at=NOW + timedelta(hours=n),
                owner=anna,
                thirdparty=acme,
                contacts=[person(uow.session, "P", f"Person{n}", acme, email=f"p{n}@hooli.example")],
            )
        uow.commit()
    with sqlite_app.uow(read_only=True) as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        with counted_statements(sqlite_app) as many:
            body = calendar_feed.feed(uow.session, anna, now=NOW)
    assert len(vevents(body)) == 37
    assert len(many) == len(few) <= 2


def test_a_token_is_kept_until_rotated_and_the_old_one_then_finds_nobody(app: App) -> None:
    ids = seed(app)
    with app.uow() as uow:
        anna = uow.session.get_one(User, ids["anna"])
        first = calendar_feed.issue_token(uow.session, anna)
        assert calendar_feed.issue_token(uow.session, anna) == first
        uow.commit()
    assert len(first) >= 32
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first)
    with app.uow() as uow:
        assert calendar_feed.user_for_token(uow.session, first) is not None
        anna = uow.session.get_one(User, ids["anna"])
        second = calendar_feed.issue_token(uow.session, anna, rotate=True)
        uow.commit()
    assert second != first
    with app.uow(read_only=True) as uow:
        assert calendar_feed.user_for_token(uow.session, first) is None
        found = calendar_feed.user_for_token(uow.session, second)
        assert found is not None
        assert found.login == "anna"
        bob = uow.session.get_one(User, ids["bob"])
        assert bob.ics_token is None
        changes = uow.session.scalars(
            select(AuditLog).where(AuditLog.object_type == "users", AuditLog.object_id == ids["anna"])
        ).all()
    assert [c.after and "ics_token" in c.after for c in changes if c.action == "update"] == [True, True]


def test_malformed_tokens_are_refused_without_a_query_and_inactive_users_have_no_feed(
    sqlite_app: App,
) -> None:
    ids = seed(sqlite_app)
    with sqlite_app.uow() as uow:
        anna = uow.session.get_one(User, ids["anna"])
        token = calendar_feed.issue_token(uow.session, anna)
        uow.commit()
    with sqlite_app.uow(read_only=True) as uow:
        uow.session.connection()
        with counted_statements(sqlite_app) as statements:
            for bad in ("", "short", "x" * 65, "../../etc/passwd" + "a" * 30, token[:-1] + "!"):
                assert calendar_feed.user_for_token(uow.session, bad) is None
        assert statements == []
    with sqlite_app.uow() as uow:
        uow.session.get_one(User, ids["anna"]).is_active = False
        uow.commit()
    with sqlite_app.uow(read_only=True) as uow:
        assert calendar_feed.user_for_token(uow.session, token) is None


def test_uid_host_is_the_domain_of_the_bots_first_address() -> None:
    assert calendar_feed.uid_host(["crm@nordlicht.example", "crm@other.example"]) == "nordlicht.example"
    assert calendar_feed.uid_host([]) == "crmbot"


# -- the HTTP route, served by the bot's own HTTP app --------------------------------------------------


def http_app(url: str, data_dir: Path) -> App:
    settings = load_settings(
        database_url=url,
        data_dir=data_dir,
        now=NOW,
        http_listen="127.0.0.1:0",
        mail_addresses=[f"crm@{HOST}"],
        public_url="https://crm.example.com/",
    )
    return build_app(settings)


@asynccontextmanager
async def serving(app: App) -> AsyncIterator[str]:
    server = await start_http(app, Metrics(), None, None)
    assert isinstance(server, HttpServer)
    try:
        yield server.url
    finally:
        await server.stop()


async def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, CIMultiDict[str], bytes]:
    """Status, headers (any case) and body of one request."""
    async with ClientSession() as http, http.request(method, url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


def issue(app: App, login: str, *, rotate: bool = False) -> str:
    with app.uow() as uow:
        who = uow.session.scalars(select(User).where(User.login == login)).one()
        token = calendar_feed.issue_token(uow.session, who, rotate=rotate)
        uow.commit()
    return token


async def test_the_feed_url_serves_the_calendar_with_an_etag(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = http_app(sqlite_url, tmp_path / "data")
    assert calendar_feed.feed_url(app.settings.public_base_url, "T") == "https://crm.example.com/ics/T.ics"
    seed(app)
    token = issue(app, "anna")
    caplog.set_level(logging.DEBUG)
    try:
        async with serving(app) as base:
            status, headers, body = await fetch(f"{base}/ics/{token}.ics")
            assert status == 200
            assert headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert headers["Content-Disposition"] == 'inline; filename="crmbot.ics"'
            assert headers["Cache-Control"] == "private, max-age=300"
            assert body == render(app, "anna")
            assert str(events(body)["Quarterly review (Globex Corporation)"]["UID"]) == INVITE_UID
            etag = headers["ETag"]
            assert re.fullmatch(r'"[0-9a-f]{32}"', etag)

            status, headers, body = await fetch(f"{base}/ics/{token}.ics", headers={"If-None-Match": etag})
            assert (status, body, headers["ETag"]) == (304, b"", etag)
            status, _, _ = await fetch(
                f"{base}/ics/{token}.ics", headers={"If-None-Match": 'W/"old", ' + etag}
            )
            assert status == 304
            status, _, body = await fetch(f"{base}/ics/{token}.ics", headers={"If-None-Match": '"old"'})
            assert status == 200
            assert body.startswith(b"BEGIN:VCALENDAR\r\n")

            status, headers, body = await fetch(f"{base}/ics/{token}.ics", method="HEAD")
            assert (status, body, headers["ETag"]) == (200, b"", etag)

            with app.uow() as uow:  # a change: a new ETag
                todo = uow.session.scalars(select(Activity).where(Activity.label == "Send the offer")).one()
                todo.label = "Send the revised offer"
                uow.commit()
            status, headers, body = await fetch(f"{base}/ics/{token}.ics", headers={"If-None-Match": etag})
            assert status == 200
            assert headers["ETag"] != etag
            assert "Send the revised offer (ACME GmbH)" in events(body)
    finally:
        app.close()
    assert not [r for r in caplog.records if token in r.getMessage()]


async def test_unknown_and_rotated_tokens_get_the_same_404(sqlite_url: str, tmp_path: Path) -> None:
    app = http_app(sqlite_url, tmp_path / "data")
    seed(app)
    old = issue(app, "anna")
    new = issue(app, "anna", rotate=True)
    try:
        async with serving(app) as base:
            answers = []
            for token in (old, "Z" * 43, "nope", new[:-2]):
                status, headers, body = await fetch(f"{base}/ics/{token}.ics")
                assert headers["Content-Type"].startswith("text/plain")
                answers.append((status, body))
            assert len(set(answers)) == 1
            status, body = answers[0]
            assert status == 404
            assert b"calendar feed" in body
            assert b"Kalender-Feed" in body
            status, _, body = await fetch(f"{base}/ics/{new}.ics")
            assert status == 200
            assert len(events(body)) == 7
            status, _, _ = await fetch(f"{base}/ics/{new}")
            assert status == 404
    finally:
        app.close()


async def test_the_feed_is_503_when_the_database_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = http_app(f"postgresql+psycopg://crm@127.0.0.1:{free_port()}/crm", tmp_path / "data")
    token = "A" * 43
    try:
        async with serving(down) as base:
            status, headers, body = await fetch(f"{base}/ics/{token}.ics")
    finally:
        down.close()
    assert status == 503
    assert headers["Content-Type"].startswith("text/plain")
    assert headers["Retry-After"] == "60"
    assert b"Traceback" not in body
    assert b"not available" in body
    assert not [r for r in caplog.records if token in r.getMessage()]
