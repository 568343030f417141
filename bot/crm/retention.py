"""Retention: anonymise third parties and contacts that have been idle for longer than their category
allows (Dolibarr's datapolicy cron, ``crmbot gdpr retention`` and a daily job in the scheduler).

Categories and months come from the settings (``CRMBOT_RETENTION_*_MONTHS``, 0 = off), with Dolibarr's
split of third parties: a supplier counts as supplier whatever else it is; otherwise a customer (also
"prospect and customer") as customer; a prospect, and a third party that is neither, as prospect.

A third party is eligible, as in Dolibarr, when it was not modified within the months, has no event
within them (none started, created or done since; a planned future event counts as recent), no mail
received, no contact added, **no invoice at all** (invoiced customers are kept: accounting law) and no
child objects (quotes, orders, contracts, projects, tickets). A contact is eligible when it was not
modified within the contact months, has no event within them (as main contact or attendee), no commercial
document or ticket names it, and its third party (if any) has no invoice.

Eligible records are anonymised, never deleted (bot.crm.anonymize, without the never-log suppression of an
erasure request); a third party takes its contacts with it.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.crm.anonymize import Anonymized, anonymize_contact, anonymize_thirdparty
from bot.crm.erasure import chunks
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    Contact,
    Contract,
    CustomerType,
    EmailMessage,
    Invoice,
    Order,
    ProcessedMessage,
    Project,
    Quote,
    ThirdParty,
    Ticket,
)
from storage import DocumentStore

CATEGORIES = ("prospect", "customer", "supplier")
# The daily run's row in the processed-message ledger: ("scheduler", "retention:<day>").
CLAIM_CHANNEL = "scheduler"


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    prospect_months: int = 0
    customer_months: int = 0
    supplier_months: int = 0
    contact_months: int = 0

    @classmethod
    def of(cls, settings: Settings) -> RetentionSettings:
        return cls(
            prospect_months=settings.retention_prospect_months,
            customer_months=settings.retention_customer_months,
            supplier_months=settings.retention_supplier_months,
            contact_months=settings.retention_contact_months,
        )

    @property
    def enabled(self) -> bool:
        return any((self.prospect_months, self.customer_months, self.supplier_months, self.contact_months))

    def months(self, category: str) -> int:
        return int(getattr(self, f"{category}_months"))


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # thirdparty | contact
    id: int
    name: str
    category: str  # prospect | customer | supplier | contact
    months: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "category": self.category}


@dataclass
class Report:
    candidates: list[Candidate] = field(default_factory=list)
    anonymized: Anonymized = field(default_factory=Anonymized)

    def by_category(self) -> dict[str, int]:
        counts = dict.fromkeys((*CATEGORIES, "contact"), 0)
        for candidate in self.candidates:
            counts[candidate.category] += 1
        return counts


def months_before(now: datetime, months: int) -> datetime:
    """The same moment *months* calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def category_of(tp: ThirdParty) -> str:
    if tp.is_supplier:
        return "supplier"
    return "customer" if tp.is_customer else "prospect"


def _category_condition(category: str) -> Any:
    if category == "supplier":
        return ThirdParty.is_supplier.is_(True)
    customers = (CustomerType.CUSTOMER, CustomerType.BOTH)
    types = customers if category == "customer" else (CustomerType.NONE, CustomerType.PROSPECT)
    return and_(ThirdParty.is_supplier.is_(False), ThirdParty.customer_type.in_([int(t) for t in types]))


def _recent_event(cut: datetime) -> Any:
    """An event that happened, was planned or was done since *cut* (modifications do not count: redacting
    an old event must not make its company look alive)."""
    return or_(Activity.start_at >= cut, Activity.created_at >= cut, Activity.done_at >= cut)


def _thirdparties(session: Session, category: str, months: int, now: datetime) -> list[Candidate]:
    cut = months_before(now, months)
    tp_id = ThirdParty.id
    busy = [
        exists().where(Activity.thirdparty_id == tp_id, _recent_event(cut)),
        exists().where(EmailMessage.thirdparty_id == tp_id, EmailMessage.received_at >= cut),
        exists().where(Contact.thirdparty_id == tp_id, Contact.created_at >= cut),
        *(exists().where(m.thirdparty_id == tp_id) for m in (Invoice, Quote, Order, Contract)),
        exists().where(Project.thirdparty_id == tp_id),
        exists().where(Ticket.thirdparty_id == tp_id),
    ]
    rows = session.execute(
        select(ThirdParty.id, ThirdParty.name)
        .where(
            _category_condition(category),
            ThirdParty.updated_at < cut,
            ThirdParty.name.not_like("anonymous-thirdparty-%"),
            *(~b for b in busy),
        )
        .order_by(ThirdParty.id)
    )
    return [Candidate("thirdparty", r.id, r.name, category, months) for r in rows]


