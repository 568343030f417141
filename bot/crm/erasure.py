"""The mechanics of taking a person out of the database and the document store (for bot.crm.anonymize):
their mail and its stored originals, their events' texts, their documents, every other row that writes
their full name or address, and the audit trail. What counts as the person's is decided by the caller.

Stored files are deleted only after the commit and only when no row refers to their bytes any more (the
store is content-addressed: one file may serve several documents or mails).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Text, cast, event, func, or_, select
from sqlalchemy.orm import Session

from bot.crm import audit
from bot.crm.gdpr import never_log_add
from bot.crm.models import (
    Activity,
    ActivityType,
    AuditLog,
    Consent,
    Contact,
    Contract,
    Document,
    EmailMessage,
    Invoice,
    NeverLog,
    Order,
    OutboxMail,
    PendingQuestion,
    ProcessedMessage,
    Project,
    Quote,
    Reminder,
    SendStatus,
    Task,
    ThirdParty,
    Ticket,
)
from bot.crm.redaction import Redactor, like_terms, redact_mail
from storage import DocumentStore

log = logging.getLogger(__name__)

CHUNK = 500
SUPPRESSION_REASON = "GDPR anonymisation"  # the never-log entries an anonymisation adds start with this
_PURGE_KEY = "crmbot.erasure.purge"
_EMAIL_TYPES = (ActivityType.EMAIL, ActivityType.EMAIL_IN)
_MAIL_COLUMNS = (
    "subject", "from_addr", "to_addrs", "cc_addrs", "envelope_from", "envelope_to", "routing_reason",
    "source", "candidates",
)  # fmt: skip
# Address lists ("Max Mustermann" <max@acme.example>, …): the person's display name goes with the address.
_ADDRESS_COLUMNS = frozenset({"to_addrs", "cc_addrs", "email_to", "email_cc"})
# Where a person's name or address may be written.
TEXT_COLUMNS: dict[type[Any], tuple[str, ...]] = {
    Activity: ("label", "body", "location", "email_from", "email_to", "email_cc", "email_subject"),
    Reminder: ("message",),
    EmailMessage: _MAIL_COLUMNS,
    OutboxMail: ("recipients", "subject"),
    Ticket: ("subject", "message", "origin_email"),
    Project: ("title", "description"),
    Task: ("label", "description"),
    Quote: ("ref_client", "note_public", "note_private"),
    Order: ("ref_client", "note_public", "note_private"),
    Invoice: ("ref_client", "note_public", "note_private"),
    Contract: ("ref_client", "note_public", "note_private"),
    ThirdParty: ("note_public", "note_private"),
    Contact: ("note_public", "note_private"),
    Consent: ("source", "note"),
    Document: ("filename", "description"),
    ProcessedMessage: ("result",),
}


@dataclass
class Person:
    """Whom to take out: what identifies them, the rows that are theirs (table -> ids; there the first or
    last name alone is replaced too), and the audit values of their own record to overwrite with what the
    record holds now (the matching keys are folded, "muller" for "Müller": no text rule finds them)."""

    redactor: Redactor
    own: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    fixed: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def is_own(self, table: str, row_id: int) -> bool:
        return row_id in self.own.get(table, ())


def chunks(ids: Iterable[int]) -> list[list[int]]:
    values = sorted(set(ids))
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def assign(obj: Any, name: str, value: Any) -> bool:
    """Set a column if the value differs, cut to the column's length; True when it changed."""
    length = getattr(obj.__table__.columns[name].type, "length", None)
    if isinstance(value, str) and length:
        value = value[:length]
    if getattr(obj, name) == value:
        return False
    setattr(obj, name, value)
    return True


def address_conditions(addresses: Sequence[str]) -> list[Any]:
    """Mail with any of *addresses* as sender, recipient or envelope sender."""
    columns = (
        EmailMessage.from_addr,
        EmailMessage.to_addrs,
        EmailMessage.cc_addrs,
        EmailMessage.envelope_from,
    )
    return [func.lower(c).contains(a, autoescape=True) for a in addresses for c in columns]


def suppressed(session: Session, address: str) -> bool:
    """Whether *address* is on the never-log list because it was anonymised."""
    reason = session.scalar(select(NeverLog.reason).where(NeverLog.pattern == address))
    return bool(reason and reason.startswith(SUPPRESSION_REASON))


