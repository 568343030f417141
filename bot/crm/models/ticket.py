"""Support tickets (Dolibarr llx_ticket)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.crm.models.thirdparty import ThirdParty


class TicketStatus(IntEnum):
    NOT_READ = 0
    READ = 1
    ASSIGNED = 2
    IN_PROGRESS = 3
    NEED_MORE_INFO = 5
    WAITING = 7
    CLOSED = 8
    CANCELED = 9


OPEN_TICKET_STATUSES = (0, 1, 2, 3, 5, 7)


class Ticket(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("ref"),
        UniqueConstraint("track_id"),
        Index("ix_tickets_thirdparty_status", "thirdparty_id", "status"),
    )

    ref: Mapped[str] = mapped_column(String(128))
    track_id: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    thirdparty_id: Mapped[int | None] = mapped_column(ForeignKey("thirdparties.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    type_code: Mapped[str | None] = mapped_column(String(32))
    category_code: Mapped[str | None] = mapped_column(String(32))
    severity_code: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[int] = mapped_column(Integer, default=TicketStatus.NOT_READ)
    origin_email: Mapped[str | None] = mapped_column(String(320))
    closed_at: Mapped[datetime | None]

    thirdparty: Mapped[ThirdParty | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES
