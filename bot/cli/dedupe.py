"""Duplicates: ``crmbot duplicates thirdparties|contacts`` lists likely pairs, and
``crmbot merge thirdparty|contact KEEP DROP`` merges one into the other."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.context import console, reported_errors, state
from bot.crm.duplicates import DEFAULT_MIN_SCORE, Kind, find_duplicates
from bot.crm.merge import MergeResult, merge


class Records(StrEnum):
    thirdparties = "thirdparties"
    contacts = "contacts"


_KIND: dict[Records, Kind] = {Records.thirdparties: "thirdparty", Records.contacts: "contact"}

merge_app = typer.Typer(
    help="Merge a duplicate (DROP) into the record that stays (KEEP): empty fields filled, notes joined, "
    "tags, sales reps and addresses merged, every linked record moved to KEEP, DROP deleted; audited.",
    no_args_is_help=True,
)


def duplicates(
    ctx: typer.Context,
    records: Annotated[Records, typer.Argument(help="thirdparties or contacts.")],
    min_score: Annotated[
        int, typer.Option("--min-score", min=0, max=100, help="Only pairs scored at least this (0–100).")
    ] = DEFAULT_MIN_SCORE,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many pairs (0: all).")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per pair and line.")] = False,
) -> None:
    """Likely duplicates, best first: same VAT id, email, email domain (never a free-mail one) or phone,
    same or similar names; each pair with its score and reasons."""
    kind = _KIND[records]
    with reported_errors(), state(ctx).uow() as uow:
        pairs = find_duplicates(uow.session, kind, min_score=min_score, limit=limit or None)
    if as_json:
        for p in pairs:
            record = {
                "kind": p.kind,
                "score": p.score,
                "first": {"id": p.first_id, "name": p.first_name},
                "second": {"id": p.second_id, "name": p.second_name},
                "reasons": list(p.reasons),
            }
            print(json.dumps(record, ensure_ascii=False))
        return
    if not pairs:
        plural = "third parties" if kind == "thirdparty" else "contacts"
        console.print(f"No likely duplicate {plural} (score {min_score} or more).")
        return
    table = Table("score", "keep?", "drop?", "why")
    for p in pairs:
        first, second = f"#{p.first_id} {p.first_name}", f"#{p.second_id} {p.second_name}"
        table.add_row(str(p.score), first, second, ", ".join(p.reasons))
    console.print(table)
    console.print(f"Merge a pair with: crmbot merge {kind} KEEP DROP")


def _merge(ctx: typer.Context, kind: Kind, keep: int, drop: int, *, yes: bool) -> None:
    st = state(ctx)
    what = "third party" if kind == "thirdparty" else "contact"
    with reported_errors():
        if not yes:
            with st.uow() as uow:  # a dry run: rolled back, so nothing waits on the answer
                preview = merge(uow.session, kind, keep, drop)
            moves = preview.summary()
            moving = moves.endswith(" re-pointed")
            effect = f"re-points {moves.removesuffix(' re-pointed')}" if moving else "has nothing to re-point"
            console.print(
                f"Merging {what} #{drop} {preview.drop_name} into #{keep} {preview.keep_name} {effect}; "
                f"#{drop} is deleted."
            )
            typer.confirm("Merge?", abort=True)
        with st.uow() as uow:
            result = merge(uow.session, kind, keep, drop)
            uow.commit()
    _report(what, result)


def _report(what: str, result: MergeResult) -> None:
    console.print(
        f"Merged {what} #{result.drop_id} {result.drop_name} into #{result.keep_id} {result.keep_name}: "
        f"{result.summary()}."
    )
    if result.filled:
        console.print(f"Filled from #{result.drop_id}: {', '.join(result.filled)}.")
    dropped = result.duplicates_summary()
    if dropped:
        console.print(dropped[:1].upper() + dropped[1:] + ".")


@merge_app.command("thirdparty")
def merge_thirdparty(
    ctx: typer.Context,
    keep: Annotated[int, typer.Argument(help="Id of the third party that stays.")],
    drop: Annotated[int, typer.Argument(help="Id of the duplicate, merged into KEEP and deleted.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Merge third party DROP into KEEP (ids from `crmbot duplicates thirdparties`)."""
    _merge(ctx, "thirdparty", keep, drop, yes=yes)


@merge_app.command("contact")
def merge_contact(
    ctx: typer.Context,
    keep: Annotated[int, typer.Argument(help="Id of the contact that stays.")],
    drop: Annotated[int, typer.Argument(help="Id of the duplicate, merged into KEEP and deleted.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Merge contact DROP into KEEP (ids from `crmbot duplicates contacts`)."""
    _merge(ctx, "contact", keep, drop, yes=yes)


def register(app: typer.Typer) -> None:
    app.command("duplicates")(duplicates)
    app.add_typer(merge_app, name="merge")
