"""Processing a received mail: parse, check, route, file it as an agenda event, and say what happened.

One unit of work per mail. The row is claimed with a conditional update, so two workers never file the
same mail. What the sender should be told is returned as notices, sent after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.crm.activities import Source, log_activity
from bot.crm.audit import act_as, current_actor
from bot.crm.mail import replies
from bot.crm.mail.participants import MailSettings, Parties, parties, read_envelope
from bot.crm.mail.routing import Route, Router, contacts_named
from bot.crm.matching import FuzzyNames, Matcher
from bot.crm.models import (
    Activity,
    ActivityType,
    Document,
    EmailMessage,
    EmailStatus,
    Percent,
    ThirdParty,
    User,
)
from bot.crm.rights import scope_of
from bot.normalize import fold
from bot.parsers.email import EmailParseError, ParsedEmail, parse_email
from storage import DocumentStore

log = logging.getLogger(__name__)

# The first line of a reply to a receipt that takes the mail out of the history again (folded).
_UNDO_WORDS = frozenset(
    fold(w) for w in ("undo", "delete", "remove", "rückgängig", "löschen", "entfernen", "nicht ablegen")
)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell a user about a mail (sent after the commit): filed, unresolved, held, new people."""

    user_id: int
    # receipt | unresolved | held | new_people | filed_by_reply | reply_unknown | unfiled | reply_action
    kind: str
    email_id: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    email_id: int
    status: str  # archived | duplicate | unresolved | skipped | rejected | held | (not processed: "")
    reason: str = ""
    thirdparty: tuple[int, str] | None = None
    contacts: list[str] = field(default_factory=list)
    activity_id: int | None = None
    message_id: str | None = None
    notices: list[Notice] = field(default_factory=list)
    failed: bool = False  # filing raised: the mail stays received and is tried again

    def as_report(self) -> dict[str, Any]:
        """One line of the ``crmbot import eml --json`` report (DESIGN.md §6)."""
        return {
            "message_id": self.message_id,
            "status": self.status,
            "thirdparty": {"id": self.thirdparty[0], "name": self.thirdparty[1]} if self.thirdparty else None,
            "contacts": self.contacts,
            "event": {"type": "activity", "id": self.activity_id} if self.activity_id else None,
            "reason": self.reason,
        }


# Every mail runs these: built once, with bound parameters (see docs/architecture.md, "hot statements").
@cache
def _claim_statement() -> Any:
    return (
        update(EmailMessage)
        .where(EmailMessage.id == bindparam("email_id"), EmailMessage.status == EmailStatus.RECEIVED)
        .values(attempts=EmailMessage.attempts + 1)
        .returning(EmailMessage)
    )


def _claim(session: Session, email_id: int) -> EmailMessage | None:
    """Take the row for this worker (and load it, in the same statement); None when another has it or
    it is done."""
    return session.scalars(_claim_statement(), {"email_id": email_id}).one_or_none()


def _fill_headers(row: EmailMessage, parsed: ParsedEmail) -> None:
    row.message_id = parsed.message_id[:998] if parsed.message_id else None
    row.in_reply_to = parsed.in_reply_to[:998] if parsed.in_reply_to else None
    row.reference_ids = " ".join(parsed.references) or None
    row.thread_id = (
        parsed.references[0] if parsed.references else parsed.in_reply_to or parsed.message_id
    ) or None
    row.subject = parsed.subject[:998] if parsed.subject else None
    row.from_addr = parsed.sender.email if parsed.sender else None
    row.to_addrs = ", ".join(str(a) for a in parsed.to) or None
    row.cc_addrs = ", ".join(str(a) for a in parsed.cc) or None
    row.sent_at = parsed.date


def _finish(row: EmailMessage, status: str, reason: str, rule: str | None = None) -> None:
    row.status = status
    row.routing_reason = reason
    row.routing_rule = rule


@cache
def _by_message_id() -> Select[Activity]:
    return select(Activity).where(Activity.email_message_id == bindparam("message_id"))


@cache
def _archived_same_bytes() -> Select[int | None]:
    return (
        select(EmailMessage.activity_id)
        .where(
            EmailMessage.raw_sha256 == bindparam("sha256"),
            EmailMessage.status == EmailStatus.ARCHIVED,
            EmailMessage.id != bindparam("email_id"),
        )
        .limit(1)
    )


def _duplicate(session: Session, row: EmailMessage, parsed: ParsedEmail) -> Activity | None:
    """The archived event of the same mail (same Message-ID, or the same bytes when it has none)."""
    if parsed.message_id:
        found = session.scalar(_by_message_id(), {"message_id": parsed.message_id[:998]})
        if found is not None:
            return found
    earlier = session.scalar(_archived_same_bytes(), {"sha256": row.raw_sha256, "email_id": row.id})
    return session.get(Activity, earlier) if earlier else None


