"""The reminder tick: claim what is due, render it in the user's language, deliver, mark sent or retry."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime

from bot.bootstrap import App
from bot.clock import zone
from bot.crm import reminders
from bot.crm.audit import Actor, act_as
from bot.crm.models import Reminder, User
from bot.delivery import Delivery, DeliveryFailed
from bot.handlers.reminders import action_value
from bot.i18n import format_when, t
from bot.messages import Choice, Reply

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def reminder_reply(reminder: Reminder, user: User, now: datetime) -> Reply:
    """The reminder as the user sees it, with Done and Snooze buttons."""
    lang, tz = user.language, zone(user.timezone)
    activity = reminder.activity
    what = reminder.message or (activity.label if activity is not None else t(lang, "kind.todo"))
    context = []
    if activity is not None and activity.thirdparty is not None:
        context.append(activity.thirdparty.name)
    if reminder.kind == "meeting" and activity is not None:
        context.append(
            t(
                lang,
                "reminder.meeting_at",
                when=format_when(activity.start_at, tz, lang, now=now, relative=True),
            )
        )
    if now - reminder.due_at > reminders.LATE_AFTER:
        context.append(t(lang, "reminder.was_due", when=format_when(reminder.due_at, tz, lang, now=now)))
    actions = (
        Choice(t(lang, "reminder.done"), action_value(reminder.id, "done")),
        Choice(t(lang, "reminder.snooze.1h"), action_value(reminder.id, "snooze:1h")),
        Choice(t(lang, "reminder.snooze.tomorrow"), action_value(reminder.id, "snooze:tomorrow")),
        Choice(t(lang, "reminder.snooze.week"), action_value(reminder.id, "snooze:week")),
    )
    return Reply(
        what,
        title=t(lang, "reminder.title"),
        context=" · ".join(context) or None,
        actions=actions,
        data={"reminder": reminder.id},
        lang=lang,
        tz=user.timezone,
    )


class ReminderSender:
    def __init__(self, app: App, delivery: Delivery, worker: str | None = None) -> None:
        self.app = app
        self.delivery = delivery
        self.worker = worker or worker_id()

    async def tick(self, now: datetime | None = None) -> int:
        """Send every reminder due at *now*; returns how many went out."""
        moment = now or self.app.clock.now()
        claimed = await asyncio.to_thread(self._claim, moment)
        sent = 0
        for item in claimed:
            rendered = await asyncio.to_thread(self._render, item.id, moment)
            if rendered is None:
                continue
            reply, channel = rendered
            subject = f"{reply.title}: {reply.text}"[:150]
            text = f"{reply.plain()}\n\n{t(reply.lang, 'reminder.mail.how')}"
            try:
                used, mail_id = await self.delivery.deliver(
                    item.user_id, reply, subject=subject, channel=channel, text=text
                )
            except DeliveryFailed as exc:
                log.warning("reminder %s not delivered: %s", item.id, exc)
                await asyncio.to_thread(self._mark, item.id, moment, str(exc))
                continue
            if await asyncio.to_thread(self._mark, item.id, moment, None, mail_id):
                sent += 1
                log.info("reminder %s sent to user %s by %s", item.id, item.user_id, used)
        return sent

    def _claim(self, now: datetime) -> list[reminders.Claimed]:
        with self.app.uow() as uow:
            act_as(uow.session, Actor(None, "scheduler", "reminders", now=lambda: now))
            reminders.ensure_meeting_reminders(uow.session, now=now)
            claimed = reminders.claim_due(uow.session, now=now, worker=self.worker)
            uow.commit()
            return claimed

    def _render(self, reminder_id: int, now: datetime) -> tuple[Reply, str | None] | None:
        with self.app.uow(read_only=True) as uow:
            reminder = uow.session.get(Reminder, reminder_id)
            user = uow.session.get(User, reminder.user_id) if reminder is not None else None
            if reminder is None or user is None:
                return None
            return reminder_reply(reminder, user, now), reminder.channel

    def _mark(self, reminder_id: int, now: datetime, error: str | None, mail_id: str | None = None) -> bool:
        with self.app.uow() as uow:
            act_as(uow.session, Actor(None, "scheduler", f"reminder:{reminder_id}", now=lambda: now))
            if error is None:
                ok = reminders.mark_sent(
                    uow.session, reminder_id, now=now, worker=self.worker, mail_message_id=mail_id
                )
            else:
                reminders.mark_failed(uow.session, reminder_id, now=now, error=error)
                ok = False
            uow.commit()
            return ok
