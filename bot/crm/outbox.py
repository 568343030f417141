"""The outbox: mail a handler decided to send (calendar invitations, their updates and cancellations),
queued in the same transaction as the change it belongs to and sent by a worker after the commit.

A rolled-back transaction leaves no row, so nothing goes out for a change that did not happen. The worker
claims, marks sent and retries as every send queue does (:mod:`bot.crm.claims`); a row still pending can
be cancelled and is then never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.crm import claims
from bot.crm.models import OutboxMail, SendStatus


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed mail, ready to send: the bytes and the envelope."""

    id: int
    kind: str
    message: bytes
    mail_from: str
    recipients: tuple[str, ...]


def queue(
    session: Session,
    message: EmailMessage,
    *,
    kind: str,
    mail_from: str,
    recipients: Sequence[str],
    user_id: int | None,
    activity_id: int | None,
) -> OutboxMail:
    """Add *message* to the outbox; it goes out after the caller's commit, never if it rolls back."""
    row = OutboxMail(
        kind=kind,
        user_id=user_id,
        activity_id=activity_id,
        mail_from=mail_from,
        recipients=", ".join(recipients),
        subject=str(message.get("Subject", ""))[:998],
        message_id=str(message.get("Message-ID", ""))[:998],
        message=bytes(message),
        status=SendStatus.PENDING,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def recipients_of(row: OutboxMail) -> tuple[str, ...]:
    return tuple(r.strip() for r in row.recipients.split(",") if r.strip())


def claim_due(session: Session, *, now: datetime, worker: str, limit: int = 50) -> list[Claimed]:
    """Claim up to *limit* mails to send for *worker*; each row is claimed by exactly one caller. The
    caller commits right after, before sending."""
    claims.give_back_stale(session, OutboxMail, now)
    candidates = session.execute(
        select(OutboxMail.id, OutboxMail.attempts, OutboxMail.claimed_at)
        .where(OutboxMail.status == SendStatus.PENDING)
        .order_by(OutboxMail.id)
        .limit(limit * 2)
    ).all()
    claimed: list[Claimed] = []
    for row in candidates:
        if not claims.ready(row.attempts, row.claimed_at, now):
            continue
        if claims.claim(session, OutboxMail, row.id, now=now, worker=worker):
            mail = session.get(OutboxMail, row.id)
            assert mail is not None
            claimed.append(Claimed(mail.id, mail.kind, mail.message, mail.mail_from, recipients_of(mail)))
            if len(claimed) >= limit:
                break
    return claimed


def waiting(session: Session) -> int:
    """How many mails wait to be sent (pending, whatever their backoff)."""
    count = session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == SendStatus.PENDING)
    )
    return int(count or 0)


def mark_sent(session: Session, mail_id: int, *, now: datetime, worker: str) -> bool:
    """Record the delivery; False when the claim was lost meanwhile (given back as stale, or cancelled)."""
    row = session.get(OutboxMail, mail_id)
    if row is None or not claims.record_sent(row, now=now, worker=worker):
        return False
    session.flush()
    return True


def mark_failed(session: Session, mail_id: int, *, now: datetime, error: str) -> None:
    """Give the claim back for a retry after backoff; after MAX_ATTEMPTS the mail is failed."""
    claims.fail(session, OutboxMail, mail_id, now=now, error=error)


def for_activity(session: Session, activity_id: int, kinds: Sequence[str]) -> list[OutboxMail]:
    """The activity's outbox mails of *kinds*, oldest first."""
    return list(
        session.scalars(
            select(OutboxMail)
            .where(OutboxMail.activity_id == activity_id, OutboxMail.kind.in_(kinds))
            .order_by(OutboxMail.id)
            .execution_options(populate_existing=True)  # the sender changes them in its own transactions
        )
    )


def cancel_unsent(session: Session, mail_id: int, *, only_pending: bool = False) -> str | None:
    """Withdraw a mail that has not gone out: pending (unless *only_pending*, also one being sent, whose
    outcome is then ignored) becomes cancelled. Returns the status it had, or None when it was past that
    (sent, failed, already cancelled)."""
    statuses = (SendStatus.PENDING,) if only_pending else (SendStatus.PENDING, SendStatus.SENDING)
    for status in statuses:
        result = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.status == status)
            .values(status=SendStatus.CANCELLED)
            .execution_options(synchronize_session="fetch")
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return str(status)
    return None
