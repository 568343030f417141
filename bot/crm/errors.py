"""Expected outcomes that are not successes: the engine turns them into a reply in the user's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.crm.matching import Candidate


class CrmOutcome(Exception):
    """Base of the expected, user-facing outcomes (the first error tier)."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to a question: shown as *label*, filed as *value* under the question's slot."""

    label: str
    value: Any


class NeedsChoice(CrmOutcome):
    """The handler cannot go on without the user picking one of *options* for *slot*."""

    def __init__(
        self, slot: str, question: str, options: Sequence[Option], lines: Sequence[str] = ()
    ) -> None:
        super().__init__(f"needs a choice for {slot}: {len(options)} options")
        self.slot = slot
        self.question = question
        self.options = tuple(options)
        self.lines = tuple(lines)


class AmbiguousMatch(CrmOutcome):
    def __init__(
        self, query: str, candidates: Sequence[Candidate], kind: str = "thirdparty", slot: str = "thirdparty"
    ) -> None:
        super().__init__(f"ambiguous {kind} {query!r}: {len(candidates)} candidates")
        self.query = query
        self.candidates = tuple(candidates)
        self.kind = kind
        self.slot = slot


class UnknownThirdParty(CrmOutcome):
    def __init__(self, query: str, suggestions: Sequence[Candidate] = ()) -> None:
        super().__init__(f"unknown third party {query!r}")
        self.query = query
        self.suggestions = tuple(suggestions)


class NotAllowed(CrmOutcome):
    def __init__(self, right: str) -> None:
        super().__init__(f"missing right {right}")
        self.right = right


class Refused(CrmOutcome):
    """A request the bot will not carry out; *message* is already in the user's language."""

    def __init__(self, message: str, lines: Sequence[str] = (), reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lines = tuple(lines)
        self.reason = reason  # a stable word for channels and tools ("who": nobody named)
