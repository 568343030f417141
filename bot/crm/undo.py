"""Undo: revert the writes one message made, from its audit-log entries, newest first.

Creates are deleted, updates get their old values back, deletes are re-created (through the ORM, so
derived rows such as matching keys come back too). The reverted entries are marked ``undone_at``, and so
are the entries the undo itself wrote, so undoing twice goes one message further back instead of redoing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Numeric, select, update
from sqlalchemy.orm import Session

from bot.crm import invitations
from bot.crm.audit import current_actor
from bot.crm.invitations import Withdrawn
from bot.crm.models import Activity, AuditLog, Base


@dataclass(frozen=True, slots=True)
class Undone:
    channel: str
    source_message_id: str
    entries: list[AuditLog]
    invitations: list[Withdrawn] = field(default_factory=list)  # called off with the meetings undone

    @property
    def summaries(self) -> list[str]:
        return [
            e.summary for e in self.entries if e.action == "create" and e.summary and e.object_type in _MAIN
        ]


_MAIN = frozenset({"activities", "thirdparties", "contacts", "reminders"})


def _models() -> dict[str, type[Any]]:
    return {str(m.class_.__tablename__): m.class_ for m in Base.registry.mappers}


def _from_json(model: type[Any], key: str, value: Any) -> Any:
    if value is None:
        return None
    column = model.__table__.columns[key]
    if isinstance(column.type, DateTime) or (
        getattr(column.type, "impl", None) is not None and isinstance(column.type.impl, DateTime)
    ):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, Numeric):
        return Decimal(value)
    return value


def last_undoable(session: Session, user_id: int) -> tuple[str, str] | None:
    """(channel, source message id) of the user's latest message that wrote something not yet undone."""
    row = session.execute(
        select(AuditLog.channel, AuditLog.source_message_id)
        .where(
            AuditLog.user_id == user_id, AuditLog.undone_at.is_(None), AuditLog.source_message_id.is_not(None)
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row and row[1] is not None else None


def undo_message(
    session: Session, user_id: int, channel: str, source_message_id: str, now: datetime
) -> Undone:
    entries = list(
        session.scalars(
            select(AuditLog)
            .where(
                AuditLog.channel == channel,
                AuditLog.source_message_id == source_message_id,
                AuditLog.user_id == user_id,
                AuditLog.undone_at.is_(None),
            )
            .order_by(AuditLog.id.desc())
        )
    )
    withdrawn = _withdraw_invitations(session, entries, now)
    models = _models()
    for entry in entries:
        model = models.get(entry.object_type)
        if model is None:
            continue
        obj = session.get(model, entry.object_id)
        if entry.action == "create" and obj is not None:
            session.delete(obj)
        elif entry.action == "update" and obj is not None:
            for key, value in (entry.before or {}).items():
                setattr(obj, key, _from_json(model, key, value))
        elif entry.action == "delete" and obj is None and entry.before:
            session.add(model(**{k: _from_json(model, k, v) for k, v in entry.before.items()}))
        session.flush()
    ids = [e.id for e in entries]
    if ids:
        session.execute(update(AuditLog).where(AuditLog.id.in_(ids)).values(undone_at=now))
    actor = current_actor(session)
    if actor.source_message_id is not None:
        session.execute(
            update(AuditLog)
            .where(AuditLog.channel == actor.channel, AuditLog.source_message_id == actor.source_message_id)
            .values(undone_at=now)
        )
    return Undone(channel, source_message_id, list(reversed(entries)), withdrawn)


def _withdraw_invitations(session: Session, entries: list[AuditLog], now: datetime) -> list[Withdrawn]:
    """A meeting the message created goes away: its invitation is called off first (never sent if it
    still waits; a CANCEL follows one that went out)."""
    withdrawn = []
    for entry in entries:
        if entry.action != "create" or entry.object_type != Activity.__tablename__:
            continue
        activity = session.get(Activity, entry.object_id)
        done = invitations.cancel_invitation(session, activity, now=now) if activity is not None else None
        if done is not None:
            withdrawn.append(done)
    return withdrawn
