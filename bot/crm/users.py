"""Users: add, find (by login, by address, by channel identity), list, and grant rights."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm.models import ChannelIdentity, User, UserEmail, UserRight
from bot.crm.models.user import CHANNELS, LANGUAGES
from bot.crm.rights import DEFAULT_RIGHTS, RESTRICTED_RIGHTS, check_right, grant_to, revoke_from
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
    _check(timezone, language, preferred_channel)
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


def _check(timezone: str | None, language: str | None, channel: str | None) -> None:
    if timezone is not None:
        try:
            zone(timezone)
        except ValueError as exc:
            raise UserError(f"{exc}; use an IANA name such as Europe/Berlin") from None
    if language is not None and language not in LANGUAGES:
        raise UserError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    if channel is not None and channel not in CHANNELS:
        raise UserError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")


# Who sent a message is asked on every message: these statements are built once (see bot.engine).
@cache
def by_login_statement() -> Select[User]:
    return select(User).where(User.login == bindparam("login"))


@cache
def by_identity_statement() -> Select[User]:
    return (
        select(User)
        .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
        .where(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("external_id"),
        )
    )


def get_by_login(session: Session, login: str) -> User | None:
    return session.scalar(by_login_statement(), {"login": login})


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


@cache
def _by_emails() -> Select[str, User]:
    return (
        select(UserEmail.email_lower, User)
        .join(User, User.id == UserEmail.user_id)
        .where(UserEmail.email_lower.in_(bindparam("emails", expanding=True)))
    )


def by_emails(session: Session, addresses: Iterable[str]) -> dict[str, User]:
    """The users having any of *addresses*, by normalised address, in one query."""
    wanted = {n for a in addresses if (n := normalize_email(a)) is not None}
    if not wanted:
        return {}
    rows = session.execute(_by_emails(), {"emails": sorted(wanted)})
    return {email: user for email, user in rows}  # noqa: C416 (a Result is not a mapping)


def get_by_identity(session: Session, channel: str, external_id: str) -> User | None:
    return session.scalar(by_identity_statement(), {"channel": channel, "external_id": external_id})


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.login)))


def grant(session: Session, user: User, right: str) -> bool:
    """Give *user* the right; False when they already had it."""
    changed = grant_to(user, right)
    session.flush()
    return changed


def revoke(session: Session, user: User, right: str) -> bool:
    changed = revoke_from(user, right)
    session.flush()
    return changed


CHAT_CHANNELS = ("slack", "telegram")


def linked_chat(user: User, channel: str) -> None:
    """A chat account was just linked: reminders and digests go there from now on, unless the user chose
    a channel other than the default (email) before."""
    if channel in CHAT_CHANNELS and user.preferred_channel == "email":
        user.preferred_channel = channel


def update_settings(
    user: User,
    *,
    timezone: str | None = None,
    language: str | None = None,
    channel: str | None = None,
    digest_time: time | None = None,
    digest_days: str | None = None,
    digest_enabled: bool | None = None,
    reminder_lead_minutes: int | None = None,
) -> None:
    """Change what a user set (``crmbot user set``); every value is checked first, nothing half-changed."""
    _check(timezone, language, channel)
    days = parse_days(digest_days) if digest_days is not None else None
    if reminder_lead_minutes is not None and not 0 <= reminder_lead_minutes <= 24 * 60:
        raise UserError("the reminder lead time is 0 (none) to 1440 minutes")
    for name, value in (
        ("timezone", timezone),
        ("language", language),
        ("preferred_channel", channel),
        ("digest_time", digest_time),
        ("digest_days", days),
        ("digest_enabled", digest_enabled),
        ("reminder_lead_minutes", reminder_lead_minutes),
    ):
        if value is not None:
            setattr(user, name, value)


_DAY_NAMES = {
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
    "mo": 1, "di": 2, "mi": 3, "do": 4, "fr": 5, "sa": 6, "so": 7,
}  # fmt: skip


def parse_days(text: str) -> str:
    """ "mon-fri", "mon,wed,fri", "mo-sa", "12345" or "daily" -> ISO weekday digits ("12345")."""
    value = text.strip().lower()
    if value in ("daily", "all", "täglich"):
        return "1234567"
    if value.isdigit() and set(value) <= set("1234567"):
        return "".join(sorted(set(value)))
    days: set[int] = set()
    for part in value.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            raise UserError(f"cannot read the days {text!r}; write e.g. mon-fri, mon,wed,fri or 12345")
        start, end = _DAY_NAMES[first], _DAY_NAMES[last or first]
        days.update(range(start, end + 1) if start <= end else [*range(start, 8), *range(1, end + 1)])
    return "".join(str(d) for d in sorted(days))
