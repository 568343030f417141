"""GDPR erasure: anonymising a person (``crmbot gdpr anonymize``) and, for retention, a third party.

The rules are Dolibarr's (module datapolicy): the record stays, so the company's history keeps its shape,
but what identifies the person goes. A contact's last name becomes an anonymous token (``anonymous-17``);
first name, civility, job title, address, zip, town, country, phones, fax, email, extra addresses,
birthday, notes and custom fields (social networks …) are blanked; the contact becomes inactive and, on
an erasure request, no-marketing. Beyond Dolibarr, because this CRM keeps mail (bot.crm.erasure):

- Archived mail the person sent or received, and the mail of their events: their address and name are
  replaced in the row, the stored original becomes a stand-in with only the threading headers (the person
  replaced) and a note that the content was removed; the event's body (the mail's text) is dropped. A
  mail they shared with others loses its body for those others too.
- Documents on events that concern only this person are deleted (a document on an event shared with
  others stays, its file name redacted); a stored file goes once no row refers to its bytes.
- Events are kept (the company's history: who called whom, when), with the person's name, addresses and
  phone numbers replaced in titles, notes and mail fields; the full name and addresses are also replaced
  wherever else they are written (other events, reminders, tickets, notes, the audit trail, the
  processed-message ledger); open questions that offer the person as a choice are dropped.
- Consent rows are kept, their free-text note cleared: under Art. 7(1) GDPR the controller must be able
  to show what was consented to or withdrawn and when; tied to an anonymous contact they identify no one.
  An unsubscribe entry is kept for the same reason (mailings must keep skipping the address).
- On an erasure request (*suppress*, the default) the addresses go on the never-log list, so the next
  BCC'd mail does not bring the person back; that entry (address and date) is the one place the address
  stays, and ``crmbot never-log remove`` lifts it should the person come back. Retention does not
  suppress: someone who aged out of the CRM may well become a customer again.

One ``anonymize`` audit row per anonymised record (counts and the reason, no personal data). Running it
again changes nothing and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.crm.erasure import Eraser, Person, address_conditions, assign, chunks, suppressed
from bot.crm.gdpr import GdprError, contacts_with_address
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    Consent,
    Contact,
    Document,
    EmailMessage,
    Reminder,
    ThirdParty,
    ThirdPartyStatus,
    Ticket,
)
from bot.crm.redaction import Redactor
from bot.normalize import normalize_email, split_aliases
from storage import DocumentStore

CONTACT_TOKEN = "anonymous-{id}"
THIRDPARTY_TOKEN = "anonymous-thirdparty-{id}"
CONTACT_BLANK = (
    "firstname", "civility", "job_title", "email", "phone", "phone_private", "phone_mobile", "fax",
    "address", "zip", "town", "country_code", "birthday", "note_public",
)  # fmt: skip
THIRDPARTY_BLANK = (
    "alias", "address", "zip", "town", "state", "country_code", "phone", "phone_mobile", "fax", "email",
    "website", "note_public",
)  # fmt: skip
INDIVIDUAL_BLANK = ("vat_number", "prof_id1", "prof_id2", "prof_id3", "prof_id4", "prof_id5", "prof_id6")
_CONTACT_FIXED = (
    *CONTACT_BLANK, "lastname", "email_lower", "firstname_key", "lastname_key", "fullname_key",
    "custom_fields", "note_private",
)  # fmt: skip


@dataclass
class Anonymized:
    """What an anonymisation changed (all zero: there was nothing left to do)."""

    contacts: int = 0
    thirdparties: int = 0
    activities: int = 0
    emails: int = 0
    originals: int = 0  # stored mails replaced by a stand-in
    documents: int = 0
    files: int = 0  # stored files deleted after the commit (nothing else refers to their bytes)
    other: int = 0  # other rows that named the person: notes, reminders, tickets, the audit trail …
    never_log: int = 0

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def add(self, other: Anonymized) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def contact_token(contact_id: int) -> str:
    return CONTACT_TOKEN.format(id=contact_id)


def thirdparty_token(thirdparty_id: int) -> str:
    return THIRDPARTY_TOKEN.format(id=thirdparty_id)


def require_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise GdprError(f"no contact with id {contact_id}")
    return contact


def require_thirdparty(session: Session, thirdparty_id: int) -> ThirdParty:
    thirdparty = session.get(ThirdParty, thirdparty_id)
    if thirdparty is None:
        raise GdprError(f"no third party with id {thirdparty_id}")
    return thirdparty


def anonymize_contact(
    session: Session,
    store: DocumentStore,
    contact: Contact,
    *,
    now: datetime,
    reason: str,
    suppress: bool = True,
) -> Anonymized:
    """Anonymise *contact* and what the CRM holds about them (see the module docstring)."""
    eraser = Eraser(session, store, now)
    result = _contact(eraser, contact, reason, suppress=suppress)
    result.files += eraser.finish()
    return result


def anonymize_email(
    session: Session, store: DocumentStore, email: str, *, now: datetime, reason: str, suppress: bool = True
) -> Anonymized:
    """Anonymise every contact with *email* (main or extra address) and the archived mail with it. An
    address anonymised before gives an empty result; one the CRM never held raises :class:`GdprError`."""
    address = normalize_email(email)
    if address is None:
        raise GdprError(f"{email!r} is not an email address")
    eraser = Eraser(session, store, now)
    result = Anonymized()
    for contact in contacts_with_address(session, address):
        result.add(_contact(eraser, contact, reason, suppress=suppress))
    person = Person(Redactor(token="anonymous", addresses=[address]))  # mail with no contact behind it
    mails, originals = eraser.mails(person, address_conditions([address]))
    if mails:
        extra = Anonymized(emails=len(mails), originals=originals)
        extra.other = eraser.everywhere(person) + eraser.audit(person)
        if suppress:
            extra.never_log = eraser.suppress([address])
        eraser.record(
            "email_messages", mails[0].id, None, f"GDPR anonymisation: {_reason(reason)}", extra.counts()
        )
        result.add(extra)
    if not result.changed and not suppressed(session, address):
        raise GdprError(f"no contact or archived mail with the address {address}")
    result.files += eraser.finish()
    return result


def anonymize_thirdparty(
    session: Session,
    store: DocumentStore,
    thirdparty: ThirdParty,
    *,
    now: datetime,
    reason: str,
    suppress: bool = True,
    individuals_only: bool = True,
) -> Anonymized:
    """Anonymise a third party with its contacts, its events' texts, its mail and its documents (Dolibarr:
    name to a token; alias, address, phones, email, website blanked; for a private person also the tax
    ids). By default only a private person (``is_individual``), as in Dolibarr's card action; retention
    passes ``individuals_only=False``, as Dolibarr's datapolicy job anonymises idle companies too."""
    if individuals_only and not thirdparty.is_individual:
        raise GdprError(
            f"{thirdparty.name} is a company, not a private person: anonymise its contacts (--contact)"
        )
    eraser = Eraser(session, store, now)
    result = _thirdparty(eraser, thirdparty, reason, suppress=suppress)
    result.files += eraser.finish()
    return result


