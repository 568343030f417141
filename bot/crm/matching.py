"""Resolve a third party or a contact from a name, an email address or a domain.

Results are ranked candidates with a score and the reason; ambiguity is a result (``MatchResult.ambiguous``),
never a guess. Tiers are tried from the most to the least certain and the first tier that finds anything
decides; all tiers but the fuzzy one are indexed database lookups, so they stay fast at 100k third parties
and 300k contacts and always see the current data. The fuzzy tier (rapidfuzz) works on an in-memory list
of name keys that is loaded on first use and reloaded when names change (see :class:`FuzzyNames`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Select, bindparam, func, select, union
from sqlalchemy.orm import Session, joinedload

from bot.crm.models import (
    Contact,
    ContactEmail,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyKey,
    ThirdPartyStatus,
)
from bot.crm.rights import Scope
from bot.normalize import email_domain, fold, is_freemail, name_key, normalize_email

Kind = Literal["thirdparty", "contact"]

# Scores by reason. Within one tier equal scores mean "cannot tell": the result is ambiguous.
SCORES = {
    "email": 1.0,
    "exact name": 1.0,
    "name": 0.97,
    "alias": 0.95,
    "reversed name": 0.95,
    "domain": 0.9,
    "contact email domain": 0.88,
    "name prefix": 0.85,
    "last name": 0.8,
    "partial name": 0.78,
    "first name": 0.7,
}
FUZZY_WEIGHT = 0.8  # a fuzzy match of 100 scores 0.8, below every exact tier
FUZZY_CUTOFF = 85.0
FUZZY_TIE_MARGIN = 0.04
MAX_CANDIDATES = 10


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: Kind
    id: int
    name: str
    score: float
    reason: str
    thirdparty_id: int | None = None
    thirdparty_name: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "contact" and self.thirdparty_name:
            return f"{self.name} ({self.thirdparty_name})"
        return self.name


@dataclass(frozen=True, slots=True)
class MatchResult:
    query: str
    candidates: tuple[Candidate, ...] = ()
    tie_margin: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.candidates)

    @property
    def ambiguous(self) -> bool:
        c = self.candidates
        return len(c) > 1 and c[1].score >= c[0].score - self.tie_margin

    @property
    def best(self) -> Candidate | None:
        """The one candidate when the match is decided, else None."""
        if not self.candidates or self.ambiguous:
            return None
        return self.candidates[0]

    @property
    def top(self) -> tuple[Candidate, ...]:
        """The candidates tied for first place (what to ask the user to choose from)."""
        if not self.candidates:
            return ()
        first = self.candidates[0].score
        return tuple(c for c in self.candidates if c.score >= first - self.tie_margin)


def _rank(query: str, found: Iterable[Candidate], *, tie_margin: float = 0.0) -> MatchResult:
    best: dict[tuple[str, int], Candidate] = {}
    for cand in found:
        key = (cand.kind, cand.id)
        if key not in best or cand.score > best[key].score:
            best[key] = cand
    ordered = sorted(best.values(), key=lambda c: (-c.score, len(c.name), c.name.casefold(), c.id))
    return MatchResult(query, tuple(ordered[:MAX_CANDIDATES]), tie_margin)


@dataclass
class FuzzyNames:
    """Name keys held in memory for rapidfuzz; reloaded when :meth:`invalidate` is called or after *ttl*.

    *ttl* bounds how long another process's renames stay invisible to this one's fuzzy tier (the exact
    tiers read the database and are always current).
    """

    ttl: float = 60.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loaded_at: dict[str, float] = field(default_factory=dict)
    _keys: dict[str, list[str]] = field(default_factory=dict)
    _ids: dict[str, list[int]] = field(default_factory=dict)

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at.clear()

    def _load(self, kind: Kind, session: Session) -> tuple[list[str], list[int]]:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at.get(kind, float("-inf")) < self.ttl
            if fresh:
                return self._keys[kind], self._ids[kind]
        if kind == "thirdparty":
            rows = session.execute(
                select(ThirdPartyKey.key, ThirdPartyKey.thirdparty_id).where(ThirdPartyKey.kind != "token")
            ).all()
        else:
            rows = session.execute(
                select(Contact.fullname_key, Contact.id).where(Contact.is_active.is_(True))
            ).all()
        keys = [r[0] for r in rows]
        ids = [r[1] for r in rows]
        with self._lock:
            self._keys[kind], self._ids[kind] = keys, ids
            self._loaded_at[kind] = time.monotonic()
        return keys, ids

    def search(self, kind: Kind, session: Session, key: str, limit: int = 5) -> list[tuple[int, float]]:
        keys, ids = self._load(kind, session)
        if not key or not keys:
            return []
        hits = process.extract(
            key, keys, scorer=fuzz.WRatio, processor=None, limit=limit * 3, score_cutoff=FUZZY_CUTOFF
        )
        out: dict[int, float] = {}
        for _choice, score, index in hits:
            ident = ids[index]
            out[ident] = max(out.get(ident, 0.0), float(score))
        return sorted(out.items(), key=lambda kv: -kv[1])[:limit]


FUZZY_KEY = "crmbot.fuzzy"
"""Session info key of the app's ``FuzzyNames``, refreshed after a commit that changed names."""


