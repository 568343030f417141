"""Linking a chat account to a CRM user with a one-time code.

An admin runs ``crmbot user link-code LOGIN``; the user sends ``link CODE`` in Slack (or opens the bot with
``/start CODE`` in Telegram). The code works once, for any chat channel, until it expires. Linking an
account that was linked to someone else moves it (the code proves who holds it now).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.models import ChannelIdentity, LinkCode, User
from bot.crm.users import linked_chat

DEFAULT_VALIDITY = timedelta(hours=24)
# No 0/O/1/I/L: codes get read aloud and typed on phones.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
# "link ABCD…", "verknüpfen ABCD…", "/start ABCD…" (the Telegram deep link), with or without a hyphen.
_LINK = re.compile(
    r"^\s*(?:/start(?:@\w+)?|link|verkn(?:ü|ue)pfen|verbinden)\s+([A-Za-z0-9]{5}-?[A-Za-z0-9]{5})\s*$",
    re.IGNORECASE,
)


class LinkError(ValueError):
    """The code cannot be used; ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"link code {reason}")
        self.reason = reason


def code_in(text: str) -> str | None:
    """The link code a message carries ("link K7PM-Q2XW4D"), normalised; None when it is not a link."""
    match = _LINK.match(text)
    return match.group(1).replace("-", "").upper() if match else None


def issue(session: Session, user: User, now: datetime, valid_for: timedelta = DEFAULT_VALIDITY) -> str:
    """A fresh code for *user*, shown as ``XXXXX-XXXXX``."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(LinkCode(code=code, user_id=user.id, created_at=now, expires_at=now + valid_for))
    session.flush()
    return f"{code[:5]}-{code[5:]}"


def code_owner(session: Session, code: str) -> User | None:
    """Whose code this is, whether or not it can still be used (for the reply's language and the audit)."""
    row = session.scalar(select(LinkCode).where(LinkCode.code == _plain(code)))
    return session.get(User, row.user_id) if row is not None else None


def _plain(code: str) -> str:
    return code.replace("-", "").upper()


def redeem(
    session: Session,
    code: str,
    *,
    channel: str,
    external_id: str,
    display_name: str | None,
    now: datetime,
) -> User:
    """Link (channel, external id) to the code's user and use the code up."""
    row = session.scalar(select(LinkCode).where(LinkCode.code == _plain(code)))
    if row is None:
        raise LinkError("unknown")
    if row.used_at is not None:
        raise LinkError("used")
    if row.expires_at < now:
        raise LinkError("expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkError("unknown")
    row.used_at = now
    previous = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    )
    if previous is not None:
        session.delete(previous)
        session.flush()
    session.add(
        ChannelIdentity(channel=channel, external_id=external_id, user_id=user.id, display_name=display_name)
    )
    linked_chat(user, channel)
    session.flush()
    return user
