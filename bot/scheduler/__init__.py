"""Scheduled work inside ``crmbot run``: APScheduler drives the ticks, the state lives in our tables
(DESIGN.md §5), so several processes can tick against one database and a restart loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

TICK = timedelta(seconds=20)


class Scheduler:
    """Runs each registered tick every *interval*; a tick still running is not started twice."""

    def __init__(self, interval: timedelta = TICK) -> None:
        self.interval = interval
        self._scheduler = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )

    def every_tick(self, name: str, tick: Callable[[], Awaitable[object]]) -> None:
        async def run() -> None:
            try:
                await tick()
            except Exception:
                log.exception("scheduled %s failed; it runs again at the next tick", name)

        self._scheduler.add_job(
            run,
            IntervalTrigger(seconds=self.interval.total_seconds()),
            id=name,
            name=name,
            next_run_time=datetime.now(UTC),  # at once: what fell due while the bot was down goes out now
        )

    def start(self) -> None:
        self._scheduler.start()  # needs the running event loop

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop_async(self) -> None:
        self.stop()
