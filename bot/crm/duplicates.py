"""Likely duplicate third parties and contacts, scored 0–100 with reasons ("same VAT id", "similar name 93").

Records are never compared all against all. Candidate pairs come from blocks of records that share a key —
VAT id, email address, email domain (never a free-mail domain), phone digits, normalised name — and, for
names with typos, from neighbours in the records sorted by name key (three orders: as is, words sorted,
reversed, so a typo at the start or end of a name still lands next to its twin). Blocks larger than a few
dozen records say nothing about any one pair (a shared switchboard, "john smith") and are skipped. Each
candidate pair is then scored on all its evidence at once (a noisy-or of the signals), so the reasons
listed are complete whichever block found the pair.

:func:`likely_duplicate` answers the one question the chat asks before it creates a company: does one with
(nearly) this name already exist?
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.matching import FuzzyNames
from bot.crm.models import (
    Contact,
    ContactEmail,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyKey,
    ThirdPartyStatus,
)
from bot.normalize import fold, is_freemail, name_key, normalize_email

Kind = Literal["thirdparty", "contact"]

DEFAULT_MIN_SCORE = 50
SIMILAR_NAME = 85  # rapidfuzz token-sort ratio from which two names count as similar
LIKELY_SIMILAR_NAME = 90  # … and from which a new company's name is taken for an existing one
MAX_BLOCK = 50  # records sharing one key; more and the key tells nothing about a pair
WINDOW = 4  # neighbours compared in each sorted order of the name keys
PHONE_DIGITS = 8  # significant digits a phone number needs to count, and the blocking suffix
NEAR_KEYS = 25  # index neighbours on each side of a new company's name key

# How much each signal alone says (0..1); signals combine as a noisy-or.
THIRDPARTY_WEIGHTS = {
    "vat": 0.95,
    "email": 0.9,
    "name": 0.85,
    "domain": 0.6,
    "phone": 0.6,
}
CONTACT_WEIGHTS = {
    "email": 0.95,
    "name": 0.45,  # alone: "Max Weber" at two companies is two people
    "phone": 0.45,
    "initial": 0.35,  # same last name, first name missing or an initial ("M. Weber")
    "same_thirdparty": 0.8,  # with a name signal
    "one_without_thirdparty": 0.3,  # with a name signal
}
DIFFERENT_VAT_FACTOR = 0.5

_DIGITS = re.compile(r"\d+")
_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that are probably one; *first* is the older (lower id), the usual one to keep."""

    kind: Kind
    first_id: int
    first_name: str
    second_id: int
    second_name: str
    score: int
    reasons: tuple[str, ...]


# -- normalisation of the compared values ---------------------------------------------------------------


def phone_key(phone: str | None) -> str | None:
    """The significant digits (no leading zeros, at least eight): "+49 30 1234567" -> "49301234567",
    "030 1234567" -> "301234567". With or without a country code, one number's key ends with the other's
    (:func:`same_phone`)."""
    if not phone:
        return None
    digits = _NOT_DIGIT.sub("", phone).lstrip("0")
    return digits if len(digits) >= PHONE_DIGITS else None


