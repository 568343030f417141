"""What every command shares: global options, the lazily built app, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import OperationalError

from bot.bootstrap import App, build_app
from bot.clock import parse_instant
from bot.config import ConfigError, Settings, load_settings
from bot.crm.audit import Actor
from bot.runner import RunError
from storage import DatabaseUnavailable, DatabaseURLError, UnitOfWork

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class CliError(Exception):
    """A failure to report to the user as one line, with exit code 1."""


def progress(label: str, *, quiet: bool) -> Progress:
    """The importers' progress bar on stderr; off when *quiet* (a JSON report) or stderr is not a terminal."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class CliState:
    db: str | None = None
    data_dir: Path | None = None
    now: str | None = None
    _app: App | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        now: datetime | None = None
        if self.now:
            try:
                now = parse_instant(self.now)
            except ValueError:
                raise CliError(f"--now {self.now!r} is not an ISO 8601 date-time") from None
        return load_settings(database_url=self.db, data_dir=self.data_dir, now=now)

    def app(self, *, require_schema: bool = True) -> App:
        if self._app is None:
            self._app = build_app(self.settings())
        if require_schema:
            from storage import migrate

            revision = migrate.current_revision(self._app.db.engine)
            if revision is None:
                raise CliError("the database is not initialised yet: run `crmbot init` first")
            if revision != migrate.head_revision():
                raise CliError("the database schema is out of date: run `crmbot init` to upgrade it")
        return self._app

    def uow(self, channel: str = "cli", user_id: int | None = None) -> UnitOfWork:
        return self.app().uow(Actor(user_id=user_id, channel=channel))

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        raise RuntimeError("CLI state missing")
    return obj


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the expected failures into one clear line and exit code 1."""
    try:
        yield
    except (CliError, ConfigError, DatabaseURLError, RunError, ValueError) as exc:
        fail(str(exc))
    except (DatabaseUnavailable, OperationalError) as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"the database is unavailable: {str(reason).strip().splitlines()[0]}")
