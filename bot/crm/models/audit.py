"""The audit log (Dolibarr llx_events, extended) and the processed-message ledger (at-most-once handling)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin


class AuditLog(IdMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_thirdparty_at", "thirdparty_id", "at"),
        Index("ix_audit_log_user_at", "user_id", "at"),
        Index("ix_audit_log_source", "channel", "source_message_id"),
    )

    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))  # console | slack | telegram | email | cli | scheduler
    source_message_id: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int]
    thirdparty_id: Mapped[int | None] = mapped_column(ForeignKey("thirdparties.id", ondelete="SET NULL"))
    summary: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    undone_at: Mapped[datetime | None]


class ProcessedMessage(IdMixin, Base):
    """(channel, message id) handled once, across retries and restarts."""

    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    processed_at: Mapped[datetime]
    result: Mapped[dict[str, Any] | None]
