"""Users: add, find (by login, by address, by channel identity), list, and grant rights."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm.models import ChannelIdentity, User, UserEmail, UserRight
from bot.crm.models.user import CHANNELS, LANGUAGES
from bot.crm.rights import DEFAULT_RIGHTS, RESTRICTED_RIGHTS, check_right
from bot.normalize import normalize_email


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


def add_user(
    session: Session,
    *,
    login: str,
    name: str,
    emails: Sequence[str] = (),
    timezone: str = "UTC",
    language: str = "en",
    admin: bool = False,
    restricted: bool = False,
    preferred_channel: str = "email",
    digest_time: time = time(8, 0),
) -> User:
    login = login.strip()
    if not login or any(ch.isspace() for ch in login):
        raise UserError(f"invalid login {login!r}: use one word without spaces")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError(f"a user with login {login!r} already exists")
    try:
        zone(timezone)
    except ValueError as exc:
        raise UserError(f"{exc}; use an IANA name such as Europe/Berlin") from None
    if language not in LANGUAGES:
        raise UserError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    if preferred_channel not in CHANNELS:
        raise UserError(f"unknown channel {preferred_channel!r}; use one of {', '.join(CHANNELS)}")
    user = User(
        login=login,
        name=name.strip() or login,
        timezone=timezone,
        language=language,
        is_admin=admin,
        preferred_channel=preferred_channel,
        digest_time=digest_time,
    )
    for position, raw in enumerate(emails):
        address = normalize_email(raw)
        if address is None:
            raise UserError(f"invalid email address {raw!r}")
        owner = session.scalar(select(User.login).join(UserEmail).where(UserEmail.email_lower == address))
        if owner is not None:
            raise UserError(f"{raw} already belongs to user {owner!r}")
        user.emails.append(UserEmail(email=raw.strip(), email_lower=address, position=position))
    rights = RESTRICTED_RIGHTS if restricted else DEFAULT_RIGHTS
    user.rights = [UserRight(right=check_right(r)) for r in rights]
    session.add(user)
    session.flush()
    return user


def get_by_login(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.login == login))


def require_login(session: Session, login: str) -> User:
    user = get_by_login(session, login)
    if user is None:
        raise UserError(f"no user with login {login!r} (see `crmbot user list`)")
    return user


def get_by_email(session: Session, address: str) -> User | None:
    normalized = normalize_email(address)
    if normalized is None:
        return None
    return session.scalar(select(User).join(UserEmail).where(UserEmail.email_lower == normalized))


def get_by_identity(session: Session, channel: str, external_id: str) -> User | None:
    return session.scalar(
        select(User)
        .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.login)))


def grant(session: Session, user: User, right: str) -> bool:
    """Give *user* the right; False when they already had it."""
    check_right(right)
    if any(r.right == right for r in user.rights):
        return False
    user.rights.append(UserRight(right=right))
    session.flush()
    return True


def revoke(session: Session, user: User, right: str) -> bool:
    check_right(right)
    kept = [r for r in user.rights if r.right != right]
    changed = len(kept) != len(user.rights)
    user.rights = kept
    session.flush()
    return changed
