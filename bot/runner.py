"""``crmbot run``: start the configured channels on one asyncio loop until stopped."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.console import ConsoleChannel
from bot.crm import users
from bot.crm.models import User
from bot.engine import Engine

log = logging.getLogger(__name__)


class RunError(RuntimeError):
    pass


def console_user(app: App, login: str | None) -> str:
    """The login to chat as: the one asked for, else the first admin, else the only user."""
    with app.uow(read_only=True) as uow:
        if login:
            users.require_login(uow.session, login)
            return login
        admin = uow.session.scalar(
            select(User.login).where(User.is_admin.is_(True)).order_by(User.id).limit(1)
        )
        if admin:
            return admin
        logins = list(uow.session.scalars(select(User.login).limit(2)))
        if len(logins) == 1:
            return logins[0]
    raise RunError(
        "no user to chat as: add one with `crmbot user add` (or load `crmbot demo`) and use --as LOGIN"
    )


def run_bot(app: App, *, console: bool, console_login: str | None = None) -> None:
    engine = Engine(app)
    if not console:
        raise RunError(
            "no channel to run: start with --console (mail and chat channels come with their settings)"
        )
    channel = ConsoleChannel(console_user(app, console_login), engine.handle, app.clock.now)
    asyncio.run(channel.run())