def _contacts(session: Session, months: int, now: datetime) -> list[Candidate]:
    cut = months_before(now, months)
    c_id = Contact.id
    busy = [
        exists().where(Activity.contact_id == c_id, _recent_event(cut)),
        exists()
        .where(ActivityAttendee.contact_id == c_id, ActivityAttendee.activity_id == Activity.id)
        .where(_recent_event(cut)),
        *(exists().where(m.contact_id == c_id) for m in (Quote, Order, Invoice, Contract)),
        exists().where(Ticket.contact_id == c_id),
        exists().where(Invoice.thirdparty_id == Contact.thirdparty_id),
    ]
    rows = session.execute(
        select(Contact.id, Contact.firstname, Contact.lastname)
        .where(Contact.updated_at < cut, Contact.lastname.not_like("anonymous-%"), *(~b for b in busy))
        .order_by(Contact.id)
    )
    names = ((r.id, " ".join(p for p in (r.firstname, r.lastname) if p)) for r in rows)
    return [Candidate("contact", cid, name, "contact", months) for cid, name in names]


def eligible(session: Session, settings: RetentionSettings, now: datetime) -> list[Candidate]:
    """What retention would anonymise at *now*: third parties by category, then contacts not already
    covered by their third party."""
    found: list[Candidate] = []
    for category in CATEGORIES:
        months = settings.months(category)
        if months > 0:
            found.extend(_thirdparties(session, category, months, now))
    if settings.contact_months > 0:
        covered: set[int] = set()  # the contacts of those third parties go with them
        for chunk in chunks(c.id for c in found):
            covered.update(session.scalars(select(Contact.id).where(Contact.thirdparty_id.in_(chunk))))
        found.extend(c for c in _contacts(session, settings.contact_months, now) if c.id not in covered)
    return found


def claim_day(session: Session, day: date, now: datetime) -> bool:
    """Take the retention run of *day* for this process: a row in the processed-message ledger, so exactly
    one process runs it (another one waits for the commit, then finds the row)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(ProcessedMessage)
        .values(channel=CLAIM_CHANNEL, message_id=f"retention:{day.isoformat()}", processed_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(ProcessedMessage.id)
    )
    return session.scalar(statement) is not None


def record_run(session: Session, day: date, report: Report) -> None:
    """What the day's run did, on its ledger row."""
    row = session.scalar(
        select(ProcessedMessage).where(
            ProcessedMessage.channel == CLAIM_CHANNEL,
            ProcessedMessage.message_id == f"retention:{day.isoformat()}",
        )
    )
    if row is not None:
        row.result = {"by_category": report.by_category(), **report.anonymized.counts()}


def anonymize(
    session: Session, store: DocumentStore, candidates: list[Candidate], now: datetime
) -> Anonymized:
    """Anonymise *candidates* (found by :func:`eligible`); the caller commits."""
    done = Anonymized()
    for candidate in candidates:
        reason = f"retention: {candidate.category} idle for {candidate.months} months"
        if candidate.kind == "thirdparty":
            tp = session.get(ThirdParty, candidate.id)
            if tp is not None:
                done.add(
                    anonymize_thirdparty(
                        session, store, tp, now=now, reason=reason, suppress=False, individuals_only=False
                    )
                )
        else:
            contact = session.get(Contact, candidate.id)
            if contact is not None:
                done.add(anonymize_contact(session, store, contact, now=now, reason=reason, suppress=False))
    return done


def run(session: Session, store: DocumentStore, settings: RetentionSettings, now: datetime) -> Report:
    """Anonymise everything eligible at *now* in one transaction (the caller commits)."""
    report = Report(candidates=eligible(session, settings, now))
    report.anonymized.add(anonymize(session, store, report.candidates, now))
    return report
