"""User groups (Dolibarr llx_usergroup): a group carries rights, its members inherit them
(bot.crm.rights.effective_rights)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.models import Group, GroupMember, User
from bot.crm.rights import grant_to, revoke_from
from bot.crm.users import UserError


def add_group(session: Session, name: str, description: str | None = None) -> Group:
    name = name.strip()
    if not name:
        raise UserError("a group needs a name")
    if find_group(session, name) is not None:
        raise UserError(f"a group {name!r} already exists")
    group = Group(name=name, description=description)
    session.add(group)
    session.flush()
    return group


def find_group(session: Session, name: str) -> Group | None:
    return session.scalar(select(Group).where(Group.name == name.strip()))


def require_group(session: Session, name: str) -> Group:
    group = find_group(session, name)
    if group is None:
        known = ", ".join(session.scalars(select(Group.name).order_by(Group.name))) or "none yet"
        raise UserError(f"no group {name!r} (groups: {known}; add one with `crmbot group add NAME`)")
    return group


def grant(session: Session, group: Group, right: str) -> bool:
    """Give the group (and so its members) *right*; False when it had it already."""
    changed = grant_to(group, right)
    session.flush()
    return changed


def revoke(session: Session, group: Group, right: str) -> bool:
    changed = revoke_from(group, right)
    session.flush()
    return changed


def add_member(session: Session, group: Group, user: User) -> bool:
    if any(m.user_id == user.id for m in group.members):
        return False
    group.members.append(GroupMember(user_id=user.id))
    session.flush()
    return True


def remove_member(session: Session, group: Group, user: User) -> bool:
    kept = [m for m in group.members if m.user_id != user.id]
    changed = len(kept) != len(group.members)
    group.members = kept
    session.flush()
    return changed


def list_groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.name)))
