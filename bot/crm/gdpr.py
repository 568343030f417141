"""Data-protection duties: everything held about one person, for a subject access request
(``crmbot gdpr export --email``). The export itself is recorded in the audit log.

What counts as "about the person": the contacts with that address (main or additional), their consent
history, every agenda event they are the main contact of or attend, the archived mail they sent or
received (with the original message), the documents filed with those events and mails, unsubscribe and
never-log entries for the address, and the audit trail of their contact records.

Erasure (``crmbot gdpr anonymize``) is bot.crm.anonymize; retention (anonymising what has been idle too
long) is bot.crm.retention.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.crm import audit
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    AuditLog,
    Consent,
    Contact,
    ContactEmail,
    Document,
    EmailMessage,
    NeverLog,
    Unsubscribe,
    model_to_dict,
)
from bot.normalize import email_domain, normalize_email
from storage import DocumentStore

FORMAT = "crmbot-gdpr-export/1"


class GdprError(ValueError):
    """The request cannot be carried out as asked; the message says why."""


def contacts_with_address(session: Session, address: str) -> list[Contact]:
    extra = select(ContactEmail.contact_id).where(ContactEmail.email_lower == address)
    return list(
        session.scalars(
            select(Contact)
            .where(or_(Contact.email_lower == address, Contact.id.in_(extra)))
            .order_by(Contact.id)
        ).unique()
    )


def _document(document: Document, store: DocumentStore) -> dict[str, Any]:
    record = model_to_dict(document)
    try:
        record["data_base64"] = base64.b64encode(store.read(document.sha256)).decode("ascii")
    except (OSError, KeyError, ValueError) as exc:
        record["data_error"] = f"file not readable: {exc}"
    return record


def export_person(session: Session, store: DocumentStore, email: str, *, now: datetime) -> dict[str, Any]:
    """Everything held about the person with *email*, as JSON-ready data; audited as an export."""
    address = normalize_email(email)
    if address is None:
        raise GdprError(f"{email!r} is not an email address")
    contacts = contacts_with_address(session, address)
    ids = [c.id for c in contacts]
    attended = select(ActivityAttendee.activity_id).where(ActivityAttendee.contact_id.in_(ids))
    activities = (
        list(
            session.scalars(
                select(Activity)
                .where(or_(Activity.contact_id.in_(ids), Activity.id.in_(attended)))
                .order_by(Activity.start_at, Activity.id)
            ).unique()
        )
        if ids
        else []
    )
    mails = list(
        session.scalars(
            select(EmailMessage)
            .where(
                or_(
                    func.lower(EmailMessage.from_addr).contains(address),
                    func.lower(EmailMessage.to_addrs).contains(address),
                    func.lower(EmailMessage.cc_addrs).contains(address),
                    EmailMessage.activity_id.in_([a.id for a in activities]),
                )
            )
            .order_by(EmailMessage.received_at, EmailMessage.id)
        )
    )
    documents = list(
        session.scalars(
            select(Document)
            .where(
                or_(
                    (Document.owner_type == "activity") & Document.owner_id.in_([a.id for a in activities]),
                    (Document.owner_type == "email") & Document.owner_id.in_([m.id for m in mails]),
                    (Document.owner_type == "contact") & Document.owner_id.in_(ids),
                )
            )
            .order_by(Document.id)
        )
    )
    consents = list(
        session.scalars(select(Consent).where(Consent.contact_id.in_(ids)).order_by(Consent.at, Consent.id))
    )
    trail = list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.object_type == "contacts", AuditLog.object_id.in_(ids))
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
    domain = email_domain(address)
    never_log = list(
        session.scalars(select(NeverLog).where(NeverLog.pattern.in_([address, domain or address])))
    )
    unsubscribed = session.scalar(select(Unsubscribe).where(Unsubscribe.email_lower == address))

    def mail_record(mail: EmailMessage) -> dict[str, Any]:
        record = model_to_dict(mail)
        try:
            record["raw_base64"] = base64.b64encode(store.read(mail.raw_sha256)).decode("ascii")
        except (OSError, KeyError, ValueError) as exc:
            record["raw_error"] = f"original not readable: {exc}"
        return record

    result = {
        "format": FORMAT,
        "email": address,
        "exported_at": now.isoformat(),
        "contacts": [
            {
                **model_to_dict(c),
                "thirdparty": c.thirdparty.name if c.thirdparty is not None else None,
                "extra_emails": [e.email for e in c.extra_emails],
            }
            for c in contacts
        ],
        "consents": [model_to_dict(c) for c in consents],
        "activities": [
            {
                **model_to_dict(a),
                "thirdparty": a.thirdparty.name if a.thirdparty is not None else None,
                "attendees": [
                    at.contact.full_name if at.contact is not None else (at.user.name if at.user else None)
                    for at in a.attendees
                ],
            }
            for a in activities
        ],
        "emails": [mail_record(m) for m in mails],
        "documents": [_document(d, store) for d in documents],
        "unsubscribed": model_to_dict(unsubscribed) if unsubscribed is not None else None,
        "never_log": [model_to_dict(n) for n in never_log],
        "audit": [model_to_dict(a) for a in trail],
    }
    for contact_id in ids or [0]:
        audit.record(
            session,
            "export",
            "contacts",
            contact_id,
            summary=f"GDPR export for {address}",
            after={"email": address, "activities": len(activities), "emails": len(mails)},
            at=now,
        )
    session.flush()
    return result


def never_log_add(session: Session, pattern: str, *, reason: str | None, user_id: int | None) -> NeverLog:
    """Never archive mail with this address, or with anyone at this domain ("@example.com" or
    "example.com")."""
    text = pattern.strip().lower().removeprefix("@")
    address = normalize_email(text) if "@" in text else None
    if address is not None:
        kind, value = "address", address
    elif text and "." in text and " " not in text and "@" not in text:
        kind, value = "domain", text
    else:
        raise GdprError(f"{pattern!r} is neither an email address nor a domain")
    existing = session.scalar(select(NeverLog).where(NeverLog.pattern == value))
    if existing is not None:
        return existing
    row = NeverLog(pattern=value, kind=kind, reason=reason, created_by_id=user_id)
    session.add(row)
    session.flush()
    return row


def never_log_remove(session: Session, pattern: str) -> bool:
    value = pattern.strip().lower().removeprefix("@")
    row = session.scalar(select(NeverLog).where(NeverLog.pattern == (normalize_email(value) or value)))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def never_log_list(session: Session, *, created_by: int | None = None) -> list[NeverLog]:
    """Every entry, or only those *created_by* that user."""
    stmt = select(NeverLog).order_by(NeverLog.kind, NeverLog.pattern)
    if created_by is not None:
        stmt = stmt.where(NeverLog.created_by_id == created_by)
    return list(session.scalars(stmt))
