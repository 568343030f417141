"""Calendar invitations in archived mail (text/calendar parts): planned meetings, updated or cancelled by UID.

A REQUEST creates the meeting (or updates it when its SEQUENCE is not older than the one we have); a
CANCEL marks it cancelled. Attendees are matched to contacts by address.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.activities import Source, log_activity
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    ActivityType,
    Contact,
    EmailMessage,
    Percent,
    ThirdParty,
    User,
)
from bot.normalize import normalize_email
from bot.parsers.email import CalendarInvite, ParsedEmail

CANCELLED_PREFIX = "Cancelled: "


def _attendee_contacts(session: Session, invite: CalendarInvite, known: Sequence[Contact]) -> list[Contact]:
    found = list(known)
    for person in [invite.organizer, *invite.attendees]:
        if person is None:
            continue
        address = normalize_email(person.email)
        if address is None:
            continue
        for contact in session.scalars(
            select(Contact).where(Contact.email_lower == address, Contact.is_active.is_(True))
        ):
            if contact not in found:
                found.append(contact)
    return found


def apply_invites(
    session: Session,
    parsed: ParsedEmail,
    tp: ThirdParty | None,
    contacts: Sequence[Contact],
    user: User,
    row: EmailMessage,
    now: datetime,
) -> list[Activity]:
    touched = []
    for invite in parsed.invites:
        existing = session.scalar(select(Activity).where(Activity.ical_uid == invite.uid[:255]))
        method = invite.method.upper()
        if method == "CANCEL" or (invite.status or "").upper() == "CANCELLED":
            if existing is not None:
                existing.percent = Percent.NOT_APPLICABLE
                if not existing.label.startswith(CANCELLED_PREFIX):
                    existing.label = (CANCELLED_PREFIX + existing.label)[:255]
                existing.ical_sequence = invite.sequence
                touched.append(existing)
            continue
        if method not in ("REQUEST", "PUBLISH") or invite.start is None:
            continue
        end = invite.end or invite.start + timedelta(hours=1)
        people = _attendee_contacts(session, invite, contacts)
        if existing is not None:
            if (existing.ical_sequence or 0) > invite.sequence:
                continue  # an older version arriving late
            existing.start_at, existing.end_at, existing.all_day = invite.start, end, invite.all_day
            existing.label = (invite.summary or existing.label)[:255]
            existing.location = invite.location
            existing.ical_sequence = invite.sequence
            have = {a.contact_id for a in existing.attendees}
            for contact in people:
                if contact.id not in have:
                    existing.attendees.append(ActivityAttendee(contact_id=contact.id))
            touched.append(existing)
            continue
        meeting = log_activity(
            session,
            type_code=ActivityType.MEETING,
            label=(invite.summary or parsed.subject or "Meeting")[:255],
            body=invite.description,
            start_at=invite.start,
            end_at=end,
            all_day=invite.all_day,
            owner=user,
            thirdparty=tp or (people[0].thirdparty if people else None),
            contacts=people,
            percent=Percent.TODO if invite.start > now else Percent.DONE,
            location=invite.location,
            source=Source("email", str(row.id)),
        )
        meeting.ical_uid, meeting.ical_sequence = invite.uid[:255], invite.sequence
        touched.append(meeting)
    return touched
