"""Contact services: create and update, with the contact's email addresses kept unique per contact."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.crm.models import Contact, ContactEmail, ThirdParty, User

EDITABLE_FIELDS = frozenset(
    c.key
    for c in Contact.__table__.columns
    if c.key
    not in {
        "id",
        "created_at",
        "updated_at",
        "email_lower",
        "created_by_id",
        "firstname_key",
        "lastname_key",
        "fullname_key",
    }
)


class ContactError(ValueError):
    pass


def _apply(contact: Contact, fields: dict[str, Any]) -> None:
    extra = fields.pop("extra_emails", None)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ContactError(f"unknown contact field(s): {', '.join(sorted(unknown))}")
    for key, value in fields.items():
        setattr(contact, key, value)
    if extra is not None:
        have = {e.email_lower for e in contact.extra_emails}
        for position, address in enumerate(extra, start=len(contact.extra_emails)):
            if (
                address
                and address.strip().lower() not in have
                and address.strip().lower() != contact.email_lower
            ):
                contact.extra_emails.append(ContactEmail(email=address, position=position))
                have.add(address.strip().lower())


def create_contact(
    session: Session,
    *,
    lastname: str,
    firstname: str | None = None,
    thirdparty: ThirdParty | None = None,
    created_by: User | None = None,
    **fields: Any,
) -> Contact:
    lastname = (lastname or "").strip()
    firstname = (firstname or "").strip() or None
    if not lastname and firstname:
        # A single name ("Pepper") is stored as the last name, as Dolibarr requires one.
        lastname, firstname = firstname, None
    if not lastname:
        raise ContactError("a contact needs a name")
    contact = Contact(
        lastname=lastname,
        firstname=firstname,
        thirdparty_id=thirdparty.id if thirdparty else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(contact)
    _apply(contact, fields)
    session.flush()
    return contact


def update_contact(session: Session, contact: Contact, **fields: Any) -> Contact:
    _apply(contact, fields)
    session.flush()
    return contact
