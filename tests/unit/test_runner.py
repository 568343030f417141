"""Starting chat channels: an unreachable service is retried with backoff, a rejected token is not."""

from __future__ import annotations

import asyncio

from bot.runner import keep_starting
from bot.scheduler import Scheduler


class InvalidToken(Exception):  # the name python-telegram-bot uses
    pass


async def test_an_unreachable_service_is_retried_until_it_starts() -> None:
    attempts = []

    async def start() -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) < 3:
            raise ConnectionError("connection refused")

    await asyncio.wait_for(keep_starting("telegram", start, first_delay=0.05, max_delay=0.1), 5)
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] >= attempts[1] - attempts[0] >= 0.05  # backing off


async def test_a_rejected_token_is_not_retried() -> None:
    attempts = 0

    async def start() -> None:
        nonlocal attempts
        attempts += 1
        raise InvalidToken("Unauthorized")

    await asyncio.wait_for(keep_starting("telegram", start, first_delay=0.01), 5)
    assert attempts == 1


async def test_scheduled_ticks_run_at_start_and_survive_a_failing_tick() -> None:
    runs = 0

    async def tick() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("database down")

    from datetime import timedelta

    scheduler = Scheduler(interval=timedelta(seconds=0.1))
    scheduler.every_tick("test", tick)
    scheduler.start()
    try:
        for _ in range(100):
            if runs >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.stop()
    assert runs >= 3


async def test_the_first_tick_runs_at_start_not_after_an_interval() -> None:
    from datetime import timedelta

    ran = asyncio.Event()

    async def tick() -> None:
        ran.set()

    scheduler = Scheduler(interval=timedelta(hours=1))
    scheduler.every_tick("catch-up", tick)
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 2)
    finally:
        scheduler.stop()
