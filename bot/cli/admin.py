"""Administration: groups and their rights (``crmbot group …``) and the audit log (``crmbot audit``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.context import CliError, console, err_console, fail, reported_errors, state
from bot.clock import parse_instant
from bot.crm import groups as group_service
from bot.crm import users as user_service
from bot.crm.audit import describe_changes, history
from bot.crm.models import User

group_app = typer.Typer(help="Groups of users (Sales, Support, Accounting …) and the rights they carry.")


@group_app.command("add")
def group_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group's name.")],
    description: Annotated[str | None, typer.Option("--description", help="What the group is for.")] = None,
) -> None:
    """Add a group (without rights; give it some with `crmbot group grant`)."""
    with reported_errors(), state(ctx).uow() as uow:
        group = group_service.add_group(uow.session, name, description)
        uow.commit()
        console.print(f"Added group {group.name}.")


@group_app.command("grant")
def group_grant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group.")],
    right: Annotated[str, typer.Argument(help="A right, see `crmbot rights`.")],
) -> None:
    """Give a group a right: every member has it."""
    _change_group_right(ctx, name, right, give=True)


@group_app.command("revoke")
def group_revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group.")],
    right: Annotated[str, typer.Argument(help="A right, see `crmbot rights`.")],
) -> None:
    """Take a right from a group."""
    _change_group_right(ctx, name, right, give=False)


def _change_group_right(ctx: typer.Context, name: str, right: str, *, give: bool) -> None:
    with reported_errors(), state(ctx).uow() as uow:
        group = group_service.require_group(uow.session, name)
        changed = (group_service.grant if give else group_service.revoke)(uow.session, group, right)
        uow.commit()
        if give:
            console.print(f"Group {group.name} {'now has' if changed else 'already had'} {right}.")
        else:
            console.print(f"Group {group.name} {'no longer has' if changed else 'did not have'} {right}.")


@group_app.command("member")
def group_member(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group.")],
    login: Annotated[str, typer.Argument(help="The user's login.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the user out of the group.")] = False,
) -> None:
    """Put a user in a group (they inherit its rights), or take them out with --remove."""
    with reported_errors(), state(ctx).uow() as uow:
        group = group_service.require_group(uow.session, name)
        user = user_service.require_login(uow.session, login)
        if remove:
            changed = group_service.remove_member(uow.session, group, user)
            done = "is no longer in" if changed else "was not in"
        else:
            changed = group_service.add_member(uow.session, group, user)
            done = "is now in" if changed else "was already in"
        uow.commit()
        console.print(f"{user.login} {done} group {group.name}.")


@group_app.command("list")
def group_list(ctx: typer.Context) -> None:
    """The groups with their rights and members."""
    with reported_errors(), state(ctx).uow() as uow:
        table = Table("group", "rights", "members")
        logins = {row.id: row.login for row in uow.session.execute(select(User.id, User.login))}
        for group in group_service.list_groups(uow.session):
            table.add_row(
                group.name,
                ", ".join(sorted(r.right for r in group.rights)) or "–",
                ", ".join(sorted(logins.get(m.user_id, "?") for m in group.members)) or "–",
            )
        console.print(table)


gdpr_app = typer.Typer(help="Data-protection requests about one person.", no_args_is_help=True)


@gdpr_app.command("export")
def gdpr_export(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The person's email address.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout).")] = None,
) -> None:
    """Everything held about a person, as JSON: contact records, consent, activities, archived mail
    (with the original message), documents, unsubscribe/never-log entries and the audit trail."""
    from bot.crm.gdpr import export_person

    st = state(ctx)
    with reported_errors(), st.uow() as uow:
        data = export_person(uow.session, st.app().documents, email, now=st.app().clock.now())
        uow.commit()  # the export is audited
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if output is None:
        print(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")
    counts = ", ".join(f"{len(data[k])} {k}" for k in ("contacts", "activities", "emails", "documents"))
    err_console.print(f"{counts} about {data['email']} written to {output}")


@gdpr_app.command("anonymize")
def gdpr_anonymize(
    ctx: typer.Context,
    contact: Annotated[int | None, typer.Option("--contact", help="The contact's id.")] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="An address: every contact with it, and its mail.")
    ] = None,
    thirdparty: Annotated[
        int | None,
        typer.Option("--thirdparty", help="A private person's third party (id), with its contacts."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "erasure request",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person for good (GDPR): name to an anonymous token; address, phones, email, birthday and
    notes blanked; their archived mail and its originals redacted, documents only they had deleted; the
    address put on the never-log list. Events stay, with the person's name taken out. Audited."""
    from bot.crm import anonymize as anon

    if sum(x is not None for x in (contact, email, thirdparty)) != 1:
        fail("name exactly one of --contact ID, --email ADDRESS or --thirdparty ID")
    st = state(ctx)
    with reported_errors():
        with st.app().uow(read_only=True) as uow:  # look first, outside the transaction that writes
            target = _anonymize_target(uow.session, contact, email, thirdparty)
        if not yes and not typer.confirm(f"Anonymise {target}? This cannot be undone."):
            raise CliError("nothing was changed")
        app_ = st.app()
        now = app_.clock.now()
        with st.uow() as uow:
            s = uow.session
            if contact is not None:
                person = anon.require_contact(s, contact)
                result = anon.anonymize_contact(s, app_.documents, person, now=now, reason=reason)
            elif thirdparty is not None:
                tp = anon.require_thirdparty(s, thirdparty)
                result = anon.anonymize_thirdparty(s, app_.documents, tp, now=now, reason=reason)
            else:
                result = anon.anonymize_email(s, app_.documents, email or "", now=now, reason=reason)
            uow.commit()
    if not result.changed:
        console.print(f"Nothing left to anonymise: {target} was anonymised before.")
        return
    console.print(f"Anonymised {target}: {_anonymized_counts(result.counts())}.")


