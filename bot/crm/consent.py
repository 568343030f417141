"""Consent per contact and purpose (marketing, processing): every decision is a row with its date and
source, the newest per purpose is the current state. Withdrawing marketing consent also sets the contact's
``no_marketing`` flag (Dolibarr's ``no_email``) and puts the address on the unsubscribe list; granting it
clears both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.crm.models import Consent, ConsentPurpose, Contact, Unsubscribe

STATUSES = ("granted", "withdrawn")


def record(
    session: Session,
    contact: Contact,
    purpose: str,
    status: str,
    *,
    at: datetime,
    source: str | None,
    user_id: int | None,
    note: str | None = None,
) -> Consent:
    purpose = ConsentPurpose(purpose).value
    if status not in STATUSES:
        raise ValueError(f"consent status must be one of {STATUSES}, not {status!r}")
    row = Consent(
        contact_id=contact.id,
        purpose=purpose,
        status=status,
        at=at,
        source=source[:255] if source else None,
        note=note,
        recorded_by_id=user_id,
    )
    session.add(row)
    if purpose == ConsentPurpose.MARKETING:
        contact.no_marketing = status == "withdrawn"
        if contact.email_lower:
            if status == "withdrawn":
                known = session.scalar(
                    select(Unsubscribe.id).where(Unsubscribe.email_lower == contact.email_lower)
                )
                if known is None:
                    session.add(Unsubscribe(email_lower=contact.email_lower, at=at, source=source))
            else:
                session.execute(delete(Unsubscribe).where(Unsubscribe.email_lower == contact.email_lower))
    session.flush()
    return row


def current(session: Session, contact_id: int, purpose: str) -> Consent | None:
    """The newest decision for (contact, purpose), or None when none was ever recorded."""
    return session.scalar(
        select(Consent)
        .where(Consent.contact_id == contact_id, Consent.purpose == purpose)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
    )
