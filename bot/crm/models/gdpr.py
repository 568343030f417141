"""Data-protection records: consent per contact and purpose, unsubscribes, and the never-log list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin, TimestampMixin


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    PROCESSING = "processing"


class Consent(IdMixin, TimestampMixin, Base):
    """One consent decision; the newest row per (contact, purpose) is the current state."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("status IN ('granted', 'withdrawn')", name="status"),
        Index("ix_consents_contact_purpose_at", "contact_id", "purpose", "at"),
    )

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    source: Mapped[str | None] = mapped_column(String(255))  # e.g. "slack message 1712.55 by anna"
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Unsubscribe(IdMixin, Base):
    """An address that opted out of mailings (llx_mailing_unsubscribe)."""

    __tablename__ = "unsubscribes"

    email_lower: Mapped[str] = mapped_column(String(320), unique=True)
    at: Mapped[datetime]
    source: Mapped[str | None] = mapped_column(String(255))


class NeverLog(IdMixin, TimestampMixin, Base):
    """An address or a whole domain whose mail is never archived."""

    __tablename__ = "never_log"
    __table_args__ = (CheckConstraint("kind IN ('address', 'domain')", name="kind"),)

    pattern: Mapped[str] = mapped_column(String(320), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
