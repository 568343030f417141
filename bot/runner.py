"""``crmbot run``: start the configured channels and services on one asyncio loop until stopped.

Always: the mail worker (it files stored mail, and finishes what a previous run received). With
``CRMBOT_SMTP_LISTEN`` (default 127.0.0.1:8025, "off" to disable): the SMTP intake. With IMAP mailboxes:
one reader each. With ``--console``: a chat in this terminal; leaving it stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.console import ConsoleChannel
from bot.channels.mailer import Mailer, SmtpMailer
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


def build_mailer(app: App) -> Mailer | None:
    s = app.settings
    if not s.outbound_smtp_host:
        return None
    sender = s.outbound_smtp_from or (s.mail_addresses[0] if s.mail_addresses else None)
    if sender is None:
        raise RunError(
            "CRMBOT_OUTBOUND_SMTP_HOST is set: set CRMBOT_OUTBOUND_SMTP_FROM or CRMBOT_MAIL_ADDRESSES"
        )
    return SmtpMailer(
        host=s.outbound_smtp_host,
        port=s.outbound_smtp_port,
        sender=sender,
        security=s.outbound_smtp_security,
        user=s.outbound_smtp_user,
        password=s.outbound_smtp_password.get_secret_value() if s.outbound_smtp_password else None,
    )


async def serve(app: App, *, console: bool, console_login: str | None = None) -> None:
    from bot.channels.imap import ImapAccount, ImapChannel
    from bot.channels.smtp_inbound import SmtpServer, SmtpSettings
    from bot.mailroom import DatabaseImapState, MailRoom

    settings = app.settings
    mailroom = MailRoom(app, build_mailer(app))
    background: list[Coroutine[Any, Any, None]] = [mailroom.run()]
    smtp: SmtpServer | None = None
    address = settings.smtp_address
    if address is not None:
        if not settings.mail_addresses:
            log.warning("CRMBOT_MAIL_ADDRESSES is empty: the SMTP server will refuse every recipient")
        smtp = SmtpServer(
            SmtpSettings(
                host=address[0],
                port=address[1],
                addresses=frozenset(settings.mail_addresses),
                max_bytes=settings.smtp_max_bytes,
                tls_cert=settings.smtp_tls_cert,
                tls_key=settings.smtp_tls_key,
                credentials=settings.smtp_credentials,
            ),
            mailroom.accept,
            app.clock.now,
        )
        await smtp.start()
    state = DatabaseImapState(app)
    for box in settings.mailboxes:
        account = ImapAccount(
            name=box.name,
            host=box.host,
            port=box.effective_port,
            security=box.security,
            user=box.user,
            password=box.password.get_secret_value(),
            folder=box.folder,
            move_to=box.move_to,
            idle=box.idle,
            poll_seconds=float(box.poll_seconds),
        )
        background.append(ImapChannel(account, mailroom.accept, state, clock=app.clock.now).run())
    tasks = [asyncio.create_task(job) for job in background]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if console:
            engine = Engine(app)
            channel = ConsoleChannel(console_user(app, console_login), engine.handle, app.clock.now)
            done = asyncio.create_task(channel.run())
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({done, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        else:
            if smtp is None and not settings.mailboxes:
                raise RunError(
                    "no channel to run: set CRMBOT_SMTP_LISTEN or an IMAP mailbox, or start with --console"
                )
            log.info("crmbot running; stop with Ctrl-C")
            await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if smtp is not None:
            await smtp.stop()


def run_bot(app: App, *, console: bool, console_login: str | None = None) -> None:
    asyncio.run(serve(app, console=console, console_login=console_login))
