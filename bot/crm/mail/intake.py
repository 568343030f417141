"""Intake: keep every arriving mail durably before anything is decided about it.

``GroupIntake.receive`` writes the raw bytes to the document store (written, fsynced, renamed) and
commits a ``received`` row (with the other mails arriving at that moment). Only then may SMTP answer
250 or IMAP mark the message: a crash after that point loses nothing, because processing starts from
the stored copy and unfinished rows are picked up on restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.crm.models import EmailMessage, EmailStatus
from bot.messages import RawMail
from storage import DocumentStore, UnitOfWork


@dataclass(frozen=True, slots=True)
class Received:
    email_id: int
    sha256: str


def _row(raw: RawMail, sha256: str, size: int, submitted_by: int | None) -> EmailMessage:
    return EmailMessage(
        status=EmailStatus.RECEIVED,
        received_at=raw.received_at,
        received_via=raw.received_via,
        envelope_from=(raw.envelope_from or None) and raw.envelope_from[:320],
        envelope_to=",".join(raw.envelope_to) or None,
        source=raw.source[:255] if raw.source else None,
        raw_sha256=sha256,
        raw_size=size,
        submitted_by_id=submitted_by,
    )


@dataclass(eq=False, slots=True)
class _Waiting:
    row: EmailMessage
    sha256: str
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    error: BaseException | None = None


class GroupIntake:
    """``receive`` for many threads at once (the SMTP sessions, IMAP accounts): mails that arrive while
    a transaction is committing are committed together in the next one (group commit).

    Each caller still returns only after its own row is committed, and a failed commit fails every mail
    in it (each sender gets its 451 and keeps the mail). The raw bytes are stored (and fsynced) by each
    caller in parallel before it queues. The first caller of a batch commits it and hands the next batch
    to the first mail waiting, so nobody commits other people's mail for ever while its own answer waits.
    On SQLite the write lock is then taken once per batch instead of once per mail.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork], documents: DocumentStore) -> None:
        self.uow_factory = uow_factory
        self.documents = documents
        self._mutex = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False
        self._in_flight = 0
        self.transactions = 0  # how many commits intake took (for the benchmarks and tests)

    @property
    def in_flight(self) -> int:
        """Mails being received right now (stored, queued or committing): their senders are waiting."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Mails stored and queued for the next commit."""
        with self._mutex:
            return len(self._queue)

    def receive(self, raw: RawMail, *, submitted_by: int | None = None) -> Received:
        """Store *raw* and record it as received (committed). Raises when either cannot be done.

        *submitted_by* files the mail as that user's (``crmbot import eml --as``) whoever sent it.
        """
        with self._mutex:
            self._in_flight += 1
        try:
            return self._receive(raw, submitted_by)
        finally:
            with self._mutex:
                self._in_flight -= 1

    def _receive(self, raw: RawMail, submitted_by: int | None) -> Received:
        stored = self.documents.put(raw.data)
        me = _Waiting(_row(raw, stored.sha256, stored.size, submitted_by), stored.sha256)
        with self._mutex:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.leads = True
        while not me.done:
            if me.leads:
                self._lead()
            else:
                me.woken.wait()
                me.woken.clear()
        if me.error is not None:
            raise me.error
        return Received(me.row.id, me.sha256)

    def _lead(self) -> None:
        with self._mutex:
            batch, self._queue = self._queue, []
        try:
            with self.uow_factory() as uow:
                uow.session.add_all([w.row for w in batch])
                uow.commit()
            self.transactions += 1
        except BaseException as exc:  # every mail of the batch gets it: its sender retries
            for waiting in batch:
                waiting.error = exc
        with self._mutex:
            if self._queue:
                self._queue[0].leads = True
                self._queue[0].woken.set()
            else:
                self._busy = False
        for waiting in batch:
            waiting.done = True
            waiting.woken.set()


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
