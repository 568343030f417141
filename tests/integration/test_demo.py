"""The demo dataset (``crmbot demo``): loads into an empty database, is deterministic, and sets the stage of
the story in DESIGN.md §7 (Initech at 14:00, ACME overdue since Friday, the Müllers, the two Maxes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.crm import history
from bot.crm.audit import Actor
from bot.crm.demo import DemoError, DemoSummary, database_is_empty, load_demo
from bot.crm.models import (
    Activity,
    ActivityType,
    Base,
    Contact,
    Invoice,
    InvoiceStatus,
    Order,
    Payment,
    Percent,
    Project,
    Quote,
    Reminder,
    ReminderStatus,
    SalesRep,
    ThirdParty,
    Ticket,
    User,
)
from bot.crm.rights import effective_rights
from bot.crm.users import add_user
from storage import migrate
from storage.engine import make_engine
from tests.conftest import NOW, _postgres_database, make_app

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = NOW.astimezone(BERLIN).date()  # Monday 23 Nov 2026
PREVIOUS_FRIDAY = date(2026, 11, 20)


def load(app: App, now: datetime = NOW) -> DemoSummary:
    with app.uow(Actor(None, "cli")) as uow:
        summary = load_demo(uow.session, now=now)
        uow.commit()
    return summary


def new_sqlite_app(tmp_path: Path, name: str, now: datetime = NOW) -> App:
    url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return make_app(url, tmp_path / f"{name}-data", now)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The demo loaded once per backend for the tests that only read it (loading takes a few seconds)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    if request.param == "postgres":
        url = _postgres_database(request.getfixturevalue("postgres_cluster"))
        application = make_app(url, tmp_path / "data")
    else:
        application = new_sqlite_app(tmp_path, "demo")
    load(application)
    yield application
    application.close()


@pytest.fixture
def two_sqlite_apps(tmp_path: Path) -> Iterator[tuple[App, App]]:
    first, second = new_sqlite_app(tmp_path, "first"), new_sqlite_app(tmp_path, "second")
    yield first, second
    first.close()
    second.close()


def thirdparty(session: Session, name: str) -> ThirdParty:
    return session.scalars(select(ThirdParty).where(ThirdParty.name == name)).one()


def contact_names(session: Session, tp: ThirdParty) -> set[str]:
    return {c.full_name for c in session.scalars(select(Contact).where(Contact.thirdparty_id == tp.id))}


def snapshot(app: App) -> dict[str, list[Row[Any]]]:
    """Every row of every CRM table (not the audit log), in primary-key order."""
    with app.uow(read_only=True) as uow:
        return {
            table.name: list(uow.session.execute(select(table).order_by(*table.primary_key)))
            for table in Base.metadata.sorted_tables
            if table.name != "audit_log"
        }


# -- loading ------------------------------------------------------------------------------------------


def test_demo_fills_an_empty_database_and_reports_what_it_wrote(app: App) -> None:
    with app.uow(read_only=True) as uow:
        assert database_is_empty(uow.session)
    summary = load(app)
    with app.uow(read_only=True) as uow:
        s = uow.session
        assert not database_is_empty(s)
        counted = DemoSummary(
            *(
                len(s.scalars(select(m.id)).all())
                for m in (User, ThirdParty, Contact, Activity, Quote, Order, Invoice, Ticket, Project)
            )
        )
        payments = s.scalars(select(Payment)).all()
    assert summary == counted
    assert summary.users == 3
    assert 45 <= summary.thirdparties <= 60
    assert summary.contacts >= 100
    assert summary.activities >= 200
    assert summary.quotes >= 15
    assert summary.orders >= 5
    assert summary.invoices >= 8
    assert summary.tickets >= 5
    assert summary.projects >= 2
    assert payments


def test_demo_only_goes_into_an_empty_database(app: App) -> None:
    with app.uow() as uow:
        add_user(uow.session, login="zoe", name="Zoe", emails=["zoe@nordlicht.example"])
        uow.commit()
    with app.uow(Actor(None, "cli")) as uow:
        assert not database_is_empty(uow.session)
        with pytest.raises(DemoError, match="empty database"):
            load_demo(uow.session, now=NOW)
    with app.uow(read_only=True) as uow:
        assert uow.session.scalars(select(User.login)).all() == ["zoe"]
        assert uow.session.scalars(select(ThirdParty.id)).all() == []


def test_naive_now_is_refused(app: App) -> None:
    with app.uow() as uow, pytest.raises(ValueError, match="timezone-aware"):
        load_demo(uow.session, now=NOW.replace(tzinfo=None))


def test_same_now_gives_identical_data(two_sqlite_apps: tuple[App, App]) -> None:
    first, second = two_sqlite_apps
    load(first)
    load(second)
    one, two = snapshot(first), snapshot(second)
    assert one.keys() == two.keys()
    for table in one:
        assert one[table] == two[table], table
    assert len(one["activities"]) >= 200


def test_another_now_moves_the_dates_but_keeps_the_cast(two_sqlite_apps: tuple[App, App]) -> None:
    first, second = two_sqlite_apps
    load(first)
    load(second, NOW + timedelta(days=45))
    one, two = snapshot(first), snapshot(second)
    assert [r.name for r in one["thirdparties"]] == [r.name for r in two["thirdparties"]]
    assert [r.email for r in one["contacts"]] == [r.email for r in two["contacts"]]
    assert [r.type_code for r in one["activities"]] == [r.type_code for r in two["activities"]]
    assert [r.date for r in one["quotes"]] != [r.date for r in two["quotes"]]


# -- the cast ----------------------------------------------------------------------------------------


def test_users_of_nordlicht_software(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        users = {u.login: u for u in uow.session.scalars(select(User))}
        assert set(users) == {"anna", "bob", "carla"}
        anna, bob, carla = users["anna"], users["bob"], users["carla"]
        assert (anna.name, anna.email, anna.timezone, anna.language, anna.preferred_channel) == (
            "Anna Berger",
            "anna@nordlicht.example",
            "Europe/Berlin",
            "de",
            "telegram",
        )
        assert anna.is_admin
        assert (bob.name, bob.email, bob.timezone, bob.language, bob.preferred_channel) == (
            "Bob Miller",
            "bob@nordlicht.example",
            "America/New_York",
            "en",
            "slack",
        )
        assert (carla.name, carla.email, carla.timezone, carla.language) == (
            "Carla Schmidt",
            "carla@nordlicht.example",
            "Europe/Berlin",
            "de",
        )
        assert "thirdparty.read_all" in effective_rights(uow.session, bob)
        assert "thirdparty.read_all" not in effective_rights(uow.session, carla)
        carla_sees = uow.session.scalars(select(SalesRep.id).where(SalesRep.user_id == carla.id)).all()
        assert carla_sees, "a restricted user needs third parties of her own"


def test_the_story_cast_is_there(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        s = uow.session
        acme = thirdparty(s, "ACME GmbH")
        assert {"Max Mustermann", "Erika Musterfrau"} <= contact_names(s, acme)
        assert "acme.example" in acme.email_domains
        assert {"Max Weber"} <= contact_names(s, thirdparty(s, "Soylent GmbH"))
        assert {"Peter Gibbons", "Bill Lumbergh"} <= contact_names(s, thirdparty(s, "Initech"))
        assert {"Gavin Belson"} <= contact_names(s, thirdparty(s, "Hooli"))
        assert {"Pepper Potts", "Tony Stark"} <= contact_names(s, thirdparty(s, "Stark Industries"))
        assert {"Jürgen Köhler"} <= contact_names(s, thirdparty(s, "Köhler Maschinenbau GmbH"))
        for name in (
            "Acme Logistics Ltd",
            "Müller Bau GmbH",
            "Müller Logistik AG",
            "Müller & Söhne KG",
            "Schmidt & Partner Steuerberatung",
            "Wayne Enterprises",
            "Umbrella Corp",
            "Globex Corporation",
        ):
            assert thirdparty(s, name).status == 1, name
        emails = set(s.scalars(select(Contact.email)))
        assert {"max.mustermann@acme.example", "hank@globex.example"} <= emails
        assert s.scalars(select(ThirdParty).where(ThirdParty.name.ilike("%cyberdyne%"))).first() is None
        reps = {
            (tp, login)
            for tp, login in s.execute(
                select(ThirdParty.name, User.login)
                .join(SalesRep, SalesRep.thirdparty_id == ThirdParty.id)
                .join(User, User.id == SalesRep.user_id)
            )
        }
        assert {("ACME GmbH", "anna"), ("Globex Corporation", "bob")} <= reps


def test_the_mix_of_third_parties_and_people(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        tps = uow.session.scalars(select(ThirdParty)).all()
        contacts = uow.session.scalars(select(Contact)).all()
    assert {tp.customer_type for tp in tps} == {0, 1, 2, 3}
    assert any(tp.is_supplier for tp in tps)
    assert sum(tp.is_individual for tp in tps) >= 2
    assert 1 <= sum(tp.status == 0 for tp in tps) <= 2
    assert [tp.name for tp in tps if tp.prospect_status == -1] == ["Vandelay Industries"]
    assert {tp.default_language for tp in tps} == {"de", "en"}
    assert {tp.country_code for tp in tps} >= {"DE", "US", "GB"}
    assert sum(tp.vat_number is not None for tp in tps) >= 10
    assert all(tp.email is None or tp.email.endswith(".example") for tp in tps)
    assert all(c.email is None or c.email.endswith(".example") for c in contacts)
    assert [c.full_name for c in contacts if c.thirdparty_id is None and c.is_private]
    assert any(re.search("[äöüß]", c.full_name) for c in contacts)


# -- matching on the demo data ---------------------------------------------------------------------


def test_mueller_asks_which_of_the_three_mueller_companies(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        result = demo.matcher(uow).thirdparty_by_name("Müller")
    assert result.ambiguous
    assert sorted(c.name for c in result.candidates) == [
        "Müller & Söhne KG",
        "Müller Bau GmbH",
        "Müller Logistik AG",
    ]


def test_max_asks_which_max(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        result = demo.matcher(uow).contact_by_name("Max")
    assert result.ambiguous
    labels = sorted(c.label for c in result.candidates)
    assert labels == ["Max Mustermann (ACME GmbH)", "Max Weber (Soylent GmbH)"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ACME", "ACME GmbH"),
        ("Initech", "Initech"),
        ("Globex", "Globex Corporation"),
        ("Hooli", "Hooli"),
        ("Koehler Maschinenbau", "Köhler Maschinenbau GmbH"),
        ("AcmeLog", "Acme Logistics Ltd"),
    ],
)
def test_story_companies_are_found_without_asking(demo: App, query: str, expected: str) -> None:
    with demo.uow(read_only=True) as uow:
        best = demo.matcher(uow).thirdparty_by_name(query).best
    assert best is not None
    assert best.name == expected


def test_cyberdyne_stays_unknown(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        assert not demo.matcher(uow).thirdparty_by_name("Cyberdyne Systems").found


# -- Anna's Monday ---------------------------------------------------------------------------------


def test_meeting_with_initech_today_at_14_berlin_is_planned(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        initech = thirdparty(uow.session, "Initech")
        meeting = uow.session.scalars(
            select(Activity).where(
                Activity.thirdparty_id == initech.id,
                Activity.type_code == "AC_RDV",
                Activity.label == "Meeting with Initech",
            )
        ).one()
        attendees = {a.contact.full_name for a in meeting.attendees if a.contact}
        users = {a.user.login for a in meeting.attendees if a.user}
        owner = meeting.owner.login if meeting.owner else None
    assert meeting.type_code == ActivityType.MEETING
    assert meeting.percent == Percent.TODO
    assert meeting.start_at == datetime.combine(TODAY, time(14, 0), tzinfo=BERLIN)
    assert meeting.start_at.tzinfo is not None
    assert owner == "anna"
    assert "anna" in users
    assert {"Peter Gibbons", "Bill Lumbergh"} <= attendees


def test_acme_has_a_last_contact_and_a_follow_up_overdue_since_friday(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        acme = thirdparty(uow.session, "ACME GmbH")
        last = history.last_contact(uow.session, acme.id, now=NOW)
        items = history.open_items(uow.session, acme.id, now=NOW)
        followup = items.followups[0] if items.followups else None
        reminder = (
            uow.session.scalars(select(Reminder).where(Reminder.activity_id == followup.id)).one()
            if followup
            else None
        )
        who = (
            followup.owner.login if followup and followup.owner else None,
            followup.contact.full_name if followup and followup.contact else None,
        )
        reminded = uow.session.get(User, reminder.user_id) if reminder else None
    assert last.latest is not None
    assert last.latest.start_at < NOW
    assert {"call", "email"} <= set(last.by_kind)
    assert followup is not None
    assert len(items.followups) == 1
    assert (followup.type_code, followup.percent) == (ActivityType.NOTE, Percent.TODO)
    assert followup.start_at == datetime.combine(PREVIOUS_FRIDAY, time(9, 0), tzinfo=BERLIN)
    assert who == ("anna", "Max Mustermann")
    assert reminder is not None
    assert reminder.status == ReminderStatus.PENDING
    assert reminded is not None
    assert reminded.login == "anna"
    assert items.quotes, "the offer Anna is following up on is still open"


def test_an_unpaid_invoice_is_overdue(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        overdue = uow.session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date < NOW.date())
        ).all()
        assert overdue
        items = history.open_items(uow.session, overdue[0].thirdparty_id, now=NOW)
    assert overdue[0].id in items.overdue_invoice_ids
    assert not overdue[0].paid


def test_paid_invoices_are_settled_by_a_payment(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        paid = uow.session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.PAID)).all()
        settled = {i.id: sum(a.amount for a in i.allocations) for i in paid}
        assert paid
        assert all(settled[i.id] == i.total_ttc and i.paid for i in paid)


def test_exactly_two_customers_are_silent_for_more_than_30_days(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        customers = uow.session.scalars(
            select(ThirdParty).where(ThirdParty.customer_type.in_((1, 3)), ThirdParty.status == 1)
        ).all()
        silent = []
        for tp in customers:
            latest = history.last_contact(uow.session, tp.id, now=NOW).latest
            if latest is None or latest.start_at < NOW - timedelta(days=30):
                silent.append(tp.name)
    assert sorted(silent) == ["Autohaus Becker GmbH", "Grünwald Immobilien GmbH"]


def test_documents_have_unique_dolibarr_refs(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        s = uow.session
        refs = {
            "PR": s.scalars(select(Quote.ref)).all(),
            "CO": s.scalars(select(Order.ref)).all(),
            "FA": s.scalars(select(Invoice.ref)).all(),
            "TS": s.scalars(select(Ticket.ref)).all(),
            "PJ": s.scalars(select(Project.ref)).all(),
        }
        statuses = set(s.scalars(select(Quote.status)))
        tickets = s.scalars(select(Ticket)).all()
        opportunities = s.scalars(select(Project).where(Project.is_opportunity.is_(True))).all()
        tasks = [t for p in opportunities for t in p.tasks]
    for prefix, values in refs.items():
        assert values, prefix
        assert len(set(values)) == len(values), prefix
        assert all(re.fullmatch(rf"{prefix}\d{{4}}-\d{{4}}", ref) for ref in values), values
    assert {1, 2, 3} <= statuses
    assert any(t.is_open for t in tickets)
    assert any(not t.is_open for t in tickets)
    assert len(opportunities) >= 2
    assert all(p.opp_status and p.opp_percent is not None and p.opp_amount for p in opportunities)
    assert len(tasks) >= 2


def test_the_past_is_done_and_only_meetings_ahead_and_the_acme_follow_up_are_to_do(demo: App) -> None:
    with demo.uow(read_only=True) as uow:
        activities = uow.session.scalars(select(Activity)).all()
    done = [a for a in activities if a.percent in (Percent.NOT_APPLICABLE, Percent.DONE)]
    todo = [a for a in activities if a.percent == Percent.TODO]
    assert all(a.start_at < NOW for a in done)
    assert all(a.start_at.tzinfo is not None for a in activities)
    assert {a.type_code for a in done} >= {"AC_TEL", "AC_RDV", "AC_EMAIL", "AC_EMAIL_IN", "AC_OTH"}
    assert {a.owner.login for a in done if a.owner} == {"anna", "bob"}
    overdue = [a for a in todo if a.start_at < NOW]
    assert [a.label for a in overdue] == [a.label for a in todo if a.type_code == ActivityType.NOTE]
    assert len(overdue) == 1
    assert len(todo) >= 3
    emails = [a for a in done if a.type_code in ("AC_EMAIL", "AC_EMAIL_IN")]
    assert all(a.email_message_id and a.email_from and a.email_to for a in emails)
    assert {a.channel for a in activities} == {"demo"}


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 27, 17, 30, tzinfo=UTC),  # Friday evening in Berlin
        datetime(2026, 11, 29, 11, 0, tzinfo=UTC),  # Sunday
        datetime(2027, 1, 4, 23, 30, tzinfo=UTC),  # Tuesday just after midnight in Berlin, new year
        datetime(2026, 3, 30, 7, 0, tzinfo=ZoneInfo("America/New_York")),  # summer time, given in New York
    ],
)
def test_the_story_holds_whatever_day_it_is(tmp_path: Path, now: datetime) -> None:
    app = new_sqlite_app(tmp_path, "other", now)
    try:
        load(app, now)
        today = now.astimezone(BERLIN).date()
        with app.uow(read_only=True) as uow:
            s = uow.session
            meeting = s.scalars(select(Activity).where(Activity.label == "Meeting with Initech")).one()
            acme = thirdparty(s, "ACME GmbH")
            followup = history.open_items(s, acme.id, now=now).followups[0]
            past = s.scalars(select(Activity).where(Activity.percent.in_((-1, 100)))).all()
            silent = [
                tp.name
                for tp in s.scalars(
                    select(ThirdParty).where(ThirdParty.customer_type.in_((1, 3)), ThirdParty.status == 1)
                )
                if (last := history.last_contact(s, tp.id, now=now).latest) is None
                or last.start_at < now - timedelta(days=30)
            ]
            overdue = s.scalars(
                select(Invoice.id).where(
                    Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date < now.date()
                )
            ).all()
    finally:
        app.close()
    assert meeting.start_at == datetime.combine(today, time(14, 0), tzinfo=BERLIN)
    friday = followup.start_at.astimezone(BERLIN)
    assert friday.weekday() == 4
    assert friday.time() == time(9, 0)
    assert timedelta(days=1) <= today - friday.date() <= timedelta(days=7)
    assert all(a.start_at < now for a in past)
    assert len(silent) == 2
    assert overdue