def _anonymize_target(
    session: Session, contact: int | None, email: str | None, thirdparty: int | None
) -> str:
    """What an anonymisation request names, for the confirmation question (unknown ones raise)."""
    from bot.crm import anonymize as anon
    from bot.crm.gdpr import GdprError, contacts_with_address
    from bot.normalize import normalize_email

    if contact is not None:
        found = anon.require_contact(session, contact)
        company = f", {found.thirdparty.name}" if found.thirdparty is not None else ""
        return f"contact {found.id} ({found.full_name}{company})"
    if thirdparty is not None:
        tp = anon.require_thirdparty(session, thirdparty)
        if not tp.is_individual:
            raise GdprError(
                f"{tp.name} is a company, not a private person: anonymise its contacts (--contact)"
            )
        return f"third party {tp.id} ({tp.name}) and its contacts"
    address = normalize_email(email or "")
    if address is None:
        raise GdprError(f"{email!r} is not an email address")
    people = ", ".join(f"{c.full_name} (contact {c.id})" for c in contacts_with_address(session, address))
    return f"{address} — {people}" if people else address


def _anonymized_counts(counts: dict[str, int]) -> str:
    words = {
        "contacts": ("contact", "contacts"),
        "thirdparties": ("third party", "third parties"),
        "activities": ("event redacted", "events redacted"),
        "emails": ("mail redacted", "mails redacted"),
        "originals": ("stored original replaced", "stored originals replaced"),
        "documents": ("document deleted", "documents deleted"),
        "files": ("file deleted", "files deleted"),
        "other": ("other row cleaned", "other rows cleaned"),
        "never_log": ("address put on the never-log list", "addresses put on the never-log list"),
    }
    return ", ".join(f"{n} {words[k][n != 1]}" for k, n in counts.items() if n) or "nothing"


