"""Users, their addresses, groups and rights (Dolibarr llx_user, llx_usergroup, llx_user_rights)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.crm.models.base import Base, IdMixin, TimestampMixin

LANGUAGES = ("en", "de")
CHANNELS = ("console", "slack", "telegram", "email")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    digest_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_days: Mapped[str] = mapped_column(String(7), default="12345")  # ISO weekdays: 1 Monday … 7 Sunday
    preferred_channel: Mapped[str] = mapped_column(String(16), default="email")
    reminder_lead_minutes: Mapped[int] = mapped_column(Integer, default=15)
    mail_receipts: Mapped[bool] = mapped_column(Boolean, default=False)  # tell me where each BCC was filed
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None]
    # The secret in the calendar feed URL (/ics/<token>.ics); `crmbot user ics-token --rotate` replaces it.
    ics_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    emails: Mapped[list[UserEmail]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserEmail.position"
    )
    rights: Mapped[list[UserRight]] = relationship(cascade="all, delete-orphan")
    memberships: Mapped[list[GroupMember]] = relationship(cascade="all, delete-orphan")

    @property
    def email(self) -> str | None:
        return self.emails[0].email if self.emails else None


class UserEmail(IdMixin, Base):
    """A user's addresses: the first is where mail goes; all of them may BCC the bot."""

    __tablename__ = "user_emails"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_lower: Mapped[str] = mapped_column(String(320), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(back_populates="emails")


class Group(IdMixin, TimestampMixin, Base):
    __tablename__ = "groups"

    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))

    rights: Mapped[list[GroupRight]] = relationship(cascade="all, delete-orphan")
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan")


class GroupMember(IdMixin, Base):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    group: Mapped[Group] = relationship(back_populates="members")


class UserRight(IdMixin, Base):
    """A right granted to one user, named like ``thirdparty.read_all`` (see bot.crm.rights)."""

    __tablename__ = "user_rights"
    __table_args__ = (UniqueConstraint("user_id", "right"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(String(64))


class GroupRight(IdMixin, Base):
    __tablename__ = "group_rights"
    __table_args__ = (UniqueConstraint("group_id", "right"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(String(64))


class ChannelIdentity(IdMixin, TimestampMixin, Base):
    """(channel, external user id) -> CRM user; cf. Dolibarr llx_societe_account."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(255))


class LinkCode(IdMixin, Base):
    """A one-time code that links a chat account to a user (``crmbot user link-code``)."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
