"""Reminders: claiming the due ones exactly once, marking them sent or failed, and what users do with
them (done, snooze, cancel, list).

Exactly once across processes (DESIGN.md §5), with the claim, backoff and stale-claim rules every send
queue shares (:mod:`bot.crm.claims`); a reminder sent after its grace period is marked late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm import claims, invitations
from bot.crm.activities import Source, add_reminder, log_activity, mark_done
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    ActivityType,
    Percent,
    Reminder,
    ReminderStatus,
    ThirdParty,
    User,
)

LATE_AFTER = timedelta(minutes=5)  # sent later than this after its time: marked late ("after downtime")
SNOOZES = ("1h", "tomorrow", "week")


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    user_id: int
    due_at: datetime


def claim_due(session: Session, *, now: datetime, worker: str, limit: int = 100) -> list[Claimed]:
    """Claim up to *limit* due reminders for *worker*; each row is claimed by exactly one caller.
    The caller commits right after, before sending."""
    claims.give_back_stale(session, Reminder, now)
    candidates = session.execute(
        select(Reminder.id, Reminder.user_id, Reminder.due_at, Reminder.attempts, Reminder.claimed_at)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit * 2)
    ).all()
    claimed: list[Claimed] = []
    for row in candidates:
        if not claims.ready(row.attempts, row.claimed_at, now):
            continue
        if claims.claim(session, Reminder, row.id, now=now, worker=worker):
            claimed.append(Claimed(row.id, row.user_id, row.due_at))
            if len(claimed) >= limit:
                break
    return claimed


def mark_sent(
    session: Session, reminder_id: int, *, now: datetime, worker: str, mail_message_id: str | None = None
) -> bool:
    """Record the delivery; False when the claim was lost meanwhile (given back as stale)."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or not claims.record_sent(reminder, now=now, worker=worker):
        return False
    reminder.sent_late = now - reminder.due_at > LATE_AFTER
    if mail_message_id:
        reminder.mail_message_id = mail_message_id[:998]
    session.flush()
    return True


def mark_failed(session: Session, reminder_id: int, *, now: datetime, error: str) -> None:
    """Give the claim back for a retry after backoff; after claims.MAX_ATTEMPTS the reminder is failed."""
    claims.fail(session, Reminder, reminder_id, now=now, error=error)


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


def _open_reminders(session: Session, activity: Activity) -> list[Reminder]:
    return list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.activity_id == activity.id,
                Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.FAILED)),
            )
            .order_by(Reminder.id)
        )
    )


def done_activity(session: Session, activity: Activity, now: datetime) -> None:
    """A to-do is done (from a digest): marked done, its reminders will not come."""
    if activity.percent != Percent.DONE:
        mark_done(session, activity, now)
    for reminder in _open_reminders(session, activity):
        reminder.status = ReminderStatus.CANCELLED
    session.flush()


def snooze_activity(
    session: Session, activity: Activity, user: User, until: datetime, *, now: datetime
) -> None:
    """A to-do or planned call is due later (from a digest): it moves to *until* (its end with it), and so
    does its reminder (one is made when it had none left); people the bot invited to it get the update."""
    if activity.end_at is not None:
        activity.end_at += until - activity.start_at
    activity.start_at = until
    pending = [r for r in _open_reminders(session, activity) if r.user_id == user.id and r.kind != "meeting"]
    if pending:
        snooze(session, pending[0], until)
        for extra in pending[1:]:
            extra.status = ReminderStatus.CANCELLED
    else:
        add_reminder(
            session, user=user, due_at=until, activity=activity, kind="followup", message=activity.label
        )
    if activity.ical_uid:
        invitations.update_invitation(session, activity, now=now)
    session.flush()


MEETING_HORIZON = timedelta(days=1)  # meetings this far ahead get their reminder row


