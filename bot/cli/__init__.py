"""The ``crmbot`` command line (typer). Each group of commands lives in its own module."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import admin, calendar, chat, data, dedupe, mail, schedule, setup, users
from bot.cli.context import CliState

app = typer.Typer(
    name="crmbot",
    help="crmbot: the chat- and email-first CRM assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="CRMBOT_DATABASE_URL", help="Database URL (default: SQLite in the data dir)."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="CRMBOT_DATA_DIR", help="Data directory (default ./data)."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", envvar="CRMBOT_NOW", help="Fix the clock (ISO 8601), for tests and demos."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    level = "DEBUG" if verbose else os.environ.get("CRMBOT_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=level if level in logging.getLevelNamesMapping() else "WARNING",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Its DEBUG lines carry raw message bytes, i.e. customer data: never let them into the log.
    logging.getLogger("aioimaplib").setLevel(logging.INFO)
    # Its INFO lines carry request URLs, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "Adding job tentatively" is not news
    ctx.obj = CliState(db=db, data_dir=data_dir, now=now)
    ctx.call_on_close(ctx.obj.close)


setup.register(app)
chat.register(app)
users.register(app)
data.register(app)
mail.register(app, data.import_app)
schedule.register(app)
calendar.register(app)
admin.register(app)
dedupe.register(app)


def main() -> None:
    app()