def note_name_changes(session: Session, _ctx: object) -> None:
    """after_flush: remember that this transaction added, renamed or removed a third party or contact."""
    if FUZZY_KEY not in session.info:
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, ThirdPartyKey | Contact) for obj in touched):
        session.info["crmbot.names_changed"] = True


def refresh_names(session: Session) -> None:
    """after_commit: reload the session's ``FuzzyNames`` when names changed."""
    if session.info.pop("crmbot.names_changed", False):
        fuzzy: FuzzyNames = session.info[FUZZY_KEY]
        fuzzy.invalidate()


# Built once, with bound parameters: each message runs them, and building one cost more than running it.
@lru_cache(maxsize=256)
def _contacts_by_email(visible: ColumnElement[bool] | None) -> Select[Contact]:
    """Active contacts with the address ``:email`` as main or extra address (with their third party), among
    *visible* (the per-user clause, itself built once per user): every address of every mail asks this."""
    ids = union(
        select(Contact.id).where(Contact.email_lower == bindparam("email")),
        select(ContactEmail.contact_id).where(ContactEmail.email_lower == bindparam("email")),
    )
    stmt = (
        select(Contact)
        .where(Contact.id.in_(ids), Contact.is_active.is_(True))
        .options(joinedload(Contact.thirdparty))
        .order_by(Contact.id)
    )
    return stmt if visible is None else stmt.where(visible)


@cache
def _thirdparty_rows() -> Select[int, str, int]:
    return select(ThirdParty.id, ThirdParty.name, ThirdParty.status).where(
        ThirdParty.id.in_(bindparam("ids", expanding=True))
    )


@cache
def _thirdparties_by_key() -> Select[int, str]:
    return select(ThirdPartyKey.thirdparty_id, ThirdPartyKey.kind).where(
        ThirdPartyKey.key == bindparam("key"), ThirdPartyKey.kind != "token"
    )


