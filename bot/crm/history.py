"""Customer history: last contact, the merged timeline, contacts of a third party and open items.

Plain read queries (Cosmic Python's ``views``). Ties on equal timestamps are broken by the row id, newest
first, so the answer is stable however the database orders equal keys.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session, lazyload

from bot.crm.models import (
    OPEN_TICKET_STATUSES,
    Activity,
    ActivityType,
    Contact,
    Document,
    Invoice,
    InvoiceStatus,
    Order,
    Percent,
    Project,
    Quote,
    QuoteStatus,
    Task,
    Ticket,
)
from bot.crm.rights import events_of

# What counts as "contact with the customer", by kind, and which Dolibarr types make up each kind.
CONTACT_KINDS: dict[str, tuple[str, ...]] = {
    "call": (ActivityType.CALL,),
    "meeting": (ActivityType.MEETING,),
    "email": (ActivityType.EMAIL, ActivityType.EMAIL_IN),
    "note": (ActivityType.NOTE,),
}
_HAPPENED = (Percent.NOT_APPLICABLE, Percent.DONE)


@dataclass(frozen=True, slots=True)
class LastContact:
    latest: Activity | None
    by_kind: dict[str, Activity] = field(default_factory=dict)

    def others(self) -> dict[str, Activity]:
        """The latest of each other kind, when it is not the overall latest."""
        if self.latest is None:
            return {}
        return {k: a for k, a in self.by_kind.items() if a.id != self.latest.id}


# The history of one third party needs neither each event's third party nor its contact row joined in
# (the model's default), nor the attendees loaded for events only counted: they load when a reply reads them.
_LEAN = (lazyload(Activity.thirdparty), lazyload(Activity.contact), lazyload(Activity.attendees))


# The statements below are built once per shape (which filters apply) with bound parameters, and reused:
# building one cost more than running it, and "last contact" alone runs four.
@lru_cache(maxsize=64)
def _latest_statement(kind: str, own_agenda: bool, by_contact: bool, until_now: bool) -> Select[Activity]:
    stmt = select(Activity).where(
        Activity.thirdparty_id == bindparam("tp"),
        Activity.percent.in_(_HAPPENED),
        Activity.type_code.in_(CONTACT_KINDS[kind]),
    )
    if own_agenda:
        stmt = stmt.where(events_of(bindparam("agenda_of")))
    if by_contact:
        stmt = stmt.where(Activity.contact_id == bindparam("contact_id"))
    if until_now:
        stmt = stmt.where(Activity.start_at <= bindparam("now"))
    return stmt.order_by(Activity.start_at.desc(), Activity.id.desc()).limit(1).options(*_LEAN)


def last_contact(
    session: Session,
    thirdparty_id: int,
    *,
    now: datetime | None = None,
    contact_id: int | None = None,
    agenda_of: int | None = None,
) -> LastContact:
    """The latest call, meeting, email or note that happened (done or logged), overall and per kind.
    *agenda_of*: only that user's own and attended events (a user without ``agenda.read_all``)."""
    params = {"tp": thirdparty_id, "agenda_of": agenda_of, "contact_id": contact_id, "now": now}
    shape = (agenda_of is not None, contact_id is not None, now is not None)
    by_kind = {}
    for kind in CONTACT_KINDS:
        found = session.scalars(_latest_statement(kind, *shape), params).first()
        if found is not None:
            by_kind[kind] = found
    latest = max(by_kind.values(), key=lambda a: (a.start_at, a.id), default=None)
    return LastContact(latest, by_kind)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    # call, meeting, email, note, todo, auto, quote, order, invoice, ticket, project or document
    kind: str
    id: int
    title: str
    detail: str | None = None
    all_day: bool = False
    status: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    obj: Any = None

    @property
    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


def _day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimelinePage:
    entries: list[TimelineEntry]
    offset: int
    limit: int
    has_more: bool


TIMELINE_KINDS = ("activity", "quote", "order", "invoice", "ticket", "project", "document")


def _activity_entries(
    session: Session, tp: int, since: datetime | None, until: datetime | None, n: int, agenda_of: int | None
) -> Iterator[TimelineEntry]:
    stmt = _activities_statement(agenda_of is not None, since is not None, until is not None)
    params = {"tp": tp, "agenda_of": agenda_of, "since": since, "until": until, "n": n}
    for a in session.scalars(stmt, params):
        kind = TYPE_KIND.get(a.type_code, "note")
        if a.percent not in _HAPPENED:
            kind = "todo" if a.type_code == ActivityType.NOTE else kind
        yield TimelineEntry(
            a.start_at, kind, a.id, a.label, a.body, a.all_day, _percent_status(a.percent), obj=a
        )


@lru_cache(maxsize=16)
def _activities_statement(own_agenda: bool, since: bool, until: bool) -> Select[Activity]:
    stmt = select(Activity).where(Activity.thirdparty_id == bindparam("tp"))
    if own_agenda:
        stmt = stmt.where(events_of(bindparam("agenda_of")))
    return (
        _between(stmt, Activity.start_at, since, until)
        .order_by(Activity.start_at.desc(), Activity.id.desc())
        .limit(bindparam("n", type_=Integer))
        .options(*_LEAN)
    )


def _between(stmt: Select[Any], column: Any, since: bool, until: bool) -> Select[Any]:
    if since:
        stmt = stmt.where(column >= bindparam("since"))
    if until:
        stmt = stmt.where(column < bindparam("until"))
    return stmt


@lru_cache(maxsize=64)
def _source_statement(model: Any, column_name: str, since: bool, until: bool) -> Select[Any]:
    """Quotes, orders, invoices (by their date) and tickets, projects, documents (by their creation)."""
    column = getattr(model, column_name)
    stmt = select(model).where(model.thirdparty_id == bindparam("tp"))
    return (
        _between(stmt, column, since, until)
        .order_by(column.desc(), model.id.desc())
        .limit(bindparam("n", type_=Integer))
    )


