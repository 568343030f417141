"""Custom field definitions (Dolibarr extrafields). Values live in each object's ``custom_fields`` JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin, TimestampMixin

FIELD_TYPES = ("varchar", "text", "int", "double", "date", "boolean", "select", "email", "phone", "url")


class CustomFieldDefinition(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        UniqueConstraint("object_type", "name"),
        CheckConstraint(
            "field_type IN ('varchar', 'text', 'int', 'double', 'date', 'boolean', 'select', 'email', "
            "'phone', 'url')",
            name="field_type",
        ),
    )

    object_type: Mapped[str] = mapped_column(String(32))  # thirdparty | contact | activity | project ...
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(255))
    field_type: Mapped[str] = mapped_column(String(16), default="varchar")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)  # select: {"choices": {...}}
    position: Mapped[int] = mapped_column(Integer, default=100)
