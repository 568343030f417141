"""Reminders: claiming the due ones exactly once, marking them sent or failed, and what users do with
them (done, snooze, cancel, list).

Exactly once across processes (DESIGN.md §5): a sender claims a reminder with a conditional update
(``status = 'pending'`` → ``'sending'`` with its worker id); only the one whose update changed the row
sends. Sending happens outside any transaction; then the row is marked sent (late when it went out after
its grace period) or put back for a retry with backoff. A claim older than ``STALE_CLAIM`` (the sender
died mid-send) is given back, so a crash delays a reminder but never loses it; a crash between the send
and the mark can repeat it once — the one duplicate this design allows, as any at-least-once system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.crm.activities import mark_done
from bot.crm.models import Percent, Reminder, ReminderStatus

LATE_AFTER = timedelta(minutes=5)  # sent later than this after its time: marked late ("after downtime")
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
SNOOZES = ("1h", "tomorrow", "week")


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    user_id: int
    due_at: datetime


def _retry_at(attempts: int, last_try: datetime) -> datetime:
    return last_try + BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else last_try


def claim_due(session: Session, *, now: datetime, worker: str, limit: int = 100) -> list[Claimed]:
    """Claim up to *limit* due reminders for *worker*; each row is claimed by exactly one caller.
    The caller commits right after, before sending."""
    session.execute(
        update(Reminder)
        .where(Reminder.status == ReminderStatus.SENDING, Reminder.claimed_at < now - STALE_CLAIM)
        .values(status=ReminderStatus.PENDING)
    )
    candidates = session.execute(
        select(Reminder.id, Reminder.user_id, Reminder.due_at, Reminder.attempts, Reminder.claimed_at)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at <= now,
            or_(Reminder.attempts == 0, and_(Reminder.claimed_at.is_not(None), Reminder.claimed_at <= now)),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit * 2)
    ).all()
    claimed: list[Claimed] = []
    for row in candidates:
        if row.attempts and row.claimed_at is not None and _retry_at(row.attempts, row.claimed_at) > now:
            continue
        result = session.execute(
            update(Reminder)
            .where(Reminder.id == row.id, Reminder.status == ReminderStatus.PENDING)
            .values(status=ReminderStatus.SENDING, claimed_by=worker[:64], claimed_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(Claimed(row.id, row.user_id, row.due_at))
            if len(claimed) >= limit:
                break
    return claimed


def mark_sent(session: Session, reminder_id: int, *, now: datetime, worker: str) -> bool:
    """Record the delivery; False when the claim was lost meanwhile (given back as stale)."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != ReminderStatus.SENDING or reminder.claimed_by != worker[:64]:
        return False
    reminder.status = ReminderStatus.SENT
    reminder.sent_at = now
    reminder.sent_late = now - reminder.due_at > LATE_AFTER
    reminder.attempts += 1
    session.flush()
    return True


def mark_failed(session: Session, reminder_id: int, *, now: datetime, error: str) -> None:
    """Give the claim back for a retry after backoff; after MAX_ATTEMPTS the reminder is failed."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != ReminderStatus.SENDING:
        return
    reminder.attempts += 1
    reminder.last_error = error[:1000]
    reminder.claimed_at = now
    reminder.status = ReminderStatus.FAILED if reminder.attempts >= MAX_ATTEMPTS else ReminderStatus.PENDING
    session.flush()


def snooze_until(choice: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """1h: an hour from now; tomorrow: 09:00 local tomorrow; week: 09:00 local next Monday."""
    if choice == "1h":
        return now + timedelta(hours=1)
    local = now.astimezone(tz).date()
    days = 1 if choice == "tomorrow" else 7 - local.weekday()
    return datetime.combine(local + timedelta(days=days), time(9, 0), tzinfo=tz)


def snooze(session: Session, reminder: Reminder, until: datetime) -> None:
    reminder.due_at = until
    reminder.status = ReminderStatus.PENDING
    reminder.attempts = 0
    reminder.claimed_at = None
    reminder.claimed_by = None
    reminder.sent_at = None
    reminder.sent_late = False
    reminder.snooze_count += 1
    session.flush()


def done(session: Session, reminder: Reminder, now: datetime) -> None:
    """The reminder is dealt with: its to-do (if any) is done and it will not come again."""
    if reminder.activity is not None and reminder.activity.percent == Percent.TODO:
        mark_done(session, reminder.activity, now)
    if reminder.status in (ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.FAILED):
        reminder.status = ReminderStatus.CANCELLED
    session.flush()


def cancel(session: Session, reminder: Reminder) -> None:
    reminder.status = ReminderStatus.CANCELLED
    session.flush()


def upcoming(session: Session, user_id: int, limit: int = 20) -> Sequence[Reminder]:
    """The user's reminders still to come (pending, being sent, or failed and to be retried)."""
    return list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.user_id == user_id,
                Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENDING)),
            )
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )
