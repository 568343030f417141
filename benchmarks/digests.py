"""Daily digests for every user: the scheduler's digest tick end to end (find who is due, claim, collect,
render, deliver, mark sent), with delivery replaced by a counter so the figure is the bot's own work.

    python -m benchmarks.generate --thirdparties 100000 --contacts 300000 --activities 500000 \\
        --users 10000 --db sqlite:///bench/crm.sqlite3
    python -m benchmarks.digests --db sqlite:///bench/crm.sqlite3

The generated users live half in Berlin, half in New York, all with the default digest at 08:00: the
benchmark ticks at 08:00 Berlin and at 08:00 New York of one Monday and reports both ticks and the total
(target: 10k users in ≤ 30 s). Each run starts from no digest sent (the runs of earlier runs are deleted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from benchmarks import harness
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.crm.models import DigestRun, User
from bot.delivery import Delivery
from bot.messages import Reply
from bot.scheduler.digest import DigestSender

TICKS = (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 11, 23, 13, 0, tzinfo=UTC))


class CountingDelivery(Delivery):
    """Takes every message at once (no network): what is measured is the bot's own work."""

    def __init__(self) -> None:
        self.count = 0
        self.items = 0

    async def deliver(self, user_id: int, reply: Reply, **_: Any) -> tuple[str, str | None]:
        self.count += 1
        self.items += int(reply.data.get("digest", {}).get("items", 0))
        return "email", f"<digest-{user_id}@bench>"


def run(db: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        app = build_app(load_settings(database_url=db, data_dir=Path(data_dir)))
        with app.uow() as uow:
            uow.session.execute(delete(DigestRun))
            uow.commit()
            users = uow.session.scalar(select(func.count()).select_from(User)) or 0
        delivery = CountingDelivery()
        sender = DigestSender(app, delivery, worker="bench")
        ticks: list[dict[str, Any]] = []
        for moment in TICKS:
            started = time.perf_counter()
            sent = asyncio.run(sender.tick(moment))
            ticks.append(
                {"at": moment.isoformat(), "digests": sent, "seconds": time.perf_counter() - started}
            )
        app.close()
    total = sum(t["seconds"] for t in ticks)
    return {
        "users": users,
        "digests": delivery.count,
        "items": delivery.items,
        "ticks": ticks,
        "seconds": total,
        "per_digest_ms": 1000 * total / max(delivery.count, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=True)
    args = parser.parse_args()
    with harness.database(args, harness.generated(harness.size_of(args), args.seed)) as url:
        result = run(url)
    if args.json:
        print(json.dumps(result))
        return
    for tick in result["ticks"]:
        print(f"tick {tick['at']}: {tick['digests']:,} digests in {tick['seconds']:.2f} s")
    print(
        f"{result['digests']:,} digests for {result['users']:,} users ({result['items']:,} items) in "
        f"{result['seconds']:.2f} s, {result['per_digest_ms']:.2f} ms each"
    )


if __name__ == "__main__":
    main()
