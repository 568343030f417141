"""Customer history: last contact, the merged timeline, contacts of a third party and open items.

Plain read queries (Cosmic Python's ``views``). Ties on equal timestamps are broken by the row id, newest
first, so the answer is stable however the database orders equal keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    cast,
    false,
    literal_column,
    null,
    select,
    true,
    union_all,
)
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
# building one cost more than running it.
@lru_cache(maxsize=16)
def _last_contact_statement(own_agenda: bool, by_contact: bool, until_now: bool) -> Select[Any]:
    """The latest event of each contact kind that happened, in one statement: one branch per kind finds
    its newest id by the index on (third party, start), and the events are loaded by those ids."""
    latest = []
    for type_codes in CONTACT_KINDS.values():
        stmt = select(Activity.id).where(
            Activity.thirdparty_id == bindparam("tp"),
            Activity.percent.in_(_HAPPENED),
            Activity.type_code.in_(type_codes),
        )
        if own_agenda:
            stmt = stmt.where(events_of(bindparam("agenda_of")))
        if by_contact:
            stmt = stmt.where(Activity.contact_id == bindparam("contact_id"))
        if until_now:
            stmt = stmt.where(Activity.start_at <= bindparam("now"))
        newest = stmt.order_by(Activity.start_at.desc(), Activity.id.desc()).limit(1).subquery()
        latest.append(select(newest.c.id))  # a subquery each: SQLite allows no LIMIT on a bare branch
    return select(Activity).where(Activity.id.in_(union_all(*latest))).options(*_LEAN)


_KIND_OF_TYPE = {code: kind for kind, codes in CONTACT_KINDS.items() for code in codes}


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
    stmt = _last_contact_statement(agenda_of is not None, contact_id is not None, now is not None)
    found = {_KIND_OF_TYPE[a.type_code]: a for a in session.scalars(stmt, params)}
    by_kind = {kind: found[kind] for kind in CONTACT_KINDS if kind in found}
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

TYPE_KIND: dict[str, str] = {
    ActivityType.CALL: "call",
    ActivityType.MEETING: "meeting",
    ActivityType.EMAIL: "email",
    ActivityType.EMAIL_IN: "email",
    ActivityType.NOTE: "note",
    ActivityType.AUTO: "auto",
}

# Quotes, orders and invoices are placed by their date; tickets, projects and documents by their creation.
_DATED: dict[str, Any] = {"quote": Quote, "order": Order, "invoice": Invoice}
_CREATED: dict[str, tuple[Any, str]] = {
    "ticket": (Ticket, "subject"),
    "project": (Project, "title"),
    "document": (Document, "filename"),
}


def _percent_status(percent: int) -> str:
    if percent == Percent.NOT_APPLICABLE:
        return "logged"
    if percent == Percent.DONE:
        return "done"
    if percent == Percent.TODO:
        return "todo"
    return "in_progress"


# The timeline's columns, in the order of its one statement, with the type each has when a source lacks it
# (every source has its own source number and id).
_TIMELINE_COLUMNS: dict[str, Any] = {
    "source": Integer(),
    "id": Integer(),
    "at": Activity.start_at.type,
    "day": Quote.date.type,
    "title": Activity.label.type,
    "detail": Activity.body.type,
    "all_day": Activity.all_day.type,
    "type_code": Activity.type_code.type,
    "percent": Integer(),
    "status": Integer(),
    "amount": Quote.total_ttc.type,
    "currency": Quote.currency.type,
}


def _branch(source: str, model: Any, column: Any, since: bool, until: bool, **values: Any) -> Select[Any]:
    """One source of the timeline: its rows of the third party :tp within [since, until) on *column* (a
    date or a time), newest first (ties: the last created first), at most :n; the columns it lacks are
    typed NULLs."""
    values |= {"source": literal_column(str(TIMELINE_KINDS.index(source)), Integer), "id": model.id}
    stmt = select(
        *(values.get(name, cast(null(), type_)).label(name) for name, type_ in _TIMELINE_COLUMNS.items())
    ).where(model.thirdparty_id == bindparam("tp"))
    suffix = "_day" if "day" in values else ""
    if since:
        stmt = stmt.where(column >= bindparam("since" + suffix))
    if until:
        stmt = stmt.where(column < bindparam("until" + suffix))
    return stmt.order_by(column.desc(), model.id.desc()).limit(bindparam("n", type_=Integer))


def _source_columns(name: str) -> tuple[Any, Any, dict[str, Any]]:
    """A source other than the agenda: its model, the column that places it in time, and its columns."""
    if name in _DATED:
        model = _DATED[name]
        values = {"day": model.date, "title": model.ref, "detail": model.note_public, "all_day": true()}
        values |= {"status": model.status, "amount": model.total_ttc, "currency": model.currency}
        return model, model.date, values
    model, title = _CREATED[name]
    values = {"at": model.created_at, "title": getattr(model, title), "all_day": false()}
    if hasattr(model, "status"):
        values["status"] = model.status
    return model, model.created_at, values


@lru_cache(maxsize=64)
def _timeline_statement(
    kinds: tuple[str, ...], own_agenda: bool, since: bool, until: bool
) -> CompoundSelect[Any] | None:
    """One statement for every source of the timeline, each source's newest :n rows by its own index.
    It replaced a statement per source, whose round trips were most of the timeline's time on
    PostgreSQL. The first branch fixes the result types, so every branch has every column."""
    branches: list[Select[Any]] = []
    if "activity" in kinds:
        a = Activity
        stmt = _branch(
            "activity",
            a,
            a.start_at,
            since,
            until,
            at=a.start_at,
            title=a.label,
            detail=a.body,
            all_day=a.all_day,
            type_code=a.type_code,
            percent=a.percent,
        )
        branches.append(stmt.where(events_of(bindparam("agenda_of"))) if own_agenda else stmt)
    for name in kinds:
        if name != "activity":
            model, column, values = _source_columns(name)
            branches.append(_branch(name, model, column, since, until, **values))
    if not branches:
        return None
    # Each branch keeps its ORDER BY and LIMIT inside a subquery (SQLite allows neither on a bare branch).
    return union_all(*(select(*branch.subquery().c) for branch in branches))


def _entry(row: Any) -> TimelineEntry:
    source, id_, at, day, title, detail, all_day, type_code, percent, status, amount, currency = row
    name = TIMELINE_KINDS[source]
    if name != "activity":
        when = _day(day) if day is not None else at
        return TimelineEntry(
            when, name, id_, title, detail, all_day, None if status is None else str(status), amount, currency
        )
    kind = TYPE_KIND.get(type_code, "note")
    if percent not in _HAPPENED:
        kind = "todo" if type_code == ActivityType.NOTE else kind
    return TimelineEntry(at, kind, id_, title, detail, all_day, _percent_status(percent))


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
    stmt = _timeline_statement(
        tuple(k for k in TIMELINE_KINDS if k in kinds),
        agenda_of is not None,
        since is not None,
        until is not None,
    )
    if stmt is None:
        return TimelinePage([], offset, limit, has_more=False)
    params = {
        "tp": thirdparty_id,
        "agenda_of": agenda_of,
        "since": since,
        "until": until,
        "since_day": since and since.date(),
        "until_day": until and until.date(),
        "n": n,
    }
    rows = session.execute(stmt, params)
    entries = sorted((_entry(row) for row in rows), key=lambda e: e.sort_key, reverse=True)
    window = entries[offset:n]
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
