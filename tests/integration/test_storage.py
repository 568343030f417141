"""Storage: UTC timestamps on both backends, the unit of work, SQLite settings, the document store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from bot.bootstrap import App
from bot.crm.models import Activity, ThirdParty
from storage import DocumentStore
from storage.engine import DatabaseURLError, make_engine, normalize_url
from tests.support.factories import company, user


def test_datetimes_come_back_aware_in_utc_whatever_zone_went_in(app: App) -> None:
    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # just after the DST switch
    kolkata = datetime(2026, 11, 23, 14, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    with app.uow() as uow:
        anna = user(uow.session)
        tp = company(uow.session, "ACME GmbH")
        for moment in (berlin, kolkata):
            uow.session.add(
                Activity(
                    type_code="AC_TEL", label="call", start_at=moment, owner_id=anna.id, thirdparty_id=tp.id
                )
            )
        uow.commit()
    with app.uow() as uow:
        starts = list(uow.session.scalars(select(Activity.start_at).order_by(Activity.start_at)))
    assert starts == [berlin, kolkata]
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)
    assert starts[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_naive_datetime_is_refused(app: App) -> None:
    with app.uow() as uow:
        tp = company(uow.session, "ACME GmbH")
        uow.session.add(
            Activity(type_code="AC_TEL", label="x", start_at=datetime(2026, 1, 1), thirdparty_id=tp.id)
        )
        with pytest.raises(StatementError, match="naive datetime"):
            uow.session.flush()


def test_unit_of_work_rolls_back_unless_committed(app: App) -> None:
    with app.uow() as uow:
        company(uow.session, "Forgotten GmbH")
    with app.uow() as uow:
        company(uow.session, "Kept GmbH")
        uow.commit()

    def failing_handler() -> None:
        with app.uow() as uow:
            company(uow.session, "Failed GmbH")
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        failing_handler()
    with app.uow() as uow:
        names = list(uow.session.scalars(select(ThirdParty.name)))
    assert names == ["Kept GmbH"]


def test_sqlite_runs_with_wal_foreign_keys_busy_timeout_and_normal_sync(sqlite_app: App) -> None:
    with sqlite_app.db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_foreign_keys_are_enforced(app: App) -> None:
    from sqlalchemy.exc import IntegrityError

    with app.uow() as uow:
        uow.session.add(
            Activity(type_code="AC_TEL", label="x", start_at=datetime.now(UTC), thirdparty_id=999)
        )
        with pytest.raises(IntegrityError):
            uow.session.flush()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u:p@db/crm", "postgresql+psycopg"),
        ("postgresql://u@db/crm", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/crm", "postgresql+psycopg"),
        ("sqlite:///data/crm.sqlite3", "sqlite"),
    ],
)
def test_database_urls_are_normalised_to_psycopg3(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


def test_unsupported_database_is_refused_by_name() -> None:
    with pytest.raises(DatabaseURLError, match="mysql"):
        make_engine("mysql://u@db/crm")


def test_document_store_is_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents")
    first = store.put(b"%PDF-1.7 offer Q1")
    second = store.put(b"%PDF-1.7 offer Q1")
    other = store.put(b"something else")
    assert first.created
    assert not second.created
    assert first.sha256 == second.sha256 != other.sha256
    assert first.path == tmp_path / "documents" / first.sha256[:2] / first.sha256[2:4] / first.sha256
    assert store.read(first.sha256) == b"%PDF-1.7 offer Q1"
    assert sorted(p.name for p in (tmp_path / "documents").rglob("*") if p.is_file()) == sorted(
        [first.sha256, other.sha256]
    )
    assert not list((tmp_path / "documents").rglob(".incoming-*"))


def test_document_store_rejects_paths_that_are_not_digests(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        store.read("../../etc/passwd")
