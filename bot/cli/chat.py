"""Talking to the bot from the command line: ``chat`` (interactive) and ``say`` (one message or a batch).

``say`` answers exactly as the console channel would (DESIGN.md §6); ``--json`` prints the structured
result. ``say --batch FILE|-`` reads JSON lines ``{"user": LOGIN, "text": ..., "now": ISO?}`` and writes
one JSON result per line; the engine and its caches are built once for the whole batch, and a line may
answer the previous line's question ("1"). A batch stops with an error line after CRMBOT_BATCH_MAX_LINES.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from bot.cli.context import CliError, console, reported_errors, state
from bot.clock import parse_instant, zone
from bot.crm import users as user_service
from bot.engine import Engine
from bot.messages import InboundMessage, Reply, Sender

CHANNEL = "console"


def _user_zone(engine: Engine, login: str) -> Any:
    with engine.app.uow(read_only=True) as uow:
        return zone(user_service.require_login(uow.session, login).timezone)


def _message(login: str, text: str, now: datetime) -> InboundMessage:
    return InboundMessage(
        channel=CHANNEL,
        message_id=f"say-{uuid.uuid4().hex}",
        sender=Sender(CHANNEL, login, login),
        text=text,
        received_at=now,
        conversation_id=f"{CHANNEL}:{login}",
    )


def _when(engine: Engine, login: str, now_text: str | None) -> datetime:
    """--now, read in the user's zone when it has no offset; else the app's clock."""
    if not now_text:
        return engine.app.clock.now()
    try:
        return parse_instant(now_text, _user_zone(engine, login))
    except ValueError as exc:
        if "time zone" in str(exc) or "no user" in str(exc):
            raise
        raise CliError(f"now {now_text!r} is not an ISO 8601 date-time") from None


def _result(reply: Reply) -> dict[str, Any]:
    return dict(reply.data)


def _run_batch(engine: Engine, source: TextIO, out: TextIO) -> int:
    failures = 0
    limit = engine.app.settings.batch_max_lines
    for number, line in enumerate(source, start=1):
        if number > limit:
            error = f"more than {limit:,} lines (CRMBOT_BATCH_MAX_LINES); the rest was not read"
            out.write(json.dumps({"line": number, "error": error}) + "\n")
            return failures + 1
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            login, text = str(item["user"]), str(item["text"])
            now = _when(engine, login, item.get("now"))
            result = _result(engine.handle(_message(login, text, now)))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            failures += 1
            result = {"line": number, "error": f"bad input line: {exc}"}
        except (CliError, ValueError) as exc:
            failures += 1
            result = {"line": number, "error": str(exc)}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def register(app: typer.Typer) -> None:
    @app.command()
    def say(
        ctx: typer.Context,
        text: Annotated[str | None, typer.Argument(help="The message.")] = None,
        login: Annotated[str | None, typer.Option("--as", help="Who says it (login).")] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="When (ISO 8601; no offset = user's zone).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the structured result.")] = False,
        batch: Annotated[
            str | None, typer.Option("--batch", help="JSON lines file ('-' for stdin): one result per line.")
        ] = None,
    ) -> None:
        """Send one message to the bot (or a batch) and print the answer."""
        with reported_errors():
            engine = Engine(state(ctx).app())
            if batch is not None:
                if batch == "-":
                    failures = _run_batch(engine, sys.stdin, sys.stdout)
                else:
                    path = Path(batch)
                    if not path.is_file():
                        raise CliError(f"{batch}: no such file")
                    with path.open(encoding="utf-8") as fh:
                        failures = _run_batch(engine, fh, sys.stdout)
                if failures:
                    raise typer.Exit(1)
                return
            if not login or text is None:
                raise CliError("say needs --as LOGIN and the message text (or --batch FILE)")
            reply = engine.handle(_message(login, text, _when(engine, login, now)))
            if as_json:
                print(json.dumps(_result(reply), ensure_ascii=False))
            else:
                from bot.channels.console import render

                render(reply, console)
            if reply.data.get("refused") or reply.data.get("error"):
                raise typer.Exit(1)

    @app.command()
    def chat(
        ctx: typer.Context,
        login: Annotated[
            str | None, typer.Option("--as", help="Who you are (default: the first admin).")
        ] = None,
    ) -> None:
        """Chat with the bot in this terminal (answer questions with the number of a choice)."""
        import asyncio

        from bot.channels.console import ConsoleChannel
        from bot.runner import console_user

        with reported_errors():
            app_ = state(ctx).app()
            channel = ConsoleChannel(console_user(app_, login), Engine(app_).handle, app_.clock.now)
            asyncio.run(channel.run())