def _reason(reason: str) -> str:
    return reason.strip() or "erasure request"


def _people(activity: Activity) -> set[int]:
    people = {a.contact_id for a in activity.attendees if a.contact_id is not None}
    return people | ({activity.contact_id} if activity.contact_id is not None else set())


def _contact(eraser: Eraser, contact: Contact, reason: str, *, suppress: bool) -> Anonymized:
    s = eraser.session
    token = contact_token(contact.id)
    addresses = [a.lower() for a in contact.all_emails]
    person = Person(
        Redactor.for_person(
            token,
            firstname=contact.firstname,
            lastname=contact.lastname,
            addresses=addresses,
            phones=(contact.phone, contact.phone_private, contact.phone_mobile, contact.fax),
            streets=(contact.address,),
            keep=(contact.thirdparty.name,) if contact.thirdparty is not None else (),
        )
    )
    attended = select(ActivityAttendee.activity_id).where(ActivityAttendee.contact_id == contact.id)
    activities = list(
        s.scalars(select(Activity).where(or_(Activity.contact_id == contact.id, Activity.id.in_(attended))))
    )
    result = Anonymized()
    person.own["contacts"].add(contact.id)
    person.own["activities"].update(a.id for a in activities)
    conditions = address_conditions(addresses)
    conditions += [EmailMessage.activity_id.in_(c) for c in chunks(person.own["activities"])]
    mails, result.originals = eraser.mails(person, conditions)
    result.emails = len(mails)
    result.activities = eraser.events(person, activities, {m.activity_id for m in mails if m.activity_id})
    only_theirs = {a.id for a in activities if _people(a) <= {contact.id}}
    owned = [(Document.owner_type == "contact") & (Document.owner_id == contact.id)]
    owned += [(Document.owner_type == "activity") & Document.owner_id.in_(c) for c in chunks(only_theirs)]
    result.documents = eraser.delete_documents(person, s.scalars(select(Document).where(or_(*owned))))
    for chunk in chunks(a.id for a in activities if a.id not in only_theirs):
        shared = s.scalars(
            select(Document).where(Document.owner_type == "activity", Document.owner_id.in_(chunk))
        )
        result.other += eraser.redact(person, shared)  # kept for the others on the event
    consents = list(s.scalars(select(Consent).where(Consent.contact_id == contact.id)))
    tickets = list(s.scalars(select(Ticket).where(Ticket.contact_id == contact.id)))
    person.own["consents"].update(c.id for c in consents)
    person.own["tickets"].update(t.id for t in tickets)
    result.other += eraser.redact(person, [*consents, *tickets])
    for consent in consents:  # the decision stays as proof; the free text goes
        result.other += assign(consent, "note", None)
    for chunk in chunks(person.own["activities"]):
        reminders = list(s.scalars(select(Reminder).where(Reminder.activity_id.in_(chunk))))
        person.own["reminders"].update(r.id for r in reminders)
        result.other += eraser.redact(person, reminders)
    person.own["contact_emails"].update(e.id for e in contact.extra_emails)
    result.contacts = int(_blank_contact(contact, token, eraser.now, suppress=suppress))
    s.flush()
    person.fixed[("contacts", contact.id)] = {k: getattr(contact, k) for k in _CONTACT_FIXED}
    result.other += eraser.everywhere(person) + eraser.audit(person)
    if suppress:
        result.never_log = eraser.suppress(addresses)
    if result.changed:
        summary = f"GDPR anonymisation of contact {contact.id}: {_reason(reason)}"
        eraser.record("contacts", contact.id, contact.thirdparty_id, summary, result.counts())
    return result


