"""Importing contacts, one batch at a time: link each to its third party, find its record, write it.

The third party a row names (``thirdparty`` / Dolibarr ``s.fk_soc``: a name, an alias or a customer code)
must be found for certain (see :class:`bot.crm.import_batch.ThirdPartyRefs`), or the row is an error. A
row's record is found by its external ref, else its email address (case-insensitive, also the further
addresses), else its full name at the same third party; a record with another email address is another
person. Like third parties, the candidates of a batch are loaded with a few IN queries up front.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session, selectinload

from bot.crm.contacts import EDITABLE_FIELDS, create_contact, update_contact
from bot.crm.import_batch import (
    BatchResult,
    Row,
    RowError,
    ThirdPartyRefs,
    blank_values,
    merged_custom_fields,
    number_new_rows,
    pick_one,
    service_session,
    write_rows,
)
from bot.crm.import_fields import CUSTOM_PREFIX, CellError
from bot.crm.models import Contact, ContactEmail
from bot.normalize import fold, normalize_email

_OWN_FIELDS = ("id", "thirdparty", "thirdparty_id")


def contact_key(firstname: str | None, lastname: str | None) -> str:
    """The contact's ``fullname_key`` as the model computes it."""
    return " ".join(k for k in (fold(firstname or ""), fold(lastname or "")) if k)


def _emails(contact: Contact) -> set[str]:
    found = {contact.email_lower} if contact.email_lower else set()
    return found | {extra.email_lower for extra in contact.extra_emails}


def _ident(contact: Contact) -> int | None:
    return contact.id


class ContactIndex:
    """The contacts one batch may match, by external ref, email address and (full name key, third party)."""

    def __init__(self) -> None:
        self.by_ref: dict[str, list[Contact]] = {}
        self.by_email: dict[str, list[Contact]] = {}
        self.by_name: dict[tuple[str, int | None], list[Contact]] = {}
        self._filed: dict[int, tuple[str | None, set[str], tuple[str, int | None]]] = {}

    @classmethod
    def load(cls, session: Session, rows: Sequence[Row]) -> ContactIndex:
        index = cls()
        if not rows:
            return index
        refs = {r.values["external_ref"] for r in rows if "external_ref" in r.values}
        emails = {normalize_email(r.values["email"]) for r in rows if "email" in r.values}
        keys = {contact_key(r.values.get("firstname"), r.values["lastname"]) for r in rows}
        queries = [select(Contact.id.label("id")).where(Contact.fullname_key.in_(keys))]
        if refs:
            queries.append(select(Contact.id.label("id")).where(Contact.external_ref.in_(refs)))
        if emails:
            queries.append(select(Contact.id.label("id")).where(Contact.email_lower.in_(emails)))
            queries.append(
                select(ContactEmail.contact_id.label("id")).where(ContactEmail.email_lower.in_(emails))
            )
        ids = set(session.scalars(union(*queries))) if len(queries) > 1 else set(session.scalars(queries[0]))
        if ids:
            stmt = select(Contact).where(Contact.id.in_(ids)).options(selectinload(Contact.extra_emails))
            for contact in session.scalars(stmt.order_by(Contact.id)):
                index.add(contact)
        return index

    def add(self, contact: Contact) -> None:
        old = self._filed.pop(id(contact), None)
        if old is not None:
            ref, emails, name = old
            if ref is not None:
                self.by_ref[ref].remove(contact)
            for email in emails:
                self.by_email[email].remove(contact)
            self.by_name[name].remove(contact)
        filed = (contact.external_ref, _emails(contact), (contact.fullname_key, contact.thirdparty_id))
        self._filed[id(contact)] = filed
        if contact.external_ref is not None:
            self.by_ref.setdefault(contact.external_ref, []).append(contact)
        for email in filed[1]:
            self.by_email.setdefault(email, []).append(contact)
        self.by_name.setdefault(filed[2], []).append(contact)

    def find(self, row: Row) -> Contact | None:
        values = row.values
        ref, hint = values.get("external_ref"), values.get("id")
        email = normalize_email(values.get("email"))
        key = contact_key(values.get("firstname"), values["lastname"])

        def conflicts(contact: Contact) -> bool:
            other_email = bool(email and contact.email_lower and email not in _emails(contact))
            return bool(other_email or (ref and contact.external_ref and contact.external_ref != ref))

        if ref and self.by_ref.get(ref):
            return pick_one(self.by_ref[ref], hint, _ident, f"external ref {ref!r}")
        if email and self.by_email.get(email):
            same = [c for c in self.by_email[email] if not (ref and c.external_ref and c.external_ref != ref)]
            closer = [c for c in same if (c.fullname_key, c.thirdparty_id) == (key, row.thirdparty_id)]
            found = pick_one(closer or same, hint, _ident, f"email {email!r}")
            if found is not None:
                return found
        named = [c for c in self.by_name.get((key, row.thirdparty_id), []) if not conflicts(c)]
        return pick_one(named, hint, _ident, "this name at this third party")


class ContactImporter:
    def __init__(self, import_key: str, file_fields: Iterable[str], refs: ThirdPartyRefs) -> None:
        self.import_key = import_key
        self.refs = refs
        fields = set(file_fields)
        if fields & {"thirdparty", "thirdparty_id"}:
            fields.add("thirdparty_id")
        if any(name.startswith(CUSTOM_PREFIX) for name in fields):
            fields.add("custom_fields")
        self.blank = blank_values(Contact, (fields & EDITABLE_FIELDS) - {"firstname", "lastname"})

    def check(self, line: int, values: dict[str, Any]) -> Row:
        """A contact needs a last name; a first name alone is the last name (as in create_contact)."""
        if not values.get("lastname"):
            if not values.get("firstname"):
                raise CellError("missing mandatory name (lastname)")
            values["lastname"] = values.pop("firstname")
        return Row(line, values)

    def fields(self, row: Row, target: Contact | None) -> dict[str, Any]:
        values = dict(row.values)
        own = {name: values.pop(name) for name in _OWN_FIELDS if name in values}
        if "thirdparty" in own or "thirdparty_id" in own:
            values["thirdparty_id"] = row.thirdparty_id
        merged_custom_fields(values, target.custom_fields if target else None)
        values["import_key"] = self.import_key
        return values if target is not None else {**self.blank, **values}

    def _link(self, session: Session, rows: Sequence[Row], result: BatchResult) -> list[Row]:
        """Resolve each row's third party; rows whose third party cannot be found are errors."""
        linked = []
        with session.no_autoflush:
            for row in rows:
                text, hint = row.values.get("thirdparty"), row.values.get("thirdparty_id")
                if text or hint:
                    try:
                        row.thirdparty_id = self.refs.resolve(session, text, hint)
                    except CellError as exc:
                        result.errors.append(RowError(row.line, str(exc)))
                        continue
                linked.append(row)
        return linked

    def apply(self, session: Session, rows: Sequence[Row], *, careful: bool) -> BatchResult:
        result = BatchResult()
        rows = self._link(session, rows, result)
        index = ContactIndex.load(session, rows)
        services = service_session(session, careful=careful)
        for _row, contact in write_rows(
            session,
            rows,
            result,
            careful=careful,
            find=index.find,
            build=self.fields,
            write=lambda target, fields: self._write(services, target, fields),
        ):
            index.add(contact)
        number_new_rows(session)
        session.flush()
        return result

    @staticmethod
    def _write(session: Session, target: Contact | None, fields: dict[str, Any]) -> Contact:
        if target is None:
            return create_contact(session, **fields)
        return update_contact(session, target, **fields)
