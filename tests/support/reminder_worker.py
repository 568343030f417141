"""A reminder sender in its own process (for the exactly-once test): ticks until nothing is left and
writes the id of every reminder it delivered to *out*, one per line."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.delivery import Delivery
from bot.messages import Reply
from bot.scheduler.reminders import ReminderSender


class RecordingDelivery(Delivery):
    def __init__(self, out: Path) -> None:
        self.out = out

    async def deliver(self, user_id: int, reply: Reply, **_: Any) -> tuple[str, str | None]:
        with self.out.open("a") as fh:
            fh.write(f"{reply.data['reminder']}\n")
        await asyncio.sleep(0)  # let the other processes interleave
        return "email", None


async def work(url: str, data_dir: str, out: str, now: str) -> None:
    app = build_app(load_settings(database_url=url, data_dir=Path(data_dir)))
    sender = ReminderSender(app, RecordingDelivery(Path(out)))
    idle = 0
    while idle < 3:
        idle = idle + 1 if await sender.tick(datetime.fromisoformat(now)) == 0 else 0
    app.close()


if __name__ == "__main__":
    asyncio.run(work(*sys.argv[1:5]))
