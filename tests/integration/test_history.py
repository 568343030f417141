"""Customer history: last contact, timeline, contacts of a third party, open items."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.crm import history
from bot.crm.activities import log_activity
from bot.crm.models import (
    Invoice,
    InvoiceStatus,
    Percent,
    Project,
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


def test_timeline_merges_every_source_newest_first_and_pages(acme: tuple[App, int]) -> None:
    app, tp_id = acme
    with app.uow() as uow:
        s = uow.session
        s.add(
            Quote(
                ref="PR2611-0001",
                thirdparty_id=tp_id,
                date=date(2026, 11, 21),
                status=QuoteStatus.OPEN,
                total_ttc=Decimal("1190.00"),
            )
        )
        s.add(
            Invoice(
                ref="FA2611-0001",
                thirdparty_id=tp_id,
                date=date(2026, 11, 5),
                status=InvoiceStatus.UNPAID,
                due_date=date(2026, 11, 19),
                total_ttc=Decimal("500"),
            )
        )
        s.add(
            Ticket(
                ref="TS1",
                track_id="t1",
                subject="Login broken",
                thirdparty_id=tp_id,
                created_at=NOW - timedelta(days=4),
            )
        )
        uow.commit()
    with app.uow() as uow:
        full = history.timeline(uow.session, tp_id, limit=50)
        first = history.timeline(uow.session, tp_id, limit=3)
        second = history.timeline(uow.session, tp_id, offset=3, limit=3)
        recent = history.timeline(uow.session, tp_id, since=NOW - timedelta(days=5), until=NOW, limit=50)
    titles = [e.title for e in full.entries]
    assert titles == [
        "Planned workshop",
        "Follow up",
        "Prices Q1",
        "PR2611-0001",
        "Offer Q1",
        "Login broken",
        "Kick-off",
        "FA2611-0001",
        "Note",
    ]
    assert [e.kind for e in full.entries][:4] == ["meeting", "todo", "call", "quote"]
    assert [e.title for e in first.entries + second.entries] == titles[:6]
    assert first.has_more
    assert second.has_more
    assert not full.has_more
    assert [e.title for e in recent.entries] == ["Prices Q1", "PR2611-0001", "Offer Q1", "Login broken"]


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
