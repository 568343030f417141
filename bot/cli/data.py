"""Moving data in and out: ``import``, ``export``, ``backup``, ``restore``."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from bot.bootstrap import App
from bot.cli.context import CliError, console, err_console, progress, reported_errors, state
from bot.crm.audit import Actor

import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)


class Entity(StrEnum):
    thirdparties = "thirdparties"
    contacts = "contacts"
    activities = "activities"


class Format(StrEnum):
    csv = "csv"
    json = "json"


def _run_import(ctx: typer.Context, path: Path, entity: str, as_json: bool) -> None:
    from bot.crm import imports

    st = state(ctx)
    app = st.app()
    run = imports.import_thirdparties if entity == "thirdparties" else imports.import_contacts
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    with progress(f"importing {entity}", quiet=as_json) as bar:
        task = bar.add_task("import", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = run(
                lambda: app.uow(Actor(user_id=None, channel="import")),
                path,
                progress=advance,
                max_bytes=app.settings.import_max_bytes,
                max_rows=app.settings.import_max_rows,
            )
        except imports.ImportLimitError as exc:
            setting = "CRMBOT_IMPORT_MAX_BYTES" if exc.limit == "bytes" else "CRMBOT_IMPORT_MAX_ROWS"
            raise CliError(f"{path.name}: {exc}; nothing was imported (the limit is {setting})") from None
    if as_json:
        print(
            json.dumps(
                {
                    "total": report.total,
                    "created": report.created,
                    "updated": report.updated,
                    "skipped": report.skipped,
                    "header_style": report.header_style,
                    "errors": [{"line": e.line, "reason": e.reason} for e in report.errors],
                },
                ensure_ascii=False,
            )
        )
    else:
        console.print(
            f"{path.name}: {report.total} rows ({report.header_style} headers): {report.created} created, "
            f"{report.updated} updated, {report.skipped} skipped."
        )
        for error in report.errors[:50]:
            console.print(f"  line {error.line}: {error.reason}")
        if len(report.errors) > 50:
            console.print(f"  … and {len(report.errors) - 50} more skipped rows")
    if report.total and report.skipped == report.total:
        raise typer.Exit(1)


@import_app.command("thirdparties")
def import_thirdparties(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV file (Dolibarr template, Dolibarr codes or plain headers).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import third parties from CSV; re-importing the same file updates instead of duplicating."""
    with reported_errors():
        _run_import(ctx, file, "thirdparties", as_json)


@import_app.command("contacts")
def import_contacts(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file with firstname, lastname, thirdparty, email …")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import contacts from CSV, linked to third parties by name or customer code."""
    with reported_errors():
        _run_import(ctx, file, "contacts", as_json)


def _backup_sqlite(database: str, target: Path) -> None:
    if target.exists():
        raise CliError(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)
    finally:
        dest.close()
        source.close()


def _sqlite_file(app: App, postgres_advice: str) -> str:
    """The path of the app's SQLite database file; *postgres_advice* (with ``{db}``) for any other."""
    url = app.db.engine.url
    if url.get_backend_name() != "sqlite":
        raise CliError(postgres_advice.format(db=url.database))
    if not url.database or url.database == ":memory:":
        raise CliError("an in-memory database has no file to back up or restore")
    return url.database


def _restore_sqlite(source: Path, database: str, now: datetime) -> tuple[str | None, Path | None]:
    """Replace *database* with the backup *source*; returns the backup's schema revision and where the
    database that was there is kept (None when there was none)."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    if not source.is_file():
        raise CliError(f"{source}: no such file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as check:
            status = check.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = (
                check.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{source} is not a SQLite database ({exc}); nothing was changed") from None
    if status is None or status[0] != "ok":
        raise CliError(f"{source} is damaged ({status[0] if status else 'no answer'}); nothing was changed")
    if revision is None or "users" not in tables:
        raise CliError(f"{source} is not a crmbot database (no schema revision); nothing was changed")
    scripts = ScriptDirectory.from_config(alembic_config())
    if scripts.get_revision(revision[0]) is None:
        raise CliError(
            f"{source} has schema revision {revision[0]}, newer than this crmbot; upgrade crmbot first"
        )
    target = Path(database)
    kept = None
    if target.exists():
        kept = target.with_name(f"{target.stem}.before-restore-{now:%Y%m%dT%H%M%S}{target.suffix}")
        _backup_sqlite(database, kept)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    with contextlib.closing(reader) as src, contextlib.closing(sqlite3.connect(target)) as dest:
        src.backup(dest)
    return str(revision[0]), kept


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")

    @app.command()
    def restore(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="A backup made with `crmbot backup`.")],
        yes: Annotated[bool, typer.Option("--yes", help="Replace the database without asking.")] = False,
    ) -> None:
        """Replace the SQLite database with a backup (stop `crmbot run` first). The database that was there
        is kept next to it; an older backup is upgraded to the current schema."""
        from storage import migrate

        with reported_errors():
            app_ = state(ctx).app(require_schema=False)
            database = _sqlite_file(
                app_,
                "restore replaces SQLite databases only; for PostgreSQL use "
                "`pg_restore --clean --dbname {db} FILE` (a `pg_dump --format=custom` dump)",
            )
            if not yes and not typer.confirm(f"Replace {database} with {file}?"):
                raise CliError("nothing was changed")
            app_.db.engine.dispose()
            revision, kept = _restore_sqlite(file, database, app_.clock.now())
            migrate.upgrade(app_.db.engine)
            if kept is not None:
                console.print(f"The database that was there is kept as {kept}.")
            head = migrate.head_revision()
            upgraded = f", upgraded from schema {revision} to {head}" if revision != head else ""
            console.print(f"Restored {database} from {file}{upgraded}.")

    @app.command()
    def export(
        ctx: typer.Context,
        entity: Annotated[Entity, typer.Argument(help="What to export.")],
        fmt: Annotated[Format, typer.Option("--format", help="csv or json.")] = Format.csv,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout).")] = None,
    ) -> None:
        """Export third parties, contacts or activities; the CSV export can be imported again."""
        from bot.crm.exports import write_export

        with reported_errors(), state(ctx).uow() as uow:
            out: TextIO
            if output is None:
                count = write_export(uow.session, entity.value, fmt.value, sys.stdout)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = write_export(uow.session, entity.value, fmt.value, out)
                err_console.print(f"{count} {entity.value} written to {output}")

    @app.command()
    def backup(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="Backup file to create.")],
    ) -> None:
        """Copy the SQLite database consistently while the bot runs (online backup)."""
        with reported_errors():
            app_ = state(ctx).app(require_schema=False)
            database = _sqlite_file(
                app_,
                "backup copies SQLite databases only; for PostgreSQL use pg_dump, e.g. "
                f"`pg_dump --format=custom --file {file} {{db}}` and restore with "
                "`pg_restore --clean --dbname DB FILE`",
            )
            _backup_sqlite(database, file)
            console.print(f"Backed up {database} to {file}.")
