"""Documents (Dolibarr llx_ecm_files): metadata of a content-addressed file in the document store."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin, TimestampMixin


class Document(IdMixin, TimestampMixin, Base):
    """A file attached to an object. Several rows may share one ``sha256``: the bytes are stored once."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_owner", "owner_type", "owner_id"),)

    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    # What the document belongs to: ("thirdparty", 3), ("activity", 17), ("email", 5) ...
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int]
    thirdparty_id: Mapped[int | None] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
