"""Third-party services: create and update with derived email domains, sales-rep assignment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.models import SalesRep, ThirdParty, User
from bot.normalize import email_domain, is_freemail, website_domain

# Columns a caller may set by name (imports, chat, CLI); everything else is derived or bookkeeping.
EDITABLE_FIELDS = frozenset(
    c.key
    for c in ThirdParty.__table__.columns
    if c.key not in {"id", "created_at", "updated_at", "email_lower", "created_by_id"}
)


class ThirdPartyError(ValueError):
    pass


def derived_domains(tp: ThirdParty) -> list[str]:
    """Domains implied by the third party's email and website, never free-mail domains, and none for an
    individual (a private person's own domain says nothing about a company)."""
    found: list[str] = []
    if tp.is_individual:
        return found
    for domain in (email_domain(tp.email), website_domain(tp.website)):
        if domain and not is_freemail(domain):
            found.append(domain)
    return found


def _apply(tp: ThirdParty, fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS - {"email_domains"}
    if unknown:
        raise ThirdPartyError(f"unknown third-party field(s): {', '.join(sorted(unknown))}")
    domains = fields.pop("email_domains", None)
    for key, value in fields.items():
        setattr(tp, key, value)
    wanted = list(tp.email_domains) if domains is None else list(domains)
    tp.email_domains = wanted + [d for d in derived_domains(tp) if d not in wanted]


def create_thirdparty(
    session: Session, *, name: str, created_by: User | None = None, **fields: Any
) -> ThirdParty:
    name = (name or "").strip()
    if not name:
        raise ThirdPartyError("a third party needs a name")
    tp = ThirdParty(name=name, created_by_id=created_by.id if created_by else None)
    session.add(tp)
    _apply(tp, fields)
    session.flush()
    return tp


def update_thirdparty(session: Session, tp: ThirdParty, **fields: Any) -> ThirdParty:
    if "name" in fields and not (fields["name"] or "").strip():
        raise ThirdPartyError("a third party needs a name")
    _apply(tp, fields)
    session.flush()
    return tp


def assign_salesrep(session: Session, user: User, tp: ThirdParty) -> bool:
    """Make *user* a sales rep of *tp*; False when they already were."""
    exists = session.scalar(
        select(SalesRep.id).where(SalesRep.user_id == user.id, SalesRep.thirdparty_id == tp.id)
    )
    if exists is not None:
        return False
    session.add(SalesRep(user_id=user.id, thirdparty_id=tp.id))
    session.flush()
    return True


def salesrep_thirdparty_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(SalesRep.thirdparty_id).where(SalesRep.user_id == user_id)))
