"""Logging activities: calls, meetings, emails, notes and to-dos, with attendees, owner and reminders.

The audit entry of each write is appended by the session hook in :mod:`bot.crm.audit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.crm.models import (
    Activity,
    ActivityAttendee,
    ActivityType,
    Contact,
    Percent,
    Reminder,
    ThirdParty,
    User,
)

KIND_TO_TYPE = {
    "call": ActivityType.CALL,
    "meeting": ActivityType.MEETING,
    "email": ActivityType.EMAIL,
    "email_in": ActivityType.EMAIL_IN,
    "note": ActivityType.NOTE,
    "todo": ActivityType.NOTE,
    "auto": ActivityType.AUTO,
}


class ActivityError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Source:
    """Where an activity came from: the channel and that channel's message id."""

    channel: str
    message_id: str | None = None


def log_activity(
    session: Session,
    *,
    type_code: str,
    label: str,
    start_at: datetime,
    owner: User | None,
    author: User | None = None,
    thirdparty: ThirdParty | None = None,
    contacts: Sequence[Contact] = (),
    users: Sequence[User] = (),
    body: str | None = None,
    end_at: datetime | None = None,
    percent: int = Percent.NOT_APPLICABLE,
    all_day: bool = False,
    location: str | None = None,
    source: Source | None = None,
    call_duration_s: int | None = None,
    linked: tuple[str, int] | None = None,
    done_at: datetime | None = None,
    **email_fields: str | None,
) -> Activity:
    """Create one agenda event; every contact and user becomes an attendee, the first contact the main one."""
    if type_code not in {t.value for t in ActivityType}:
        raise ActivityError(f"unknown activity type {type_code!r}")
    if not -1 <= percent <= 100:
        raise ActivityError(f"percent must be -1..100, not {percent}")
    if end_at is not None and end_at < start_at:
        raise ActivityError("an activity cannot end before it starts")
    if thirdparty is None and contacts:
        thirdparty = contacts[0].thirdparty
    activity = Activity(
        type_code=type_code,
        label=(label or type_code).strip()[:255],
        body=body,
        start_at=start_at,
        end_at=end_at,
        all_day=all_day,
        percent=percent,
        done_at=done_at if done_at is not None else (start_at if percent == Percent.DONE else None),
        location=location,
        owner_id=owner.id if owner else None,
        author_id=author.id if author else (owner.id if owner else None),
        thirdparty_id=thirdparty.id if thirdparty else None,
        contact_id=contacts[0].id if contacts else None,
        channel=source.channel if source else None,
        source_message_id=source.message_id if source else None,
        call_duration_s=call_duration_s,
        linked_type=linked[0] if linked else None,
        linked_id=linked[1] if linked else None,
        **email_fields,
    )
    seen_contacts: set[int] = set()
    for contact in contacts:
        if contact.id not in seen_contacts:
            seen_contacts.add(contact.id)
            activity.attendees.append(ActivityAttendee(contact_id=contact.id))
    seen_users: set[int] = set()
    for user in users or ([owner] if owner else []):
        if user.id not in seen_users:
            seen_users.add(user.id)
            activity.attendees.append(ActivityAttendee(user_id=user.id))
    session.add(activity)
    session.flush()
    return activity


def add_reminder(
    session: Session,
    *,
    user: User,
    due_at: datetime,
    activity: Activity | None = None,
    kind: str = "followup",
    message: str | None = None,
    channel: str | None = None,
) -> Reminder:
    reminder = Reminder(
        user_id=user.id,
        activity_id=activity.id if activity else None,
        due_at=due_at,
        kind=kind,
        message=message,
        channel=channel,
    )
    session.add(reminder)
    session.flush()
    return reminder


def mark_done(session: Session, activity: Activity, at: datetime) -> Activity:
    activity.percent = Percent.DONE
    activity.done_at = at
    session.flush()
    return activity
