"""Mail on the command line: ``import eml`` (files, mbox, maildir), ``unresolved list|assign|release``."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from bot.cli.context import CliError, console, progress, reported_errors, state
from bot.crm import users as user_service
from bot.crm.audit import Actor
from bot.crm.models import EmailMessage, EmailStatus, User
from bot.messages import RawMail

unresolved_app = typer.Typer(help="Mail the bot could not file.", no_args_is_help=True)


def _messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(source, raw bytes) of every message in an .eml file, an mbox file, a maildir or a directory."""
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in box.iterkeys():
                yield f"{path}:{key}", box.get_bytes(key)
            return
        for child in sorted(path.rglob("*.eml")):
            yield str(child), child.read_bytes()
        return
    if not path.is_file():
        raise CliError(f"{path}: no such file or directory")
    with path.open("rb") as fh:
        head = fh.read(5)
    if head == b"From " and path.suffix.lower() != ".eml":
        mbox = mailbox.mbox(path, factory=None, create=False)
        for key in mbox.iterkeys():
            yield f"{path}:{key}", mbox.get_bytes(key)
        return
    yield str(path), path.read_bytes()


def _import(ctx: typer.Context, paths: list[Path], login: str | None, as_json: bool) -> None:
    from bot.mailroom import MailRoom

    app = state(ctx).app()
    room = MailRoom(app)
    forced: int | None = None
    if login:
        with app.uow(read_only=True) as uow:
            forced = user_service.require_login(uow.session, login).id
    sources = [item for path in paths for item in _messages(path)]
    counts: dict[str, int] = {}
    with progress("importing mail", quiet=as_json) as bar:
        task = bar.add_task("mail", total=len(sources))
        for source, raw in sources:
            email_id = room.receive(
                RawMail(raw, "import", app.clock.now(), source=source[:255]), submitted_by=forced
            )
            outcome = room.process(email_id)
            status = outcome.status or "rejected"
            counts[status] = counts.get(status, 0) + 1
            if as_json:
                report = outcome.as_report()
                report["status"] = status
                report["source"] = source
                print(json.dumps(report, ensure_ascii=False))
            bar.advance(task)
    if not as_json:
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing"
        console.print(f"{len(sources)} messages: {summary}.")


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(unresolved_app, name="unresolved")

    @import_app.command("eml")
    def import_eml(
        ctx: typer.Context,
        paths: Annotated[
            list[Path], typer.Argument(help=".eml files, mbox files, maildirs or folders of .eml")
        ],
        login: Annotated[
            str | None,
            typer.Option("--as", help="File as this user's mail (for an archive of received mail)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON line per message.")] = False,
    ) -> None:
        """Archive mail through the same pipeline as the SMTP and IMAP intake."""
        with reported_errors():
            _import(ctx, paths, login, as_json)


@unresolved_app.command("list")
def unresolved_list(ctx: typer.Context) -> None:
    """Mail waiting to be filed, with the suggestions."""
    with reported_errors(), state(ctx).app().uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(EmailMessage, User.login)
            .outerjoin(User, User.id == EmailMessage.submitted_by_id)
            .where(EmailMessage.status.in_([EmailStatus.UNRESOLVED, EmailStatus.HELD]))
            .order_by(EmailMessage.received_at)
        ).all()
        table = Table("id", "received", "by", "from", "subject", "status", "suggestions")
        for mail, login in rows:
            suggestions = ", ".join(f"{c['name']} (id {c['id']})" for c in mail.candidates or [])
            table.add_row(
                str(mail.id),
                f"{mail.received_at:%Y-%m-%d %H:%M}",
                login or "",
                mail.from_addr or "",
                mail.subject or "",
                mail.status,
                suggestions,
            )
        console.print(table if rows else "No mail is waiting to be filed.")


@unresolved_app.command("assign")
def unresolved_assign(
    ctx: typer.Context,
    email_id: Annotated[int, typer.Argument(help="The mail's id (see `crmbot unresolved list`).")],
    thirdparty: Annotated[str, typer.Argument(help="Third-party name, alias or id.")],
) -> None:
    """File a waiting mail under a third party."""
    from bot.cli.lookup import resolve_thirdparty
    from bot.mailroom import MailRoom

    st = state(ctx)
    with reported_errors():
        app = st.app()
        room = MailRoom(app)
        with app.uow(Actor(None, "cli")) as uow:
            tp = resolve_thirdparty(app, uow, thirdparty)
            outcome = room.processor.assign(uow.session, email_id, tp.id, app.clock.now())
            uow.commit()
        people = f" / {', '.join(outcome.contacts)}" if outcome.contacts else ""
        console.print(f"Mail {email_id} filed under {tp.name}{people} (event {outcome.activity_id}).")


@unresolved_app.command("release")
def unresolved_release(
    ctx: typer.Context,
    email_id: Annotated[int, typer.Argument(help="The held mail's id (see `crmbot unresolved list`).")],
) -> None:
    """Let a mail the loop guard held through: it is filed as if it had just arrived."""
    from bot.mailroom import MailRoom

    with reported_errors():
        app = state(ctx).app()
        room = MailRoom(app)
        with app.uow(Actor(None, "cli")) as uow:
            outcome = room.processor.release(uow.session, email_id, app.clock.now())
            uow.commit()
        where = f" under {outcome.thirdparty[1]}" if outcome.thirdparty else ""
        console.print(f"Mail {email_id}: {outcome.status}{where} ({outcome.reason}).")
