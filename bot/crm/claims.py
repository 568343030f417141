"""Claiming the rows of a send queue exactly once across processes (DESIGN.md §5), for any queue whose rows
carry ``status``, ``attempts``, ``claimed_by``, ``claimed_at``, ``sent_at`` and ``last_error`` (reminders,
outbox mail, digest runs).

A sender claims a row with a conditional update (``status = 'pending'`` → ``'sending'`` with its worker id);
only the one whose update changed the row sends. Sending happens outside any transaction; then the row is
marked sent, or given back for a retry after a backoff (30 s, 2, 10, 30 min) and failed after
``MAX_ATTEMPTS``. A claim older than ``STALE_CLAIM`` (the sender died mid-send) is given back, so a crash
delays a row but never loses it; a crash between the send and the mark can repeat it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.crm.models import DigestRun, OutboxMail, Reminder, SendStatus

STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))

Queued = Reminder | OutboxMail | DigestRun


def retry_at(attempts: int, last_try: datetime) -> datetime:
    """When a row that failed *attempts* times, the last at *last_try*, may be tried again."""
    return last_try + BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else last_try


def ready(attempts: int, last_try: datetime | None, now: datetime) -> bool:
    """A row never tried, or one whose backoff has passed."""
    return not attempts or last_try is None or retry_at(attempts, last_try) <= now


def give_back_stale(session: Session, model: type[Queued], now: datetime) -> None:
    """Claims older than STALE_CLAIM (a sender that died) become pending again."""
    session.execute(
        update(model)
        .where(model.status == SendStatus.SENDING, model.claimed_at < now - STALE_CLAIM)
        .values(status=SendStatus.PENDING)
    )


def claim(session: Session, model: type[Queued], row_id: int, *, now: datetime, worker: str) -> bool:
    """Take one pending row for *worker*; False when another sender (or a cancellation) was first."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.status == SendStatus.PENDING)
        .values(status=SendStatus.SENDING, claimed_by=worker[:64], claimed_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_sent(row: Queued, *, now: datetime, worker: str) -> bool:
    """Mark *row* sent; False when the claim was lost meanwhile (given back as stale, or cancelled)."""
    if row.status != SendStatus.SENDING or row.claimed_by != worker[:64]:
        return False
    row.status = SendStatus.SENT
    row.sent_at = now
    row.attempts += 1
    return True


def record_failure(row: Queued, *, now: datetime, error: str) -> None:
    """Give the claim back for a retry after backoff; after MAX_ATTEMPTS the row is failed."""
    if row.status != SendStatus.SENDING:
        return
    row.attempts += 1
    row.last_error = error[:1000]
    row.claimed_at = now
    row.status = SendStatus.FAILED if row.attempts >= MAX_ATTEMPTS else SendStatus.PENDING


def fail(session: Session, model: type[Queued], row_id: int, *, now: datetime, error: str) -> None:
    """record_failure for the row *row_id* of *model* (gone: nothing to do)."""
    row = cast("Queued | None", session.get(model, row_id))
    if row is not None:
        record_failure(row, now=now, error=error)
        session.flush()
