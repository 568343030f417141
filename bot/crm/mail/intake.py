"""Intake: keep every arriving mail durably before anything is decided about it.

``receive`` writes the raw bytes to the document store (written, fsynced, renamed) and commits a
``received`` row. Only then may SMTP answer 250 or IMAP mark the message: a crash after that point loses
nothing, because processing starts from the stored copy and unfinished rows are picked up on restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.crm.models import EmailMessage, EmailStatus
from bot.messages import RawMail
from storage import DocumentStore, UnitOfWork


@dataclass(frozen=True, slots=True)
class Received:
    email_id: int
    sha256: str


def receive(
    raw: RawMail,
    uow_factory: Callable[[], UnitOfWork],
    documents: DocumentStore,
    *,
    submitted_by: int | None = None,
) -> Received:
    """Store *raw* and record it as received (committed). Raises when either cannot be done.

    *submitted_by* files the mail as that user's (``crmbot import eml --as``) whoever sent it.
    """
    stored = documents.put(raw.data)
    with uow_factory() as uow:
        row = EmailMessage(
            status=EmailStatus.RECEIVED,
            received_at=raw.received_at,
            received_via=raw.received_via,
            envelope_from=(raw.envelope_from or None) and raw.envelope_from[:320],
            envelope_to=",".join(raw.envelope_to) or None,
            source=raw.source[:255] if raw.source else None,
            raw_sha256=stored.sha256,
            raw_size=stored.size,
            submitted_by_id=submitted_by,
        )
        uow.session.add(row)
        uow.commit()
        return Received(row.id, stored.sha256)


def pending_ids(uow_factory: Callable[[], UnitOfWork], limit: int = 1000) -> list[int]:
    """Received mail not processed yet (oldest first): what a restart has to finish."""
    with uow_factory() as uow:
        return list(
            uow.session.scalars(
                select(EmailMessage.id)
                .where(EmailMessage.status == EmailStatus.RECEIVED)
                .order_by(EmailMessage.id)
                .limit(limit)
            )
        )
