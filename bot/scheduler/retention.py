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

BATCH = 10  # records per transaction (about a second of work)


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
        """The claim commits first; then the records go in batches of BATCH, each its own transaction, so
        that a long first run never holds SQLite's write lock for long. A run that dies half way leaves
        the rest to the next day's (they are still eligible then)."""
        actor = Actor(None, "scheduler", f"retention:{day.isoformat()}")
        with self.app.uow(actor) as uow:
            if not retention.claim_day(uow.session, day, now):
                return None
            uow.commit()
        with self.app.uow(read_only=True) as uow:
            report = retention.Report(candidates=retention.eligible(uow.session, self.settings, now))
        for start in range(0, len(report.candidates), BATCH):
            with self.app.uow(actor) as uow:
                batch = report.candidates[start : start + BATCH]
                report.anonymized.add(retention.anonymize(uow.session, self.app.documents, batch, now))
                uow.commit()
        with self.app.uow(actor) as uow:
            retention.record_run(uow.session, day, report)
            uow.commit()
        return report
