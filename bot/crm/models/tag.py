"""Tags / categories (Dolibarr llx_categorie and its typed link tables)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.crm.models.base import Base, IdMixin, TimestampMixin


class TagType(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    CONTACT = "contact"
    PROJECT = "project"


class Tag(IdMixin, TimestampMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("type", "parent_id", "label"),
        CheckConstraint("type IN ('customer', 'supplier', 'contact', 'project')", name="type"),
    )

    label: Mapped[str] = mapped_column(String(180))
    type: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(8))

    parent: Mapped[Tag | None] = relationship(remote_side="Tag.id")

    @property
    def path(self) -> str:
        return f"{self.parent.path} >> {self.label}" if self.parent else self.label


class ThirdPartyTag(Base):
    """Customer/prospect and supplier tags on a third party (categorie_societe, categorie_fournisseur)."""

    __tablename__ = "thirdparty_tags"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    thirdparty_id: Mapped[int] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    tag: Mapped[Tag] = relationship(lazy="joined")


class ContactTag(Base):
    __tablename__ = "contact_tags"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    tag: Mapped[Tag] = relationship(lazy="joined")


class ProjectTag(Base):
    __tablename__ = "project_tags"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    tag: Mapped[Tag] = relationship(lazy="joined")