TYPE_KIND: dict[str, str] = {
    ActivityType.CALL: "call",
    ActivityType.MEETING: "meeting",
    ActivityType.EMAIL: "email",
    ActivityType.EMAIL_IN: "email",
    ActivityType.NOTE: "note",
    ActivityType.AUTO: "auto",
}


def _percent_status(percent: int) -> str:
    if percent == Percent.NOT_APPLICABLE:
        return "logged"
    if percent == Percent.DONE:
        return "done"
    if percent == Percent.TODO:
        return "todo"
    return "in_progress"


def _dated_entries(
    session: Session, model: Any, kind: str, tp: int, since: datetime | None, until: datetime | None, n: int
) -> Iterator[TimelineEntry]:
    stmt = _source_statement(model, "date", since is not None, until is not None)
    params = {"tp": tp, "since": since and since.date(), "until": until and until.date(), "n": n}
    for row in session.scalars(stmt, params):
        yield TimelineEntry(
            _day(row.date),
            kind,
            row.id,
            row.ref,
            row.note_public,
            True,
            str(row.status),
            row.total_ttc,
            row.currency,
            obj=row,
        )


def _created_entries(
    session: Session,
    model: Any,
    kind: str,
    tp: int,
    since: datetime | None,
    until: datetime | None,
    n: int,
    title_attr: str,
) -> Iterator[TimelineEntry]:
    stmt = _source_statement(model, "created_at", since is not None, until is not None)
    for row in session.scalars(stmt, {"tp": tp, "since": since, "until": until, "n": n}):
        yield TimelineEntry(
            row.created_at,
            kind,
            row.id,
            getattr(row, title_attr),
            None,
            False,
            str(getattr(row, "status", "")) or None,
            obj=row,
        )


def timeline(
    session: Session,
    thirdparty_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 20,
    kinds: Sequence[str] = TIMELINE_KINDS,
    agenda_of: int | None = None,
) -> TimelinePage:
    """Everything that happened with a third party, newest first, merged across sources and paged.
    *agenda_of*: of the agenda events, only that user's own and attended ones."""
    n = offset + limit + 1  # each source yields at most this many; one more tells whether a next page exists
    sources: list[Iterator[TimelineEntry]] = []
    tp = thirdparty_id
    if "activity" in kinds:
        sources.append(_activity_entries(session, tp, since, until, n, agenda_of))
    for kind, model in (("quote", Quote), ("order", Order), ("invoice", Invoice)):
        if kind in kinds:
            sources.append(_dated_entries(session, model, kind, tp, since, until, n))
    if "ticket" in kinds:
        sources.append(_created_entries(session, Ticket, "ticket", tp, since, until, n, "subject"))
    if "project" in kinds:
        sources.append(_created_entries(session, Project, "project", tp, since, until, n, "title"))
    if "document" in kinds:
        sources.append(_created_entries(session, Document, "document", tp, since, until, n, "filename"))
    merged = heapq.merge(*sources, key=lambda e: e.sort_key, reverse=True)
    window = [e for i, e in enumerate(merged) if i < n][offset:]
    return TimelinePage(window[:limit], offset, limit, has_more=len(window) > limit)


def contacts_of(session: Session, thirdparty_id: int, *, include_inactive: bool = False) -> list[Contact]:
    stmt = select(Contact).where(Contact.thirdparty_id == thirdparty_id)
    if not include_inactive:
        stmt = stmt.where(Contact.is_active.is_(True))
    return list(session.scalars(stmt.order_by(Contact.lastname_key, Contact.firstname_key, Contact.id)))


@dataclass(frozen=True, slots=True)
class OpenItems:
    quotes: list[Quote]
    invoices: list[Invoice]
    overdue_invoice_ids: frozenset[int]
    tickets: list[Ticket]
    tasks: list[Task]
    followups: list[Activity]

    @property
    def empty(self) -> bool:
        return not (self.quotes or self.invoices or self.tickets or self.tasks or self.followups)

    @property
    def unpaid_total(self) -> Decimal:
        return sum((i.total_ttc for i in self.invoices), Decimal(0))


def open_items(
    session: Session, thirdparty_id: int, *, now: datetime, agenda_of: int | None = None
) -> OpenItems:
    tp = thirdparty_id
    quotes = list(
        session.scalars(
            select(Quote)
            .where(Quote.thirdparty_id == tp, Quote.status == QuoteStatus.OPEN)
            .order_by(Quote.date)
        )
    )
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.thirdparty_id == tp, Invoice.status == InvoiceStatus.UNPAID, Invoice.paid.is_(False)
            )
            .order_by(Invoice.due_date, Invoice.id)
        )
    )
    today = now.date()
    overdue = frozenset(i.id for i in invoices if i.due_date is not None and i.due_date < today)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.thirdparty_id == tp, Ticket.status.in_(OPEN_TICKET_STATUSES))
            .order_by(Ticket.created_at)
        )
    )
    tasks = list(
        session.scalars(
            select(Task)
            .join(Project, Project.id == Task.project_id)
            .where(Project.thirdparty_id == tp, Task.progress < 100, Task.closed_at.is_(None))
            .order_by(Task.due_at, Task.id)
        )
    )
    followups = list(
        session.scalars(
            select(Activity)
            .where(
                Activity.thirdparty_id == tp,
                events_of(agenda_of),
                Activity.percent >= 0,
                Activity.percent < 100,
            )
            .order_by(Activity.start_at, Activity.id)
        )
    )
    return OpenItems(quotes, invoices, overdue, tickets, tasks, followups)
