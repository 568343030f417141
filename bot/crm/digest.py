"""The daily follow-up digest: what each user should know at the start of their working day, and which
users are due for it now.

A digest covers the user's local date: meetings and planned calls today, to-dos due today and overdue,
stale third parties (customers and prospects the user is sales rep for with no contact for N days; never
"do not contact" ones), mails the bot could not file that wait for the user, and what the user logged
yesterday. Everything is collected for many users at once (``collect``: a handful of queries per chunk of
users, not per user), so a tick at 08:00 for a whole team stays cheap.

Exactly once per user and local date (DESIGN.md §5): ``claim`` inserts a ``digest_runs`` row per user and
date; the unique key lets only one process win. The sender marks the row sent, or gives it back for a
retry with the backoff every send queue shares (:mod:`bot.crm.claims`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm import claims
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    ActivityType,
    CustomerType,
    DigestRun,
    EmailMessage,
    EmailStatus,
    Percent,
    ProspectStatus,
    SalesRep,
    SendStatus,
    ThirdParty,
    ThirdPartyStatus,
    User,
)

CHUNK = 500  # users per query batch (IN lists stay well below every database's parameter limit)
LIST_LIMIT = 10  # items shown per section; the rest is counted
KIND_OF = {ActivityType.MEETING: "meeting", ActivityType.CALL: "call"}


@dataclass(frozen=True, slots=True)
class DigestSettings:
    stale_customer_days: int = 30
    stale_prospect_days: int = 14
    catch_up_hours: int = 12  # a digest missed while the bot was down still goes out this long after its time


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a digest. *activity_id* makes it actionable (Done / Snooze); *email_id* (an unfiled
    mail) can be filed from the digest."""

    label: str
    when: datetime | None = None
    all_day: bool = False
    thirdparty: str | None = None
    detail: str | None = None
    kind: str = "todo"  # meeting | call | todo | stale | mail | logged
    activity_id: int | None = None
    email_id: int | None = None
    thirdparty_id: int | None = None
    days: int | None = None  # stale: days without contact (None: never contacted)


@dataclass(slots=True)
class Section:
    items: list[Item] = field(default_factory=list)
    total: int = 0  # may be larger than len(items): the rest is "and N more"

    def add(self, item: Item) -> None:
        self.total += 1
        if len(self.items) < LIST_LIMIT:
            self.items.append(item)


@dataclass(slots=True)
class Digest:
    user_id: int
    local_date: date
    tz: ZoneInfo
    today: Section = field(default_factory=Section)  # meetings and planned calls
    due: Section = field(default_factory=Section)  # to-dos due today
    overdue: Section = field(default_factory=Section)
    stale: Section = field(default_factory=Section)
    unfiled: Section = field(default_factory=Section)
    yesterday: Section = field(default_factory=Section)

    def sections(self) -> list[tuple[str, Section]]:
        return [
            ("today", self.today),
            ("due", self.due),
            ("overdue", self.overdue),
            ("stale", self.stale),
            ("unfiled", self.unfiled),
            ("yesterday", self.yesterday),
        ]

    @property
    def count(self) -> int:
        return sum(section.total for _, section in self.sections())

    @property
    def empty(self) -> bool:
        return self.count == 0