@cache
def _recent_between(no_recipients: bool) -> Select[int]:
    same_to = (
        EmailMessage.to_addrs.is_(None) if no_recipients else EmailMessage.to_addrs == bindparam("to_addrs")
    )
    return (
        select(func.count())
        .select_from(EmailMessage)
        .where(
            EmailMessage.from_addr == bindparam("from_addr"),
            same_to,
            EmailMessage.received_at >= bindparam("since"),
            EmailMessage.id != bindparam("email_id"),
            EmailMessage.status.not_in([EmailStatus.SKIPPED, EmailStatus.REJECTED]),
        )
    )


def _looping(session: Session, row: EmailMessage, settings: MailSettings, now: datetime) -> bool:
    """Too many mails between the same sender and the same recipients lately: a mail loop, not a busy user.

    Counting per sender alone would hold the 21st customer mail a salesperson BCCs in two hours; a loop (an
    auto-responder answering our notices, a rule forwarding back and forth) always repeats the same pair.
    """
    if not row.from_addr:
        return False
    params = {
        "from_addr": row.from_addr,
        "to_addrs": row.to_addrs,
        "since": now - timedelta(minutes=settings.loop_window_minutes),
        "email_id": row.id,
    }
    count = session.scalar(_recent_between(row.to_addrs is None), params)
    return (count or 0) >= settings.loop_limit