def _blank_contact(contact: Contact, token: str, now: datetime, *, suppress: bool) -> bool:
    changed = assign(contact, "lastname", token)
    for name in CONTACT_BLANK:
        changed |= assign(contact, name, None)
    changed |= assign(contact, "custom_fields", {})
    changed |= assign(contact, "is_active", False)
    if suppress:
        changed |= assign(contact, "no_marketing", True)
    for extra in list(contact.extra_emails):
        contact.extra_emails.remove(extra)
        changed = True
    if changed:
        contact.note_private = f"Anonymised on {now:%Y-%m-%d} (GDPR)."
    return changed


def _thirdparty(eraser: Eraser, tp: ThirdParty, reason: str, *, suppress: bool) -> Anonymized:
    s = eraser.session
    result = Anonymized()
    for contact in list(
        s.scalars(select(Contact).where(Contact.thirdparty_id == tp.id).order_by(Contact.id))
    ):
        result.add(_contact(eraser, contact, reason, suppress=suppress))
    token = thirdparty_token(tp.id)
    names = [tp.name] if tp.name != token else []
    names += [a for a in split_aliases(tp.alias) if len(a) >= 3]
    person = Person(
        Redactor(
            token=token,
            names=names,
            addresses=[tp.email.lower()] if tp.email else [],
            phones=[p for p in (tp.phone, tp.phone_mobile, tp.fax) if p],
            streets=[tp.address.strip()] if tp.address and len(tp.address.strip()) >= 4 else [],
            weak=[w for w in tp.name.split() if len(w) >= 3] if tp.is_individual and names else [],
        )
    )
    activities = list(s.scalars(select(Activity).where(Activity.thirdparty_id == tp.id)))
    person.own["thirdparties"].add(tp.id)
    person.own["activities"].update(a.id for a in activities)
    conditions = [EmailMessage.thirdparty_id == tp.id, *address_conditions(person.redactor.addresses)]
    conditions += [EmailMessage.activity_id.in_(c) for c in chunks(person.own["activities"])]
    mails, originals = eraser.mails(person, conditions)
    result.emails += len(mails)
    result.originals += originals
    result.activities += eraser.events(person, activities, {m.activity_id for m in mails if m.activity_id})
    owned = [
        Document.thirdparty_id == tp.id,
        (Document.owner_type == "thirdparty") & (Document.owner_id == tp.id),
    ]
    owned += [
        (Document.owner_type == "activity") & Document.owner_id.in_(c)
        for c in chunks(person.own["activities"])
    ]
    result.documents += eraser.delete_documents(person, s.scalars(select(Document).where(or_(*owned))))
    blanked = THIRDPARTY_BLANK + (INDIVIDUAL_BLANK if tp.is_individual else ())
    changed = assign(tp, "name", token)
    for name in blanked:
        changed |= assign(tp, name, None)
    changed |= assign(tp, "custom_fields", {})
    changed |= assign(tp, "status", int(ThirdPartyStatus.CLOSED))
    if tp.email_domains:  # mail from the domain would otherwise still be filed here
        tp.email_domains = []
        changed = True
    if changed:
        tp.note_private = f"Anonymised on {eraser.now:%Y-%m-%d} (GDPR)."
    result.thirdparties += int(changed)
    s.flush()
    fixed = (*blanked, "name", "email_lower", "custom_fields", "note_private")
    person.fixed[("thirdparties", tp.id)] = {k: getattr(tp, k) for k in fixed}
    result.other += eraser.everywhere(person) + eraser.audit(person)
    if suppress and tp.is_individual:
        result.never_log += eraser.suppress(person.redactor.addresses)
    if changed:
        summary = f"GDPR anonymisation of third party {tp.id}: {_reason(reason)}"
        eraser.record("thirdparties", tp.id, tp.id, summary, result.counts())
    return result
