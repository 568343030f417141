"""What a message means: the intent and its slots, as the parser found them.

An ``Intent`` is plain data and round-trips through JSON (:meth:`Intent.to_json` / :meth:`Intent.from_json`),
because a question back to the user ("which Max?") keeps it until the answer arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.parsers.gazetteer import Entry

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
    "consent",
    "never_log",
    "changes",
    "admin",
    "help",
    "unknown",
)
LOG_INTENTS = frozenset({"log_call", "log_meeting", "log_note", "log_email"})


@dataclass(frozen=True, slots=True)
class Mention:
    """Words of the message that name (or may name) CRM records."""

    text: str
    start: int
    end: int
    entries: tuple[Entry, ...] = ()

    @property
    def companies(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "thirdparty")

    @property
    def people(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "contact")

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "entries": [e.as_dict() for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mention:
        return cls(
            data["text"], data["start"], data["end"], tuple(Entry.from_dict(e) for e in data["entries"])
        )


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    target: str | None = None  # the words that name the third party or contact ("ACME", "#12")
    body: str | None = None  # what to write down
    when: datetime | None = None  # when it happened or will happen (aware, user's zone)
    when_has_time: bool = False
    followup: datetime | None = None  # a follow-up to-do at this time
    page: int = 0
    mentions: tuple[Mention, ...] = ()  # known names, in message order
    unknown_names: tuple[str, ...] = ()  # capitalised names not in the CRM ("Sarah Connor")
    language: str = "en"  # the language the message is written in
    past: bool = True  # written about something that happened (vs. planned)
    # Answers to earlier questions: slot -> chosen value ("thirdparty" -> 12, "contact:0" -> 7).
    resolved: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in INTENT_NAMES:
            raise ValueError(f"unknown intent {self.name!r}")

    def with_resolved(self, slot: str, value: Any) -> Intent:
        return replace(self, resolved={**self.resolved, slot: value})

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "body": self.body,
            "when": self.when.isoformat() if self.when else None,
            "when_has_time": self.when_has_time,
            "followup": self.followup.isoformat() if self.followup else None,
            "page": self.page,
            "mentions": [m.to_json() for m in self.mentions],
            "unknown_names": list(self.unknown_names),
            "language": self.language,
            "past": self.past,
            "resolved": dict(self.resolved),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        return cls(
            name=data["name"],
            target=data.get("target"),
            body=data.get("body"),
            when=datetime.fromisoformat(data["when"]) if data.get("when") else None,
            when_has_time=bool(data.get("when_has_time")),
            followup=datetime.fromisoformat(data["followup"]) if data.get("followup") else None,
            page=int(data.get("page") or 0),
            mentions=tuple(Mention.from_json(m) for m in data.get("mentions", [])),
            unknown_names=tuple(data.get("unknown_names", [])),
            language=data.get("language", "en"),
            past=bool(data.get("past", True)),
            resolved=dict(data.get("resolved", {})),
        )
