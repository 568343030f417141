"""The outbox tick: claim queued mail (calendar invitations …), send it outside any transaction, mark it
sent or give it back for a retry with backoff (bot.crm.outbox, bot.crm.claims)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

from bot.bootstrap import App
from bot.channels.mailer import Mailer, MailerError
from bot.crm import outbox
from bot.crm.audit import Actor, act_as
from bot.scheduler.reminders import worker_id

log = logging.getLogger(__name__)


class OutboxSender:
    """Sends what handlers queued. Without an outbound mail server (*mailer* None) nothing is claimed:
    the mail waits, and each tick logs one warning saying how much."""

    def __init__(self, app: App, mailer: Mailer | None, worker: str | None = None) -> None:
        self.app = app
        self.mailer = mailer
        self.worker = worker or worker_id()

    async def tick(self, now: datetime | None = None) -> int:
        """Send every queued mail whose time has come; returns how many went out."""
        moment = now or self.app.clock.now()
        if self.mailer is None:
            waiting = await asyncio.to_thread(self._waiting)
            if waiting:
                log.warning(
                    "%d queued mail(s) not sent: no outbound mail server (CRMBOT_OUTBOUND_SMTP_*)", waiting
                )
            return 0
        claimed = await asyncio.to_thread(self._claim, moment)
        sent = 0
        for item in claimed:
            message = message_from_bytes(item.message, _class=EmailMessage, policy=SMTP)
            try:
                await self.mailer.send_message(message, sender=item.mail_from, recipients=item.recipients)
            except MailerError as exc:
                log.warning("outbox mail %s (%s) not sent: %s", item.id, item.kind, exc)
                await asyncio.to_thread(self._mark, item.id, moment, str(exc))
                continue
            if await asyncio.to_thread(self._mark, item.id, moment, None):
                sent += 1
                log.info("outbox mail %s (%s) sent by %s", item.id, item.kind, self.worker)
        return sent

    def _waiting(self) -> int:
        with self.app.uow(read_only=True) as uow:
            return outbox.waiting(uow.session)

    def _claim(self, now: datetime) -> list[outbox.Claimed]:
        with self.app.uow() as uow:
            claimed = outbox.claim_due(uow.session, now=now, worker=self.worker)
            uow.commit()
            return claimed

    def _mark(self, mail_id: int, now: datetime, error: str | None) -> bool:
        with self.app.uow() as uow:
            act_as(uow.session, Actor(None, "scheduler", f"outbox:{mail_id}", now=lambda: now))
            if error is None:
                ok = outbox.mark_sent(uow.session, mail_id, now=now, worker=self.worker)
            else:
                outbox.mark_failed(uow.session, mail_id, now=now, error=error)
                ok = False
            uow.commit()
            return ok
