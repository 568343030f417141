"""Contacts (Dolibarr llx_socpeople): the people at a third party, or on their own."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.crm.models.thirdparty import ThirdParty
from bot.normalize import fold, normalize_email

CIVILITIES = ("MR", "MRS", "MME", "MLE", "MTRE", "DR", "PROF")


class Contact(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "contacts"

    thirdparty_id: Mapped[int | None] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="SET NULL"), index=True
    )
    civility: Mapped[str | None] = mapped_column(String(8))
    firstname: Mapped[str | None] = mapped_column(String(100))
    lastname: Mapped[str] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    email_lower: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    phone_private: Mapped[str | None] = mapped_column(String(40))
    phone_mobile: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    zip: Mapped[str | None] = mapped_column(String(25))
    town: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    birthday: Mapped[date | None]
    language: Mapped[str | None] = mapped_column(String(8))
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    no_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    note_public: Mapped[str | None] = mapped_column(Text)
    note_private: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    # Matching keys (bot.normalize.fold), kept in step with the names by the validators below.
    firstname_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    lastname_key: Mapped[str] = mapped_column(String(100), default="")
    fullname_key: Mapped[str] = mapped_column(String(201), default="", index=True)

    thirdparty: Mapped[ThirdParty | None] = relationship(lazy="joined")
    extra_emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )

    @validates("firstname", "lastname")
    def _refresh_keys(self, field: str, value: str | None) -> str | None:
        value = value.strip() if value else value
        first = value if field == "firstname" else self.firstname
        last = value if field == "lastname" else self.lastname
        self.firstname_key = fold(first or "")
        self.lastname_key = fold(last or "")
        self.fullname_key = " ".join(k for k in (self.firstname_key, self.lastname_key) if k)
        return value

    @validates("email")
    def _lower_email(self, _field: str, value: str | None) -> str | None:
        value = value.strip() if value else None
        self.email_lower = normalize_email(value) if value else None
        return value

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.firstname, self.lastname) if part)

    @property
    def all_emails(self) -> list[str]:
        emails = [self.email] if self.email else []
        return emails + [e.email for e in self.extra_emails]

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.full_name!r}>"


class ContactEmail(IdMixin, Base):
    """Further addresses of a contact (the first one is ``Contact.email``)."""

    __tablename__ = "contact_emails"
    __table_args__ = (UniqueConstraint("contact_id", "email_lower"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_lower: Mapped[str] = mapped_column(String(320), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    contact: Mapped[Contact] = relationship(back_populates="extra_emails")

    @validates("email")
    def _lower_email(self, _field: str, value: str) -> str:
        value = value.strip()
        self.email_lower = normalize_email(value) or value.lower()
        return value


Index("ix_contacts_lastname_key_firstname_key", Contact.lastname_key, Contact.firstname_key)
