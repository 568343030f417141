"""Archived email messages (ours): raw MIME kept, threading headers, the routing decision and its reason."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin, TimestampMixin


class EmailStatus(StrEnum):
    RECEIVED = "received"  # stored, not processed yet
    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    UNRESOLVED = "unresolved"
    SKIPPED = "skipped"
    REJECTED = "rejected"
    HELD = "held"


class EmailMessage(IdMixin, TimestampMixin, Base):
    __tablename__ = "email_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'archived', 'duplicate', 'unresolved', 'skipped', 'rejected', 'held')",
            name="status",
        ),
        Index("ix_email_messages_status_received", "status", "received_at"),
    )

    # Not unique here: every delivery is kept as it arrived; the archive is unique per Message-ID
    # (activities.email_message_id), and later deliveries are marked "duplicate".
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998), index=True)
    reference_ids: Mapped[str | None] = mapped_column(Text)  # the References header
    thread_id: Mapped[str | None] = mapped_column(String(998), index=True)
    subject: Mapped[str | None] = mapped_column(String(998))
    from_addr: Mapped[str | None] = mapped_column(String(320), index=True)
    to_addrs: Mapped[str | None] = mapped_column(Text)
    cc_addrs: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    received_via: Mapped[str] = mapped_column(String(16))  # smtp | imap | import
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw_size: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str | None] = mapped_column(String(3))  # in | out
    status: Mapped[str] = mapped_column(String(16), default=EmailStatus.RECEIVED)
    routing_rule: Mapped[str | None] = mapped_column(String(32))
    routing_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    thirdparty_id: Mapped[int | None] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="SET NULL"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str | None] = mapped_column(String(255))  # "imap:<account>:<uidvalidity>:<uid>", a file …
    candidates: Mapped[list[dict[str, Any]] | None]  # unresolved: top suggestions [{"id", "name", "reason"}]
    contact_ids: Mapped[list[int] | None]  # the contacts the mail was filed with
    notified_at: Mapped[datetime | None]  # when the sender was told about an unresolved or held mail
    notice_message_id: Mapped[str | None] = mapped_column(String(998), index=True)  # our mail about it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ImapState(IdMixin, Base):
    """Where reading an IMAP mailbox got to: UIDVALIDITY and the last UID handled."""

    __tablename__ = "imap_state"

    account: Mapped[str] = mapped_column(String(255), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)  # 32-bit unsigned in IMAP
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
