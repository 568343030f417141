"""Setting up and running: ``init``, ``demo``, ``run``."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.context import CliError, console, reported_errors, state
from storage import describe, migrate


def _init(ctx: typer.Context) -> None:
    st = state(ctx)
    app = st.app(require_schema=False)
    before = migrate.current_revision(app.db.engine)
    app.migrate()
    after = migrate.current_revision(app.db.engine)
    where = describe(app.db.engine)
    if before == after:
        console.print(f"Database {where} is up to date (revision {after}).")
    else:
        console.print(f"Database {where} upgraded from {before or 'empty'} to revision {after}.")


def _load_demo(ctx: typer.Context, *, only_if_empty: bool) -> None:
    from bot.crm.demo import database_is_empty, load_demo

    st = state(ctx)
    app = st.app()
    with st.uow() as uow:
        if not database_is_empty(uow.session):
            if only_if_empty:
                return
            raise CliError("the database already holds data; the demo data goes only into an empty database")
        summary = load_demo(uow.session, now=app.clock.now())
        uow.commit()
    console.print(
        f"Demo data loaded: {summary.users} users, {summary.thirdparties} third parties, "
        f"{summary.contacts} contacts, {summary.activities} activities, {summary.quotes} quotes, "
        f"{summary.invoices} invoices."
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def init(ctx: typer.Context) -> None:
        """Create the database (or upgrade it to the current schema) and the data directory."""
        with reported_errors():
            _init(ctx)

    @app.command()
    def demo(
        ctx: typer.Context,
        if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when data exists.")] = False,
    ) -> None:
        """Load a realistic demo dataset (users anna, bob, carla; ~50 third parties) into an empty DB."""
        with reported_errors():
            _init(ctx)
            _load_demo(ctx, only_if_empty=if_empty)

    @app.command()
    def run(
        ctx: typer.Context,
        with_console: Annotated[
            bool, typer.Option("--console", help="Chat with the bot in this terminal.")
        ] = False,
        with_demo: Annotated[
            bool, typer.Option("--demo", help="Load the demo data first when the database is empty.")
        ] = False,
        login: Annotated[
            str | None, typer.Option("--as", help="Console user (default: the first admin).")
        ] = None,
    ) -> None:
        """Start the bot: migrate the database, then run the configured channels."""
        from bot.runner import run_bot

        with reported_errors():
            _init(ctx)
            if with_demo:
                _load_demo(ctx, only_if_empty=True)
            run_bot(state(ctx).app(), console_login=login, console=with_console)
