"""Users and rights: ``user add|list|link-code|ics-token``, ``grant``, ``revoke``, ``salesrep assign``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.cli.context import console, err_console, fail, reported_errors, state
from bot.crm import users as user_service
from bot.crm.rights import RIGHTS, effective_rights
from bot.crm.thirdparties import assign_salesrep

user_app = typer.Typer(help="Manage the people who use the bot.", no_args_is_help=True)
salesrep_app = typer.Typer(help="Assign sales reps to third parties.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Option("--login", help="Login (one word).")],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    email: Annotated[list[str], typer.Option("--email", help="Email address; repeat for several.")],
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Berlin.")] = "UTC",
    language: Annotated[str, typer.Option("--language", help="en or de.")] = "en",
    admin: Annotated[bool, typer.Option("--admin", help="Give every right.")] = False,
    restricted: Annotated[
        bool, typer.Option("--restricted", help="See only third parties where the user is sales rep.")
    ] = False,
    mail_receipts: Annotated[
        bool, typer.Option("--mail-receipts", help="Answer each archived mail with where it was filed.")
    ] = False,
) -> None:
    """Add a user. Without options a user gets a sales team member's rights (read all, write)."""
    with reported_errors(), state(ctx).uow() as uow:
        user = user_service.add_user(
            uow.session,
            login=login,
            name=name,
            emails=email,
            timezone=timezone,
            language=language,
            admin=admin,
            restricted=restricted,
        )
        user.mail_receipts = mail_receipts
        uow.commit()
        console.print(
            f"Added user {user.login} ({user.name}), {', '.join(e.email for e in user.emails)}, "
            f"{user.timezone}, {user.language}{', admin' if user.is_admin else ''}."
        )


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List users with their addresses, time zone, language and rights."""
    with reported_errors(), state(ctx).uow() as uow:
        table = Table("login", "name", "emails", "timezone", "lang", "rights")
        for user in user_service.list_users(uow.session):
            rights = (
                "admin (all)" if user.is_admin else ", ".join(sorted(effective_rights(uow.session, user)))
            )
            table.add_row(
                user.login,
                user.name,
                ", ".join(e.email for e in user.emails),
                user.timezone,
                user.language,
                rights,
            )
        console.print(table)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@user_app.command("set")
def user_set(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA time zone.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="en or de.")] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Where reminders and digests go: slack, telegram or email."),
    ] = None,
    digest_time: Annotated[
        str | None, typer.Option("--digest-time", help="Local time of the daily digest, HH:MM.")
    ] = None,
    digest_days: Annotated[
        str | None, typer.Option("--digest-days", help="Days of the digest: mon-fri, mon,wed,fri, daily.")
    ] = None,
    digest: Annotated[
        bool | None, typer.Option("--digest/--no-digest", help="Switch the daily digest on or off.")
    ] = None,
    reminder_lead: Annotated[
        int | None,
        typer.Option("--reminder-lead", help="Minutes before a meeting to remind (0: none)."),
    ] = None,
) -> None:
    """Change a user's time zone, language, channel, digest and meeting reminders."""
    from datetime import time

    at: time | None = None
    if digest_time is not None:
        try:
            at = time.fromisoformat(digest_time)
        except ValueError:
            fail(f"--digest-time {digest_time!r} is not a time like 07:30")
    with reported_errors(), state(ctx).uow() as uow:
        user = user_service.require_login(uow.session, login)
        user_service.update_settings(
            user,
            timezone=timezone,
            language=language,
            channel=channel,
            digest_time=at,
            digest_days=digest_days,
            digest_enabled=digest,
            reminder_lead_minutes=reminder_lead,
        )
        uow.commit()
        days = ",".join(
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[int(d) - 1] for d in user.digest_days
        )
        digest_line = f"digest {user.digest_time:%H:%M} {days}" if user.digest_enabled else "no digest"
        lead = f"{user.reminder_lead_minutes} min" if user.reminder_lead_minutes else "none"
        console.print(
            f"{user.login}: {user.timezone}, {user.language}, reminders and digest by "
            f"{user.preferred_channel}, {digest_line}, meeting reminders {lead} ahead."
        )


