"""What the scheduler sends besides reminders: one daily digest per user and local date, and queued mail
(calendar invitations …) that a handler decided to send and a worker delivers after the commit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin, TimestampMixin


class SendStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    PENDING = "pending"  # waiting for a retry
    FAILED = "failed"  # gave up
    CANCELLED = "cancelled"  # withdrawn before it went out


_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')"


class DigestRun(IdMixin, TimestampMixin, Base):
    """The digest of one user for one local date. Inserting the row is the claim: the unique key makes
    sure only one process sends it."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        CheckConstraint(_STATUSES, name="status"),
        Index("ix_digest_runs_status_claimed", "status", "claimed_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=SendStatus.SENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the numbered items stand for ({"2": "todo:17"}), so "done 2" in a reply to the digest mail works.
    item_actions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    mail_message_id: Mapped[str | None] = mapped_column(String(998), index=True)


class OutboxMail(IdMixin, TimestampMixin, Base):
    """A mail to send later, outside the transaction that decided it (calendar invitations, updates,
    cancellations). ``message`` holds the complete RFC 5322 bytes."""

    __tablename__ = "outbox_mails"
    __table_args__ = (
        CheckConstraint(_STATUSES, name="status"),
        Index("ix_outbox_mails_status_claimed", "status", "claimed_at"),
    )

    kind: Mapped[str] = mapped_column(String(32))  # invite | invite_update | invite_cancel
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated envelope recipients
    subject: Mapped[str] = mapped_column(String(998))
    message_id: Mapped[str] = mapped_column(String(998))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=SendStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