class Eraser:
    def __init__(self, session: Session, store: DocumentStore, now: datetime) -> None:
        self.session = session
        self.store = store
        self.now = now
        self._files: set[str] = set()  # to delete after the commit if nothing refers to them then

    def redact(self, person: Person, rows: Iterable[Any], *, weak: bool = True) -> int:
        """Replace the person in the text columns of *rows*; how many rows changed."""
        changed = 0
        for row in rows:
            touched = False
            for name in TEXT_COLUMNS[type(row)]:
                value = getattr(row, name)
                if value is None:
                    continue
                r = person.redactor
                if not isinstance(value, str):
                    new = r.json(value, weak=weak)
                elif name in _ADDRESS_COLUMNS:
                    new = r.header(value, weak=weak)
                else:
                    new = r.text(value, weak=weak)
                touched |= assign(row, name, new)
            changed += touched
        return changed

    def mails(self, person: Person, conditions: list[Any]) -> tuple[list[EmailMessage], int]:
        """Redact the mail rows matching any of *conditions*, replace their stored originals with a
        stand-in, and withdraw queued mail to the person. Returns the rows changed and the originals
        replaced."""
        if not conditions:
            return [], 0
        found = self.session.scalars(select(EmailMessage).where(or_(*conditions)).order_by(EmailMessage.id))
        mails = list(found)
        replaced: dict[str, tuple[str, int] | None] = {}
        changed = []
        for mail in mails:
            touched = bool(self.redact(person, [mail]))
            if mail.raw_sha256 not in replaced:
                replaced[mail.raw_sha256] = self._stand_in(mail.raw_sha256, person.redactor)
            new = replaced[mail.raw_sha256]
            if new is not None:
                mail.raw_sha256, mail.raw_size = new
                touched = True
            if touched:
                changed.append(mail)
        person.own["email_messages"].update(m.id for m in changed)
        self._outbox(person, {m.activity_id for m in mails if m.activity_id is not None})
        self.session.flush()
        return changed, sum(1 for v in replaced.values() if v is not None)

    def _stand_in(self, sha256: str, redactor: Redactor) -> tuple[str, int] | None:
        try:
            raw = self.store.read(sha256)
        except (OSError, ValueError):
            log.warning("stored mail %s not readable: left as it is", sha256)
            return None
        stand_in = redact_mail(raw, redactor, now=self.now)
        if stand_in is None:  # redacted before
            return None
        stored = self.store.put(stand_in)
        self._files.add(sha256)
        return stored.sha256, stored.size

    def _outbox(self, person: Person, activity_ids: set[int]) -> None:
        addresses = person.redactor.addresses
        conditions: list[Any] = [
            func.lower(OutboxMail.recipients).contains(a, autoescape=True) for a in addresses
        ]
        conditions += [OutboxMail.activity_id.in_(c) for c in chunks(activity_ids)]
        if not conditions:
            return
        for outbox in self.session.scalars(select(OutboxMail).where(or_(*conditions))):
            self.redact(person, [outbox])
            stand_in = redact_mail(outbox.message, person.redactor, now=self.now)
            if stand_in is not None:
                outbox.message = stand_in
            if outbox.status == SendStatus.PENDING:  # not sent yet: it never will be
                outbox.status = SendStatus.CANCELLED
                outbox.last_error = "recipient anonymised (GDPR)"

    def events(self, person: Person, activities: Iterable[Activity], mailed: set[int]) -> int:
        """Redact the person's events; a mail's event loses its body (the text of the mail)."""
        changed = 0
        for activity in activities:
            touched = bool(self.redact(person, [activity]))
            if activity.id in mailed or activity.type_code in _EMAIL_TYPES:
                touched |= assign(activity, "body", None)
                person.fixed.setdefault(("activities", activity.id), {})["body"] = None  # in its history too
            changed += touched
        return changed

    def delete_documents(self, person: Person, documents: Iterable[Document]) -> int:
        count = 0
        for document in documents:
            person.own["documents"].add(document.id)
            self._files.add(document.sha256)
            self.session.delete(document)
            count += 1
        self.session.flush()
        return count

    def everywhere(self, person: Person) -> int:
        """Replace the person's full name, addresses and street wherever they are written; drop pending
        questions that offer them as a choice (asked again if need be)."""
        terms = like_terms(person.redactor.strong_terms())
        if not terms:
            return 0
        changed = 0
        for model, names in TEXT_COLUMNS.items():
            columns = [model.__table__.columns[name] for name in names]
            matches = [_text(c).contains(t, autoescape=True) for c in columns for t in terms]
            rows = self.session.scalars(select(model).where(or_(*matches)))
            changed += self.redact(person, rows, weak=False)
        columns = [PendingQuestion.__table__.columns[n] for n in ("intent", "options")]
        matches = [_text(c).contains(t, autoescape=True) for c in columns for t in terms]
        for question in self.session.scalars(select(PendingQuestion).where(or_(*matches))):
            self.session.delete(question)
            changed += 1
        self.session.flush()
        return changed

    def audit(self, person: Person) -> int:
        """Scrub the audit trail of the person's rows (their before/after values) and every entry that
        names them: an undo must not bring the person back, and the log must not keep what was erased."""
        conditions: list[Any] = [
            (AuditLog.object_type == table) & AuditLog.object_id.in_(chunk)
            for table, ids in person.own.items()
            for chunk in chunks(ids)
        ]
        for term in like_terms(person.redactor.strong_terms()):
            columns = (AuditLog.summary, AuditLog.before, AuditLog.after)
            conditions += [_text(c).contains(term, autoescape=True) for c in columns]
        if not conditions:
            return 0
        changed = 0
        for entry in self.session.scalars(select(AuditLog).where(or_(*conditions))):
            weak = person.is_own(entry.object_type, entry.object_id)
            fixed = {
                k: _jsonable(v) for k, v in person.fixed.get((entry.object_type, entry.object_id), {}).items()
            }
            summary = person.redactor.text(entry.summary or "", weak=weak) or None
            before = _scrub(entry.before, fixed, person.redactor, weak=weak)
            after = _scrub(entry.after, fixed, person.redactor, weak=weak)
            if (summary, before, after) != (entry.summary, entry.before, entry.after):
                entry.summary, entry.before, entry.after = summary, before, after
                changed += 1
        self.session.flush()
        return changed

    def suppress(self, addresses: Iterable[str]) -> int:
        """Put *addresses* on the never-log list; how many were added."""
        added = 0
        for address in addresses:
            if self.session.scalar(select(NeverLog.id).where(NeverLog.pattern == address)) is None:
                reason = f"{SUPPRESSION_REASON} on {self.now:%Y-%m-%d}"
                never_log_add(self.session, address, reason=reason, user_id=None)
                added += 1
        return added

    def record(
        self,
        object_type: str,
        object_id: int,
        thirdparty_id: int | None,
        summary: str,
        counts: dict[str, int],
    ) -> None:
        """The ``anonymize`` audit row: what was done and why, no personal data."""
        audit.record(
            self.session,
            "anonymize",
            object_type,
            object_id,
            thirdparty_id=thirdparty_id,
            summary=summary,
            after=counts,
            at=self.now,
        )
        self.session.flush()

    def finish(self) -> int:
        """Schedule the deletion, after the commit, of the stored files no row refers to any more; how
        many."""
        unused = {sha for sha in self._files if not _referenced(self.session, sha)}
        self._files.clear()
        if unused:
            pending: dict[str, DocumentStore] | None = self.session.info.get(_PURGE_KEY)
            if pending is None:
                pending = self.session.info[_PURGE_KEY] = {}
                event.listen(self.session, "after_commit", _purge)
                event.listen(self.session, "after_rollback", _forget)
            pending.update(dict.fromkeys(unused, self.store))
        return len(unused)


