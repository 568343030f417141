"""Messages the bot starts (reminders, digests, notices) delivered to a user: on the channel asked for or
the user's preferred one (Slack DM, Telegram chat), falling back to email when chat delivery fails or the
account is not linked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.mailer import Mailer
from bot.crm.models import ChannelIdentity, User
from bot.messages import OutboundMail, Reply

log = logging.getLogger(__name__)

ChatSend = Callable[[str, Reply], Awaitable[Any]]


class DeliveryFailed(RuntimeError):
    """No channel took the message; the text says what was tried."""


@dataclass(frozen=True, slots=True)
class Target:
    channel: str  # slack | telegram | email | console
    address: str  # Slack user id, Telegram chat id, email address, console login


class Delivery:
    def __init__(
        self, app: App, chats: dict[str, ChatSend], mailer: Mailer | None, console_login: str | None = None
    ) -> None:
        self.app = app
        self.chats = chats
        self.mailer = mailer
        self.console_login = console_login  # the user chatting in `crmbot run --console` sees theirs there

    def targets(self, user_id: int, channel: str | None = None, *, email: bool = True) -> list[Target]:
        """Where to try, in order: the asked or preferred chat (when linked and running), then email
        (unless *email* is False)."""
        with self.app.uow(read_only=True) as uow:
            user = uow.session.get(User, user_id)
            if user is None or not user.is_active:
                return []
            order = [channel or user.preferred_channel, *(["email"] if email else [])]
            found: list[Target] = []
            if user.login == self.console_login and "console" in self.chats:
                found.append(Target("console", user.login))
            for name in dict.fromkeys(order):
                if name in self.chats and name != "console":
                    external = uow.session.scalar(
                        select(ChannelIdentity.external_id)
                        .where(ChannelIdentity.user_id == user.id, ChannelIdentity.channel == name)
                        .order_by(ChannelIdentity.id.desc())
                        .limit(1)
                    )
                    if external:
                        found.append(Target(name, external))
                elif name == "email" and email and self.mailer is not None and user.email:
                    found.append(Target("email", user.email))
            return found

    async def to_user(
        self, user_id: int, reply: Reply, *, subject: str, channel: str | None = None, html: str | None = None
    ) -> str:
        """Send *reply* to the user; returns the channel that took it, raises DeliveryFailed."""
        used, _ = await self.deliver(user_id, reply, subject=subject, channel=channel, html=html)
        return used

    async def deliver(
        self,
        user_id: int,
        reply: Reply,
        *,
        subject: str,
        channel: str | None = None,
        text: str | None = None,
        html: str | None = None,
        email: bool = True,
    ) -> tuple[str, str | None]:
        """Send *reply* to the user: (the channel that took it, the mail's Message-ID when it went by email,
        so a reply to it can be matched). *text* replaces the reply's plain text in the mail. Raises
        DeliveryFailed when no channel took it."""
        targets = await asyncio.to_thread(self.targets, user_id, channel, email=email)
        problems = []
        for target in targets:
            try:
                if target.channel == "email":
                    assert self.mailer is not None
                    mail = OutboundMail(
                        to=(target.address,), subject=subject, text=text or reply.plain(), html=html
                    )
                    return "email", await self.mailer.send(mail)
                await self.chats[target.channel](target.address, reply)
                return target.channel, None
            except Exception as exc:
                log.warning("delivery to user %s by %s failed: %s", user_id, target.channel, exc)
                problems.append(f"{target.channel}: {exc}")
        raise DeliveryFailed("; ".join(problems) or "no linked chat account and no email to reach the user")