class MailProcessor:
    def __init__(
        self, settings: MailSettings, documents: DocumentStore, fuzzy: FuzzyNames | None = None
    ) -> None:
        self.settings = settings
        self.documents = documents
        self.fuzzy = fuzzy or FuzzyNames()

    def process(self, session: Session, email_id: int, now: datetime, *, loop_guard: bool = True) -> Outcome:
        row = _claim(session, email_id)
        if row is None:
            return Outcome(email_id, "", "already processed or taken by another worker")
        if row.raw_size > self.settings.max_bytes:  # kept in the document store, never parsed
            log.info("mail %s: %d bytes, over the limit: rejected", row.id, row.raw_size)
            too_large = f"too large: {row.raw_size} bytes, at most {self.settings.max_bytes}"
            return self._end(row, Outcome(email_id, ""), EmailStatus.REJECTED, too_large)
        raw = self.documents.read(row.raw_sha256)
        try:
            parsed = parse_email(raw, inline_images=self.settings.inline_images)
        except EmailParseError as error:  # kept in the document store; the row says why it went no further
            return self._end(
                row, Outcome(email_id, ""), EmailStatus.REJECTED, f"not an email message: {error}"
            )
        _fill_headers(row, parsed)
        outcome = Outcome(email_id, "", message_id=row.message_id)
        if parsed.auto_reason:
            return self._end(row, outcome, EmailStatus.SKIPPED, f"{parsed.auto_reason}: not archived")
        envelope = read_envelope(raw, tuple(filter(None, (row.envelope_to or "").split(","))))
        forced = session.get(User, row.submitted_by_id) if row.submitted_by_id else None
        found = parties(session, parsed, envelope, self.settings, forced=forced)
        if found.submitter is None:
            log.info("mail %s from a sender who is not a user: dropped", row.id)
            return self._end(row, outcome, EmailStatus.REJECTED, "sender is not a registered user")
        row.submitted_by_id = found.submitter.id
        row.direction = found.direction
        act_as(session, replace(current_actor(session), user_id=found.submitter.id))  # audited as the user
        if loop_guard and _looping(session, row, self.settings, now):
            outcome.notices.append(Notice(found.submitter.id, "held", row.id, {"sender": row.from_addr}))
            return self._end(row, outcome, EmailStatus.HELD, "loop guard: too many mails from this sender")
        answered = replies.answer(session, found.submitter, parsed.in_reply_to, parsed.first_line, now)
        if answered is not None:  # "done" / "tomorrow 2" in reply to a reminder or digest mail
            outcome.notices.append(
                Notice(
                    found.submitter.id,
                    "reply_action",
                    row.id,
                    {"subject": answered.subject, "text": answered.text},
                )
            )
            return self._end(row, outcome, EmailStatus.SKIPPED, "answer to a reminder or digest")
        instruction = self._filing_instruction(session, row, parsed, found, now, outcome)
        if instruction is not None:
            return instruction
        earlier = _duplicate(session, row, parsed)
        if earlier is not None:
            row.activity_id, row.thirdparty_id = earlier.id, earlier.thirdparty_id
            outcome.activity_id = earlier.id
            return self._end(row, outcome, EmailStatus.DUPLICATE, "already archived")
        if not found.people and not parsed.invites:
            why = {r for _, r in found.removed} or {"internal"}
            reason = "never-log list" if why == {"never-log"} else "only internal participants"
            return self._end(row, outcome, EmailStatus.SKIPPED, f"{reason}: not archived")
        matcher = Matcher.for_scope(session, self.fuzzy, scope_of(session, found.submitter))
        route = Router(session, matcher, self.settings).route(parsed, envelope, found)
        if not route.decided:
            row.candidates = [{"id": c.id, "name": c.name, "reason": c.reason} for c in route.candidates]
            outcome.notices.append(
                Notice(
                    found.submitter.id,
                    "unresolved",
                    row.id,
                    {
                        "subject": parsed.subject,
                        "candidates": row.candidates,
                        "rule": route.rule,
                    },
                )
            )
            return self._end(row, outcome, EmailStatus.UNRESOLVED, route.reason, route.rule)
        self.file(session, row, parsed, found, route, now, outcome)
        return outcome

    def _filing_instruction(
        self,
        session: Session,
        row: EmailMessage,
        parsed: ParsedEmail,
        found: Parties,
        now: datetime,
        outcome: Outcome,
    ) -> Outcome | None:
        """A reply to one of our mails about a mail, by its first line.

        To "where should I file it?": the company's name files it. To a receipt: another company's name moves
        the mail there (Change), "undo"/"rückgängig" takes it out of the history (Undo).
        """
        if not parsed.in_reply_to or found.submitter is None:
            return None
        original = session.scalar(
            select(EmailMessage).where(
                EmailMessage.notice_message_id == parsed.in_reply_to[:998],
                EmailMessage.submitted_by_id == found.submitter.id,
            )
        )
        if original is None:
            return None
        name = (parsed.first_line or "").strip(" .!:")
        if original.status == EmailStatus.ARCHIVED and fold(name) in _UNDO_WORDS:  # a reply to a receipt
            self.unfile(session, original.id)
            _finish(original, EmailStatus.SKIPPED, "filing undone by the user")
            notice = Notice(found.submitter.id, "unfiled", original.id, {"subject": original.subject or "…"})
            outcome.notices.append(notice)
            return self._end(
                row, outcome, EmailStatus.SKIPPED, f"filing instruction: undid mail {original.id}"
            )
        if original.status not in (EmailStatus.UNRESOLVED, EmailStatus.ARCHIVED):
            return self._end(
                row, outcome, EmailStatus.SKIPPED, "filing instruction for a mail already dealt with"
            )
        matcher = Matcher.for_scope(session, self.fuzzy, scope_of(session, found.submitter))
        best = matcher.thirdparty_by_name(name).best if name else None
        if best is None or best.reason == "fuzzy":
            outcome.notices.append(Notice(found.submitter.id, "reply_unknown", original.id, {"name": name}))
            return self._end(row, outcome, EmailStatus.SKIPPED, f"filing instruction: no company “{name}”")
        if original.status == EmailStatus.ARCHIVED:  # "change": out of the old company's history first
            self.unfile(session, original.id)
            original.status = EmailStatus.UNRESOLVED
        filed = self.assign(session, original.id, best.id, now)
        outcome.notices.append(
            Notice(
                found.submitter.id,
                "filed_by_reply",
                original.id,
                {
                    "subject": original.subject or "…",
                    "thirdparty": best.name,
                },
            )
        )
        outcome.thirdparty, outcome.activity_id = (best.id, best.name), filed.activity_id
        return self._end(row, outcome, EmailStatus.SKIPPED, f"filing instruction: filed mail {original.id}")

    def unfile(self, session: Session, email_id: int) -> None:
        """Take a filed mail out of the history: its event, the meetings its invites created, their documents.

        The raw mail and its row stay (the row's status says what happened next); the audit log keeps what
        was deleted.
        """
        row = session.get(EmailMessage, email_id)
        if row is None or row.status != EmailStatus.ARCHIVED:
            raise ValueError(f"mail {email_id} is not filed")
        events = list(
            session.scalars(
                select(Activity).where(Activity.channel == "email", Activity.source_message_id == str(row.id))
            )
        )
        ids = [event.id for event in events]
        for document in session.scalars(
            select(Document).where(Document.owner_type == "activity", Document.owner_id.in_(ids))
        ):
            session.delete(document)
        for event in events:
            session.delete(event)
        row.activity_id, row.thirdparty_id, row.contact_ids = None, None, None
        session.flush()  # before a new event takes the same Message-ID

    def release(self, session: Session, email_id: int, now: datetime) -> Outcome:
        """Route a mail the loop guard held as if it had just arrived, without the guard."""
        row = session.get(EmailMessage, email_id)
        if row is None or row.status != EmailStatus.HELD:
            raise ValueError(f"mail {email_id} is not held")
        row.status = EmailStatus.RECEIVED
        session.flush()
        return self.process(session, email_id, now, loop_guard=False)

    def assign(self, session: Session, email_id: int, thirdparty_id: int, now: datetime) -> Outcome:
        """File an unresolved mail under the third party the user chose (chat, reply mail or CLI)."""
        row = session.get(EmailMessage, email_id)
        if row is None or row.status not in (EmailStatus.UNRESOLVED, EmailStatus.HELD):
            raise ValueError(f"mail {email_id} is not waiting to be filed")
        raw = self.documents.read(row.raw_sha256)
        parsed = parse_email(raw, inline_images=self.settings.inline_images)
        envelope = read_envelope(raw, tuple(filter(None, (row.envelope_to or "").split(","))))
        forced = session.get(User, row.submitted_by_id) if row.submitted_by_id else None
        found = parties(session, parsed, envelope, self.settings, forced=forced)
        if found.submitter is None:
            raise ValueError(f"mail {email_id} has no registered sender")
        matcher = Matcher(session, self.fuzzy)
        router = Router(session, matcher, self.settings)
        route = router.decided("chosen", "chosen by the user", thirdparty_id, found)
        outcome = Outcome(email_id, "", message_id=row.message_id)
        self.file(session, row, parsed, found, route, now, outcome)
        row.candidates = None
        return outcome

    def _end(
        self, row: EmailMessage, outcome: Outcome, status: str, reason: str, rule: str | None = None
    ) -> Outcome:
        _finish(row, status, reason, rule)
        outcome.status, outcome.reason = status, reason
        return outcome

    def file(
        self,
        session: Session,
        row: EmailMessage,
        parsed: ParsedEmail,
        found: Parties,
        route: Route,
        now: datetime,
        outcome: Outcome,
    ) -> Activity:
        """Archive the mail on the routed third party: the event, its attendees, documents and invites."""
        assert route.thirdparty_id is not None
        assert found.submitter is not None
        tp = session.get(ThirdParty, route.thirdparty_id)
        assert tp is not None
        contacts = contacts_named(session, route.contact_ids)
        type_code = ActivityType.EMAIL if found.direction == "out" else ActivityType.EMAIL_IN
        activity = log_activity(
            session,
            type_code=type_code,
            label=(parsed.subject or "(no subject)")[:255],
            body=parsed.summary or None,
            start_at=parsed.date or row.received_at,
            owner=found.submitter,
            thirdparty=tp,
            contacts=contacts,
            percent=Percent.NOT_APPLICABLE,
            source=Source("email", str(row.id)),
            email_message_id=row.message_id,
            email_from=row.from_addr,
            email_to=row.to_addrs,
            email_cc=row.cc_addrs,
            email_subject=row.subject,
        )
        self._attach(session, parsed, activity, tp, found.submitter)
        from bot.crm.mail.invites import apply_invites

        apply_invites(session, parsed, tp, contacts, found.submitter, row, now)
        row.activity_id, row.thirdparty_id = activity.id, tp.id
        row.contact_ids = [c.id for c in contacts]
        _finish(row, EmailStatus.ARCHIVED, route.reason, route.rule)
        outcome.status, outcome.reason = EmailStatus.ARCHIVED, route.reason
        outcome.thirdparty = (tp.id, tp.name)
        outcome.contacts = [c.full_name for c in contacts]
        outcome.activity_id = activity.id
        user: User = found.submitter
        if user.mail_receipts:
            outcome.notices.append(
                Notice(
                    user.id,
                    "receipt",
                    row.id,
                    {
                        "thirdparty": tp.name,
                        "contacts": outcome.contacts,
                        "rule": route.rule,
                        "detail": route.detail,
                    },
                )
            )
        if route.unknown_people:
            outcome.notices.append(
                Notice(
                    user.id,
                    "new_people",
                    row.id,
                    {
                        "thirdparty": tp.name,
                        "thirdparty_id": tp.id,
                        "people": [{"email": p.email, "name": p.name} for p in route.unknown_people],
                    },
                )
            )
        return activity

    def _attach(
        self, session: Session, parsed: ParsedEmail, activity: Activity, tp: ThirdParty, user: User
    ) -> None:
        for part in parsed.attachments:
            stored = self.documents.put(part.data)
            session.add(
                Document(
                    sha256=stored.sha256,
                    filename=part.filename[:255],
                    mime_type=part.mime_type[:127],
                    size=stored.size,
                    owner_type="activity",
                    owner_id=activity.id,
                    thirdparty_id=tp.id,
                    created_by_id=user.id,
                )
            )
