"""What a message means: the intent and its slots, as the parser found them (no database ids yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The names are fixed by the `say --json` contract (DESIGN.md §6).
INTENT_NAMES = (
    "log_call",
    "log_meeting",
    "log_note",
    "log_email",
    "remind",
    "last_contact",
    "history",
    "contacts",
    "open_items",
    "followups",
    "show",
    "create_thirdparty",
    "create_contact",
    "undo",
    "help",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    target: str | None = None  # the words that name the third party or contact ("ACME", "#12")
    body: str | None = None  # the note text
    when: datetime | None = None
    followup: datetime | None = None
    page: int = 0

    def __post_init__(self) -> None:
        if self.name not in INTENT_NAMES:
            raise ValueError(f"unknown intent {self.name!r}")
