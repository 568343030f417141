"""Projects with lead/opportunity fields, and their tasks (Dolibarr llx_projet, llx_projet_task)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.crm.models.thirdparty import ThirdParty


class ProjectStatus(IntEnum):
    DRAFT = 0
    OPEN = 1
    CLOSED = 2


class OpportunityStatus(StrEnum):
    """Dolibarr ``c_lead_status`` codes."""

    PROSPECTION = "PROSP"
    QUALIFICATION = "QUAL"
    PROPOSAL = "PROPO"
    NEGOTIATION = "NEGO"
    PENDING = "PENDING"
    WON = "WON"
    LOST = "LOST"


class Project(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("ref"),
        CheckConstraint("status BETWEEN 0 AND 2", name="status"),
    )

    ref: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    thirdparty_id: Mapped[int | None] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[int] = mapped_column(Integer, default=ProjectStatus.OPEN)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    # Lead / opportunity (Dolibarr usage_opportunity, fk_opp_status, opp_percent, opp_amount).
    is_opportunity: Mapped[bool] = mapped_column(Boolean, default=False)
    opp_status: Mapped[str | None] = mapped_column(String(16))
    opp_percent: Mapped[int | None] = mapped_column(Integer)
    opp_amount: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    closed_at: Mapped[datetime | None]

    thirdparty: Mapped[ThirdParty | None] = relationship()
    tasks: Mapped[list[Task]] = relationship(back_populates="project", cascade="all, delete-orphan")


class Task(IdMixin, TimestampMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str | None] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    start_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    progress: Mapped[int] = mapped_column(Integer, default=0)
    planned_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    closed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="tasks")

    @property
    def is_open(self) -> bool:
        return self.progress < 100 and self.closed_at is None