def local_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants where the local *day* starts and ends (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start, end


# -- who is due ---------------------------------------------------------------------------------------------


def is_due(user: User, now: datetime, settings: DigestSettings) -> date | None:
    """The local date whose digest *user* should get at *now*, or None."""
    if not user.is_active or not user.digest_enabled:
        return None
    return due_date(user.timezone, user.digest_time, user.digest_days, now, settings)


def due_date(
    timezone: str, at: time | None, days: str | None, now: datetime, settings: DigestSettings
) -> date | None:
    """Due from the digest time (wall clock, so 08:00 stays 08:00 across DST; a time skipped by the switch
    counts as passed) for ``catch_up_hours``, on the digest days (ISO weekday digits, "12345")."""
    local = now.astimezone(zone(timezone))
    if str(local.isoweekday()) not in (days or ""):
        return None
    start = datetime.combine(local.date(), at or time(8, 0))
    wall = local.replace(tzinfo=None)
    if start <= wall < start + timedelta(hours=settings.catch_up_hours):
        return local.date()
    return None


def due_users(session: Session, now: datetime, settings: DigestSettings) -> list[tuple[int, date]]:
    """(user id, local date) of every user due at *now* who has no digest run for that date yet."""
    candidates: list[tuple[int, date]] = []
    rows = session.execute(
        select(User.id, User.timezone, User.digest_time, User.digest_days)
        .where(User.is_active.is_(True), User.digest_enabled.is_(True))
        .order_by(User.id)
    )
    for row in rows:
        day = due_date(row.timezone, row.digest_time, row.digest_days, now, settings)
        if day is not None:
            candidates.append((row.id, day))
    if not candidates:
        return []
    days = {day for _, day in candidates}
    done = {
        (row.user_id, row.local_date)
        for row in session.execute(
            select(DigestRun.user_id, DigestRun.local_date).where(DigestRun.local_date.in_(days))
        )
    }
    return [c for c in candidates if c not in done]


# -- claiming -----------------------------------------------------------------------------------------------


def claim(session: Session, due: Sequence[tuple[int, date]], *, now: datetime, worker: str) -> list[int]:
    """Insert a run for each (user, date); returns the run ids this caller won. A run another process
    inserted first is skipped (the unique key), so each digest is claimed once."""
    won: list[int] = []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(due), CHUNK):
        rows = [
            {
                "user_id": user_id,
                "local_date": day,
                "status": SendStatus.SENDING,
                "claimed_by": worker[:64],
                "claimed_at": now,
                "attempts": 0,
                "items": 0,
                "created_at": now,
                "updated_at": now,
            }
            for user_id, day in due[start : start + CHUNK]
        ]
        statement = (
            insert(DigestRun)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "local_date"])
            .returning(DigestRun.id)
        )
        won.extend(session.scalars(statement))
    return won


def claim_retries(session: Session, *, now: datetime, worker: str, limit: int = 200) -> list[int]:
    """Runs to try again: failed ones whose backoff has passed, and claims a dead process left behind."""
    claims.give_back_stale(session, DigestRun, now)
    won = []
    for row in session.execute(
        select(DigestRun.id, DigestRun.attempts, DigestRun.claimed_at)
        .where(DigestRun.status == SendStatus.PENDING)
        .order_by(DigestRun.id)
        .limit(limit)
    ):
        if claims.ready(row.attempts, row.claimed_at, now) and claims.claim(
            session, DigestRun, row.id, now=now, worker=worker
        ):
            won.append(row.id)
    return won


@dataclass(frozen=True, slots=True)
class Sent:
    run_id: int
    channel: str
    items: int
    actions: dict[str, str]
    mail_message_id: str | None = None


def mark_sent(session: Session, sent: Sequence[Sent], *, now: datetime, worker: str) -> None:
    """Record deliveries in one statement (executemany): a morning tick marks thousands. A run whose claim
    was lost meanwhile (given back as stale) is left alone."""
    if not sent:
        return
    table = cast(Table, DigestRun.__table__)
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("run_id"),
            table.c.status == SendStatus.SENDING,
            table.c.claimed_by == worker[:64],
        )
        .values(
            status=SendStatus.SENT,
            sent_at=now,
            updated_at=now,
            attempts=table.c.attempts + 1,
            channel=bindparam("channel"),
            items=bindparam("items"),
            item_actions=bindparam("actions"),
            mail_message_id=bindparam("mail_id"),
        )
    )
    session.connection().execute(
        statement,
        [
            {
                "run_id": s.run_id,
                "channel": s.channel,
                "items": s.items,
                "actions": s.actions,
                "mail_id": s.mail_message_id[:998] if s.mail_message_id else None,
            }
            for s in sent
        ],
    )