def same_phone(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether two sets of phone keys share a number: equal, or one written with its country code."""
    return any(x.endswith(y) or y.endswith(x) for x in a for y in b)


def vat_key(vat: str | None) -> str | None:
    """ "DE 123.456.789" -> "DE123456789"; None when too short to be an id."""
    if not vat:
        return None
    key = _NOT_ALNUM.sub("", vat.upper())
    return key if len(key) >= 5 else None


def name_similarity(a: str, b: str, *, cutoff: int = 0) -> int:
    """0–100 for two folded name keys (0 below *cutoff*): word order does not count, different numbers in
    them do ("Müller Bau 1" and "Müller Bau 2" are two companies)."""
    if not a or not b:
        return 0
    if a == b:
        return 100
    score = int(fuzz.token_sort_ratio(a, b, score_cutoff=cutoff))
    if score and _DIGITS.findall(a) != _DIGITS.findall(b):
        return 0
    return score


def _noisy_or(weights: Iterable[float]) -> float:
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return 1.0 - miss


def _similar_weight(similarity: int, full: float) -> float:
    """A similar name counts less than the same name, falling off towards the threshold."""
    return full * max(0.0, (similarity - 70) / 30)


# -- candidate pairs ---------------------------------------------------------------------------------------


def _pairs_in_blocks(blocks: Iterable[set[int]], limit: int = MAX_BLOCK) -> Iterator[tuple[int, int]]:
    for ids in blocks:
        if 1 < len(ids) <= limit:
            ordered = sorted(ids)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    yield a, b


def _sort_key(key: str, order: int) -> str:
    if order == 1:
        return " ".join(sorted(key.split()))
    return key[::-1] if order == 2 else key


def _neighbours(entries: list[tuple[int, str, int]]) -> set[tuple[int, int]]:
    """Pairs of records whose name keys are neighbours in one of three sort orders (as is, words sorted,
    reversed: a typo at the start sorts near its twin) and similar enough. Entries are (group, key, id):
    only records of the same group (e.g. the same third party) are paired. Records with the very same key
    are sorted as one, so a name many records share does not crowd its neighbours out of the window."""
    ids: dict[tuple[int, str], list[int]] = defaultdict(list)
    for group, key, ident in entries:
        ids[(group, key)].append(ident)
    similar: set[tuple[tuple[int, str], tuple[int, str]]] = set()
    for order in range(3):
        ordered = sorted((group, _sort_key(key, order), key) for group, key in ids)
        for index, (group, _, key) in enumerate(ordered):
            for other_group, _, other in ordered[index + 1 : index + 1 + WINDOW]:
                if other_group != group:
                    break
                if name_similarity(key, other, cutoff=SIMILAR_NAME):
                    similar.add(((group, key), (group, other)))
    found: set[tuple[int, int]] = set()
    for a, b in similar:
        if len(ids[a]) > MAX_BLOCK or len(ids[b]) > MAX_BLOCK:
            continue
        found.update((x, y) if x < y else (y, x) for x in ids[a] for y in ids[b] if x != y)
    return found


# -- third parties ---------------------------------------------------------------------------------------


@dataclass
class _Company:
    id: int
    name: str
    keys: list[str] = field(default_factory=list)  # name and alias keys
    vat: str | None = None
    email: str | None = None
    domains: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


def _load_companies(session: Session) -> dict[int, _Company]:
    companies: dict[int, _Company] = {}
    rows = session.execute(
        select(
            ThirdParty.id,
            ThirdParty.name,
            ThirdParty.vat_number,
            ThirdParty.email_lower,
            ThirdParty.phone,
            ThirdParty.phone_mobile,
        )
    )
    for ident, name, vat, email, phone, mobile in rows:
        company = _Company(ident, name, vat=vat_key(vat), email=email or None)
        domain = email.rpartition("@")[2] if email and "@" in email else None
        if domain and not is_freemail(domain):
            company.domains.add(domain)
        company.phones = {p for p in (phone_key(phone), phone_key(mobile)) if p}
        companies[ident] = company
    # The stored domains: derived from email and website when saved (never free-mail), and those added
    for ident, domain in session.execute(select(ThirdPartyDomain.thirdparty_id, ThirdPartyDomain.domain)):
        if ident in companies and not is_freemail(domain):
            companies[ident].domains.add(domain)
    for ident, key in session.execute(
        select(ThirdPartyKey.thirdparty_id, ThirdPartyKey.key).where(ThirdPartyKey.kind != "token")
    ):
        if ident in companies and key not in companies[ident].keys:
            companies[ident].keys.append(key)
    return companies


def _best_name(a: list[str], b: list[str]) -> int:
    return max((name_similarity(x, y, cutoff=SIMILAR_NAME) for x in a for y in b), default=0)


def _score_companies(a: _Company, b: _Company) -> tuple[int, tuple[str, ...]]:
    weights: list[float] = []
    reasons: list[str] = []
    if a.vat and a.vat == b.vat:
        weights.append(THIRDPARTY_WEIGHTS["vat"])
        reasons.append("same VAT id")
    if a.email and a.email == b.email:
        weights.append(THIRDPARTY_WEIGHTS["email"])
        reasons.append("same email")
    similarity = _best_name(a.keys, b.keys)
    if similarity == 100:
        weights.append(THIRDPARTY_WEIGHTS["name"])
        reasons.append("same name")
    elif similarity:
        weights.append(_similar_weight(similarity, THIRDPARTY_WEIGHTS["name"]))
        reasons.append(f"similar name {similarity}")
    if a.domains & b.domains:
        weights.append(THIRDPARTY_WEIGHTS["domain"])
        reasons.append("same email domain")
    if same_phone(a.phones, b.phones):
        weights.append(THIRDPARTY_WEIGHTS["phone"])
        reasons.append("same phone")
    score = _noisy_or(weights)
    if a.vat and b.vat and a.vat != b.vat and weights:
        score *= DIFFERENT_VAT_FACTOR
        reasons.append("different VAT ids")
    return round(score * 100), tuple(reasons)


def find_thirdparty_duplicates(
    session: Session, *, min_score: int = DEFAULT_MIN_SCORE, limit: int | None = None
) -> list[DuplicatePair]:
    """Pairs of third parties that are probably one company, best first."""
    companies = _load_companies(session)
    blocks: dict[str, set[int]] = defaultdict(set)
    entries: list[tuple[int, str, int]] = []
    for c in companies.values():
        if c.vat:
            blocks[f"vat:{c.vat}"].add(c.id)
        if c.email:
            blocks[f"email:{c.email}"].add(c.id)
        for domain in c.domains:
            blocks[f"domain:{domain}"].add(c.id)
        for phone in c.phones:
            blocks[f"phone:{phone[-PHONE_DIGITS:]}"].add(c.id)
        for key in c.keys:
            blocks[f"name:{key}"].add(c.id)
            entries.append((0, key, c.id))
    candidates = set(_pairs_in_blocks(blocks.values()))
    candidates.update(_neighbours(entries))
    pairs = []
    for a, b in candidates:
        score, reasons = _score_companies(companies[a], companies[b])
        if score and score >= min_score:
            pairs.append(
                DuplicatePair("thirdparty", a, companies[a].name, b, companies[b].name, score, reasons)
            )
    return _best(pairs, limit)


def _best(pairs: list[DuplicatePair], limit: int | None) -> list[DuplicatePair]:
    pairs.sort(key=lambda p: (-p.score, p.first_id, p.second_id))
    return pairs[:limit] if limit is not None else pairs


# -- contacts ----------------------------------------------------------------------------------------------


@dataclass
class _Person:
    id: int
    label: str
    first: str
    last: str
    key: str  # the folded full name
    thirdparty_id: int | None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


def _load_people(session: Session) -> dict[int, _Person]:
    people: dict[int, _Person] = {}
    rows = session.execute(
        select(
            Contact.id,
            Contact.firstname,
            Contact.lastname,
            Contact.firstname_key,
            Contact.lastname_key,
            Contact.fullname_key,
            Contact.thirdparty_id,
            ThirdParty.name,
            Contact.email_lower,
            Contact.phone,
            Contact.phone_mobile,
            Contact.phone_private,
        ).outerjoin(ThirdParty, ThirdParty.id == Contact.thirdparty_id)
    )
    for ident, first, last, first_key, last_key, key, tp_id, tp_name, email, *phones in rows:
        name = " ".join(p for p in (first, last) if p)
        label = f"{name} ({tp_name})" if tp_name else name
        person = _Person(ident, label, first_key or "", last_key or "", key or "", tp_id)
        if email:
            person.emails.add(email)
        person.phones = {p for p in map(phone_key, phones) if p}
        people[ident] = person
    for ident, email in session.execute(select(ContactEmail.contact_id, ContactEmail.email_lower)):
        if ident in people and email:
            people[ident].emails.add(email)
    return people


def _compatible_first_names(a: str, b: str) -> bool:
    """ "" and "max", "m" and "max": possibly the same person; "max" and "moritz" not."""
    if a == b or not a or not b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) == 1 and long_.startswith(short)


def _score_people(a: _Person, b: _Person) -> tuple[int, tuple[str, ...]]:
    weights: list[float] = []
    reasons: list[str] = []
    if a.emails & b.emails:
        weights.append(CONTACT_WEIGHTS["email"])
        reasons.append("same email")
    similarity = name_similarity(a.key, b.key, cutoff=SIMILAR_NAME)
    named = True
    if similarity == 100:
        weights.append(CONTACT_WEIGHTS["name"])
        reasons.append("same name")
    elif a.last and a.last == b.last and _compatible_first_names(a.first, b.first):
        weights.append(CONTACT_WEIGHTS["initial"])
        reasons.append("same last name")
    elif similarity:
        weights.append(_similar_weight(similarity, CONTACT_WEIGHTS["name"]))
        reasons.append(f"similar name {similarity}")
    else:
        named = False
    if same_phone(a.phones, b.phones):
        weights.append(CONTACT_WEIGHTS["phone"])
        reasons.append("same phone")
    if named and a.thirdparty_id is not None and a.thirdparty_id == b.thirdparty_id:
        weights.append(CONTACT_WEIGHTS["same_thirdparty"])
        reasons.append("same third party")
    elif named and (a.thirdparty_id is None) != (b.thirdparty_id is None):
        weights.append(CONTACT_WEIGHTS["one_without_thirdparty"])
        reasons.append("one without third party")
    return round(_noisy_or(weights) * 100), tuple(reasons)


def _name_pairs(people: dict[int, _Person]) -> Iterator[tuple[int, int]]:
    """Same last name in one company with compatible first names ("Max", "M.", none); and the same full name
    where one of the two has no company. The same name at two companies is two people unless an email or
    a phone says otherwise, so those are not paired by name."""
    by_last: dict[tuple[int | None, str], list[_Person]] = defaultdict(list)
    by_name: dict[str, list[_Person]] = defaultdict(list)
    for p in people.values():
        if p.last:
            by_last[(p.thirdparty_id, p.last)].append(p)
        if p.key:
            by_name[p.key].append(p)
    same_name_here: dict[tuple[int | None, str], set[int]] = defaultdict(set)
    for (tp_id, _last), group in by_last.items():
        if len(group) > MAX_BLOCK:  # a common last name in a big company: the full name still pairs
            for p in group:
                same_name_here[(tp_id, p.key)].add(p.id)
    yield from _pairs_in_blocks(same_name_here.values())
    for group in by_last.values():
        if 1 < len(group) <= MAX_BLOCK:
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if _compatible_first_names(a.first, b.first):
                        yield (a.id, b.id) if a.id < b.id else (b.id, a.id)
    for group in by_name.values():
        loose = [p for p in group if p.thirdparty_id is None]
        if loose and 1 < len(group) <= MAX_BLOCK:
            for a in loose:
                for b in group:
                    if b.thirdparty_id is not None:
                        yield (a.id, b.id) if a.id < b.id else (b.id, a.id)


def find_contact_duplicates(
    session: Session, *, min_score: int = DEFAULT_MIN_SCORE, limit: int | None = None
) -> list[DuplicatePair]:
    """Pairs of contacts that are probably one person, best first."""
    people = _load_people(session)
    blocks: dict[str, set[int]] = defaultdict(set)
    for p in people.values():
        for email in p.emails:
            blocks[f"email:{email}"].add(p.id)
        for phone in p.phones:
            blocks[f"phone:{phone[-PHONE_DIGITS:]}"].add(p.id)
    candidates = set(_pairs_in_blocks(blocks.values()))
    candidates.update(_name_pairs(people))
    # Similar names (typos) only within one company: across 300k people there are too many.
    candidates.update(_neighbours([(p.thirdparty_id or 0, p.key, p.id) for p in people.values() if p.key]))
    pairs = []
    for a, b in candidates:
        score, reasons = _score_people(people[a], people[b])
        if score and score >= min_score:
            pairs.append(DuplicatePair("contact", a, people[a].label, b, people[b].label, score, reasons))
    return _best(pairs, limit)


def find_duplicates(
    session: Session, kind: Kind, *, min_score: int = DEFAULT_MIN_SCORE, limit: int | None = None
) -> list[DuplicatePair]:
    finder = find_thirdparty_duplicates if kind == "thirdparty" else find_contact_duplicates
    return finder(session, min_score=min_score, limit=limit)


# -- before creating one -----------------------------------------------------------------------------------


def likely_duplicate(
    session: Session,
    name: str,
    *,
    visible: Callable[[int], bool] | None = None,
    email: str | None = None,
    fuzzy: FuzzyNames | None = None,
) -> ThirdParty | None:
    """The existing third party a new one called *name* (with *email*) would probably duplicate, among those
    *visible* says the user may see: the same name or alias key ("ACME Gmbh" = "ACME GmbH" = "Acme Inc"),
    the same email address, or a name at least 90 similar ("Initech Sytems"). Active ones first."""
    key = name_key(name)
    if not key:
        return None
    ids: list[int] = list(
        session.scalars(
            select(ThirdPartyKey.thirdparty_id).where(ThirdPartyKey.key == key, ThirdPartyKey.kind != "token")
        )
    )
    address = normalize_email(email)
    if address:
        ids += session.scalars(select(ThirdParty.id).where(ThirdParty.email_lower == address))
    found = _visible_first(session, ids, visible, exact=fold(name))
    if found is not None:
        return found
    similar: dict[int, int] = {}
    # The keys next to this one in the index (typos late in the name), and the fuzzy tier's hits
    # (typos anywhere) when the caller has it.
    keys = select(ThirdPartyKey.thirdparty_id, ThirdPartyKey.key).where(ThirdPartyKey.kind != "token")
    nearby: list[tuple[int, str]] = [
        (row[0], row[1])
        for stmt in (
            keys.where(ThirdPartyKey.key >= key).order_by(ThirdPartyKey.key).limit(NEAR_KEYS),
            keys.where(ThirdPartyKey.key < key).order_by(ThirdPartyKey.key.desc()).limit(NEAR_KEYS),
        )
        for row in session.execute(stmt)
    ]
    fuzzy_hits = fuzzy.search("thirdparty", session, key, limit=10) if fuzzy is not None else []
    if fuzzy_hits:
        hit_ids = [i for i, _ in fuzzy_hits]
        nearby += [
            (row[0], row[1]) for row in session.execute(keys.where(ThirdPartyKey.thirdparty_id.in_(hit_ids)))
        ]
    for ident, other in nearby:
        score = name_similarity(key, other)
        if score >= LIKELY_SIMILAR_NAME:
            similar[ident] = max(similar.get(ident, 0), score)
    ranked = sorted(similar, key=lambda i: (-similar[i], i))
    return _visible_first(session, ranked, visible, exact=None)


def _visible_first(
    session: Session, ids: list[int], visible: Callable[[int], bool] | None, *, exact: str | None
) -> ThirdParty | None:
    """The first of *ids* the user may see, preferring an active one and (with *exact*) the same spelling."""
    wanted = [i for i in dict.fromkeys(ids) if visible is None or visible(i)]
    if not wanted:
        return None
    rows = {tp.id: tp for tp in session.scalars(select(ThirdParty).where(ThirdParty.id.in_(wanted)))}

    def rank(ident: int) -> tuple[int, int, int]:
        tp = rows[ident]
        return (
            0 if tp.status == ThirdPartyStatus.ACTIVE else 1,
            0 if exact is not None and fold(tp.name) == exact else 1,
            wanted.index(ident),
        )

    present = [i for i in wanted if i in rows]
    return rows[min(present, key=rank)] if present else None
