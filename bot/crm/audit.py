"""The audit trail: every create, update and delete, from any channel, recorded in one place.

:func:`install` hooks the session factory's ``after_flush`` event, so no write can bypass the log: whatever
a handler, the CLI, an import or the scheduler flushes is recorded with the actor set on the session
(:func:`act_as`): user, channel, source message id, and the before/after values of the changed columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from bot.crm.models import (
    AuditLog,
    DigestRun,
    ImapState,
    LinkCode,
    OutboxMail,
    PendingQuestion,
    ProcessedMessage,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyKey,
    utcnow,
)

# Derived or bookkeeping rows whose changes are not CRM changes of their own. Outbox mail belongs to the
# change that queued it (undo withdraws it through bot.crm.invitations) and holds whole messages; a digest
# run only records that the scheduler sent a digest (thousands each morning, nothing to undo).
_NOT_AUDITED: tuple[type, ...] = (
    AuditLog,
    ImapState,
    ProcessedMessage,
    ThirdPartyKey,
    ThirdPartyDomain,
    LinkCode,
    PendingQuestion,
    OutboxMail,
    DigestRun,
)
SESSION_KEY = "crmbot.actor"
_SKIPPED_COLUMNS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing, and through what: recorded with every change."""

    user_id: int | None
    channel: str  # console | slack | telegram | email | cli | import | scheduler | system
    source_message_id: str | None = None
    now: Callable[[], datetime] = utcnow


SYSTEM = Actor(user_id=None, channel="system")


def act_as(session: Session, actor: Actor) -> None:
    session.info[SESSION_KEY] = actor


def current_actor(session: Session) -> Actor:
    actor = session.info.get(SESSION_KEY)
    return actor if isinstance(actor, Actor) else SYSTEM


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _object_type(obj: Any) -> str:
    return str(obj.__tablename__)


def _thirdparty_of(obj: Any) -> int | None:
    if isinstance(obj, ThirdParty):
        return obj.id
    value = getattr(obj, "thirdparty_id", None)
    return value if isinstance(value, int) else None


