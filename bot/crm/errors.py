"""Expected outcomes that are not successes: the engine turns them into a reply in the user's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.crm.matching import Candidate


class CrmOutcome(Exception):
    """Base of the expected, user-facing outcomes (the first error tier)."""


class AmbiguousMatch(CrmOutcome):
    def __init__(self, query: str, candidates: Sequence[Candidate], kind: str = "thirdparty") -> None:
        super().__init__(f"ambiguous {kind} {query!r}: {len(candidates)} candidates")
        self.query = query
        self.candidates = tuple(candidates)
        self.kind = kind


class UnknownThirdParty(CrmOutcome):
    def __init__(self, query: str, suggestions: Sequence[Candidate] = ()) -> None:
        super().__init__(f"unknown third party {query!r}")
        self.query = query
        self.suggestions = tuple(suggestions)


class NotAllowed(CrmOutcome):
    def __init__(self, right: str) -> None:
        super().__init__(f"missing right {right}")
        self.right = right
