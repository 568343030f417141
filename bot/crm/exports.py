"""Export of third parties, contacts and activities as CSV or JSON (``crmbot export ...``).

Rows are read in keyset-paged chunks of plain table rows (no ORM identity map), so an export of 100k
records streams in constant memory. The CSV uses the plain headers the import understands (UTF-8, ``,``),
so an exported file imports again: into a fresh database it recreates the records, into the same one it
updates them. Lists (tags, email domains, further addresses) are joined with ``"; "``, booleans are
``yes``/``no``, datetimes ISO 8601 in UTC with offset. JSON is a list of objects with the same keys.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, TextIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from bot.crm.models import (
    Activity,
    ActivityAttendee,
    Contact,
    ContactEmail,
    CustomerType,
    Tag,
    TagType,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyTag,
    User,
)

Entity = Literal["thirdparties", "contacts", "activities"]
Format = Literal["csv", "json"]
CHUNK = 1000

THIRDPARTY_COLUMNS = (
    "id", "name", "alias", "customer", "prospect", "supplier", "individual", "status", "email", "phone",
    "phone_mobile", "fax", "url", "address", "zip", "town", "state", "country", "vat_number", "prof_id1",
    "prof_id2", "prof_id3", "prof_id4", "prof_id5", "prof_id6", "capital", "customer_code", "supplier_code",
    "prospect_status", "prospect_level", "lead_source", "default_language", "payment_terms", "payment_mode",
    "parent", "parent_id", "email_domains", "tags", "note_public", "note_private", "external_ref",
    "import_key", "custom_fields", "converted_at", "created_at", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "civility", "firstname", "lastname", "thirdparty", "thirdparty_id", "job_title", "email",
    "extra_emails", "phone", "phone_private", "phone_mobile", "fax", "address", "zip", "town", "country",
    "birthday", "language", "private", "active", "no_marketing", "note_public", "note_private",
    "external_ref", "import_key", "custom_fields", "created_at", "updated_at",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "type_code", "label", "start_at", "end_at", "all_day", "percent", "done_at", "priority", "location",
    "thirdparty", "thirdparty_id", "contact", "contact_id", "attendees", "owner", "author", "project_id",
    "linked_type", "linked_id", "email_message_id", "email_from", "email_to", "email_cc", "email_subject",
    "call_duration_s", "channel", "body", "external_ref", "created_at", "updated_at",
)  # fmt: skip
# Columns exported under their own name.
_THIRDPARTY_AS_IS = (
    "vat_number", "prof_id1", "prof_id2", "prof_id3", "prof_id4", "prof_id5", "prof_id6", "capital",
    "customer_code", "supplier_code", "prospect_status", "prospect_level", "lead_source", "default_language",
    "payment_terms", "payment_mode",
)  # fmt: skip
_ACTIVITY_AS_IS = (
    "project_id", "linked_type", "linked_id", "email_message_id", "email_from", "email_to", "email_cc",
    "email_subject", "call_duration_s", "channel",
)  # fmt: skip
COLUMNS: dict[str, tuple[str, ...]] = {
    "thirdparties": THIRDPARTY_COLUMNS,
    "contacts": CONTACT_COLUMNS,
    "activities": ACTIVITY_COLUMNS,
}


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def _chunks(session: Session, stmt: Select[Any], id_column: Any) -> Iterator[Sequence[Any]]:
    """*stmt*'s rows in id order, CHUNK at a time (keyset paging: stable and cheap on large tables)."""
    last = 0
    while True:
        rows = session.execute(stmt.where(id_column > last).order_by(id_column).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _grouped(session: Session, stmt: Select[int, Any]) -> dict[int, list[Any]]:
    """``(owner id, value)`` rows -> values by owner id, in row order."""
    found: dict[int, list[Any]] = {}
    for owner, value in session.execute(stmt):
        found.setdefault(owner, []).append(value)
    return found


def _thirdparties(session: Session) -> Iterator[dict[str, Any]]:
    tp = ThirdParty.__table__.c
    for rows in _chunks(session, select(ThirdParty.__table__), tp.id):
        ids = [r.id for r in rows]
        domains = _grouped(
            session,
            select(ThirdPartyDomain.thirdparty_id, ThirdPartyDomain.domain)
            .where(ThirdPartyDomain.thirdparty_id.in_(ids))
            .order_by(ThirdPartyDomain.id),
        )
        tags = _grouped(
            session,
            select(ThirdPartyTag.thirdparty_id, Tag.label)
            .join(Tag, Tag.id == ThirdPartyTag.tag_id)
            .where(ThirdPartyTag.thirdparty_id.in_(ids), Tag.type == TagType.CUSTOMER)
            .order_by(Tag.label),
        )
        parent_ids = {r.parent_id for r in rows if r.parent_id is not None}
        parents: dict[int, str] = {}
        if parent_ids:
            found = session.execute(select(tp.id, tp.name).where(tp.id.in_(parent_ids)))
            parents = {row.id: row.name for row in found}
        for r in rows:
            yield {
                "id": r.id,
                "name": r.name,
                "alias": r.alias,
                "customer": r.customer_type in (CustomerType.CUSTOMER, CustomerType.BOTH),
                "prospect": r.customer_type in (CustomerType.PROSPECT, CustomerType.BOTH),
                "supplier": bool(r.is_supplier),
                "individual": bool(r.is_individual),
                "status": r.status,
                "email": r.email,
                "phone": r.phone,
                "phone_mobile": r.phone_mobile,
                "fax": r.fax,
                "url": r.website,
                "address": r.address,
                "zip": r.zip,
                "town": r.town,
                "state": r.state,
                "country": r.country_code,
                **{name: getattr(r, name) for name in _THIRDPARTY_AS_IS},
                "parent": parents.get(r.parent_id),
                "parent_id": r.parent_id,
                "email_domains": domains.get(r.id, []),
                "tags": tags.get(r.id, []),
                "note_public": r.note_public,
                "note_private": r.note_private,
                "external_ref": r.external_ref,
                "import_key": r.import_key,
                "custom_fields": r.custom_fields or {},
                "converted_at": _iso(r.converted_at),
                "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at),
            }


def _contacts(session: Session) -> Iterator[dict[str, Any]]:
    c = Contact.__table__.c
    stmt = select(Contact.__table__, ThirdParty.name.label("thirdparty_name")).outerjoin(
        ThirdParty, ThirdParty.id == c.thirdparty_id
    )
    for rows in _chunks(session, stmt, c.id):
        extra = _grouped(
            session,
            select(ContactEmail.contact_id, ContactEmail.email)
            .where(ContactEmail.contact_id.in_([r.id for r in rows]))
            .order_by(ContactEmail.position, ContactEmail.id),
        )
        for r in rows:
            yield {
                "id": r.id,
                "civility": r.civility,
                "firstname": r.firstname,
                "lastname": r.lastname,
                "thirdparty": r.thirdparty_name,
                "thirdparty_id": r.thirdparty_id,
                "job_title": r.job_title,
                "email": r.email,
                "extra_emails": extra.get(r.id, []),
                "phone": r.phone,
                "phone_private": r.phone_private,
                "phone_mobile": r.phone_mobile,
                "fax": r.fax,
                "address": r.address,
                "zip": r.zip,
                "town": r.town,
                "country": r.country_code,
                "birthday": _iso(r.birthday),
                "language": r.language,
                "private": bool(r.is_private),
                "active": bool(r.is_active),
                "no_marketing": bool(r.no_marketing),
                "note_public": r.note_public,
                "note_private": r.note_private,
                "external_ref": r.external_ref,
                "import_key": r.import_key,
                "custom_fields": r.custom_fields or {},
                "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at),
            }


def _person(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _activities(session: Session) -> Iterator[dict[str, Any]]:
    a = Activity.__table__.c
    person = aliased(Contact)
    stmt = (
        select(
            Activity.__table__,
            ThirdParty.name.label("thirdparty_name"),
            person.firstname.label("contact_firstname"),
            person.lastname.label("contact_lastname"),
        )
        .outerjoin(ThirdParty, ThirdParty.id == a.thirdparty_id)
        .outerjoin(person, person.id == a.contact_id)
    )
    logins = {row.id: row.login for row in session.execute(select(User.id, User.login))}
    for rows in _chunks(session, stmt, a.id):
        attendees: dict[int, list[str]] = {}
        attendee_rows = session.execute(
            select(
                ActivityAttendee.activity_id, ActivityAttendee.user_id, Contact.firstname, Contact.lastname
            )
            .outerjoin(Contact, Contact.id == ActivityAttendee.contact_id)
            .where(ActivityAttendee.activity_id.in_([r.id for r in rows]))
            .order_by(ActivityAttendee.id)
        )
        for activity_id, user_id, first, last in attendee_rows:
            name = logins.get(user_id) if user_id is not None else _person(first, last)
            if name:
                attendees.setdefault(activity_id, []).append(name)
        for r in rows:
            yield {
                "id": r.id,
                "type_code": r.type_code,
                "label": r.label,
                "start_at": _iso(r.start_at),
                "end_at": _iso(r.end_at),
                "all_day": bool(r.all_day),
                "percent": r.percent,
                "done_at": _iso(r.done_at),
                "priority": r.priority,
                "location": r.location,
                "thirdparty": r.thirdparty_name,
                "thirdparty_id": r.thirdparty_id,
                "contact": _person(r.contact_firstname, r.contact_lastname),
                "contact_id": r.contact_id,
                "attendees": attendees.get(r.id, []),
                "owner": logins.get(r.owner_id) if r.owner_id is not None else None,
                "author": logins.get(r.author_id) if r.author_id is not None else None,
                **{name: getattr(r, name) for name in _ACTIVITY_AS_IS},
                "body": r.body,
                "external_ref": r.external_ref,
                "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at),
            }


_SOURCES: dict[str, Callable[[Session], Iterator[dict[str, Any]]]] = {
    "thirdparties": _thirdparties,
    "contacts": _contacts,
    "activities": _activities,
}


def export_rows(session: Session, entity: Entity) -> Iterator[dict[str, Any]]:
    """The records of *entity* as JSON-ready dicts with the keys of ``COLUMNS[entity]``, by id."""
    if entity not in _SOURCES:
        raise ValueError(f"cannot export {entity!r}: choose one of {', '.join(_SOURCES)}")
    return _SOURCES[entity](session)


def csv_cell(value: Any) -> str:
    """A JSON-ready value as CSV text: "" for none, yes/no, lists joined with "; ", objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


def write_export(session: Session, entity: Entity, fmt: Format, out: TextIO) -> int:
    """Write *entity* to *out* as CSV (plain headers, re-importable) or a JSON list; returns the row count.

    Open a file for the CSV with ``newline=""`` (the csv module writes the line ends itself).
    """
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}: choose csv or json")
    rows = export_rows(session, entity)
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS[entity])
        for row in rows:
            writer.writerow([csv_cell(row[column]) for column in COLUMNS[entity]])
            count += 1
        return count
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