def mark_failed(session: Session, run_id: int, *, now: datetime, error: str) -> None:
    claims.fail(session, DigestRun, run_id, now=now, error=error)


# -- what goes in -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Who:
    user_id: int
    local_date: date
    tz: ZoneInfo


def collect(
    session: Session, who: Iterable[Who], *, now: datetime, settings: DigestSettings
) -> dict[int, Digest]:
    """The digests of many users at once, keyed by user id."""
    people = list(who)
    digests: dict[int, Digest] = {w.user_id: Digest(w.user_id, w.local_date, w.tz) for w in people}
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        _agenda(session, chunk, digests, now)
        _stale(session, chunk, digests, now, settings)
        _unfiled(session, chunk, digests)
        _yesterday(session, chunk, digests)
    return digests


def _window(chunk: Sequence[Who]) -> tuple[datetime, datetime]:
    """From the earliest start of "yesterday" to the latest end of "today" over the chunk's zones."""
    starts, ends = [], []
    for w in chunk:
        starts.append(local_bounds(w.local_date - timedelta(days=1), w.tz)[0])
        ends.append(local_bounds(w.local_date, w.tz)[1])
    return min(starts), max(ends)


_ROW = (
    Activity.id,
    Activity.type_code,
    Activity.label,
    Activity.start_at,
    Activity.all_day,
    Activity.location,
    ThirdParty.name.label("thirdparty"),
)


def _agenda(session: Session, chunk: Sequence[Who], digests: dict[int, Digest], now: datetime) -> None:
    """Meetings and planned calls today (own or attended), to-dos due today and overdue. Plain rows, not
    ORM objects: a morning tick reads tens of thousands of them."""
    ids = [w.user_id for w in chunk]
    _, latest_end = _window(chunk)
    open_ = and_(Activity.percent >= 0, Activity.percent < Percent.DONE)
    owned = session.execute(
        select(Activity.owner_id.label("user_id"), *_ROW)
        .outerjoin(ThirdParty, ThirdParty.id == Activity.thirdparty_id)
        .where(Activity.owner_id.in_(ids), open_, Activity.start_at < latest_end)
    ).all()
    attending = session.execute(
        select(ActivityAttendee.user_id, *_ROW)
        .join(Activity, Activity.id == ActivityAttendee.activity_id)
        .outerjoin(ThirdParty, ThirdParty.id == Activity.thirdparty_id)
        .where(
            ActivityAttendee.user_id.in_(ids),
            Activity.type_code == ActivityType.MEETING,
            open_,
            Activity.start_at < latest_end,
            or_(Activity.owner_id.is_(None), Activity.owner_id != ActivityAttendee.user_id),
        )
    ).all()
    rows = sorted([*owned, *attending], key=lambda row: (row.start_at, row.id))
    for row in rows:
        digest = digests[row.user_id]
        start, end = local_bounds(digest.local_date, digest.tz)
        if row.start_at >= end:
            continue
        appointment = row.type_code in (ActivityType.MEETING, ActivityType.CALL)
        item = Item(
            row.label,
            when=row.start_at,
            all_day=row.all_day,
            thirdparty=row.thirdparty,
            detail=row.location,
            kind=KIND_OF.get(row.type_code, "todo"),
            activity_id=row.id,
        )
        if row.start_at >= start:
            (digest.today if appointment else digest.due).add(item)
        elif row.type_code != ActivityType.MEETING:  # a past meeting was held (or not): not a to-do
            digest.overdue.add(item)