class Matcher:
    """Matching against one session. ``visible`` and ``contacts`` (optional) limit third parties and
    contacts to those a user may see."""

    def __init__(
        self,
        session: Session,
        fuzzy: FuzzyNames | None = None,
        *,
        visible: Callable[[int], bool] | None = None,
        contacts: ColumnElement[bool] | None = None,
        include_closed: bool = False,
    ) -> None:
        self.session = session
        self.fuzzy = fuzzy or FuzzyNames()
        self.visible = visible
        self.contacts = contacts  # the contacts the user may see (rights.Scope.contact_clause); None: all
        self.include_closed = include_closed
        # Set when a record matched but the user may not see it: mail routing says so in its stored reason
        # (never in anything the user is shown).
        self.hidden = False

    @classmethod
    def for_scope(cls, session: Session, fuzzy: FuzzyNames | None, scope: Scope) -> Matcher:
        """A matcher that finds only what *scope*'s user may see."""
        return cls(session, fuzzy, visible=scope.visible, contacts=scope.contact_clause())

    # -- third parties --------------------------------------------------------------------------------

    def _tp_candidates(self, ids_reasons: Iterable[tuple[int, str, float]]) -> list[Candidate]:
        wanted: dict[int, tuple[str, float]] = {}
        for ident, reason, score in ids_reasons:
            if ident not in wanted or score > wanted[ident][1]:
                wanted[ident] = (reason, score)
        if not wanted:
            return []
        out = []
        for ident, name, status in self.session.execute(_thirdparty_rows(), {"ids": list(wanted)}):
            if status != ThirdPartyStatus.ACTIVE and not self.include_closed:
                continue
            if self.visible is not None and not self.visible(ident):
                self.hidden = True
                continue
            reason, score = wanted[ident]
            out.append(Candidate("thirdparty", ident, name, score, reason))
        return out

    def thirdparty_by_name(self, text: str) -> MatchResult:
        key = name_key(text)
        if not key:
            return MatchResult(text)
        full = fold(text)
        rows = self.session.execute(_thirdparties_by_key(), {"key": key}).all()
        if rows:
            found = self._tp_candidates((tid, kind, SCORES[kind]) for tid, kind in rows)
            # "ACME GmbH" typed in full beats "ACME Inc" that only shares the key "acme".
            found = [
                Candidate(c.kind, c.id, c.name, SCORES["exact name"], "exact name")
                if fold(c.name) == full and c.reason == "name"
                else c
                for c in found
            ]
            if found:
                return _rank(text, found)
        tokens = list(dict.fromkeys(key.split()))
        if tokens:
            stmt = (
                select(ThirdPartyKey.thirdparty_id)
                .where(ThirdPartyKey.kind == "token", ThirdPartyKey.key.in_(tokens))
                .group_by(ThirdPartyKey.thirdparty_id)
                .having(func.count(func.distinct(ThirdPartyKey.key)) == len(tokens))
                .limit(200)
            )
            ids = list(self.session.scalars(stmt))
            if ids:
                found = self._tp_candidates((i, "partial name", SCORES["partial name"]) for i in ids)
                # The query as the start of the name ("Müller" for "Müller Bau") ranks above a word inside it.
                found = [
                    Candidate(c.kind, c.id, c.name, SCORES["name prefix"], "name prefix")
                    if name_key(c.name).startswith(key + " ")
                    else c
                    for c in found
                ]
                if found:
                    return _rank(text, found)
        hits = self.fuzzy.search("thirdparty", self.session, key)
        found = self._tp_candidates((i, "fuzzy", round(s / 100 * FUZZY_WEIGHT, 4)) for i, s in hits)
        return _rank(text, found, tie_margin=FUZZY_TIE_MARGIN)

    def thirdparty_by_email(self, address: str) -> MatchResult:
        """Exact third-party email, then the third parties of contacts with that address, then the domain."""
        normalized = normalize_email(address)
        if normalized is None:
            return MatchResult(address)
        found = self._tp_candidates(
            (i, "email", SCORES["email"])
            for i in self.session.scalars(select(ThirdParty.id).where(ThirdParty.email_lower == normalized))
        )
        for contact in self._contacts_by_email(normalized):
            if contact.thirdparty_id is not None:
                found.extend(self._tp_candidates([(contact.thirdparty_id, "email", SCORES["email"])]))
        if found:
            return _rank(address, found)
        return self.thirdparty_by_domain(email_domain(normalized) or "")

    def thirdparty_by_domain(self, domain: str) -> MatchResult:
        domain = domain.strip().lower().lstrip("@")
        if not domain or is_freemail(domain):
            return MatchResult(domain)
        ids = self.session.scalars(
            select(ThirdPartyDomain.thirdparty_id).where(ThirdPartyDomain.domain == domain)
        )
        return _rank(domain, self._tp_candidates((i, "domain", SCORES["domain"]) for i in ids))

    # -- contacts ---------------------------------------------------------------------------------------

    def _contacts_by_email(self, normalized: str) -> list[Contact]:
        return list(self.session.scalars(_contacts_by_email(self.contacts), {"email": normalized}).unique())

    def _contact_candidate(
        self, contact: Contact, reason: str, score: float | None = None
    ) -> Candidate | None:
        tp = contact.thirdparty
        if tp is not None and self.visible is not None and not self.visible(tp.id):
            self.hidden = True
            return None
        return Candidate(
            "contact",
            contact.id,
            contact.full_name,
            SCORES[reason] if score is None else score,
            reason,
            thirdparty_id=contact.thirdparty_id,
            thirdparty_name=tp.name if tp else None,
        )

    def _contacts_where(self, *conditions: object, thirdparty_ids: Sequence[int] | None) -> list[Contact]:
        stmt = select(Contact).where(Contact.is_active.is_(True), *conditions)  # type: ignore[arg-type]
        if self.contacts is not None:
            stmt = stmt.where(self.contacts)
        if thirdparty_ids is not None:
            stmt = stmt.where(Contact.thirdparty_id.in_(thirdparty_ids))
        return list(self.session.scalars(stmt.limit(200)))

    def contact_by_email(self, address: str) -> MatchResult:
        normalized = normalize_email(address)
        if normalized is None:
            return MatchResult(address)
        cands = [self._contact_candidate(c, "email") for c in self._contacts_by_email(normalized)]
        return _rank(address, [c for c in cands if c is not None])

    def contact_by_name(self, text: str, *, thirdparty_ids: Sequence[int] | None = None) -> MatchResult:
        """Full name, reversed full name, then last name, then first name, then fuzzy.

        "Max" that fits several contacts is an ambiguous result; restrict with *thirdparty_ids* when the
        company is known ("Max at ACME").
        """
        key = fold(text)
        if not key:
            return MatchResult(text)
        words = key.split()
        tiers: list[tuple[str, list[object]]] = [("name", [Contact.fullname_key == key])]
        if len(words) == 2:
            tiers.append(
                ("reversed name", [Contact.firstname_key == words[1], Contact.lastname_key == words[0]])
            )
        tiers.append(("last name", [Contact.lastname_key == key]))
        tiers.append(("first name", [Contact.firstname_key == key]))
        for reason, conditions in tiers:
            contacts = self._contacts_where(*conditions, thirdparty_ids=thirdparty_ids)
            cands = [self._contact_candidate(c, reason) for c in contacts]
            found = [c for c in cands if c is not None]
            if found:
                return _rank(text, found)
        hits = dict(self.fuzzy.search("contact", self.session, key, limit=MAX_CANDIDATES))
        if not hits:
            return MatchResult(text)
        contacts = self._contacts_where(Contact.id.in_(hits), thirdparty_ids=thirdparty_ids)
        cands = [
            self._contact_candidate(c, "fuzzy", round(hits[c.id] / 100 * FUZZY_WEIGHT, 4)) for c in contacts
        ]
        return _rank(text, [c for c in cands if c is not None], tie_margin=FUZZY_TIE_MARGIN)
