"""The daily digest from the command line: ``crmbot digest --as LOGIN [--now ISO] [--send]``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import typer

from bot.bootstrap import App
from bot.cli.context import CliError, console, reported_errors, state
from bot.clock import parse_instant, zone
from bot.crm import users as user_service


def register(app: typer.Typer) -> None:
    @app.command()
    def digest(
        ctx: typer.Context,
        login: Annotated[str, typer.Option("--as", help="Whose digest (login).")],
        now: Annotated[
            str | None, typer.Option("--now", help="As of when (ISO 8601; no offset = user's zone).")
        ] = None,
        send: Annotated[
            bool,
            typer.Option(
                "--send", help="Send it on the user's channel (counts as today's digest: once per day)."
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the structured digest.")] = False,
    ) -> None:
        """Print (or send) a user's daily digest: meetings today, to-dos due and overdue, quiet customers,
        unfiled mail, yesterday's activity."""
        from bot.scheduler import digest as digest_tick

        with reported_errors():
            app = state(ctx).app()
            with app.uow(read_only=True) as uow:
                user = user_service.require_login(uow.session, login)
                uow.session.expunge(user)
            try:
                moment = parse_instant(now, zone(user.timezone)) if now else app.clock.now()
            except ValueError:
                raise CliError(f"--now {now!r} is not an ISO 8601 date-time") from None
            rendered = digest_tick.build(app, user, moment)
            if send:
                channel = asyncio.run(_send(app, user.id, moment))
                if channel is None:
                    raise CliError(f"{login}'s digest for this day has been sent already")
                console.print(f"Sent {login}'s digest by {channel}.")
                return
            if as_json:
                print(json.dumps({**rendered.reply.data, "text": rendered.text}, ensure_ascii=False))
                return
            from bot.channels.console import render

            render(rendered.reply, console)


async def _send(app: App, user_id: int, moment: datetime) -> str | None:
    from bot.runner import outbound_delivery
    from bot.scheduler.digest import DigestSender

    async with outbound_delivery(app) as delivery:
        return await DigestSender(app, delivery).send_now(user_id, moment)
