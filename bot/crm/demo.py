"""The demo dataset (``crmbot demo``): a small, realistic CRM for Nordlicht Software GmbH, built through the
services, around the story of DESIGN.md §7.

All dates are relative to *now*; a seeded random generator fills in the rest, so the same *now* gives the
same data. The story's fixed points: a meeting with Initech today at 14:00 Berlin, a follow-up with ACME
overdue since the previous Friday (with a pending reminder for Anna), exactly two customers (Grünwald
Immobilien, Autohaus Becker) silent for more than 30 days, overdue invoices, open quotes and tickets.
The data tables live in :mod:`bot.crm.demo_data`.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm import demo_data as data
from bot.crm.activities import Source, add_reminder, log_activity
from bot.crm.contacts import create_contact
from bot.crm.models import (
    Activity,
    ActivityType,
    Base,
    Contact,
    CustomerType,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentAllocation,
    Percent,
    Project,
    ProjectStatus,
    ProspectStatus,
    Quote,
    QuoteStatus,
    Reminder,
    Tag,
    Task,
    ThirdParty,
    ThirdPartyStatus,
    ThirdPartyTag,
    Ticket,
    TicketStatus,
    User,
)
from bot.crm.thirdparties import assign_salesrep, create_thirdparty
from bot.crm.users import add_user

SEED = 20261123
SOURCE = Source("demo")
BERLIN = ZoneInfo("Europe/Berlin")
HISTORY_DAYS = 120  # about four months of past activities
SILENT_AFTER_DAYS = 40  # the silent customers' latest contact is at least this old
RECENT_DAYS = 21  # every other customer was contacted within this many days
KIND_WEIGHTS = {"call": 35, "email": 25, "email_in": 20, "meeting": 10, "note": 10}
KIND_TYPE = {
    "call": ActivityType.CALL,
    "meeting": ActivityType.MEETING,
    "email": ActivityType.EMAIL,
    "email_in": ActivityType.EMAIL_IN,
    "note": ActivityType.NOTE,
    "prospect": ActivityType.CALL,
    "supplier": ActivityType.NOTE,
}
STAGE_QUOTE_STATUS = {"open": QuoteStatus.OPEN, "lost": QuoteStatus.NOT_SIGNED, "signed": QuoteStatus.SIGNED}
_MAILBOX = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i"})


class DemoError(ValueError):
    """The demo dataset cannot be loaded as asked (it only goes into an empty database)."""


@dataclass(frozen=True)
class DemoSummary:
    users: int
    thirdparties: int
    contacts: int
    activities: int
    quotes: int
    orders: int
    invoices: int
    tickets: int
    projects: int


def database_is_empty(session: Session) -> bool:
    """True when there are no third parties and no users: the only state the demo loads into."""
    return (
        session.scalar(select(ThirdParty.id).limit(1)) is None
        and session.scalar(select(User.id).limit(1)) is None
    )


def load_demo(session: Session, *, now: datetime) -> DemoSummary:
    """Fill an empty database with the demo dataset relative to *now* (timezone-aware); the caller commits."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("load_demo needs a timezone-aware now")
    if not database_is_empty(session):
        raise DemoError("the demo dataset only goes into an empty database (no users, no third parties)")
    _Demo(session, now.astimezone(UTC)).load()
    session.flush()

    def count(model: type[Base]) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return DemoSummary(
        users=count(User),
        thirdparties=count(ThirdParty),
        contacts=count(Contact),
        activities=count(Activity),
        quotes=count(Quote),
        orders=count(Order),
        invoices=count(Invoice),
        tickets=count(Ticket),
        projects=count(Project),
    )