def _stale(
    session: Session,
    chunk: Sequence[Who],
    digests: dict[int, Digest],
    now: datetime,
    settings: DigestSettings,
) -> None:
    """Customers and prospects the user is sales rep for, silent for longer than their threshold."""
    ids = [w.user_id for w in chunk]
    # The latest contact per third party, looked up through the (third party, start) index for the few
    # third parties of these users: never a pass over every activity.
    last_at = (
        select(func.max(Activity.start_at))
        .where(
            Activity.thirdparty_id == ThirdParty.id,
            Activity.start_at <= now,
            or_(Activity.percent == Percent.NOT_APPLICABLE, Activity.percent == Percent.DONE),
        )
        .correlate(ThirdParty)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            SalesRep.user_id,
            ThirdParty.id,
            ThirdParty.name,
            ThirdParty.customer_type,
            ThirdParty.created_at,
            last_at.label("last_at"),
        )
        .join(ThirdParty, ThirdParty.id == SalesRep.thirdparty_id)
        .where(
            SalesRep.user_id.in_(ids),
            ThirdParty.status == ThirdPartyStatus.ACTIVE,
            ThirdParty.customer_type != CustomerType.NONE,
            ThirdParty.prospect_status != ProspectStatus.DO_NOT_CONTACT,
        )
    ).all()
    customer_since = now - timedelta(days=settings.stale_customer_days)
    prospect_since = now - timedelta(days=settings.stale_prospect_days)
    quiet = []
    for row in rows:
        customer = row.customer_type in (CustomerType.CUSTOMER, CustomerType.BOTH)
        since = row.last_at or row.created_at
        if since < (customer_since if customer else prospect_since):
            quiet.append((row.user_id, since, row.name, row, customer))
    quiet.sort(key=lambda q: (q[0], q[1], q[2]))
    for user_id, _, _, row, customer in quiet:
        digest = digests[user_id]
        days = (
            None
            if row.last_at is None
            else (digest.local_date - row.last_at.astimezone(digest.tz).date()).days
        )
        kind = "customer" if customer else "prospect"
        digest.stale.add(
            Item(row.name, kind="stale", thirdparty=row.name, thirdparty_id=row.id, days=days, detail=kind)
        )


def _unfiled(session: Session, chunk: Sequence[Who], digests: dict[int, Digest]) -> None:
    ids = [w.user_id for w in chunk]
    for row in session.execute(
        select(EmailMessage.id, EmailMessage.submitted_by_id, EmailMessage.subject, EmailMessage.received_at)
        .where(EmailMessage.submitted_by_id.in_(ids), EmailMessage.status == EmailStatus.UNRESOLVED)
        .order_by(EmailMessage.received_at, EmailMessage.id)
    ):
        digests[row.submitted_by_id].unfiled.add(
            Item(row.subject or "…", when=row.received_at, kind="mail", email_id=row.id)
        )


def _yesterday(session: Session, chunk: Sequence[Who], digests: dict[int, Digest]) -> None:
    """What the user logged yesterday (their local yesterday): calls, meetings, notes and mails."""
    ids = [w.user_id for w in chunk]
    earliest, _ = _window(chunk)
    latest = max(local_bounds(w.local_date, w.tz)[0] for w in chunk)
    for row in session.execute(
        select(Activity.author_id.label("user_id"), *_ROW)
        .outerjoin(ThirdParty, ThirdParty.id == Activity.thirdparty_id)
        .where(
            Activity.author_id.in_(ids),
            Activity.start_at >= earliest,
            Activity.start_at < latest,
            Activity.percent != Percent.TODO,
        )
        .order_by(Activity.start_at, Activity.id)
    ):
        digest = digests[row.user_id]
        start, end = local_bounds(digest.local_date - timedelta(days=1), digest.tz)
        if start <= row.start_at < end:
            digest.yesterday.add(
                Item(
                    row.label,
                    when=row.start_at,
                    thirdparty=row.thirdparty,
                    kind=row.type_code,
                    activity_id=row.id,
                )
            )


def for_user(session: Session, user: User, *, now: datetime, settings: DigestSettings) -> Digest:
    """The digest *user* gets for their local date at *now* (``crmbot digest``)."""
    tz = zone(user.timezone)
    who = Who(user.id, now.astimezone(tz).date(), tz)
    return collect(session, [who], now=now, settings=settings)[user.id]
