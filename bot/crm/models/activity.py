"""Agenda events (Dolibarr llx_actioncomm), their attendees and reminders."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.crm.models.contact import Contact
from bot.crm.models.thirdparty import ThirdParty
from bot.crm.models.user import User


class ActivityType(StrEnum):
    """Dolibarr ``c_actioncomm`` codes."""

    CALL = "AC_TEL"
    MEETING = "AC_RDV"
    EMAIL = "AC_EMAIL"  # sent by us
    EMAIL_IN = "AC_EMAIL_IN"  # received
    NOTE = "AC_OTH"
    AUTO = "AC_OTH_AUTO"


class Percent(IntEnum):
    """Dolibarr ``percent``: -1 a log entry (not applicable), 0 to do, 1-99 in progress, 100 done."""

    NOT_APPLICABLE = -1
    TODO = 0
    DONE = 100


class Activity(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("percent BETWEEN -1 AND 100", name="percent"),
        CheckConstraint(
            "type_code IN ('AC_TEL', 'AC_RDV', 'AC_EMAIL', 'AC_EMAIL_IN', 'AC_OTH', 'AC_OTH_AUTO')",
            name="type_code",
        ),
        Index("ix_activities_thirdparty_start", "thirdparty_id", "start_at"),
        Index("ix_activities_contact_start", "contact_id", "start_at"),
        Index("ix_activities_owner_percent_start", "owner_id", "percent", "start_at"),
        Index("ix_activities_linked", "linked_type", "linked_id"),
    )

    type_code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    percent: Mapped[int] = mapped_column(Integer, default=Percent.NOT_APPLICABLE)
    done_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(String(255))

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    thirdparty_id: Mapped[int | None] = mapped_column(ForeignKey("thirdparties.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    # Dolibarr elementtype / fk_element: the object this event is about (quote, invoice, ticket ...).
    linked_type: Mapped[str | None] = mapped_column(String(32))
    linked_id: Mapped[int | None]

    # Email events (AC_EMAIL, AC_EMAIL_IN).
    email_message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    email_from: Mapped[str | None] = mapped_column(Text)
    email_to: Mapped[str | None] = mapped_column(Text)
    email_cc: Mapped[str | None] = mapped_column(Text)
    email_subject: Mapped[str | None] = mapped_column(String(998))

    call_duration_s: Mapped[int | None]
    # Where the event came from: the channel and that channel's message id (for audit and undo).
    channel: Mapped[str | None] = mapped_column(String(16))
    source_message_id: Mapped[str | None] = mapped_column(String(255))
    # Calendar identity for invitations (iCalendar UID and SEQUENCE).
    ical_uid: Mapped[str | None] = mapped_column(String(255), index=True)
    ical_sequence: Mapped[int | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    thirdparty: Mapped[ThirdParty | None] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")
    attendees: Mapped[list[ActivityAttendee]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_done(self) -> bool:
        return self.percent in (Percent.NOT_APPLICABLE, Percent.DONE)

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.type_code} {self.start_at:%Y-%m-%d %H:%M}>"


class ActivityAttendee(IdMixin, Base):
    """A user or a contact on an event (llx_actioncomm_resources)."""

    __tablename__ = "activity_attendees"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (contact_id IS NULL)", name="one_kind"),
        UniqueConstraint("activity_id", "user_id", "contact_id"),
    )

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # Dolibarr answer_status: 0 unknown, 1 accepted, -1 declined; mandatory flag.
    answer_status: Mapped[int] = mapped_column(Integer, default=0)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=True)

    activity: Mapped[Activity] = relationship(back_populates="attendees")
    contact: Mapped[Contact | None] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(lazy="joined")


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Reminder(IdMixin, TimestampMixin, Base):
    """A reminder to a user (llx_actioncomm_reminder); the scheduler claims, sends and marks it."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name="status"),
        Index("ix_reminders_status_due", "status", "due_at"),
        # One meeting reminder per user and meeting: several schedulers may create it at once.
        Index(
            "uq_reminders_meeting",
            "user_id",
            "activity_id",
            unique=True,
            sqlite_where=text("kind = 'meeting'"),
            postgresql_where=text("kind = 'meeting'"),
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(16))  # None: the user's preferred channel
    kind: Mapped[str] = mapped_column(String(16), default="followup")  # followup | meeting | custom
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    sent_late: Mapped[bool] = mapped_column(Boolean, default=False)
    snooze_count: Mapped[int] = mapped_column(Integer, default=0)
    # Message-ID of the reminder mail, so a reply ("done", "tomorrow") finds the reminder.
    mail_message_id: Mapped[str | None] = mapped_column(String(998), index=True)

    activity: Mapped[Activity | None] = relationship(lazy="joined")