@user_app.command("link-code")
def user_link_code(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    valid_hours: Annotated[int, typer.Option("--valid-hours", min=1, help="How long the code works.")] = 24,
) -> None:
    """Print a one-time code that links the user's Slack or Telegram account (the last word printed)."""
    from datetime import timedelta

    from bot.crm import linking

    st = state(ctx)
    now = st.app().clock.now()
    with reported_errors(), st.uow() as uow:
        user = user_service.require_login(uow.session, login)
        code = linking.issue(uow.session, user, now, timedelta(hours=valid_hours))
        uow.commit()
    until = (now + timedelta(hours=valid_hours)).strftime("%Y-%m-%d %H:%M UTC")
    console.print(
        f"One-time link code for {login}, valid until {until}. In Slack send the bot “link CODE”; in "
        f"Telegram send “/start CODE”.",
        highlight=False,
    )
    typer.echo(code)


@user_app.command("ics-token")
def user_ics_token(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the token: the old URL stops working.")
    ] = False,
) -> None:
    """Print the user's calendar feed URL (the last word printed), creating its secret token on first use."""
    from bot.crm import calendar_feed

    st = state(ctx)
    with reported_errors(), st.uow() as uow:
        user = user_service.require_login(uow.session, login)
        had = user.ics_token
        token = calendar_feed.issue_token(uow.session, user, rotate=rotate)
        uow.commit()
        settings = st.app().settings
    rotated = had is not None and token != had
    console.print(
        f"{'New calendar feed URL' if rotated else 'Calendar feed URL'} for {login}"
        f"{' (the old one no longer works)' if rotated else ''}: keep it secret, `--rotate` replaces it. "
        "Subscribe in Google Calendar: Other calendars → From URL; Outlook: Add calendar → Subscribe from "
        "web; Apple Calendar: File → New Calendar Subscription."
    )
    if settings.public_url is None:
        err_console.print(
            "CRMBOT_PUBLIC_URL is not set, so this is the local address of the HTTP app: Google Calendar and "
            "phones cannot reach it. Set CRMBOT_PUBLIC_URL to its public address, e.g. https://crm.example.com."
        )
    typer.echo(calendar_feed.feed_url(settings.public_base_url, token))


@salesrep_app.command("assign")
def salesrep_assign(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    thirdparty: Annotated[str, typer.Argument(help="Third-party name, alias or id.")],
) -> None:
    """Make a user sales rep of a third party."""
    from bot.cli.lookup import resolve_thirdparty

    st = state(ctx)
    with reported_errors(), st.uow() as uow:
        user = user_service.require_login(uow.session, login)
        tp = resolve_thirdparty(st.app(), uow, thirdparty)
        added = assign_salesrep(uow.session, user, tp)
        uow.commit()
        console.print(f"{user.login} is {'now' if added else 'already'} sales rep of {tp.name}.")


def _change_right(ctx: typer.Context, login: str, right: str, *, give: bool) -> None:
    with reported_errors(), state(ctx).uow() as uow:
        user = user_service.require_login(uow.session, login)
        changed = (user_service.grant if give else user_service.revoke)(uow.session, user, right)
        uow.commit()
        if give:
            console.print(f"{login} {'now has' if changed else 'already had'} {right}.")
        else:
            console.print(f"{login} {'no longer has' if changed else 'did not have'} {right}.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(salesrep_app, name="salesrep")

    @app.command()
    def grant(ctx: typer.Context, login: str, right: str) -> None:
        """Grant a right to a user (rights: see `crmbot rights`)."""
        _change_right(ctx, login, right, give=True)

    @app.command()
    def revoke(ctx: typer.Context, login: str, right: str) -> None:
        """Take a right from a user."""
        _change_right(ctx, login, right, give=False)

    @app.command()
    def rights() -> None:
        """List the rights that can be granted."""
        table = Table("right", "meaning")
        for name, meaning in RIGHTS.items():
            table.add_row(name, meaning)
        console.print(table)
