"""The gazetteer port: which CRM names a message's words could be.

The parser hands over every normalised n-gram of a message at once (``lookup``) and gets back, per key,
the third parties and contacts that carry that key. The real implementation queries the indexed key
columns (:mod:`bot.crm.gazetteer`), so it is always current and costs no memory or start-up time;
:class:`MemoryGazetteer` is the in-memory fake for tests and benchmarks of the parser alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.normalize import fold, name_key, split_aliases

EntryKind = Literal["thirdparty", "contact"]
# thirdparty: name | alias | token (a word of a multi-word name); contact: full | first | last
MatchKind = Literal["name", "alias", "token", "full", "first", "last"]


@dataclass(frozen=True, slots=True)
class Entry:
    kind: EntryKind
    id: int
    match: MatchKind
    label: str  # display name: "ACME GmbH", "Max Mustermann"
    thirdparty_id: int | None = None  # a contact's company
    thirdparty_label: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "match": self.match,
            "label": self.label,
            "thirdparty_id": self.thirdparty_id,
            "thirdparty_label": self.thirdparty_label,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Entry:
        tp = data.get("thirdparty_id")
        tp_label = data.get("thirdparty_label")
        return cls(
            kind=data["kind"],  # type: ignore[arg-type]
            id=int(str(data["id"])),
            match=data["match"],  # type: ignore[arg-type]
            label=str(data["label"]),
            thirdparty_id=int(str(tp)) if tp is not None else None,
            thirdparty_label=str(tp_label) if tp_label is not None else None,
        )


class Gazetteer(Protocol):
    def lookup(self, keys: Collection[str]) -> Mapping[str, Sequence[Entry]]:
        """The entries for each key that has any (keys are ``bot.normalize.fold`` forms)."""
        ...


class MemoryGazetteer:
    """A gazetteer held in dictionaries (tests, benchmarks of the parser alone)."""

    def __init__(self) -> None:
        self._entries: dict[str, list[Entry]] = defaultdict(list)

    def add_thirdparty(self, ident: int, name: str, alias: str | None = None) -> None:
        key = name_key(name)
        self._entries[key].append(Entry("thirdparty", ident, "name", name))
        words = key.split()
        for one in split_aliases(alias):
            self._entries[name_key(one)].append(Entry("thirdparty", ident, "alias", name))
        if len(words) > 1:
            for word in dict.fromkeys(words):
                self._entries[word].append(Entry("thirdparty", ident, "token", name))

    def add_contact(
        self, ident: int, firstname: str | None, lastname: str, thirdparty: tuple[int, str] | None = None
    ) -> None:
        label = " ".join(p for p in (firstname, lastname) if p)
        tp_id, tp_label = thirdparty if thirdparty else (None, None)
        first, last = fold(firstname or ""), fold(lastname)
        for key, match in ((f"{first} {last}".strip(), "full"), (first, "first"), (last, "last")):
            if key:
                self._entries[key].append(Entry("contact", ident, match, label, tp_id, tp_label))  # type: ignore[arg-type]

    def lookup(self, keys: Collection[str]) -> Mapping[str, Sequence[Entry]]:
        return {k: tuple(self._entries[k]) for k in keys if k in self._entries}


def merge(results: Iterable[Mapping[str, Sequence[Entry]]]) -> dict[str, list[Entry]]:
    merged: dict[str, list[Entry]] = defaultdict(list)
    for result in results:
        for key, entries in result.items():
            merged[key].extend(entries)
    return dict(merged)
