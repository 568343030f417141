"""The calendar feed on the command line: ``ics export`` (the URL itself: ``user ics-token``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import CliError, err_console, reported_errors, state

ics_app = typer.Typer(help="Users' calendar feeds (iCalendar).", no_args_is_help=True)


@ics_app.command("export")
def ics_export(
    ctx: typer.Context,
    login: Annotated[str, typer.Option("--as", help="Whose calendar (login).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout).")] = None,
    past_days: Annotated[int, typer.Option("--past-days", min=0, help="Days back from now.")] = 90,
    future_days: Annotated[int, typer.Option("--future-days", min=0, help="Days ahead of now.")] = 365,
) -> None:
    """Write a user's calendar feed, the same as their feed URL serves: calls, meetings and to-dos."""
    from bot.crm import calendar_feed
    from bot.crm import users as user_service

    st = state(ctx)
    with reported_errors():
        app = st.app()
        with app.uow(read_only=True) as uow:
            user = user_service.require_login(uow.session, login)
            body = calendar_feed.feed(
                uow.session,
                user,
                now=app.clock.now(),
                past_days=past_days,
                future_days=future_days,
                host=calendar_feed.uid_host(app.settings.mail_addresses),
            )
    if output is None:
        sys.stdout.buffer.write(body)  # bytes as served: UTF-8 with CRLF line ends
        sys.stdout.buffer.flush()
        return
    with reported_errors():
        try:
            output.write_bytes(body)
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror}") from None
    err_console.print(f"{body.count(b'BEGIN:VEVENT')} events written to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(ics_app, name="ics")