def _label(obj: Any) -> str | None:
    for attr in ("name", "label", "ref", "subject", "login", "filename"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            return value[:255]
    full_name = getattr(obj, "full_name", None)
    return full_name if isinstance(full_name, str) else None


def _column_values(obj: Any, *, committed: bool = False) -> dict[str, Any]:
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIPPED_COLUMNS:
            continue
        if committed:
            hist = state.attrs[key].history
            value = hist.deleted[0] if hist.deleted else getattr(obj, key)
        else:
            value = getattr(obj, key)
        values[key] = _jsonable(value)
    return values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIPPED_COLUMNS:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else getattr(obj, key)
        if _jsonable(old) != _jsonable(new):
            before[key] = _jsonable(old)
            after[key] = _jsonable(new)
    return before, after


def _audited(objects: Iterable[Any]) -> list[Any]:
    return [obj for obj in objects if not isinstance(obj, _NOT_AUDITED) and hasattr(obj, "__tablename__")]


def _after_flush(session: Session, _flush_context: Any) -> None:
    actor = current_actor(session)
    at = actor.now()
    rows: list[dict[str, Any]] = []

    def row(action: str, obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        rows.append(
            {
                "at": at,
                "user_id": actor.user_id,
                "channel": actor.channel,
                "source_message_id": actor.source_message_id,
                "action": action,
                "object_type": _object_type(obj),
                "object_id": _primary_key(obj, before, after),
                "thirdparty_id": _thirdparty_of(obj),
                "summary": _label(obj),
                "before": before,
                "after": after,
            }
        )

    for obj in _audited(session.new):
        row("create", obj, None, _column_values(obj))
    for obj in _audited(session.dirty):
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after:
            row("update", obj, before, after)
    for obj in _audited(session.deleted):
        row("delete", obj, _column_values(obj, committed=True), None)
    # A third party deleted in this session cannot be the audit rows' third party any more (the foreign
    # key would refuse them): its rows keep its id in object_id and its values in before.
    gone: set[int] = session.info.setdefault("crmbot.deleted_thirdparties", set())
    gone.update(obj.id for obj in session.deleted if isinstance(obj, ThirdParty))
    for entry in rows:
        if entry["thirdparty_id"] in gone:
            entry["thirdparty_id"] = None
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def _primary_key(obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
    identity = inspect(obj).identity
    if identity:
        return int(identity[0])
    value = (after or {}).get("id") or (before or {}).get("id")
    return int(value) if value is not None else 0


def _stamp(session: Session, _flush_context: Any, _instances: Any) -> None:
    """created_at / updated_at from the actor's clock (the app's, fixed in tests and demos)."""
    now = current_actor(session).now()
    for obj in session.new:
        if hasattr(obj, "created_at") and getattr(obj, "created_at", None) is None:
            obj.created_at = now
        if hasattr(obj, "updated_at") and getattr(obj, "updated_at", None) is None:
            obj.updated_at = now
    for obj in session.dirty:
        if not hasattr(obj, "updated_at") or not session.is_modified(obj, include_collections=False):
            continue
        if not inspect(obj).attrs.updated_at.history.has_changes():  # unless the caller set it
            obj.updated_at = now


class AuditedSession(Session):
    """A session whose every flush is recorded in the audit log and whose rows are time-stamped with
    the acting clock.

    The hooks hang on this class, registered once at import. SQLAlchemy keys its listener registry by
    ``id(target)``: a listener added to a per-database ``sessionmaker`` could be taken as already there,
    and silently skipped, when a new sessionmaker's class reused the id of a collected one."""


event.listen(AuditedSession, "before_flush", _stamp)
event.listen(AuditedSession, "after_flush", _after_flush)


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: int,
    *,
    thirdparty_id: int | None = None,
    summary: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """An audit row the ORM hook cannot write by itself (an export, an anonymisation, a merge), stamped
    with the session's actor like every other row."""
    actor = current_actor(session)
    row = AuditLog(
        at=at or actor.now(),
        user_id=actor.user_id,
        channel=actor.channel,
        source_message_id=actor.source_message_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        thirdparty_id=thirdparty_id,
        summary=summary[:255] if summary else None,
        before=before,
        after=after,
    )
    session.add(row)
    return row


def entries_for_source(session: Session, channel: str, source_message_id: str) -> list[AuditLog]:
    stmt = (
        select(AuditLog)
        .where(AuditLog.channel == channel, AuditLog.source_message_id == source_message_id)
        .order_by(AuditLog.id)
    )
    return list(session.scalars(stmt))


def history(
    session: Session,
    *,
    thirdparty_id: int | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditLog]:
    """Who changed what, newest first (``crmbot audit``): about one third party (its own row and every
    record filed under it), by one user, from a moment on."""
    stmt = select(AuditLog)
    if thirdparty_id is not None:
        stmt = stmt.where(
            (AuditLog.thirdparty_id == thirdparty_id)
            | ((AuditLog.object_type == "thirdparties") & (AuditLog.object_id == thirdparty_id))
        )
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    return list(session.scalars(stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))


def _internal(column: str) -> bool:
    """Ids, links and search keys: what a reader of "what was created" does not need."""
    return column in ("id", "is_active") or column.endswith(("_id", "_key", "_lower"))


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None, *, fields: int = 6) -> str:
    """ "field: old → new" for an update; the fields set for a create; "deleted" for a delete."""
    if before and after:
        keys = [k for k in after if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {before.get(k)!s} → {after.get(k)!s}" for k in keys[:fields])
    if after:
        set_ = [(k, v) for k, v in after.items() if not _internal(k) and v not in (None, "", [], {}, False)]
        return "; ".join(f"{k}={v!s}" for k, v in set_[:fields])
    return "deleted"
