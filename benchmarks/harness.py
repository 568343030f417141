"""What the benchmarks share: where the database comes from, percentiles, and how results are printed.

Every benchmark takes ``--db URL`` (an existing database; filled first when it is empty), ``--postgres`` (a
throwaway PostgreSQL cluster, ``tests/support/postgres.py``: initdb + pg_ctl on a free 127.0.0.1 port,
removed afterwards) or neither (a temporary SQLite file), ``--json`` and, where repeating makes sense,
``--runs``. Benchmarks on generated data take the generator's sizes as flags with reduced defaults; the
full size of issue #8 is 100k third parties, 300k contacts, 5M activities.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin, as in the tests


@dataclass(frozen=True)
class DataSize:
    thirdparties: int
    contacts: int
    activities: int
    users: int

    def flags(self) -> list[str]:
        return [
            f"--thirdparties={self.thirdparties}",
            f"--contacts={self.contacts}",
            f"--activities={self.activities}",
            f"--users={self.users}",
        ]


REDUCED = DataSize(10_000, 30_000, 200_000, 1_000)  # `make bench`
FULL = DataSize(100_000, 300_000, 5_000_000, 10_000)  # issue #8


# -- figures -------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of *values*; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """n, p50, p95, p99, max and mean of per-operation times in milliseconds."""
    if not values_ms:
        return {"n": 0}
    return {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 0.50), 2),
        "p95_ms": round(percentile(values_ms, 0.95), 2),
        "p99_ms": round(percentile(values_ms, 0.99), 2),
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


def runs_summary(values: Sequence[float], digits: int = 2) -> dict[str, Any]:
    """The median of repeated runs, and every run's value."""
    return {
        "median": round(statistics.median(values), digits) if values else math.nan,
        "runs": [round(v, digits) for v in values],
    }


def emit(result: Mapping[str, Any], as_json: bool) -> None:
    """One JSON line (for run_all and tools), or the result as indented text."""
    if as_json:
        print(json.dumps(result, default=str))
        return
    _print_tree(result, 0)


def _print_tree(value: Mapping[str, Any], depth: int) -> None:
    width = max((len(k) for k in value), default=0)
    for key, item in value.items():
        if isinstance(item, Mapping) and item:
            print(f"{'  ' * depth}{key}:")
            _print_tree(item, depth + 1)
        else:
            print(f"{'  ' * depth}{key:<{width}} : {item}")


# -- options -------------------------------------------------------------------------------------------


def add_database_options(parser: argparse.ArgumentParser, *, generated: bool) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help="database URL; an empty database is migrated and filled first")
    where.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL cluster (initdb must be installed)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    if generated:
        sizes = parser.add_argument_group("generated data (when the database is empty)")
        sizes.add_argument("--thirdparties", type=int, default=REDUCED.thirdparties)
        sizes.add_argument("--contacts", type=int, default=REDUCED.contacts)
        sizes.add_argument("--activities", type=int, default=REDUCED.activities)
        sizes.add_argument("--users", type=int, default=REDUCED.users)
        sizes.add_argument("--seed", type=int, default=42)


def size_of(args: argparse.Namespace) -> DataSize:
    return DataSize(args.thirdparties, args.contacts, args.activities, args.users)


def backend(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else url.split(":", 1)[0].split("+", 1)[0]


# -- databases -----------------------------------------------------------------------------------------


def postgres_available() -> bool:
    from tests.support.postgres import find_bindir

    return find_bindir() is not None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Any]:
    """A PostgreSQL cluster in a temp dir (fsync off, as the tests run it); removed on exit."""
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def create_database(cluster: Any, name: str) -> str:
    """A new database on *cluster*; returns its URL."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres") as conn:
        conn.autocommit = True
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(cluster.url(name))


Fill = Callable[[str], None]


@contextlib.contextmanager
def database(args: argparse.Namespace, fill: Fill, name: str = "bench") -> Iterator[str]:
    """The database URL a benchmark runs on: ``--db`` (filled when empty), a fresh database on a
    throwaway cluster (``--postgres``), or a temporary SQLite file; *fill* migrates and fills it."""
    if args.db:
        fill(args.db)
        yield args.db
        return
    if args.postgres:
        with throwaway_postgres() as cluster:
            url = create_database(cluster, name)
            fill(url)
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="crmbot-bench-") as tmp:
        url = f"sqlite:///{tmp}/{name}.sqlite3"
        fill(url)
        yield url


def _engine(url: str) -> Engine:
    from storage import make_engine, migrate

    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def generated(size: DataSize, seed: int = 42, progress: bool = True) -> Fill:
    """Fill: migrate, then the generator's data when the database has no third parties yet (*progress*:
    a line per table as it is loaded, on stderr)."""

    def fill(url: str) -> None:
        from benchmarks.generate import Sizes, generate
        from bot.crm.models import ThirdParty

        engine = _engine(url)
        try:
            with engine.connect() as conn:
                if conn.execute(select(ThirdParty.id).limit(1)).first() is not None:
                    return
            started = time.perf_counter()
            generate(
                engine, Sizes(size.thirdparties, size.contacts, size.activities, size.users), seed, progress
            )
            print(f"generated {size} in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
        finally:
            engine.dispose()

    return fill


def demo(now: datetime = NOW) -> Fill:
    """Fill: migrate, then the demo data (the users and companies the .eml fixtures are about) when the
    database is empty; a database with other data but no demo users is refused."""

    def fill(url: str) -> None:
        from bot.bootstrap import build_app
        from bot.config import load_settings
        from bot.crm.audit import Actor
        from bot.crm.demo import database_is_empty, load_demo
        from bot.crm.models import User

        _engine(url).dispose()
        with tempfile.TemporaryDirectory() as tmp:
            app = build_app(load_settings(database_url=url, data_dir=Path(tmp), now=now))
            try:
                with app.uow(Actor(None, "cli")) as uow:
                    if database_is_empty(uow.session):
                        load_demo(uow.session, now=now)
                        uow.commit()
                    elif uow.session.scalar(select(User.id).where(User.login == "anna")) is None:
                        raise SystemExit(
                            f"{url}: not empty and without the demo users: use an empty database"
                        )
            finally:
                app.close()

    return fill


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


# -- processes and ports -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def crmbot_command() -> list[str]:
    """``crmbot`` as installed next to this interpreter, else ``python -m bot``."""
    script = Path(sys.executable).with_name("crmbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def crmbot_env(**settings: str) -> dict[str, str]:
    """The environment for a ``crmbot`` subprocess: ours without any CRMBOT_* setting, plus *settings*
    (given without the prefix, e.g. ``DATABASE_URL=...``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")}
    env.update({f"CRMBOT_{k}": v for k, v in settings.items()})
    env.setdefault("CRMBOT_CONFIG", os.devnull)  # never a crmbot.toml from the working directory
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def wait_for_port(port: int, timeout: float, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process that should listen on port {port} ended")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