def _text(column: Any) -> Any:
    """A column as lower-case text for LIKE (JSON cast to its text)."""
    return func.lower(cast(column, Text) if isinstance(column.type, JSON) else column)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _scrub(
    values: dict[str, Any] | None, fixed: dict[str, Any], redactor: Redactor, *, weak: bool
) -> dict[str, Any] | None:
    """Before/after values of an audit entry: fixed fields as the record holds them now, the rest redacted."""
    if values is None:
        return None
    return {k: fixed[k] if k in fixed else redactor.json(v, weak=weak) for k, v in values.items()}


def _referenced(db: Session | Connection, sha256: str) -> bool:
    document = db.execute(select(Document.id).where(Document.sha256 == sha256).limit(1)).first()
    mail = db.execute(select(EmailMessage.id).where(EmailMessage.raw_sha256 == sha256).limit(1)).first()
    return document is not None or mail is not None


def _forget(session: Session) -> None:
    session.info.get(_PURGE_KEY, {}).clear()


def _purge(session: Session) -> None:
    """After the commit: delete the files still unreferenced (checked again on a connection of its own,
    the session cannot run SQL here)."""
    pending: dict[str, DocumentStore] = session.info.get(_PURGE_KEY, {})
    if not pending:
        return
    work = dict(pending)
    pending.clear()
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.connect().execution_options(sqlite_read_only=True) as conn:
        for sha, store in work.items():
            if _referenced(conn, sha):
                continue
            try:
                store.delete(sha)
            except OSError as exc:
                log.warning("stored file %s not deleted: %s", sha, exc)
