"""Rights (Dolibarr's permission model, named like ``thirdparty.read_all``) and who has them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    bindparam,
    false,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from bot.crm.models import (
    Activity,
    ActivityAttendee,
    Contact,
    Group,
    GroupMember,
    GroupRight,
    SalesRep,
    User,
    UserRight,
)

RIGHTS: dict[str, str] = {
    "thirdparty.read_all": "see every third party, not only those where the user is sales rep",
    "thirdparty.write": "create and update third parties and contacts, log activities",
    "thirdparty.delete": "delete third parties and contacts",
    "thirdparty.export": "export third parties, contacts and activities",
    "contact.read": "read contacts (private contacts stay with their creator)",
    "agenda.read_all": "see every user's agenda events",
    "admin": "manage users, groups, rights and settings",
}

# A sales team member added without options: Dolibarr's "client voir", the team's customer history
# ("allactions read") and write. Restricted: own third parties and own agenda only.
DEFAULT_RIGHTS = ("thirdparty.read_all", "thirdparty.write", "contact.read", "agenda.read_all")
RESTRICTED_RIGHTS = ("thirdparty.write", "contact.read")


class UnknownRight(ValueError):
    def __init__(self, right: str) -> None:
        super().__init__(f"unknown right {right!r}; known rights: {', '.join(sorted(RIGHTS))}")
        self.right = right


def check_right(right: str) -> str:
    if right not in RIGHTS:
        raise UnknownRight(right)
    return right


def effective_rights(session: Session, user: User) -> frozenset[str]:
    """The user's own rights plus those of their groups; an admin has all of them."""
    if user.is_admin:
        return frozenset(RIGHTS)
    return frozenset(session.scalars(_rights_query(), {"user_id": user.id}))


@cache
def _rights_query() -> CompoundSelect[str]:
    """Built once: it runs for every message (building it cost more than running it)."""
    own = select(UserRight.right).where(UserRight.user_id == bindparam("user_id"))
    inherited = (
        select(GroupRight.right)
        .join(GroupMember, GroupMember.group_id == GroupRight.group_id)
        .where(GroupMember.user_id == bindparam("user_id"))
    )
    return union(own, inherited)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one user may see and do, worked out once per message (or mail, or digest).

    * third parties: all with ``thirdparty.read_all``, else those where the user is sales rep;
    * contacts: none without ``contact.read``; private contacts only for their creator; a contact of a
      third party the user may not see is not there either;
    * agenda events: every user's with ``agenda.read_all``, else the user's own and those they attend.
    """

    user_id: int
    rights: frozenset[str]
    thirdparty_ids: frozenset[int] | None  # None: every third party

    def may(self, right: str) -> bool:
        return check_right(right) in self.rights

    @property
    def visible(self) -> Callable[[int], bool] | None:
        """The third-party test for matchers and gazetteers; None when every third party is visible."""
        return None if self.thirdparty_ids is None else self.thirdparty_ids.__contains__

    def sees_thirdparty(self, thirdparty_id: int | None) -> bool:
        if thirdparty_id is None:
            return False
        return self.thirdparty_ids is None or thirdparty_id in self.thirdparty_ids

    def sees_contact(self, contact: Contact) -> bool:
        if "contact.read" not in self.rights:
            return False
        if contact.is_private and contact.created_by_id != self.user_id:
            return False
        return contact.thirdparty_id is None or self.sees_thirdparty(contact.thirdparty_id)

    def contact_clause(self) -> ColumnElement[bool]:
        """The contacts this user may see, as SQL (the third-party part is left to ``visible``)."""
        if "contact.read" not in self.rights:
            return false()
        return _contacts_visible_to(self.user_id)

    @property
    def own_agenda(self) -> int | None:
        """The user whose events alone may be shown, or None for everyone's (``agenda.read_all``)."""
        return None if "agenda.read_all" in self.rights else self.user_id


@lru_cache(maxsize=1024)
def _contacts_visible_to(user_id: int | None) -> ColumnElement[bool]:
    # Built once per user (a clause is immutable): building it cost 0.2 ms on every message.
    return or_(Contact.is_private.is_(False), Contact.created_by_id == user_id)


def scope_of(session: Session, user: User) -> Scope:
    rights = effective_rights(session, user)
    ids = None
    if "thirdparty.read_all" not in rights:
        ids = frozenset(session.scalars(select(SalesRep.thirdparty_id).where(SalesRep.user_id == user.id)))
    return Scope(user.id, rights, ids)


def events_of(user_id: int | BindParameter[int] | None) -> ColumnElement[bool]:
    """SQL: the agenda events of *user_id* (owned or attended, a value or a bound parameter); every event
    for None."""
    if user_id is None:
        return true()
    attended = select(ActivityAttendee.activity_id).where(ActivityAttendee.user_id == user_id)
    return or_(Activity.owner_id == user_id, Activity.id.in_(attended))


def has_right(session: Session, user: User, right: str) -> bool:
    return check_right(right) in effective_rights(session, user)


def grant_to(holder: User | Group, right: str) -> bool:
    """Give a user or a group *right*; False when it had it already."""
    check_right(right)
    if any(r.right == right for r in holder.rights):
        return False
    if isinstance(holder, User):
        holder.rights.append(UserRight(right=right))
    else:
        holder.rights.append(GroupRight(right=right))
    return True


def revoke_from(holder: User | Group, right: str) -> bool:
    """Take *right* from a user or a group; False when it did not have it."""
    check_right(right)
    before = len(holder.rights)
    holder.rights = [r for r in holder.rights if r.right != right]  # type: ignore[assignment]
    return len(holder.rights) != before
