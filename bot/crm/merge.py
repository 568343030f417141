"""Merging a duplicate third party or contact (DROP) into the one that stays (KEEP), as Dolibarr merges them
(``Societe::mergeCompany``): fields empty on KEEP are filled from DROP, public and private notes are
concatenated, tags, sales reps, email domains and extra addresses are merged, every row that points at DROP
is re-pointed at KEEP, and DROP is deleted.

Re-pointing walks the foreign keys on ``Base.metadata``, so a table added later is covered without a change
here. A link row KEEP already has (the same tag, sales rep, domain, attendance or address) is dropped
rather than duplicated: for each unique constraint or composite key that contains the foreign key, a DROP
row whose other columns equal a KEEP row's is deleted. Rows are changed through the ORM, so the audit log
records each of them; the merge itself is one more audit row (action ``merge``) with DROP's last values and
what was filled and moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    Column,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    cast,
    delete,
    exists,
    select,
    update,
)
from sqlalchemy.orm import Mapper, Session, lazyload

from bot.crm import audit
from bot.crm.contacts import update_contact
from bot.crm.models import (
    Activity,
    Base,
    Contact,
    Document,
    EmailMessage,
    ProspectStatus,
    ThirdParty,
    ThirdPartyKey,
    model_to_dict,
)
from bot.crm.thirdparties import update_thirdparty
from bot.normalize import name_key, split_aliases

Kind = Literal["thirdparty", "contact"]


class MergeError(ValueError):
    """The merge cannot be done as asked; the message says why."""


# Never filled from DROP: identity, bookkeeping, what is derived, and what is merged by its own rule below.
_THIRDPARTY_OWN_RULES = frozenset(
    "id created_at updated_at created_by_id email_lower name alias note_public note_private custom_fields "
    "customer_type is_supplier is_individual status prospect_status parent_id".split()
)
_CONTACT_OWN_RULES = frozenset(
    "id created_at updated_at created_by_id email email_lower firstname_key lastname_key fullname_key "
    "lastname note_public note_private custom_fields is_private is_active no_marketing".split()
)
# Re-pointed with plain SQL: the audit trail itself (its rows about DROP now belong to KEEP's history).
_UNAUDITED_TABLES = frozenset({"audit_log"})
# Rebuilt from KEEP's name and aliases, never moved.
_DERIVED = frozenset({("thirdparty_keys", "thirdparty_id")})
# Rows that name their object by (type, id) instead of a foreign key.
_POLYMORPHIC: tuple[tuple[type[Any], str, str], ...] = (
    (Document, "owner_type", "owner_id"),
    (Activity, "linked_type", "linked_id"),
)
_TYPE_NAMES = {"thirdparties": "thirdparty", "contacts": "contact"}

# How the summary names moved rows: (one, many).
_LABELS = {
    "activities": ("activity", "activities"),
    "activity_attendees": ("attendance", "attendances"),
    "contacts": ("contact", "contacts"),
    "email_messages": ("mail", "mails"),
    "documents": ("document", "documents"),
    "projects": ("project", "projects"),
    "tickets": ("ticket", "tickets"),
    "quotes": ("quote", "quotes"),
    "orders": ("order", "orders"),
    "invoices": ("invoice", "invoices"),
    "contracts": ("contract", "contracts"),
    "consents": ("consent record", "consent records"),
    "contact_emails": ("extra email", "extra emails"),
    "contact_tags": ("tag", "tags"),
    "thirdparty_tags": ("tag", "tags"),
    "sales_reps": ("sales rep", "sales reps"),
    "thirdparty_domains": ("email domain", "email domains"),
    "thirdparties": ("subsidiary", "subsidiaries"),
}


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    """What a salesperson looks for first: the history, the people, the mail, then the rest."""
    first = list(_LABELS)
    return sorted(
        counts.items(), key=lambda kv: (first.index(kv[0]) if kv[0] in first else len(first), kv[0])
    )


def count_label(table: str, n: int) -> str:
    one, many = _LABELS.get(table, (table.replace("_", " ").rstrip("s"), table.replace("_", " ")))
    return f"{n} {one if n == 1 else many}"


@dataclass
class MergeResult:
    kind: Kind
    keep_id: int
    keep_name: str
    drop_id: int
    drop_name: str
    filled: dict[str, Any] = field(default_factory=dict)  # KEEP's fields that took DROP's value
    moved: dict[str, int] = field(default_factory=dict)  # table -> rows re-pointed at KEEP
    removed: dict[str, int] = field(default_factory=dict)  # table -> DROP's rows KEEP already had

    def summary(self) -> str:
        """ "12 activities, 3 contacts, 2 mails re-pointed" (the audit trail's own rows are not counted)."""
        parts = [count_label(t, n) for t, n in _ordered(self.moved) if n and t not in _UNAUDITED_TABLES]
        return f"{', '.join(parts)} re-pointed" if parts else "nothing to re-point"

    def duplicates_summary(self) -> str | None:
        parts = [count_label(t, n) for t, n in _ordered(self.removed) if n]
        return f"{', '.join(parts)} already on #{self.keep_id}, dropped" if parts else None


# -- shared -------------------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _concat(kept: str | None, dropped: str | None) -> str | None:
    """Dolibarr's dol_concatdesc: both notes, KEEP's first; a note already contained is not repeated."""
    if _empty(dropped):
        return kept
    if _empty(kept):
        return dropped
    assert kept is not None
    assert dropped is not None
    return kept if dropped.strip() in kept else f"{kept.rstrip()}\n{dropped.strip()}"


def _fill(keep: Any, drop: Any, own_rules: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    """DROP's values for KEEP's empty fields, and which of them are unique (DROP must give them up first)."""
    fields: dict[str, Any] = {}
    unique: list[str] = []
    for column in keep.__table__.columns:
        key = column.key
        if key in own_rules:
            continue
        if _empty(getattr(keep, key)) and not _empty(getattr(drop, key)):
            fields[key] = getattr(drop, key)
            if column.unique:
                unique.append(key)
    for key in ("note_public", "note_private"):
        merged = _concat(getattr(keep, key), getattr(drop, key))
        if merged != getattr(keep, key):
            fields[key] = merged
    custom = dict(drop.custom_fields or {})
    custom.update({k: v for k, v in (keep.custom_fields or {}).items() if not _empty(v)})
    if custom != (keep.custom_fields or {}):
        fields["custom_fields"] = custom
    return fields, unique


def _load(session: Session, model: type[Any], keep_id: int, drop_id: int, what: str) -> tuple[Any, Any]:
    if keep_id == drop_id:
        raise MergeError(f"cannot merge {what} #{keep_id} into itself")
    keep, drop = session.get(model, keep_id), session.get(model, drop_id)
    for ident, row in ((keep_id, keep), (drop_id, drop)):
        if row is None:
            raise MergeError(f"no {what} #{ident}")
    return keep, drop


def _references(target: Table) -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to *target*'s id."""
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is target and fk.column.name == "id":
                yield table, fk.parent


def _mapper(table: Table) -> Mapper[Any] | None:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper
    return None


def _partners(table: Table, column: Column[Any]) -> list[tuple[str, ...]]:
    """For each unique constraint, composite key or unique index containing *column*: its other columns
    (rows that agree on them would collide once re-pointed)."""
    groups: list[tuple[str, ...]] = []
    candidates = [
        tuple(c.columns)
        for c in table.constraints
        if isinstance(c, UniqueConstraint) or (isinstance(c, PrimaryKeyConstraint) and len(c.columns) > 1)
    ]
    candidates += [tuple(i.columns) for i in table.indexes if i.unique]
    for columns in candidates:
        names = [c.name for c in columns]
        if column.name in names and len(names) > 1:
            groups.append(tuple(n for n in names if n != column.name))
    return groups


def _repoint(
    session: Session,
    target: Table,
    keep_id: int,
    drop_id: int,
    result: MergeResult,
    *,
    reparent: dict[int, int | None] | None = None,
) -> None:
    """Point every row that references DROP at KEEP; drop DROP's link rows KEEP already has."""
    moved: dict[str, set[int]] = defaultdict(set)
    touched: list[Any] = []
    for table, column in _references(target):
        if (table.name, column.name) in _DERIVED:
            continue
        mapper = _mapper(table)
        if mapper is None or table.name in _UNAUDITED_TABLES:
            _repoint_sql(session, table, column, keep_id, drop_id, result)
            continue
        attr = mapper.get_property_by_column(column).key
        stmt = select(mapper.class_).where(column == drop_id).options(lazyload("*"))
        if table is target:  # a self-reference (a subsidiary's parent): never KEEP or DROP themselves
            stmt = stmt.where(table.c.id.not_in([keep_id, drop_id]))
        rows = list(session.scalars(stmt))
        if not rows:
            continue
        groups = _partners(table, column)
        taken = [
            {tuple(r) for r in session.execute(select(*(table.c[n] for n in group)).where(column == keep_id))}
            for group in groups
        ]
        for obj in rows:
            values = [tuple(getattr(obj, _attr(mapper, table.c[n])) for n in group) for group in groups]
            if any(v in seen for v, seen in zip(values, taken, strict=True)):
                session.delete(obj)
                result.removed[table.name] = result.removed.get(table.name, 0) + 1
                continue
            new_value: int | None = keep_id
            if reparent is not None and table is target and obj.id in reparent:
                new_value = reparent[obj.id]
            setattr(obj, attr, new_value)
            touched.append(obj)
            moved[table.name].add(obj.id if hasattr(obj, "id") else id(obj))
            for v, seen in zip(values, taken, strict=True):
                seen.add(v)
    type_name = _TYPE_NAMES[target.name]
    for model, type_attr, id_attr in _POLYMORPHIC:
        others = session.scalars(
            select(model)
            .where(getattr(model, type_attr) == type_name, getattr(model, id_attr) == drop_id)
            .options(lazyload("*"))
        )
        for obj in others:
            setattr(obj, id_attr, keep_id)
            touched.append(obj)
            moved[model.__tablename__].add(obj.id)
    session.flush()
    for obj in touched:  # relationships loaded before still point at DROP
        session.expire(obj)
    for table_name, ids in moved.items():
        result.moved[table_name] = result.moved.get(table_name, 0) + len(ids)


def _attr(mapper: Mapper[Any], column: Column[Any]) -> str:
    return mapper.get_property_by_column(column).key


def _repoint_sql(
    session: Session, table: Table, column: Column[Any], keep_id: int, drop_id: int, result: MergeResult
) -> None:
    for group in _partners(table, column):
        other = table.alias("kept")
        same = [other.c[n].is_not_distinct_from(table.c[n]) for n in group]
        collision = exists().where(other.c[column.name] == keep_id, *same)
        gone = session.execute(delete(table).where(column == drop_id, collision))
        if gone.rowcount:  # type: ignore[attr-defined]
            result.removed[table.name] = result.removed.get(table.name, 0) + gone.rowcount  # type: ignore[attr-defined]
    done = session.execute(update(table).where(column == drop_id).values({column.name: keep_id}))
    if done.rowcount:  # type: ignore[attr-defined]
        result.moved[table.name] = result.moved.get(table.name, 0) + done.rowcount  # type: ignore[attr-defined]


def _audit(session: Session, result: MergeResult, before: dict[str, Any], thirdparty_id: int | None) -> None:
    """The merge's own audit row, written like gdpr.export's: DROP's last values, and what happened."""
    audit.record(
        session,
        "merge",
        "thirdparties" if result.kind == "thirdparty" else "contacts",
        result.keep_id,
        thirdparty_id=thirdparty_id,
        summary=f"merged {result.drop_name} (#{result.drop_id}) into {result.keep_name} (#{result.keep_id})",
        before=before,
        after={
            "merged_id": result.drop_id,
            "kept_id": result.keep_id,
            "filled": {k: _jsonable(v) for k, v in result.filled.items()},
            "moved": dict(result.moved),
            "removed": dict(result.removed),
        },
    )
    session.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# -- third parties -------------------------------------------------------------------------------------


def _aliases(keep: ThirdParty, drop: ThirdParty) -> str | None:
    """KEEP's aliases plus DROP's name and aliases that are not already KEEP's names, so the old name still
    finds the company (mail routing, chat)."""
    names = split_aliases(keep.alias)
    have = {name_key(keep.name), *(name_key(a) for a in names)}
    for candidate in (drop.name, *split_aliases(drop.alias)):
        key = name_key(candidate)
        if key and key not in have and len("; ".join([*names, candidate])) <= 255:
            names.append(candidate)
            have.add(key)
    return "; ".join(names) or None


def _ancestors(session: Session, tp_id: int | None) -> list[int]:
    """*tp_id* and the third parties above it (parent, its parent …)."""
    found: list[int] = []
    while tp_id is not None and tp_id not in found and len(found) < 100:
        found.append(tp_id)
        tp_id = session.scalar(select(ThirdParty.parent_id).where(ThirdParty.id == tp_id))
    return found


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def merge_thirdparties(session: Session, keep_id: int, drop_id: int) -> MergeResult:
    """Merge third party *drop_id* into *keep_id*; DROP is gone afterwards."""
    keep, drop = _load(session, ThirdParty, keep_id, drop_id, "third party")
    result = MergeResult("thirdparty", keep.id, keep.name, drop.id, drop.name)
    before = model_to_dict(drop)
    fields, unique = _fill(keep, drop, _THIRDPARTY_OWN_RULES)
    if (keep.customer_type | drop.customer_type) != keep.customer_type:  # 1 customer | 2 prospect = 3 both
        fields["customer_type"] = keep.customer_type | drop.customer_type
    if drop.is_supplier and not keep.is_supplier:
        fields["is_supplier"] = True
    never = ProspectStatus.NEVER_CONTACTED
    do_not = ProspectStatus.DO_NOT_CONTACT
    if drop.prospect_status != keep.prospect_status and (
        drop.prospect_status == do_not or keep.prospect_status == never
    ):  # "do not contact" survives the merge
        fields["prospect_status"] = drop.prospect_status
    # The family tree: KEEP takes DROP's parent if it has none (or DROP was its parent), never one below
    # itself; DROP's subsidiaries become KEEP's, except KEEP's own ancestors, which move up to DROP's parent.
    above_keep = _ancestors(session, keep.parent_id)
    drops_parent = drop.parent_id if drop.parent_id not in (keep.id, drop.id) else None
    if keep.parent_id in (None, drop.id):
        parent = drops_parent if keep.id not in _ancestors(session, drops_parent) else None
        if parent != keep.parent_id:
            fields["parent_id"] = parent
    alias = _aliases(keep, drop)
    if alias != keep.alias:
        fields["alias"] = alias
    if unique:  # codes are unique: DROP gives them up before KEEP takes them
        for key in unique:
            setattr(drop, key, None)
        session.flush()
    update_thirdparty(session, keep, **fields)
    result.filled = fields
    reparent = dict.fromkeys((a for a in above_keep if a != drop.id), drops_parent)
    _repoint(session, _table(ThirdParty), keep.id, drop.id, result, reparent=reparent)
    _repoint_mail_candidates(session, keep, drop.id, result)
    _drop_thirdparty(session, drop)
    session.expire(keep)
    _audit(session, result, before, keep.id)
    return result


def _drop_thirdparty(session: Session, drop: ThirdParty) -> None:
    """Delete DROP with SQL: nothing references it any more but its own matching keys. (The ORM's delete
    would audit it with a third-party id that is gone by then; the merge row keeps its values instead.)"""
    drop_id = drop.id
    session.expire(drop)
    session.expunge(drop)
    session.execute(delete(ThirdPartyKey).where(ThirdPartyKey.thirdparty_id == drop_id))
    session.execute(delete(ThirdParty).where(ThirdParty.id == drop_id))


# -- contacts ------------------------------------------------------------------------------------------


def merge_contacts(session: Session, keep_id: int, drop_id: int) -> MergeResult:
    """Merge contact *drop_id* into *keep_id*; DROP is gone afterwards."""
    keep, drop = _load(session, Contact, keep_id, drop_id, "contact")
    result = MergeResult("contact", keep.id, keep.full_name, drop.id, drop.full_name)
    before = model_to_dict(drop)
    before["extra_emails"] = [e.email for e in drop.extra_emails]
    drop_email = drop.email
    fields, _unique = _fill(keep, drop, _CONTACT_OWN_RULES)
    if drop.no_marketing and not keep.no_marketing:  # an opt-out survives the merge
        fields["no_marketing"] = True
    if fields:
        update_contact(session, keep, **fields)
    result.filled = dict(fields)
    for extra in list(drop.extra_emails):  # KEEP's main address is no extra one
        if keep.email_lower and extra.email_lower == keep.email_lower:
            session.delete(extra)
            result.removed["contact_emails"] = result.removed.get("contact_emails", 0) + 1
    _repoint(session, _table(Contact), keep.id, drop.id, result)
    _repoint_mail_contacts(session, keep.id, drop.id, result)
    session.expire(keep)
    if drop_email:
        if _empty(keep.email):
            update_contact(session, keep, email=drop_email)
            result.filled["email"] = drop_email
        else:
            update_contact(session, keep, extra_emails=[drop_email])
    for extra in list(keep.extra_emails):  # an extra address that is now the main one
        if extra.email_lower == keep.email_lower:
            session.delete(extra)
    session.flush()
    session.expire(drop)
    session.delete(drop)
    session.flush()
    _audit(session, result, before, keep.thirdparty_id)
    return result


def _mails_naming(session: Session, column: Any, drop_id: int) -> list[EmailMessage]:
    """Mails whose JSON *column* may mention *drop_id* (the exact check is the caller's)."""
    return list(
        session.scalars(
            select(EmailMessage)
            .where(column.is_not(None), cast(column, String).like(f"%{drop_id}%"))
            .options(lazyload("*"))
        )
    )


def _repoint_mail_contacts(session: Session, keep_id: int, drop_id: int, result: MergeResult) -> None:
    """Archived mail lists the contacts it was filed with (a JSON list of ids, not a foreign key)."""
    changed = 0
    for mail in _mails_naming(session, EmailMessage.contact_ids, drop_id):
        ids = list(mail.contact_ids or [])
        if drop_id in ids:
            mail.contact_ids = list(dict.fromkeys(keep_id if i == drop_id else i for i in ids))
            changed += 1
    _count_mails(session, result, changed)


def _repoint_mail_candidates(session: Session, keep: ThirdParty, drop_id: int, result: MergeResult) -> None:
    """Unfiled mail keeps the third parties it could belong to (JSON suggestions), offered as buttons."""
    changed = 0
    for mail in _mails_naming(session, EmailMessage.candidates, drop_id):
        found = list(mail.candidates or [])
        if not any(c.get("id") == drop_id for c in found):
            continue
        renamed = [{**c, "id": keep.id, "name": keep.name} if c.get("id") == drop_id else c for c in found]
        mail.candidates = list({c["id"]: c for c in reversed(renamed)}.values())[::-1]
        changed += 1
    _count_mails(session, result, changed)


def _count_mails(session: Session, result: MergeResult, changed: int) -> None:
    if changed:
        session.flush()
        result.moved["email_messages"] = result.moved.get("email_messages", 0) + changed


def merge(session: Session, kind: Kind, keep_id: int, drop_id: int) -> MergeResult:
    return (merge_thirdparties if kind == "thirdparty" else merge_contacts)(session, keep_id, drop_id)