def _workday_back(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _workday_forward(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _mailbox(text: str) -> str:
    """The ASCII local part of an address for a name: "Jürgen" -> "juergen", "O'Brien" -> "obrien"."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_MAILBOX))
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _extension(phone: str, ext: int) -> str:
    """A direct line: German switchboards end in "-0", elsewhere the last two digits change."""
    return phone[:-1] + str(ext) if phone.endswith("-0") else phone[:-2] + f"{ext:02d}"


def _numbered(prefix: str, days: Sequence[date]) -> list[str]:
    """Dolibarr-style refs (PR2611-0001) for documents dated *days*, numbered in date order."""
    refs = [""] * len(days)
    for number, index in enumerate(sorted(range(len(days)), key=lambda i: (days[i], i)), start=1):
        refs[index] = f"{prefix}{days[index]:%y%m}-{number:04d}"
    return refs


def _stamp(obj: ThirdParty | Contact | Activity | Reminder | User, at: datetime) -> None:
    """Backdate a row a service made, so the data looks as if it had grown over time."""
    obj.created_at = at
    obj.updated_at = at


@dataclass
class _Deal:
    seed: data.DealSeed
    title: str
    owner: User
    quote_day: date
    order_day: date | None = None
    invoice_day: date | None = None
    paid_day: date | None = None


class _Demo:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rng = random.Random(SEED)
        self.users: dict[str, User] = {}
        self.tps: dict[str, ThirdParty] = {}
        self.seeds = {seed.name: seed for seed in data.THIRDPARTIES}
        self.people: dict[str, list[Contact]] = {}
        self.quotes: dict[tuple[str, str], Quote] = {}  # by company and title
        self.used_names: set[tuple[str, str]] = set()
        self.counters = Counter[str]()
        self.next_year = str(now.year + 1)

    def load(self) -> None:
        self.add_users()
        for seed in data.THIRDPARTIES:
            self.add_thirdparty(seed)
        self.add_private_contacts()
        self.add_tags()
        for seed in data.THIRDPARTIES:
            self.add_history(seed)
        self.add_deals()
        self.add_story()
        self.add_tickets()
        self.add_projects()

    # -- helpers -------------------------------------------------------------------------------------

    def today(self, tz: ZoneInfo = BERLIN) -> date:
        return self.now.astimezone(tz).date()

    def owner_of(self, seed: data.CompanySeed) -> User:
        """Who does the work for a company: one of its reps (Anna or Bob), else by language."""
        reps = [login for login in seed.reps if login in ("anna", "bob")]
        login = self.rng.choice(reps) if reps else ("anna" if seed.lang == "de" else "bob")
        return self.users[login]

    def contact(self, company: str, lastname: str) -> Contact:
        return next(c for c in self.people[company] if c.lastname == lastname)

    def days_ago(self, days: int | None) -> datetime | None:
        return None if days is None else self.now - timedelta(days=days)

    def next_number(self, key: str) -> int:
        self.counters[key] += 1
        return self.counters[key]

    def words(self, seed: data.CompanySeed, contact: Contact | None) -> dict[str, str]:
        """The placeholders of the texts in demo_data: {first} {last} {company} {town} {year}."""
        first, _, last = seed.name.partition(" ")  # individuals have no contacts: their own name
        if contact is not None:
            first, last = contact.firstname or "", contact.lastname
        return {"first": first, "last": last, "company": seed.name, "town": seed.town, "year": self.next_year}

    # -- users, third parties, contacts, tags ---------------------------------------------------------

    def add_users(self) -> None:
        for seed in data.USERS:
            user = add_user(
                self.session,
                login=seed.login,
                name=seed.name,
                emails=[seed.email],
                timezone=seed.timezone,
                language=seed.language,
                admin=seed.admin,
                restricted=seed.restricted,
                preferred_channel=seed.preferred_channel,
            )
            _stamp(user, self.now - timedelta(days=730))
            self.users[seed.login] = user

    def add_thirdparty(self, seed: data.CompanySeed) -> None:
        created = self.now - timedelta(days=self.rng.randint(150, 720))
        is_customer = seed.customer_type in (CustomerType.CUSTOMER, CustomerType.BOTH)
        email = website = None
        if seed.domain and seed.individual:
            email, website = f"{_mailbox(seed.name.split()[0])}@{seed.domain}", f"https://{seed.domain}"
        elif seed.domain:
            email, website = (
                f"{'info' if seed.lang == 'de' else 'hello'}@{seed.domain}",
                f"https://www.{seed.domain}",
            )
        prospect_status = seed.prospect_status
        if prospect_status is None:
            prospect_status = ProspectStatus.CONTACTED if is_customer else ProspectStatus.NEVER_CONTACTED
        creator = self.users[seed.reps[0] if seed.reps else "anna"]
        tp = create_thirdparty(
            self.session,
            name=seed.name,
            created_by=creator,
            alias=seed.alias,
            status=ThirdPartyStatus.CLOSED if seed.closed else ThirdPartyStatus.ACTIVE,
            customer_type=seed.customer_type,
            is_supplier=seed.supplier,
            is_individual=seed.individual,
            customer_code=self.code("CU", created) if seed.customer_type != CustomerType.NONE else None,
            supplier_code=self.code("SU", created) if seed.supplier else None,
            address=seed.street,
            zip=seed.zip,
            town=seed.town,
            country_code=seed.country,
            phone=seed.phone,
            email=email,
            website=website,
            vat_number=seed.vat,
            prospect_status=prospect_status,
            prospect_level=seed.prospect_level,
            lead_source=seed.lead_source,
            default_language=seed.lang,
            payment_terms="30D" if is_customer else None,
            payment_mode="VIR" if is_customer else None,
            note_private=seed.note,
            converted_at=self.days_ago(seed.converted_days_ago),
        )
        _stamp(tp, created)
        self.tps[seed.name] = tp
        for login in seed.reps:
            assign_salesrep(self.session, self.users[login], tp)
        self.add_people(seed, tp, creator, created)

    def code(self, prefix: str, at: datetime) -> str:
        """Dolibarr's customer and supplier codes: CU2511-0001, SU2403-0002."""
        return f"{prefix}{at:%y%m}-{self.next_number(prefix):04d}"

    def add_people(self, seed: data.CompanySeed, tp: ThirdParty, creator: User, created: datetime) -> None:
        """The company's named people, then generated colleagues, with direct lines on the switchboard."""
        self.used_names.update((p.first, p.last) for p in seed.people)
        generated = [self.new_person(seed.lang) for _ in range(seed.staff - len(seed.people))]
        people = [*seed.people, *generated]
        extensions = self.rng.sample(range(10, 90), seed.staff)
        jobs = iter(self.rng.sample(data.JOB_TITLES[seed.lang], seed.staff))
        self.people[seed.name] = []
        for person, ext in zip(people, extensions, strict=True):
            contact = create_contact(
                self.session,
                firstname=person.first,
                lastname=person.last,
                thirdparty=tp,
                created_by=creator,
                civility=person.civility,
                job_title=person.job or next(jobs),
                language=seed.lang,
                email=person.email or f"{_mailbox(person.first)}.{_mailbox(person.last)}@{seed.domain}",
                phone=_extension(seed.phone, ext),
                country_code=seed.country,
                phone_mobile=self.mobile(seed.country) if self.rng.random() < 0.5 else None,
            )
            _stamp(contact, created)
            self.people[seed.name].append(contact)

    def new_person(self, lang: str) -> data.PersonSeed:
        while True:
            first, civility = self.rng.choice(data.FIRST_NAMES[lang])
            last = self.rng.choice(data.LAST_NAMES[lang])
            if (first, last) not in self.used_names:
                self.used_names.add((first, last))
                return data.PersonSeed(first, last, "", civility)

    def mobile(self, country: str) -> str | None:
        r = self.rng
        if country == "DE":
            return f"+49 15{r.choice('1279')} {r.randint(10_000_000, 99_999_999)}"
        if country == "AT":
            return f"+43 664 {r.randint(1_000_000, 9_999_999)}"
        if country == "CH":
            return f"+41 79 {r.randint(100, 999)} {r.randint(10, 99)} {r.randint(10, 99)}"
        if country == "GB":
            return f"+44 7700 900{r.randint(0, 999):03d}"  # Ofcom's range for drama
        return None

    def add_private_contacts(self) -> None:
        for login, lang, person in data.PRIVATE_CONTACTS:
            contact = create_contact(
                self.session,
                firstname=person.first,
                lastname=person.last,
                created_by=self.users[login],
                civility=person.civility,
                job_title=person.job,
                language=lang,
                email=person.email,
                is_private=True,
                phone_mobile=self.mobile("DE" if lang == "de" else "GB"),
            )
            _stamp(contact, self.now - timedelta(days=self.rng.randint(30, 300)))

    def add_tags(self) -> None:
        for label, kind, names in data.TAGS:
            tag = Tag(label=label, type=kind, created_at=self.now - timedelta(days=365))
            tag.updated_at = tag.created_at
            self.session.add(tag)
            self.session.flush()
            self.session.add_all(ThirdPartyTag(tag_id=tag.id, thirdparty_id=self.tps[n].id) for n in names)
        self.session.flush()

    # -- past activities ------------------------------------------------------------------------------

    def add_history(self, seed: data.CompanySeed) -> None:
        """About four months of calls, meetings, emails and notes; the silent customers stop 40+ days ago."""
        rng = self.rng
        if seed.closed:
            return
        if seed.customer_type in (CustomerType.CUSTOMER, CustomerType.BOTH):
            if seed.silent:
                days = rng.sample(range(SILENT_AFTER_DAYS, HISTORY_DAYS + 1), rng.randint(3, 5))
            else:
                days = rng.sample(range(1, HISTORY_DAYS + 1), rng.randint(6, 10))
                if min(days) > RECENT_DAYS:
                    days[0] = rng.randint(1, RECENT_DAYS)
            kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=len(days))
        elif seed.prospect_status in (ProspectStatus.IN_PROGRESS, ProspectStatus.CONTACTED):
            days = rng.sample(range(5, 91), rng.randint(1, 3))
            kinds = ["prospect"] * len(days)
        elif seed.supplier:
            days = rng.sample(range(1, HISTORY_DAYS + 1), rng.randint(0, 2))
            kinds = ["supplier"] * len(days)
        else:
            return
        for days_ago, kind in sorted(zip(days, kinds, strict=True), reverse=True):
            owner = self.owner_of(seed)
            tz = zone(owner.timezone)
            day = _workday_back(self.today(tz) - timedelta(days=days_ago))
            start = _at(day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)), tz)
            people = self.people[seed.name]
            contact = rng.choice(people) if people else None
            self.log(seed, contact, owner, KIND_TYPE[kind], rng.choice(data.TEXTS[seed.lang][kind]), start)

    def log(
        self,
        seed: data.CompanySeed,
        contact: Contact | None,
        owner: User,
        type_code: str,
        text: tuple[str, str],
        start: datetime,
        *,
        linked: tuple[str, int] | None = None,
        **words: str,
    ) -> Activity:
        """One past event, done or logged; emails get addresses, a subject and a unique Message-ID.

        *text* is a (label, body) pair from demo_data, filled in with :meth:`words` and *words*.
        """
        tp = self.tps[seed.name]
        words = {**self.words(seed, contact), **words}
        label, body = (part.format(**words) for part in text)
        address = contact.email if contact else tp.email
        if type_code in (ActivityType.EMAIL, ActivityType.EMAIL_IN) and address is None:
            type_code = ActivityType.CALL
        outgoing = type_code == ActivityType.EMAIL
        message_id = sender = recipient = subject = None
        if type_code in (ActivityType.EMAIL, ActivityType.EMAIL_IN):
            domain = data.OUR_DOMAIN if outgoing else (address or "").rpartition("@")[2]
            message_id = f"<{start:%Y%m%d%H%M}.demo{self.next_number(domain):04d}@{domain}>"
            sender, recipient = (owner.email, address) if outgoing else (address, owner.email)
            subject = label
        is_call, is_meeting = type_code == ActivityType.CALL, type_code == ActivityType.MEETING
        activity = log_activity(
            self.session,
            type_code=type_code,
            label=label,
            body=body,
            start_at=start,
            owner=owner,
            thirdparty=tp,
            contacts=[contact] if contact else [],
            source=SOURCE,
            linked=linked,
            percent=Percent.DONE if is_call or is_meeting else Percent.NOT_APPLICABLE,
            end_at=start + timedelta(hours=1) if is_meeting else None,
            location=(
                ("Microsoft Teams" if "Video" in label else f"{seed.street}, {seed.town}")
                if is_meeting
                else None
            ),
            call_duration_s=self.rng.randint(3, 40) * 60 if is_call else None,
            email_message_id=message_id,
            email_from=sender,
            email_to=recipient,
            email_subject=subject,
        )
        _stamp(activity, start)
        return activity

    # -- quotes, orders, invoices, payments ----------------------------------------------------------

    def plan_deal(self, seed: data.DealSeed) -> _Deal:
        """The dates of a deal's documents: quote, then order a week later, invoice, payment."""
        owner = self.owner_of(self.seeds[seed.company])
        today = self.today(zone(owner.timezone))
        quote_day = _workday_back(today - timedelta(days=seed.days_ago))
        deal = _Deal(seed, seed.title.format(next_year=self.next_year), owner, quote_day)
        if seed.stage in ("open", "lost"):
            return deal
        deal.order_day = _workday_forward(quote_day + timedelta(days=7))
        if seed.stage == "delivered":  # invoiced ten days ago, not due yet
            deal.invoice_day = _workday_back(today - timedelta(days=10))
        elif seed.stage in ("overdue", "paid"):  # invoiced two weeks after the quote, due after 30 days
            deal.invoice_day = _workday_forward(quote_day + timedelta(days=14))
        if seed.stage == "paid" and deal.invoice_day is not None:
            deal.paid_day = min(deal.invoice_day + timedelta(days=self.rng.randint(10, 25)), today)
        return deal

    def add_deals(self) -> None:
        deals = [self.plan_deal(seed) for seed in data.DEALS]
        refs = {
            "order": iter(_numbered("CO", [d.order_day for d in deals if d.order_day])),
            "invoice": iter(_numbered("FA", [d.invoice_day for d in deals if d.invoice_day])),
            "payment": iter(_numbered("PAY", [d.paid_day for d in deals if d.paid_day])),
        }
        for deal, quote_ref in zip(deals, _numbered("PR", [d.quote_day for d in deals]), strict=True):
            self.add_deal(deal, quote_ref, refs)

    def add_deal(self, deal: _Deal, quote_ref: str, refs: dict[str, Iterator[str]]) -> None:
        session, seed, company = self.session, deal.seed, self.seeds[deal.seed.company]
        contact = self.people[seed.company][0] if self.people[seed.company] else None
        tz = zone(deal.owner.timezone)
        net = Decimal(seed.amount).quantize(Decimal("0.01"))
        vat = (net * Decimal(data.VAT_RATES.get(company.country, "0"))).quantize(Decimal("0.01"))
        common: dict[str, Any] = {
            "thirdparty_id": self.tps[seed.company].id,
            "contact_id": contact.id if contact else None,
            "owner_id": deal.owner.id,
            "total_ht": net,
            "total_vat": vat,
            "total_ttc": net + vat,
            "currency": data.CURRENCIES[company.country],
            "note_public": deal.title,
        }
        sent = _at(deal.quote_day, 11, 0, tz)
        quote = Quote(
            ref=quote_ref,
            date=deal.quote_day,
            status=STAGE_QUOTE_STATUS.get(seed.stage, QuoteStatus.BILLED),
            valid_until=deal.quote_day + timedelta(days=30),
            validated_at=sent,
            created_at=sent,
            updated_at=sent,
            signed_at=_at(deal.order_day, 10, 0, tz) if deal.order_day else None,
            **common,
        )
        session.add(quote)
        session.flush()
        self.quotes[(seed.company, deal.title)] = quote
        self.log(
            company,
            contact,
            deal.owner,
            ActivityType.EMAIL,
            data.QUOTE_MAIL[company.lang],
            sent,
            linked=("quote", quote.id),
            ref=quote.ref,
            title=deal.title,
        )
        if deal.order_day is None:
            return
        billed = deal.invoice_day is not None
        ordered = _at(deal.order_day, 10, 0, tz)
        order = Order(
            ref=next(refs["order"]),
            date=deal.order_day,
            quote_id=quote.id,
            billed=billed,
            status=OrderStatus.DELIVERED if billed else OrderStatus.VALIDATED,
            delivery_date=deal.order_day + timedelta(days=21),
            validated_at=ordered,
            created_at=ordered,
            updated_at=ordered,
            **common,
        )
        session.add(order)
        session.flush()
        if deal.invoice_day is None:
            return
        invoiced = _at(deal.invoice_day, 9, 30, tz)
        invoice = Invoice(
            ref=next(refs["invoice"]),
            date=deal.invoice_day,
            due_date=deal.invoice_day + timedelta(days=30),
            status=InvoiceStatus.PAID if deal.paid_day else InvoiceStatus.UNPAID,
            order_id=order.id,
            paid=deal.paid_day is not None,
            validated_at=invoiced,
            created_at=invoiced,
            updated_at=invoiced,
            **common,
        )
        session.add(invoice)
        if deal.paid_day is not None:
            booked = _at(deal.paid_day, 12, 0, tz)
            payment = Payment(
                ref=next(refs["payment"]),
                date=deal.paid_day,
                amount=net + vat,
                payment_mode="VIR",
                author_id=deal.owner.id,
                created_at=booked,
                updated_at=booked,
            )
            payment.allocations.append(PaymentAllocation(invoice=invoice, amount=net + vat))
            session.add(payment)
        session.flush()

    # -- the story, tickets, projects ------------------------------------------------------------------

    def add_story(self) -> None:
        """DESIGN.md §7: the overdue ACME follow-up with its reminder, Initech today, meetings ahead."""
        anna, acme = self.users["anna"], self.seeds["ACME GmbH"]
        today = self.today(BERLIN)
        friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)  # the previous Friday
        max_ = self.contact("ACME GmbH", "Mustermann")
        offer = self.quotes[("ACME GmbH", f"Wartungsvertrag {self.next_year}")]
        called = _at(friday - timedelta(days=3), 10, 30, BERLIN)
        self.log(
            acme,
            max_,
            anna,
            ActivityType.CALL,
            data.ACME_CALL,
            called,
            linked=("quote", offer.id),
            ref=offer.ref,
        )
        label, body = (part.format(**self.words(acme, max_), ref=offer.ref) for part in data.ACME_FOLLOWUP)
        followup = log_activity(
            self.session,
            type_code=ActivityType.NOTE,
            label=label,
            body=body,
            owner=anna,
            contacts=[max_],
            start_at=_at(friday, 9, 0, BERLIN),
            thirdparty=self.tps[acme.name],
            percent=Percent.TODO,
            source=SOURCE,
            linked=("quote", offer.id),
        )
        _stamp(followup, called)
        _stamp(add_reminder(self.session, user=anna, due_at=followup.start_at, activity=followup), called)
        for meeting in data.MEETINGS:
            self.plan_meeting(meeting)

    def plan_meeting(self, seed: data.MeetingSeed) -> Activity:
        """A meeting still to come (percent 0): today, or on a working day *in_days* from today."""
        users = [self.users[login] for login in seed.logins]
        tz = zone(users[0].timezone)
        day = self.today(tz) + timedelta(days=seed.in_days)
        start = datetime.combine(day if seed.in_days == 0 else _workday_forward(day), seed.at, tzinfo=tz)
        people = [self.contact(seed.company, n) for n in seed.lastnames] or self.people[seed.company][:1]
        activity = log_activity(
            self.session,
            type_code=ActivityType.MEETING,
            label=seed.label,
            body=seed.body,
            start_at=start,
            end_at=start + timedelta(hours=1),
            owner=users[0],
            users=users,
            thirdparty=self.tps[seed.company],
            contacts=people,
            percent=Percent.TODO,
            location=seed.location,
            source=SOURCE,
        )
        _stamp(activity, self.now - timedelta(days=4))
        return activity

    def add_tickets(self) -> None:
        owners = [self.owner_of(self.seeds[t.company]) for t in data.TICKETS]
        days = [
            _workday_back(self.today(zone(o.timezone)) - timedelta(days=t.days_ago))
            for t, o in zip(data.TICKETS, owners, strict=True)
        ]
        for seed, owner, day, ref in zip(data.TICKETS, owners, days, _numbered("TS", days), strict=True):
            tp = self.tps[seed.company]
            contact = self.contact(seed.company, seed.contact_last) if seed.contact_last else None
            opened = _at(day, self.rng.randint(8, 16), self.rng.choice((5, 20, 35, 50)), zone(owner.timezone))
            closed = None
            if seed.status == TicketStatus.CLOSED:
                closed = opened + timedelta(days=self.rng.randint(1, 3))
            self.session.add(
                Ticket(
                    ref=ref,
                    track_id="".join(self.rng.choices(string.ascii_lowercase + string.digits, k=16)),
                    subject=seed.subject,
                    message=seed.message,
                    thirdparty_id=tp.id,
                    assignee_id=owner.id,
                    contact_id=contact.id if contact else None,
                    origin_email=contact.email if contact else tp.email,
                    type_code=seed.type_code,
                    severity_code=seed.severity,
                    status=seed.status,
                    closed_at=closed,
                    created_at=opened,
                    updated_at=closed or opened,
                )
            )
        self.session.flush()

    def add_projects(self) -> None:
        today = self.today(BERLIN)
        starts = [_workday_back(today - timedelta(days=p.started_days_ago)) for p in data.PROJECTS]
        task_days = [day for p, day in zip(data.PROJECTS, starts, strict=True) for _ in p.tasks]
        task_refs = iter(_numbered("TK", task_days))
        for seed, start, ref in zip(data.PROJECTS, starts, _numbered("PJ", starts), strict=True):
            created = _at(start, 9, 0, BERLIN)
            project = Project(
                ref=ref,
                title=seed.title,
                description=seed.description,
                status=ProjectStatus.OPEN,
                thirdparty_id=self.tps[seed.company].id,
                owner_id=self.owner_of(self.seeds[seed.company]).id,
                start_date=start,
                is_opportunity=True,
                opp_status=seed.opp_status,
                opp_percent=seed.opp_percent,
                opp_amount=Decimal(seed.opp_amount),
                created_at=created,
                updated_at=created,
            )
            for task in seed.tasks:
                due = _at(_workday_forward(today + timedelta(days=task.due_in_days)), 17, 0, BERLIN)
                project.tasks.append(
                    Task(
                        ref=next(task_refs),
                        label=task.label,
                        assignee_id=self.users[task.assignee].id,
                        start_at=created,
                        due_at=due,
                        progress=task.progress,
                        created_at=created,
                        updated_at=created,
                        planned_hours=Decimal(task.planned_hours),
                        closed_at=due if task.progress == 100 else None,
                    )
                )
            self.session.add(project)
        self.session.flush()
