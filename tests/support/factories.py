"""Small helpers to put CRM data into a test database through the real services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.crm.contacts import create_contact
from bot.crm.models import Contact, ThirdParty, User
from bot.crm.thirdparties import create_thirdparty
from bot.crm.users import add_user


def user(session: Session, login: str = "anna", **kw: Any) -> User:
    defaults: dict[str, Any] = {
        "name": login.title(),
        "emails": [f"{login}@ourco.example"],
        "timezone": "Europe/Berlin",
        "language": "de",
    }
    defaults.update(kw)
    return add_user(session, login=login, **defaults)


def company(session: Session, name: str, **kw: Any) -> ThirdParty:
    kw.setdefault("customer_type", 1)
    return create_thirdparty(session, name=name, **kw)


def person(
    session: Session, first: str | None, last: str, tp: ThirdParty | None = None, **kw: Any
) -> Contact:
    return create_contact(session, firstname=first, lastname=last, thirdparty=tp, **kw)
