"""``crmbot run``: start the configured channels and services on one asyncio loop until stopped.

Always: the mail worker (it files stored mail, and finishes what a previous run received). With
``CRMBOT_SMTP_LISTEN`` (default 127.0.0.1:8025, "off" to disable): the SMTP intake. With IMAP mailboxes:
one reader each. With ``CRMBOT_HTTP_LISTEN`` (default 127.0.0.1:8080): the HTTP app (health, metrics,
Slack events, Telegram webhook). With a Slack or Telegram token: that chat channel. With ``--console``: a
chat in this terminal; leaving it stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.chat import ChatGateway
from bot.channels.console import ConsoleChannel
from bot.channels.mailer import Mailer, SmtpMailer
from bot.crm import users
from bot.crm.models import User
from bot.engine import Engine
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.channels.http import HttpServer
    from bot.channels.slack import SlackChannel
    from bot.channels.smtp_inbound import SmtpServer
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.delivery import Delivery
    from bot.mailroom import MailRoom
    from bot.scheduler import Scheduler

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


def chat_channels(app: App, gateway: ChatGateway) -> tuple[SlackChannel | None, TelegramChannel | None]:
    """The chat channels whose tokens are configured."""
    s = app.settings
    slack = telegram = None
    if s.slack_enabled:
        from bot.channels.slack import SlackChannel, SlackSettings

        assert s.slack_bot_token is not None
        try:
            slack = SlackChannel(
                SlackSettings(
                    bot_token=s.slack_bot_token.get_secret_value(),
                    signing_secret=_secret(s.slack_signing_secret),
                    app_token=_secret(s.slack_app_token),
                    api_url=s.slack_api_url,
                ),
                gateway,
            )
        except ValueError as exc:
            raise RunError(str(exc)) from None
        if slack.serves_http and not slack.settings.app_token and s.http_address is None:
            raise RunError("Slack in HTTP mode needs CRMBOT_HTTP_LISTEN (or set CRMBOT_SLACK_APP_TOKEN)")
    if s.telegram_enabled:
        from bot.channels.telegram import TelegramChannel, TelegramSettings

        assert s.telegram_token is not None
        if s.telegram_webhook_url and s.http_address is None:
            raise RunError("CRMBOT_TELEGRAM_WEBHOOK_URL needs CRMBOT_HTTP_LISTEN")
        telegram = TelegramChannel(
            TelegramSettings(
                token=s.telegram_token.get_secret_value(),
                api_url=s.telegram_api_url,
                webhook_url=s.telegram_webhook_url,
                secret=s.telegram_webhook_secret,
            ),
            gateway,
        )
    return slack, telegram


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() or None if value is not None else None


async def keep_starting(
    name: str, start: Callable[[], Awaitable[None]], *, first_delay: float = 2.0, max_delay: float = 300.0
) -> None:
    """Start a chat channel; when its service is unreachable, log it and try again with backoff (the
    other channels keep running). A rejected token is logged once and the channel stays off."""
    delay = first_delay
    while True:
        try:
            await start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if _is_rejected_token(exc):
                log.error("%s: the token was rejected (%s); the channel stays off until fixed", name, exc)
                return
            log.error("%s could not start (%s); trying again in %.0f s", name, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)


def _is_rejected_token(exc: Exception) -> bool:
    kind = type(exc).__name__
    if kind == "InvalidToken":
        return True
    response = getattr(exc, "response", None)
    getter = getattr(response, "get", None)
    error = getter("error") if callable(getter) else None
    return error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked")


def smtp_server(app: App, mailroom: MailRoom) -> SmtpServer | None:
    from bot.channels.smtp_inbound import SmtpServer, SmtpSettings

    settings = app.settings
    address = settings.smtp_address
    if address is None:
        return None
    if not settings.mail_addresses:
        log.warning("CRMBOT_MAIL_ADDRESSES is empty: the SMTP server will refuse every recipient")
    return SmtpServer(
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


def imap_readers(app: App, mailroom: MailRoom) -> list[Coroutine[Any, Any, None]]:
    from bot.channels.imap import ImapAccount, ImapChannel
    from bot.mailroom import DatabaseImapState

    state = DatabaseImapState(app)
    readers = []
    for box in app.settings.mailboxes:
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
        readers.append(ImapChannel(account, mailroom.accept, state, clock=app.clock.now).run())
    return readers


def database_ok(app: App) -> bool:
    """The health check: the database answers a trivial query."""
    from sqlalchemy import text

    try:
        with app.uow(read_only=True) as uow:
            uow.session.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("health check: the database is not reachable", exc_info=True)
        return False


def chat_gateway(app: App, engine: Engine, metrics: Metrics) -> ChatGateway:
    return ChatGateway(engine.handle, engine.language_of, metrics, app.clock.now)


def delivery_for(
    app: App,
    mailer: Mailer | None,
    slack: SlackChannel | None,
    telegram: TelegramChannel | None,
    terminal: ConsoleChannel | None = None,
) -> Delivery:
    from bot.delivery import ChatSend, Delivery

    chats: dict[str, ChatSend] = {}
    if slack is not None:
        chats["slack"] = slack.send
    if telegram is not None:
        chats["telegram"] = telegram.send
    if terminal is not None:
        chats["console"] = terminal.send
    return Delivery(app, chats, mailer, console_login=terminal.login if terminal else None)


@contextlib.asynccontextmanager
async def outbound_delivery(app: App) -> AsyncIterator[Delivery]:
    """Delivery for a one-off command (``crmbot digest --send``): the configured chat channels only send
    (no polling, no webhook), email as the fallback."""
    engine = Engine(app, warm=False)
    slack, telegram = chat_channels(app, chat_gateway(app, engine, Metrics()))
    if telegram is not None:
        await telegram.app.initialize()
    try:
        yield delivery_for(app, build_mailer(app), slack, telegram)
    finally:
        if telegram is not None:
            await telegram.app.shutdown()


def start_scheduler(app: App, delivery: Delivery, mailer: Mailer | None) -> Scheduler:
    """The scheduled ticks: reminders and digests through *delivery* (the user's channel, email as the
    fallback), and the outbox (invitations) through *mailer*."""
    from bot.scheduler import Scheduler
    from bot.scheduler.digest import DigestSender
    from bot.scheduler.outbox import OutboxSender
    from bot.scheduler.reminders import ReminderSender
    from bot.scheduler.retention import RetentionJob

    scheduler = Scheduler()
    scheduler.every_tick("reminders", ReminderSender(app, delivery).tick)
    scheduler.every_tick("digests", DigestSender(app, delivery).tick)
    scheduler.every_tick("outbox", OutboxSender(app, mailer).tick)  # without a mailer: waits, warns
    scheduler.every_tick("retention", RetentionJob(app).tick)  # daily, once across processes; off by default
    scheduler.start()
    return scheduler


async def start_http(
    app: App, metrics: Metrics, slack: SlackChannel | None, telegram: TelegramChannel | None
) -> HttpServer | None:
    from sqlalchemy.exc import DBAPIError

    from bot.channels.http import HttpServer, build_app
    from bot.channels.ics import FeedUnavailable, calendar_route
    from bot.crm import calendar_feed
    from storage import DatabaseUnavailable

    address = app.settings.http_address
    if address is None:
        return None
    host = calendar_feed.uid_host(app.settings.mail_addresses)

    def calendar(token: str) -> bytes | None:
        """The feed behind a token (None: no such feed), read in one read-only unit of work."""
        try:
            with app.uow(read_only=True) as uow:
                user = calendar_feed.user_for_token(uow.session, token)
                if user is None:
                    return None
                return calendar_feed.feed(uow.session, user, now=app.clock.now(), host=host)
        except (DBAPIError, DatabaseUnavailable) as exc:
            # not chained: the error's text may quote the statement's parameters, i.e. the token
            raise FeedUnavailable(type(exc).__name__) from None

    asgi = build_app(
        lambda: database_ok(app),
        metrics,
        slack=slack.handle_http if slack is not None and slack.serves_http else None,
        telegram=telegram.handle_webhook if telegram is not None and telegram.uses_webhook else None,
        channels=[name for name, on in (("slack", slack), ("telegram", telegram)) if on is not None],
        extra_routes=[calendar_route(calendar)],
    )
    http = HttpServer(asgi, *address)
    try:
        await http.start()
    except OSError as exc:
        advice = f"{exc} (set CRMBOT_HTTP_LISTEN to another host:port, or off)"
        if (slack is not None and slack.serves_http) or (telegram is not None and telegram.uses_webhook):
            raise RunError(advice) from None
        log.warning("%s; running without /healthz, /metrics and the calendar feeds", advice)
        return None
    return http


async def serve(app: App, *, console: bool, console_login: str | None = None) -> None:
    from bot.mailroom import MailRoom

    mailer = build_mailer(app)
    mailroom = MailRoom(app, mailer)
    engine = Engine(app)
    metrics = Metrics()
    slack, telegram = chat_channels(app, chat_gateway(app, engine, metrics))
    terminal = (
        ConsoleChannel(console_user(app, console_login), engine.handle, app.clock.now) if console else None
    )
    background: list[Coroutine[Any, Any, None]] = [mailroom.run(), *imap_readers(app, mailroom)]
    stops: list[Callable[[], Awaitable[None]]] = []  # run in reverse order when the bot stops
    tasks: list[asyncio.Task[None]] = []
    smtp = smtp_server(app, mailroom)
    if not console and smtp is None and not app.settings.mailboxes and slack is None and telegram is None:
        for job in background:
            job.close()
        raise RunError(
            "no channel to run: set CRMBOT_SMTP_LISTEN, an IMAP mailbox, CRMBOT_SLACK_BOT_TOKEN or "
            "CRMBOT_TELEGRAM_TOKEN, or start with --console"
        )
    try:
        if smtp is not None:
            await smtp.start()
            stops.append(smtp.stop)
        http = await start_http(app, metrics, slack, telegram)
        if http is not None:
            stops.append(http.stop)
        for channel in (slack, telegram):
            if channel is not None:
                background.append(keep_starting(type(channel).__name__, channel.start))
                stops.append(channel.stop)
        delivery = delivery_for(app, mailer, slack, telegram, terminal)
        mailroom.delivery = delivery  # "where does this mail belong?" with buttons in the user's chat
        scheduler = start_scheduler(app, delivery, mailer)
        stops.append(scheduler.stop_async)
        tasks = [asyncio.create_task(job) for job in background]
        await _until_stopped(terminal)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for stop_service in reversed(stops):
            try:
                await stop_service()
            except Exception:
                log.warning("stopping a service failed", exc_info=True)
        for job in background[len(tasks) :]:
            job.close()  # never started (start-up failed): no "never awaited" warning


async def _until_stopped(terminal: ConsoleChannel | None) -> None:
    """Chat in the terminal (leaving it stops the bot), or wait for Ctrl-C / SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if terminal is not None:
        done = asyncio.create_task(terminal.run())
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({done, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        return
    log.info("crmbot running; stop with Ctrl-C")
    await stop.wait()


class RedactSecrets(logging.Filter):
    """Replace configured secrets (tokens, passwords) in every log line, whoever logs it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configured_secrets(s: Settings) -> list[str]:
    values: list[SecretStr | None] = [
        s.slack_bot_token,
        s.slack_signing_secret,
        s.slack_app_token,
        s.telegram_token,
        s.telegram_secret,
        s.imap_password,
        s.outbound_smtp_password,
        s.smtp_auth,
        *(box.password for box in s.imap_mailboxes),
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    if s.telegram_enabled:
        found.append(s.telegram_webhook_secret)
    if s.database_url:  # a driver error may quote the URL
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            password = make_url(s.database_url).password
        except ArgumentError:
            password = None
        if password:
            found.append(str(password))
    return found


def run_bot(app: App, *, console: bool, console_login: str | None = None) -> None:
    redact = RedactSecrets(configured_secrets(app.settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    if "CRMBOT_LOG_LEVEL" not in os.environ and logging.getLogger().level == logging.WARNING:
        logging.getLogger().setLevel(logging.INFO)  # `crmbot run` says what it started
    asyncio.run(serve(app, console=console, console_login=console_login))
