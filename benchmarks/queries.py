"""Benchmark 2 of issue #8: "last contact X" and a 20-entry timeline on generated data.

    python -m benchmarks.queries [--db URL | --postgres] [--queries 500] [--json]
    python -m benchmarks.generate --thirdparties 100000 --contacts 300000 --activities 5000000 \\
        --users 10000 --db sqlite:///bench/crm.sqlite3
    python -m benchmarks.queries --db sqlite:///bench/crm.sqlite3 --queries 2000     # the full size

Third parties are drawn the way salespeople ask about them: half by the generator's Zipf weights (the big
customers, who hold most of the activities, come up most often; the very biggest is always among them)
and half uniformly from the long tail. Three figures, each per call, after a warm-up:

* ``last_contact``: ``bot.crm.history.last_contact`` (the latest call, meeting, email and note that
  happened), in one read-only unit of work as a message would use it;
* ``timeline``: ``history.timeline(limit=20)`` (activities merged with quotes, orders, invoices, tickets,
  projects and documents);
* ``engine``: the whole path, ``Engine.handle("last contact <name>")`` — identity, dedup, parse,
  gazetteer, matching, the query, the rendered reply, the processed-message row and the commit. Generated
  names repeat far more than real ones, so part of these end in a "which one?" question (counted).

Target (issue #8): p99 ≤ 10 ms for the query at 5M activities.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import harness
from benchmarks.generate import _zipf_weights
from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.crm import history
from bot.crm.models import Activity, ThirdParty, User
from bot.engine import Engine
from bot.messages import InboundMessage, Sender

NOW = harness.NOW
WARM_UP = 20


def sample_thirdparties(app: App, count: int, seed: int) -> list[tuple[int, str]]:
    """(id, name) of *count* third parties: half Zipf-weighted like the generator's activities, half
    uniform; the customer with the most activities first."""
    rng = random.Random(seed)
    with app.uow(read_only=True) as uow:
        s = uow.session
        max_id = s.scalar(select(func.max(ThirdParty.id))) or 0
        if not max_id:
            raise SystemExit("no third parties: generate data first (python -m benchmarks.generate)")
        biggest = s.scalar(
            select(Activity.thirdparty_id)
            .where(Activity.thirdparty_id.is_not(None))
            .group_by(Activity.thirdparty_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        ids = [biggest or 1]
        heavy = rng.choices(range(1, max_id + 1), weights=_zipf_weights(max_id), k=count // 2)
        light = [rng.randint(1, max_id) for _ in range(count - count // 2 - 1)]
        mixed = heavy + light
        rng.shuffle(mixed)
        ids += mixed
        names = dict(
            s.execute(select(ThirdParty.id, ThirdParty.name).where(ThirdParty.id.in_(set(ids)))).all()
        )
    return [(i, names[i]) for i in ids if i in names]


def activity_counts(app: App, ids: list[int]) -> dict[str, Any]:
    with app.uow(read_only=True) as uow:
        s = uow.session
        total = s.scalar(select(func.count()).select_from(Activity)) or 0
        per = dict(
            s.execute(
                select(Activity.thirdparty_id, func.count())
                .where(Activity.thirdparty_id.in_(set(ids)))
                .group_by(Activity.thirdparty_id)
            ).all()
        )
    counts = sorted((per.get(i, 0) for i in ids), reverse=True)
    return {
        "activities_in_db": total,
        "biggest_sampled_customer_activities": counts[0] if counts else 0,
        "median_sampled_customer_activities": counts[len(counts) // 2] if counts else 0,
    }


def timed(app: App, ids: list[int], call: Callable[[Any, int], object]) -> list[float]:
    """Milliseconds per call, each in its own read-only unit of work (as one message's query)."""
    out = []
    for index, tp in enumerate(ids):
        started = time.perf_counter()
        with app.uow(read_only=True) as uow:
            call(uow.session, tp)
        if index >= WARM_UP:
            out.append((time.perf_counter() - started) * 1000)
    return out


def through_engine(app: App, names: list[str], seed: int) -> tuple[list[float], Counter[str]]:
    engine = Engine(app)
    with app.uow(read_only=True) as uow:
        login = uow.session.scalar(select(User.login).order_by(User.id).limit(1))
    if login is None:
        raise SystemExit("no users in the database")
    outcomes: Counter[str] = Counter()
    out = []
    for index, name in enumerate(names):
        msg = InboundMessage(
            "console",
            f"bench-queries-{seed}-{time.time_ns()}-{index}",
            Sender("console", login),
            f"last contact {name}",
            NOW + timedelta(seconds=index),
            f"console:{login}:{index}",  # its own conversation: a question left open does not steer the next
        )
        started = time.perf_counter()
        reply = engine.handle(msg)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.data.get("error"):
            raise RuntimeError(f"last contact {name!r} failed: {reply.text}")
        if index >= WARM_UP:
            out.append(elapsed)
            kind = "question" if reply.data.get("needs_clarification") else str(reply.data.get("intent"))
            outcomes[kind] += 1
    return out, outcomes


def run(url: str, queries: int, seed: int = 11) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(load_settings(database_url=url, data_dir=Path(tmp), now=NOW))
        try:
            picked = sample_thirdparties(app, queries + WARM_UP, seed)
            ids = [tp for tp, _ in picked]
            sizes = activity_counts(app, ids)
            last = timed(app, ids, lambda s, tp: history.last_contact(s, tp, now=NOW))
            page = timed(app, ids, lambda s, tp: history.timeline(s, tp, limit=20))
            whole, outcomes = through_engine(app, [name for _, name in picked], seed)
        finally:
            app.close()
    return {
        "benchmark": "queries",
        "database": harness.backend(url),
        **sizes,
        "last_contact": harness.latency_summary(last),
        "timeline_20": harness.latency_summary(page),
        "engine_last_contact": harness.latency_summary(whole),
        "engine_outcomes": dict(outcomes),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=True)
    parser.add_argument("--queries", type=int, default=500, help="timed calls of each kind")
    args = parser.parse_args(argv)
    with harness.database(args, harness.generated(harness.size_of(args), args.seed)) as url:
        harness.emit(run(url, args.queries), args.json)


if __name__ == "__main__":
    main()