@gdpr_app.command("retention")
def gdpr_retention(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be anonymised.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Anonymise now what has been idle longer than CRMBOT_RETENTION_*_MONTHS allow (the scheduler does
    it daily): third parties by category (no invoice, no child objects, no recent event) and contacts."""
    from bot.crm import retention

    st = state(ctx)
    with reported_errors():
        app_ = st.app()
        settings = retention.RetentionSettings.of(app_.settings)
        now = app_.clock.now()
        if not settings.enabled:
            if as_json:
                print(json.dumps({"enabled": False, "dry_run": dry_run, "candidates": [], "anonymized": {}}))
            else:
                console.print(
                    "Retention is off: set CRMBOT_RETENTION_{PROSPECT,CUSTOMER,SUPPLIER,CONTACT}_MONTHS."
                )
            return
        with st.uow() as uow:
            if dry_run:
                report = retention.Report(candidates=retention.eligible(uow.session, settings, now))
            else:
                report = retention.run(uow.session, app_.documents, settings, now)
                uow.commit()
    if as_json:
        data = {
            "enabled": True,
            "dry_run": dry_run,
            "candidates": [c.as_dict() for c in report.candidates],
            "by_category": report.by_category(),
            "anonymized": {} if dry_run else report.anonymized.counts(),
        }
        print(json.dumps(data, ensure_ascii=False))
        return
    if not report.candidates:
        console.print("Nothing is due for anonymisation.")
        return
    table = Table("kind", "id", "name", "category", "idle for")
    for c in report.candidates:
        table.add_row(c.kind, str(c.id), c.name, c.category, f"{c.months}+ months")
    console.print(table)
    if dry_run:
        console.print(f"{len(report.candidates)} record(s) would be anonymised (dry run: nothing changed).")
    else:
        console.print(f"Anonymised: {_anonymized_counts(report.anonymized.counts())}.")


never_log_app = typer.Typer(
    help="Addresses and domains whose mail is never archived (the never-log list).", no_args_is_help=True
)


@never_log_app.command("add")
def never_log_add(
    ctx: typer.Context,
    pattern: Annotated[str, typer.Argument(help="An address (max@example.com) or a domain (example.com).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept with the entry).")] = None,
) -> None:
    """Never archive mail from or to this address or domain (it is left out of every filing)."""
    from bot.crm import gdpr

    with reported_errors(), state(ctx).uow() as uow:
        row = gdpr.never_log_add(uow.session, pattern, reason=reason, user_id=None)
        uow.commit()
        console.print(
            f"Mail with {'anyone at ' if row.kind == 'domain' else ''}{row.pattern} is never archived."
        )


@never_log_app.command("remove")
def never_log_remove(
    ctx: typer.Context, pattern: Annotated[str, typer.Argument(help="The address or domain.")]
) -> None:
    """Take an address or domain off the never-log list."""
    from bot.crm import gdpr

    with reported_errors(), state(ctx).uow() as uow:
        removed = gdpr.never_log_remove(uow.session, pattern)
        uow.commit()
        console.print(f"{pattern} {'is no longer' if removed else 'was not'} on the never-log list.")


@never_log_app.command("list")
def never_log_list(ctx: typer.Context) -> None:
    """The never-log list."""
    from bot.crm import gdpr

    with reported_errors(), state(ctx).uow() as uow:
        table = Table("pattern", "kind", "reason")
        for row in gdpr.never_log_list(uow.session):
            table.add_row(row.pattern, row.kind, row.reason or "")
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(never_log_app, name="never-log")
    app.add_typer(group_app, name="group")
    app.add_typer(gdpr_app, name="gdpr")

    @app.command()
    def audit(
        ctx: typer.Context,
        thirdparty: Annotated[
            str | None, typer.Option("--thirdparty", help="Only about this third party (name or id).")
        ] = None,
        login: Annotated[str | None, typer.Option("--user", help="Only what this user changed.")] = None,
        since: Annotated[
            str | None,
            typer.Option("--since", help="From this date or moment on (ISO 8601, UTC if no offset)."),
        ] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many entries.")] = 200,
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per line, with before/after.")
        ] = False,
    ) -> None:
        """Who changed what, newest first: user, time, channel, source message, object, before/after."""
        from bot.cli.lookup import resolve_thirdparty

        st = state(ctx)
        with reported_errors(), st.uow() as uow:
            tp_id = resolve_thirdparty(st.app(), uow, thirdparty).id if thirdparty else None
            user_id = user_service.require_login(uow.session, login).id if login else None
            try:
                moment = parse_instant(since) if since else None
            except ValueError:
                raise CliError(f"--since {since!r} is not an ISO 8601 date or date-time") from None
            entries = history(uow.session, thirdparty_id=tp_id, user_id=user_id, since=moment, limit=limit)
            logins = {row.id: row.login for row in uow.session.execute(select(User.id, User.login))}
            if as_json:
                for e in entries:
                    record = {
                        "at": e.at.isoformat(),
                        "user": logins.get(e.user_id) if e.user_id else None,
                        "channel": e.channel,
                        "source_message_id": e.source_message_id,
                        "action": e.action,
                        "object": {"type": e.object_type, "id": e.object_id, "label": e.summary},
                        "thirdparty_id": e.thirdparty_id,
                        "before": e.before,
                        "after": e.after,
                        "undone_at": e.undone_at.isoformat() if e.undone_at else None,
                    }
                    print(json.dumps(record, ensure_ascii=False, default=str))
                return
            table = Table("when (UTC)", "user", "channel", "action", "object", "changes")
            for e in entries:
                table.add_row(
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    logins.get(e.user_id, "–") if e.user_id else "system",
                    e.channel,
                    e.action + (" (undone)" if e.undone_at else ""),
                    f"{e.object_type} {e.object_id}" + (f" {e.summary}" if e.summary else ""),
                    describe_changes(e.before, e.after),
                )
            console.print(table)
            if not entries:
                console.print("No changes recorded for this selection.")
