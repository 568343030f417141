"""Retention (Dolibarr's datapolicy rules): only what is old, idle, never invoiced and without child
objects is anonymised, by category and its months; 0 months is off; the daily job runs once a day even
with several processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.crm import retention
from bot.crm.activities import log_activity
from bot.crm.models import (
    Activity,
    ActivityType,
    AuditLog,
    Contact,
    Invoice,
    Percent,
    ProcessedMessage,
    Quote,
    ThirdParty,
    Ticket,
)
from bot.crm.retention import RetentionSettings, eligible, months_before
from bot.scheduler.retention import RetentionJob
from tests.support.factories import company, person, user

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=3 * 365)
MONTHS = RetentionSettings(prospect_months=12, customer_months=24, supplier_months=36, contact_months=12)


def _age(session: Session, obj: Any, when: datetime) -> None:
    """Backdate a row's created/updated times (a plain UPDATE: the ORM would stamp the app's clock)."""
    model = type(obj)
    session.execute(update(model).where(model.id == obj.id).values(created_at=when, updated_at=when))


def _event(
    session: Session, tp: ThirdParty, when: datetime, *, contacts: Sequence[Contact] = (), **kw: Any
) -> None:
    """An event on *tp* at *when*, entered no later than yesterday."""
    activity = log_activity(
        session, type_code=ActivityType.CALL, label="call", start_at=when, owner=None, thirdparty=tp,
        contacts=contacts, **kw,
    )  # fmt: skip
    _age(session, activity, min(when, NOW - timedelta(days=1)))


@pytest.fixture
def world(app: App) -> dict[str, int]:
    """Third parties and contacts covering every rule; values are their ids."""
    ids: dict[str, int] = {}
    with app.uow() as uow:
        s = uow.session
        user(s, "anna")
        tps: dict[str, ThirdParty] = {}
        for name, kw in {
            "Idle GmbH": {},  # a customer, idle for three years: anonymised
            "Recent GmbH": {},  # a call two months ago
            "Invoiced GmbH": {},  # an invoice five years ago: never (accounting)
            "Quoted GmbH": {},  # a quote (a child object)
            "Ticket GmbH": {},  # a ticket (a child object)
            "Planned GmbH": {},  # a meeting planned for next month
            "Touched GmbH": {},  # its record was changed last month
            "Old Prospect": {"customer_type": 2},  # 18 months idle: prospects go after 12
            "Old Supplier": {
                "customer_type": 0,
                "is_supplier": True,
            },  # 30 months idle: suppliers go after 36
        }.items():
            tps[name] = company(s, name, **kw)
        idle_max = person(s, "Max", "Idle", tps["Idle GmbH"], email="max@idle.example")
        recent_rita = person(s, "Rita", "Recent", tps["Recent GmbH"])
        invoiced_ivo = person(s, "Ivo", "Invoiced", tps["Invoiced GmbH"])
        lonely = person(s, "Lone", "Wolf", None, email="lone@wolf.example")
        quoted = person(s, "Quentin", "Quoted", tps["Recent GmbH"])
        fresh = person(s, "Frida", "Fresh", None)
        for tp in tps.values():
            _age(s, tp, LONG_AGO)
        for c in (idle_max, recent_rita, invoiced_ivo, lonely, quoted):
            _age(s, c, LONG_AGO)
        _age(s, fresh, NOW - timedelta(days=30))
        _event(s, tps["Idle GmbH"], LONG_AGO, contacts=[idle_max])
        _event(s, tps["Recent GmbH"], NOW - timedelta(days=60))
        _event(s, tps["Recent GmbH"], LONG_AGO, contacts=[recent_rita])
        _event(s, tps["Planned GmbH"], NOW + timedelta(days=30), percent=Percent.TODO)
        _event(s, tps["Old Prospect"], NOW - timedelta(days=18 * 30))
        _event(s, tps["Old Supplier"], NOW - timedelta(days=30 * 30))
        s.add(
            Invoice(
                ref="FA1", date=date(2021, 11, 1), thirdparty_id=tps["Invoiced GmbH"].id, total_ttc=Decimal(1)
            )
        )
        s.add(
            Quote(ref="PR1", date=date(2022, 1, 1), thirdparty_id=tps["Quoted GmbH"].id, contact_id=quoted.id)
        )
        s.add(Ticket(ref="T1", track_id="t1", subject="help", thirdparty_id=tps["Ticket GmbH"].id))
        s.flush()
        s.execute(
            update(ThirdParty)
            .where(ThirdParty.id == tps["Touched GmbH"].id)
            .values(updated_at=NOW - timedelta(days=30))
        )
        uow.commit()
        ids = {name: tp.id for name, tp in tps.items()}
        ids.update(max=idle_max.id, rita=recent_rita.id, ivo=invoiced_ivo.id, lone=lonely.id)
        ids.update(quentin=quoted.id, frida=fresh.id)
    return ids


def _names(found: list[retention.Candidate]) -> set[str]:
    return {c.name for c in found}


def test_only_old_idle_uninvoiced_records_without_children_are_eligible(
    app: App, world: dict[str, int]
) -> None:
    with app.uow(read_only=True) as uow:
        found = eligible(uow.session, MONTHS, NOW)
    assert _names(found) == {"Idle GmbH", "Old Prospect", "Rita Recent", "Lone Wolf"}
    # Max goes with Idle GmbH; Ivo's company has an invoice; Quentin is on a quote; Frida is new
    assert {c.category for c in found if c.kind == "thirdparty"} == {"customer", "prospect"}


def test_months_per_category_and_zero_is_off(app: App, world: dict[str, int]) -> None:
    with app.uow(read_only=True) as uow:
        s = uow.session
        assert eligible(s, RetentionSettings(), NOW) == []
        assert _names(eligible(s, RetentionSettings(prospect_months=24), NOW)) == set()  # 18 months idle
        assert _names(eligible(s, RetentionSettings(prospect_months=12), NOW)) == {"Old Prospect"}
        assert _names(eligible(s, RetentionSettings(supplier_months=24), NOW)) == {"Old Supplier"}
        assert _names(eligible(s, RetentionSettings(customer_months=48), NOW)) == set()
        assert _names(eligible(s, RetentionSettings(contact_months=12), NOW)) == {
            "Max Idle",
            "Rita Recent",
            "Lone Wolf",
        }


def test_run_anonymises_only_the_eligible(app: App, world: dict[str, int]) -> None:
    with app.uow() as uow:
        report = retention.run(uow.session, app.documents, MONTHS, NOW)
        uow.commit()
    assert report.by_category() == {"prospect": 1, "customer": 1, "supplier": 0, "contact": 2}
    assert (report.anonymized.thirdparties, report.anonymized.contacts) == (2, 3)
    with app.uow(read_only=True) as uow:
        s = uow.session
        names = {r.id: r.name for r in s.execute(select(ThirdParty.id, ThirdParty.name))}
        assert names[world["Idle GmbH"]] == f"anonymous-thirdparty-{world['Idle GmbH']}"
        assert names[world["Recent GmbH"]] == "Recent GmbH"
        assert names[world["Invoiced GmbH"]] == "Invoiced GmbH"
        lastnames = {r.id: r.lastname for r in s.execute(select(Contact.id, Contact.lastname))}
        assert lastnames[world["max"]] == f"anonymous-{world['max']}"
        assert lastnames[world["ivo"]] == "Invoiced"
        assert lastnames[world["quentin"]] == "Quoted"
        reasons = s.scalars(select(AuditLog.summary).where(AuditLog.action == "anonymize")).all()
        assert any("retention: customer idle for 24 months" in r for r in reasons if r)
        assert s.scalar(select(Activity.id).where(Activity.thirdparty_id == world["Idle GmbH"])) is not None
        assert eligible(s, MONTHS, NOW) == []  # done: nothing left


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 11, 23, tzinfo=UTC), 24) == datetime(2024, 11, 23, tzinfo=UTC)


@pytest.fixture
def twin_apps(app: App, database_url: str, tmp_path: Path) -> Iterator[tuple[App, App]]:
    """Two apps on one database, as two processes would be, with retention switched on."""
    months = {
        "retention_customer_months": 24,
        "retention_prospect_months": 12,
        "retention_contact_months": 12,
    }
    apps = [
        build_app(load_settings(database_url=database_url, data_dir=app.settings.data_dir, now=NOW, **months))
        for _ in range(2)
    ]
    yield apps[0], apps[1]
    for a in apps:
        a.close()


async def test_the_daily_job_runs_once_a_day_across_processes(
    world: dict[str, int], twin_apps: tuple[App, App]
) -> None:
    one, two = (RetentionJob(a) for a in twin_apps)
    counts = await asyncio.gather(one.tick(NOW), two.tick(NOW), one.tick(NOW))
    assert sorted(counts) == [0, 0, 5]  # two third parties and three contacts, by one of them
    assert await two.tick(NOW + timedelta(hours=3)) == 0
    tomorrow = NOW + timedelta(days=1)
    assert await asyncio.gather(one.tick(tomorrow), two.tick(tomorrow)) == [0, 0]
    with twin_apps[0].uow(read_only=True) as uow:
        runs = uow.session.scalars(
            select(ProcessedMessage)
            .where(ProcessedMessage.channel == "scheduler")
            .order_by(ProcessedMessage.id)
        ).all()
    assert [r.message_id for r in runs] == ["retention:2026-11-23", "retention:2026-11-24"]
    assert runs[0].result is not None
    assert runs[0].result["by_category"] == {"prospect": 1, "customer": 1, "supplier": 0, "contact": 2}


async def test_the_daily_job_is_off_by_default(app: App, world: dict[str, int]) -> None:
    assert await RetentionJob(app).tick(NOW) == 0
    with app.uow(read_only=True) as uow:
        assert uow.session.scalars(select(ProcessedMessage)).all() == []


async def test_the_daily_job_anonymises_in_short_transactions(
    world: dict[str, int], twin_apps: tuple[App, App], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run over years of data must not hold SQLite's write lock for minutes: each batch of
    records is its own transaction, and what one batch wrote is committed before the next starts."""
    from bot.scheduler import retention as job

    app = twin_apps[0]
    seen: list[tuple[int, int]] = []  # (batch size, records already anonymised and committed)
    real = retention.anonymize

    def counting(session: Any, store: Any, batch: list[Any], now: Any) -> Any:
        with app.uow(read_only=True) as other:  # another connection sees only committed work
            done = other.session.scalar(
                select(func.count()).select_from(Contact).where(Contact.lastname.like("anonymous-%"))
            )
        seen.append((len(batch), int(done or 0)))
        return real(session, store, batch, now)

    monkeypatch.setattr(job, "BATCH", 2)
    monkeypatch.setattr(retention, "anonymize", counting)
    assert await job.RetentionJob(app).tick(NOW) == 5
    assert [size for size, _ in seen] == [2, 2]  # 2 third parties (with a contact) and 2 contacts
    assert seen[0][1] == 0
    assert seen[-1][1] > 0  # earlier batches were already committed
