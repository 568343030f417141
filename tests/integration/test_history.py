"""Customer history: last contact, timeline, contacts of a third party, open items."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.crm import history
from bot.crm.activities import log_activity
from bot.crm.models import (
    Document,
    Invoice,
    InvoiceStatus,
    Order,
    Percent,
    Project,
    ProjectStatus,
    Quote,
    QuoteStatus,
    Task,
    ThirdParty,
    Ticket,
    TicketStatus,
    User,
)
from tests.conftest import NOW
from tests.support.factories import company, person, user
from tests.support.statements import counted_statements


def _log(s: Session, owner: User, tp: ThirdParty, type_code: str, label: str, days_ago: float, **kw: object):  # type: ignore[no-untyped-def]
    return log_activity(
        s,
        type_code=type_code,
        label=label,
        start_at=NOW - timedelta(days=days_ago),
        owner=owner,
        thirdparty=tp,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def acme(app: App) -> tuple[App, int]:
    with app.uow() as uow:
        s = uow.session
        anna = user(s)
        tp = company(s, "ACME GmbH")
        other = company(s, "Other AG")
        max_ = person(s, "Max", "Mustermann", tp)
        _log(s, anna, tp, "AC_EMAIL", "Offer Q1", 3)
        _log(s, anna, tp, "AC_TEL", "Prices Q1", 1, contacts=[max_], body="Discussed Q1 prices\nmore")
        _log(s, anna, tp, "AC_RDV", "Kick-off", 10)
        _log(s, anna, tp, "AC_OTH", "Note", 20)
        _log(s, anna, tp, "AC_RDV", "Planned workshop", -2, percent=Percent.TODO)  # future, not contact
        _log(s, anna, tp, "AC_OTH", "Follow up", -1, percent=Percent.TODO)
        _log(s, anna, other, "AC_TEL", "Other call", 0.5)
        uow.commit()
        return app, tp.id


def test_last_contact_is_the_latest_that_happened_with_the_latest_per_kind(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    with app.uow() as uow:
        found = history.last_contact(uow.session, tp_id, now=NOW)
    assert found.latest is not None
    assert found.latest.label == "Prices Q1"
    assert {k: a.label for k, a in found.by_kind.items()} == {
        "call": "Prices Q1",
        "email": "Offer Q1",
        "meeting": "Kick-off",
        "note": "Note",
    }
    assert {k: a.label for k, a in found.others().items()} == {
        "email": "Offer Q1",
        "meeting": "Kick-off",
        "note": "Note",
    }


def test_last_contact_is_one_statement_and_narrows_to_a_contact_or_an_agenda(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    with app.uow() as uow:
        s = uow.session
        bob = user(s, "bob")
        erika = person(s, "Erika", "Musterfrau", s.get(ThirdParty, tp_id))
        _log(s, bob, s.get(ThirdParty, tp_id), "AC_TEL", "Bob calls Erika", 0.5, contacts=[erika])
        _log(s, bob, s.get(ThirdParty, tp_id), "AC_TEL", "Logged ahead of time", -1)
        uow.commit()
        bob_id, erika_id = bob.id, erika.id
        anna_id = s.scalar(select(User.id).where(User.login == "anna"))
    with app.uow(read_only=True) as uow:
        uow.session.connection()  # BEGIN is not the query's
        with counted_statements(app) as statements:
            everyone = history.last_contact(uow.session, tp_id, now=NOW)
        with_erika = history.last_contact(uow.session, tp_id, now=NOW, contact_id=erika_id)
        annas = history.last_contact(uow.session, tp_id, now=NOW, agenda_of=anna_id)
        bobs = history.last_contact(uow.session, tp_id, now=NOW, agenda_of=bob_id)
        ahead = history.last_contact(uow.session, tp_id)  # without "now", what is logged ahead counts
    assert len(statements) == 1
    assert everyone.latest is not None
    assert everyone.latest.label == "Bob calls Erika"
    assert {k: a.label for k, a in with_erika.by_kind.items()} == {"call": "Bob calls Erika"}
    assert annas.latest is not None
    assert annas.latest.label == "Prices Q1"
    assert {k: a.label for k, a in bobs.by_kind.items()} == {"call": "Bob calls Erika"}
    assert ahead.latest is not None
    assert ahead.latest.label == "Logged ahead of time"


def test_equal_timestamps_resolve_to_the_last_logged(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        anna = user(s)
        tp = company(s, "Hooli")
        for label in ("first", "second", "third"):
            _log(s, anna, tp, "AC_TEL", label, 1)
        uow.commit()
    with app.uow() as uow:
        found = history.last_contact(uow.session, tp.id, now=NOW)
        page = history.timeline(uow.session, tp.id)
    assert found.latest is not None
    assert found.latest.label == "third"
    assert [e.title for e in page.entries] == ["third", "second", "first"]


def test_no_contact_yet(app: App) -> None:
    with app.uow() as uow:
        tp = company(uow.session, "Silent GmbH")
        uow.commit()
        found = history.last_contact(uow.session, tp.id, now=NOW)
    assert found.latest is None
    assert found.by_kind == {}


def _all_sources(app: App, tp_id: int) -> None:
    """A quote, an order, an invoice, a ticket, a project and a document for *tp_id*, besides its events."""
    with app.uow() as uow:
        s = uow.session
        s.add(
            Quote(
                ref="PR1",
                thirdparty_id=tp_id,
                date=date(2026, 11, 20),
                status=QuoteStatus.OPEN,
                total_ttc=Decimal("1190.00"),
                currency="CHF",
                note_public="Offer for Q1",
            )
        )
        s.add(
            Order(ref="CO1", thirdparty_id=tp_id, date=date(2026, 11, 18), status=1, total_ttc=Decimal("80"))
        )
        s.add(
            Invoice(
                ref="FA1",
                thirdparty_id=tp_id,
                date=date(2026, 11, 16),
                status=InvoiceStatus.UNPAID,
                total_ttc=Decimal("500"),
            )
        )
        s.add(
            Ticket(
                ref="TS1",
                track_id="t1",
                subject="Login broken",
                thirdparty_id=tp_id,
                status=TicketStatus.IN_PROGRESS,
                created_at=NOW - timedelta(days=6),
            )
        )
        s.add(
            Project(
                ref="PJ1",
                title="Rollout",
                thirdparty_id=tp_id,
                status=ProjectStatus.OPEN,
                created_at=NOW - timedelta(days=8),
            )
        )
        s.add(
            Document(
                sha256="0" * 64,
                filename="offer.pdf",
                size=10,
                owner_type="thirdparty",
                owner_id=tp_id,
                thirdparty_id=tp_id,
                created_at=NOW - timedelta(days=9),
            )
        )
        uow.commit()


def test_timeline_merges_every_source_newest_first_and_pages(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    _all_sources(app, tp_id)
    with app.uow() as uow:
        full = history.timeline(uow.session, tp_id, limit=50)
        first = history.timeline(uow.session, tp_id, limit=3)
        second = history.timeline(uow.session, tp_id, offset=3, limit=3)
        recent = history.timeline(uow.session, tp_id, since=NOW - timedelta(days=5), until=NOW, limit=50)
    titles = [e.title for e in full.entries]
    # a quote, order or invoice is placed at the start of its day (UTC), the rest at their time
    assert titles == [
        "Planned workshop",  # in two days
        "Follow up",
        "Prices Q1",
        "Offer Q1",  # 20 Nov, 08:00
        "PR1",  # 20 Nov
        "CO1",  # 18 Nov
        "Login broken",  # 17 Nov, 08:00
        "FA1",  # 16 Nov
        "Rollout",
        "offer.pdf",
        "Kick-off",
        "Note",
    ]
    assert [e.kind for e in full.entries][:5] == ["meeting", "todo", "call", "email", "quote"]
    assert [e.title for e in first.entries + second.entries] == titles[:6]
    assert first.has_more
    assert second.has_more
    assert not full.has_more
    # five days back is 18 Nov, 08:00 for events and 18 Nov for dated records
    assert [e.title for e in recent.entries] == ["Prices Q1", "Offer Q1", "PR1", "CO1"]


def test_timeline_entries_carry_each_sources_fields(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    _all_sources(app, tp_id)
    with app.uow(read_only=True) as uow:
        entries = {e.title: e for e in history.timeline(uow.session, tp_id, limit=50).entries}
    quote = entries["PR1"]
    assert (quote.kind, quote.at, quote.all_day) == ("quote", datetime(2026, 11, 20, tzinfo=UTC), True)
    assert (quote.amount, quote.currency, quote.detail, quote.status) == (
        Decimal("1190.00"),
        "CHF",
        "Offer for Q1",
        str(QuoteStatus.OPEN.value),
    )
    assert (entries["CO1"].kind, entries["CO1"].amount) == ("order", Decimal("80"))
    assert (entries["FA1"].kind, entries["FA1"].status) == ("invoice", str(InvoiceStatus.UNPAID.value))
    ticket = entries["Login broken"]
    assert (ticket.kind, ticket.at, ticket.all_day) == ("ticket", NOW - timedelta(days=6), False)
    assert (ticket.status, ticket.amount, ticket.detail) == (str(TicketStatus.IN_PROGRESS.value), None, None)
    assert (entries["Rollout"].kind, entries["Rollout"].status) == ("project", str(ProjectStatus.OPEN.value))
    assert (entries["offer.pdf"].kind, entries["offer.pdf"].status) == ("document", None)
    call = entries["Prices Q1"]
    assert (call.kind, call.status, call.detail, call.all_day) == (
        "call",
        "logged",
        "Discussed Q1 prices\nmore",
        False,
    )
    assert call.at == NOW - timedelta(days=1)
    assert (entries["Follow up"].kind, entries["Follow up"].status) == ("todo", "todo")
    assert (entries["Planned workshop"].kind, entries["Planned workshop"].status) == ("meeting", "todo")
    assert "Other call" not in entries


def test_timeline_is_one_statement_whatever_it_reads(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    _all_sources(app, tp_id)
    with app.uow(read_only=True) as uow:
        uow.session.connection()  # BEGIN is not the timeline's
        with counted_statements(app) as every:
            page = history.timeline(uow.session, tp_id, limit=5)
        with counted_statements(app) as some:
            dated = history.timeline(
                uow.session,
                tp_id,
                since=NOW - timedelta(days=7),
                until=NOW,
                kinds=("quote", "ticket"),
                limit=50,
            )
        with counted_statements(app) as none:
            empty = history.timeline(uow.session, tp_id, kinds=())
    assert (len(every), len(some), len(none)) == (1, 1, 0)
    assert page.has_more
    assert [e.title for e in dated.entries] == ["PR1", "Login broken"]
    assert empty.entries == []
    assert not empty.has_more


def test_timeline_of_a_user_without_the_whole_agenda_shows_her_own_and_attended_events(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        anna, bob, carl = user(s), user(s, "bob"), user(s, "carl")
        tp = company(s, "Hooli")
        _log(s, anna, tp, "AC_TEL", "Anna's call", 1)
        _log(s, bob, tp, "AC_TEL", "Bob's call with Anna", 2, users=[anna])
        _log(s, carl, tp, "AC_TEL", "Carl's call", 3)
        s.add(Quote(ref="PR9", thirdparty_id=tp.id, date=date(2026, 11, 1), total_ttc=Decimal("1")))
        uow.commit()
        anna_id, tp_id = anna.id, tp.id
    with app.uow(read_only=True) as uow:
        own = history.timeline(uow.session, tp_id, agenda_of=anna_id)
        everything = history.timeline(uow.session, tp_id)
    assert [e.title for e in own.entries] == ["Anna's call", "Bob's call with Anna", "PR9"]
    assert [e.title for e in everything.entries] == [
        "Anna's call",
        "Bob's call with Anna",
        "Carl's call",
        "PR9",
    ]


def test_contacts_of_a_third_party_are_sorted_and_active_only(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        tp = company(s, "ACME GmbH")
        person(s, "Erika", "Musterfrau", tp)
        person(s, "Max", "Mustermann", tp)
        person(s, "Anton", "Alt", tp, is_active=False)
        person(s, "Nobody", "Else", company(s, "Other"))
        uow.commit()
        names = [c.full_name for c in history.contacts_of(s, tp.id)]
        everyone = [c.full_name for c in history.contacts_of(s, tp.id, include_inactive=True)]
    assert names == ["Erika Musterfrau", "Max Mustermann"]
    assert everyone == ["Anton Alt", "Erika Musterfrau", "Max Mustermann"]


def test_open_items_lists_open_quotes_unpaid_invoices_tickets_tasks_and_todos(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    with app.uow() as uow:
        s = uow.session
        s.add_all(
            [
                Quote(ref="Q-OPEN", thirdparty_id=tp_id, date=date(2026, 11, 1), status=QuoteStatus.OPEN),
                Quote(ref="Q-SIGNED", thirdparty_id=tp_id, date=date(2026, 11, 1), status=QuoteStatus.SIGNED),
                Invoice(
                    ref="I-OVERDUE",
                    thirdparty_id=tp_id,
                    date=date(2026, 10, 1),
                    status=InvoiceStatus.UNPAID,
                    due_date=date(2026, 10, 31),
                    total_ttc=Decimal("100"),
                ),
                Invoice(
                    ref="I-DUE",
                    thirdparty_id=tp_id,
                    date=date(2026, 11, 20),
                    status=InvoiceStatus.UNPAID,
                    due_date=date(2026, 12, 20),
                    total_ttc=Decimal("50.5"),
                ),
                Invoice(
                    ref="I-PAID",
                    thirdparty_id=tp_id,
                    date=date(2026, 10, 1),
                    status=InvoiceStatus.PAID,
                    paid=True,
                ),
                Ticket(
                    ref="T-OPEN",
                    track_id="a",
                    subject="Broken",
                    thirdparty_id=tp_id,
                    status=TicketStatus.IN_PROGRESS,
                ),
                Ticket(
                    ref="T-CLOSED",
                    track_id="b",
                    subject="Fixed",
                    thirdparty_id=tp_id,
                    status=TicketStatus.CLOSED,
                ),
            ]
        )
        project = Project(ref="PJ1", title="Rollout", thirdparty_id=tp_id)
        project.tasks = [Task(label="Install", progress=50), Task(label="Done task", progress=100)]
        s.add(project)
        uow.commit()
    with app.uow() as uow:
        items = history.open_items(uow.session, tp_id, now=NOW)
    assert [q.ref for q in items.quotes] == ["Q-OPEN"]
    assert [i.ref for i in items.invoices] == ["I-OVERDUE", "I-DUE"]
    assert {i.ref for i in items.invoices if i.id in items.overdue_invoice_ids} == {"I-OVERDUE"}
    assert items.unpaid_total == Decimal("150.5")
    assert [t.ref for t in items.tickets] == ["T-OPEN"]
    assert [t.label for t in items.tasks] == ["Install"]
    assert [a.label for a in items.followups] == ["Follow up", "Planned workshop"]
    assert not items.empty
