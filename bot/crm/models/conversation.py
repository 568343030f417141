"""Conversation state: the question the bot asked a user and waits to have answered ("which Max?")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.crm.models.base import Base, IdMixin


class PendingQuestion(IdMixin, Base):
    """One open question per user and conversation; a new question replaces the old one.

    ``intent`` is the parsed message (bot.parsers.intents.Intent.to_json) with what is known so far;
    the chosen option's value is filed under ``slot`` and the intent handled again.
    """

    __tablename__ = "pending_questions"
    # Never reuse an id: a stale button ("pick:<id>:<n>") must not answer a newer question.
    __table_args__ = (UniqueConstraint("user_id", "conversation_id"), {"sqlite_autoincrement": True})

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))
    source_message_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    slot: Mapped[str] = mapped_column(String(64))
    intent: Mapped[dict[str, Any]]
    options: Mapped[list[dict[str, Any]]]
