"""Rights (Dolibarr's permission model, named like ``thirdparty.read_all``) and who has them."""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from bot.crm.models import Group, GroupMember, GroupRight, SalesRep, User, UserRight

RIGHTS: dict[str, str] = {
    "thirdparty.read_all": "see every third party, not only those where the user is sales rep",
    "thirdparty.write": "create and update third parties and contacts, log activities",
    "thirdparty.delete": "delete third parties and contacts",
    "thirdparty.export": "export third parties, contacts and activities",
    "contact.read": "read contacts (private contacts stay with their creator)",
    "agenda.read_all": "see every user's agenda events",
    "admin": "manage users, groups, rights and settings",
}

# A sales team member added without options: Dolibarr's "client voir" plus write.
DEFAULT_RIGHTS = ("thirdparty.read_all", "thirdparty.write", "contact.read")
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
    own = select(UserRight.right).where(UserRight.user_id == user.id)
    inherited = (
        select(GroupRight.right)
        .join(GroupMember, GroupMember.group_id == GroupRight.group_id)
        .where(GroupMember.user_id == user.id)
    )
    return frozenset(session.scalars(union(own, inherited)))


def visible_thirdparty_ids(session: Session, user: User) -> frozenset[int] | None:
    """The third parties *user* may see: None means all of them (``thirdparty.read_all``)."""
    if "thirdparty.read_all" in effective_rights(session, user):
        return None
    return frozenset(session.scalars(select(SalesRep.thirdparty_id).where(SalesRep.user_id == user.id)))


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
