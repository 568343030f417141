"""The daily retention job (bot.crm.retention): once per UTC day, in one process only, anonymise what has
been idle for longer than CRMBOT_RETENTION_*_MONTHS allow. Off while every month setting is 0."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

from bot.bootstrap import App
from bot.crm import retention
from bot.crm.audit import Actor

log = logging.getLogger(__name__)


class RetentionJob:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = retention.RetentionSettings.of(app.settings)
        self._day: date | None = None  # the day this process last ran (or saw run) the job

    async def tick(self, now: datetime | None = None) -> int:
        """Run the day's retention unless it ran already (here or in another process); returns how many
        third parties and contacts were anonymised."""
        if not self.settings.enabled:
            return 0
        moment = now or self.app.clock.now()
        day = moment.astimezone(UTC).date()
        if self._day == day:
            return 0
        try:
            report = await asyncio.to_thread(self._run, moment, day)
        finally:
            self._day = day  # a failed run is logged by the scheduler and tried again tomorrow
        if report is None:
            return 0
        done = report.anonymized.contacts + report.anonymized.thirdparties
        if report.candidates:
            log.info("retention %s: %d record(s) anonymised %s", day, done, report.by_category())
        return done

    def _run(self, now: datetime, day: date) -> retention.Report | None:
        with self.app.uow(Actor(None, "scheduler", f"retention:{day.isoformat()}")) as uow:
            if not retention.claim_day(uow.session, day, now):
                return None
            report = retention.run(uow.session, self.app.documents, self.settings, now)
            retention.record_run(uow.session, day, report)
            uow.commit()
            return report
