"""Fixtures shared by every test: the database backends, a ready app, and a fixed clock."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text

from bot.bootstrap import App, build_app
from bot.config import load_settings
from storage import migrate
from storage.engine import make_engine
from tests.support.postgres import PostgresCluster, find_bindir, start_cluster

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Monday 23 Nov 2026, 09:00 in Berlin: the start of the week in DESIGN.md's "day with the bot".
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
_db_counter = itertools.count()


def unavailable(what: str, reason: str) -> NoReturn:
    """Skip the tests that need *what* with the reason shown; in CI, where they must run, fail instead."""
    if IN_CI:
        pytest.fail(f"{what} tests must run in CI, but: {reason}")
    pytest.skip(f"{what} tests skipped: {reason}")


def _no_postgres(reason: str) -> NoReturn:
    unavailable("PostgreSQL", reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    if find_bindir() is None:
        _no_postgres("the PostgreSQL server (initdb, pg_ctl) is not installed")
    try:
        cluster = start_cluster()
    except (RuntimeError, OSError) as exc:
        _no_postgres(str(exc))
    template = "crmbot_template"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {template}"))
    admin.dispose()
    engine = make_engine(cluster.url(template))
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield cluster
    finally:
        cluster.stop()


def _postgres_database(cluster: PostgresCluster) -> str:
    name = f"crmbot_test_{os.getpid()}_{next(_db_counter)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE crmbot_template"))
    admin.dispose()
    return cluster.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database on each backend."""
    if request.param == "postgres":
        cluster = request.getfixturevalue("postgres_cluster")
        return _postgres_database(cluster)
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def make_app(url: str, data_dir: Path, now: datetime = NOW) -> App:
    settings = load_settings(database_url=url, data_dir=data_dir, now=now)
    return build_app(settings)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[App]:
    """An app on each backend, with a fixed clock (NOW)."""
    application = make_app(database_url, tmp_path / "data")
    yield application
    application.close()


@pytest.fixture
def sqlite_app(sqlite_url: str, tmp_path: Path) -> Iterator[App]:
    application = make_app(sqlite_url, tmp_path / "data")
    yield application
    application.close()