def ensure_meeting_reminders(session: Session, *, now: datetime) -> int:
    """Give every planned meeting starting within MEETING_HORIZON a reminder for its owner and the users
    attending, ``reminder_lead_minutes`` before it (0: that user wants none). A meeting that moved moves
    its pending reminder; a cancelled one cancels it. Returns how many were created.

    It runs every tick in every process, so it reads plain rows (no ORM objects for the meetings) and
    touches only the reminders that change. Several processes at once: one meeting reminder per user
    and meeting is a unique index, and every process writes in (meeting, user) order, so two of them
    wait for each other in the same order instead of deadlocking on PostgreSQL."""
    window = (
        select(Activity.id)
        .where(
            Activity.type_code == ActivityType.MEETING,
            Activity.start_at > now,
            Activity.start_at <= now + MEETING_HORIZON,
        )
        .scalar_subquery()
    )
    meetings = session.execute(
        select(Activity.id, Activity.owner_id, Activity.start_at, Activity.percent)
        .where(Activity.id.in_(window))
        .order_by(Activity.id)
    ).all()
    if not meetings:
        return 0
    people: dict[int, set[int]] = {
        m.id: ({m.owner_id} if m.owner_id is not None else set()) for m in meetings
    }
    for activity_id, user_id in session.execute(
        select(ActivityAttendee.activity_id, ActivityAttendee.user_id).where(
            ActivityAttendee.activity_id.in_(window), ActivityAttendee.user_id.is_not(None)
        )
    ):
        if user_id is not None:  # as the WHERE says; for the type checker
            people[activity_id].add(user_id)
    existing = {
        (user_id, activity_id): (ident, status, due_at)
        for ident, user_id, activity_id, status, due_at in session.execute(
            select(
                Reminder.id, Reminder.user_id, Reminder.activity_id, Reminder.status, Reminder.due_at
            ).where(Reminder.kind == "meeting", Reminder.activity_id.in_(window))
        )
    }
    everyone = set().union(*people.values())
    lead = dict(
        session.execute(
            select(User.id, User.reminder_lead_minutes).where(
                User.id.in_(everyone), User.is_active.is_(True), User.reminder_lead_minutes > 0
            )
        ).all()
    )
    created = 0
    for meeting in meetings:
        planned = meeting.percent == Percent.TODO or 0 < meeting.percent < Percent.DONE
        for user_id in sorted(people[meeting.id]):
            due = max(meeting.start_at - timedelta(minutes=lead[user_id]), now) if user_id in lead else None
            found = existing.get((user_id, meeting.id))
            if found is not None:
                ident, status, due_at = found
                if status != ReminderStatus.PENDING or (planned and (due is None or due == due_at)):
                    continue  # nothing changes: no ORM object (a tick sees every meeting of the next day)
                reminder = session.get(Reminder, ident)
                if reminder is None:
                    continue
                if not planned:
                    reminder.status = ReminderStatus.CANCELLED
                elif due is not None and due != due_at:
                    reminder.due_at = due
                continue
            if not planned or due is None:
                continue
            try:
                with session.begin_nested():
                    session.add(Reminder(user_id=user_id, activity_id=meeting.id, due_at=due, kind="meeting"))
                created += 1
            except IntegrityError:  # another process made it a moment ago
                continue
    session.flush()
    return created


def follow_up_tomorrow(
    session: Session, user: User, thirdparty: ThirdParty, label: str, *, now: datetime, source: Source
) -> Activity:
    """A to-do on *thirdparty* for tomorrow 09:00 in the user's zone, with its reminder ("Remind me
    tomorrow" on a customer who has gone quiet)."""
    tz = zone(user.timezone)
    due = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(9, 0), tzinfo=tz)
    todo = log_activity(
        session,
        type_code=ActivityType.NOTE,
        label=label[:255],
        body=None,
        start_at=due,
        owner=user,
        thirdparty=thirdparty,
        contacts=[],
        percent=Percent.TODO,
        source=source,
    )
    add_reminder(session, user=user, due_at=due, activity=todo, kind="followup", message=label[:255])
    return todo
