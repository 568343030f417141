"""Finding CRM names in a message: every n-gram of its words is looked up in the gazetteer at once, and the
longest matches win ("Acme Logistics" beats "ACME"; "Max Mustermann" beats "Max").

Strong keys (a company's name or alias, a contact's full name) win over weak ones (one word of a company
name, a first or last name) of the same length; weak one-word hits on common words are ignored. Runs of
words that each are a word of the same company's name join into one mention ("Schmidt & Partner" for
"Schmidt & Partner Steuerberatung").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.normalize import LEGAL_SUFFIXES, fold
from bot.parsers.gazetteer import Entry, Gazetteer
from bot.parsers.intents import Mention
from bot.parsers.nlp import Token
from bot.parsers.vocabulary import AMBIGUOUS_SURNAMES, NAME_LEADS, STOPWORDS, TITLES

MAX_NGRAM = 6
_STRONG = frozenset({"name", "alias", "full"})
# Tokens that may sit inside a name without ending it ("Schmidt & Partner", "Müller-Lüdenscheidt").
_JOINERS = frozenset({"&", "-", "+", "'", "’", "."})


@dataclass(frozen=True, slots=True)
class _Span:
    start: int  # token indexes, end exclusive
    end: int
    key: str
    entries: tuple[Entry, ...]
    strong: bool

    @property
    def length(self) -> int:
        return self.end - self.start


def _spans(tokens: Sequence[Token], blocked: Sequence[tuple[int, int]]) -> dict[str, list[tuple[int, int]]]:
    """Key -> token ranges for every n-gram that starts and ends on a word and crosses no boundary."""

    def is_blocked(tok: Token) -> bool:
        return any(start < tok.end and tok.start < end for start, end in blocked)

    found: dict[str, list[tuple[int, int]]] = {}
    for i, first in enumerate(tokens):
        if not first.is_word or is_blocked(first):
            continue
        parts: list[str] = []
        for j in range(i, min(len(tokens), i + MAX_NGRAM + 2)):
            tok = tokens[j]
            if is_blocked(tok) or not (tok.is_word or tok.text in _JOINERS):
                break
            folded = fold(tok.text)
            if folded:
                parts.append(folded)
            if tok.is_word and parts and len(parts) <= MAX_NGRAM:
                found.setdefault(" ".join(parts), []).append((i, j + 1))
    return found


# A word of more company names than this ("logistics", "bau") names none of them on its own.
COMMON_COMPANY_WORD = 10


def _prune(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """Drop company-name words shared by too many companies to point at one."""
    tokens = {e.id for e in entries if e.kind == "thirdparty" and e.match == "token"}
    if len(tokens) <= COMMON_COMPANY_WORD:
        return tuple(entries)
    return tuple(e for e in entries if not (e.kind == "thirdparty" and e.match == "token"))


def _is_weak_noise(key: str, entries: Sequence[Entry]) -> bool:
    return not entries or (
        " " not in key and (key in STOPWORDS or len(key) < 2) and not any(e.match in _STRONG for e in entries)
    )


def find_mentions(
    text: str, tokens: Sequence[Token], gazetteer: Gazetteer, blocked: Sequence[tuple[int, int]] = ()
) -> list[Mention]:
    """Known names in *text*, left to right, non-overlapping; *blocked* character ranges are skipped."""
    spans = _spans(tokens, blocked)
    # Whole names first; a word inside a full-name hit ("Max" in "Max Mustermann") is not looked up alone,
    # which spares fetching every contact called Max.
    phrases = [k for k in spans if " " in k]
    hits: dict[str, Sequence[Entry]] = dict(gazetteer.lookup(phrases)) if phrases else {}
    covered = {i for key in hits for start, end in spans[key] for i in range(start, end)}
    words = [k for k in spans if " " not in k and any(start not in covered for start, _ in spans[k])]
    if words:
        hits.update(gazetteer.lookup(words))
    candidates: list[_Span] = []
    for key, all_entries in hits.items():
        entries = _prune(all_entries)
        if _is_weak_noise(key, entries):
            continue
        strong = any(e.match in _STRONG for e in entries)
        for start, end in spans[key]:
            candidates.append(_Span(start, end, key, tuple(entries), strong))
    candidates = [c for c in candidates if not _everyday_word(tokens, c)]
    candidates.extend(_joined_tokens(candidates))
    candidates.sort(key=lambda s: (-s.length, not s.strong, s.start))
    taken: list[_Span] = []
    for span in candidates:
        if all(span.end <= t.start or t.end <= span.start for t in taken):
            taken.append(span)
    taken.sort(key=lambda s: s.start)
    mentions = []
    for span in taken:
        end = _absorb_legal_suffix(tokens, span)
        start_char, end_char = tokens[span.start].start, tokens[end - 1].end
        entries = _best_entries(span)
        if _titled(tokens, span.start) and any(e.kind == "contact" for e in entries):
            entries = tuple(e for e in entries if e.kind == "contact")  # "Frau Dr. Lehmann" is a person
        mentions.append(Mention(text[start_char:end_char], start_char, end_char, entries))
    return mentions


def _previous_words(tokens: Sequence[Token], index: int, count: int = 2) -> list[str]:
    words: list[str] = []
    i = index - 1
    while i >= 0 and len(words) < count:
        words.append(fold(tokens[i].text))
        i -= 1
    return words


def _titled(tokens: Sequence[Token], index: int) -> bool:
    """Whether a courtesy title stands right before the name ("Herr Lange", "Frau Dr. Lehmann")."""
    before = _previous_words(tokens, index, 1)
    return bool(before) and before[0] in TITLES


def _everyday_word(tokens: Sequence[Token], span: _Span) -> bool:
    """ "Lange Besprechung", "kurz mit …": a surname that is also an everyday word names nobody on its own,
    unless a title or "mit"/"with" stands before it."""
    if span.length != 1 or span.strong or span.key not in AMBIGUOUS_SURNAMES:
        return False
    before = _previous_words(tokens, span.start, 1)
    return not (before and (before[0] in TITLES or before[0] in NAME_LEADS))


def _joined_tokens(candidates: Sequence[_Span]) -> list[_Span]:
    """Consecutive one-word spans that are all words of the same company's name, as one span."""
    singles = sorted((s for s in candidates if s.length == 1), key=lambda s: s.start)
    joined: list[_Span] = []
    for index, first in enumerate(singles):
        companies = {e.id for e in first.entries if e.kind == "thirdparty" and e.match == "token"}
        end, keys = first.end, [first.key]
        for nxt in singles[index + 1 :]:
            if nxt.start > end + 1:  # allow one joiner token ("&") between words
                break
            ids = {e.id for e in nxt.entries if e.kind == "thirdparty" and e.match == "token"}
            if not companies & ids:
                break
            companies &= ids
            end, keys = nxt.end, [*keys, nxt.key]
        if len(keys) > 1 and companies:
            entries = tuple(e for e in first.entries if e.kind == "thirdparty" and e.id in companies)
            joined.append(_Span(first.start, end, " ".join(keys), entries, False))
    return joined


def _absorb_legal_suffix(tokens: Sequence[Token], span: _Span) -> int:
    """Extend a company mention over a trailing "GmbH", "& Co. KG", "Inc." ..."""
    if not any(e.kind == "thirdparty" for e in span.entries):
        return span.end
    end = span.end
    while end < len(tokens):
        folded = fold(tokens[end].text).replace(" ", "")
        if folded in LEGAL_SUFFIXES or (tokens[end].text in _JOINERS and end + 1 < len(tokens)):
            end += 1
            continue
        break
    while end > span.end and tokens[end - 1].text in _JOINERS:
        end -= 1
    return end


def _best_entries(span: _Span) -> tuple[Entry, ...]:
    """Strong entries only when there are any: "ACME" the company, not also a contact called Acme."""
    strong = tuple(e for e in span.entries if e.match in _STRONG)
    return strong or span.entries


def unknown_names(
    tokens: Sequence[Token], mentions: Sequence[Mention], blocked: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """Capitalised words after "with", "mit", "at", "bei" ... that the CRM does not know ("Sarah Connor")."""
    covered = [(m.start, m.end) for m in mentions] + list(blocked)

    def free(tok: Token) -> bool:
        return not any(start < tok.end and tok.start < end for start, end in covered)

    names: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if fold(tok.text) in NAME_LEADS and i + 1 < len(tokens):
            j = i + 1
            words: list[Token] = []
            while (
                j < len(tokens)
                and len(words) < 4
                and tokens[j].is_title
                and tokens[j].is_word
                and free(tokens[j])
                and fold(tokens[j].text) not in STOPWORDS
            ):
                words.append(tokens[j])
                j += 1
            if words:
                names.append(" ".join(w.text for w in words))
                i = j
                continue
        i += 1
    return list(dict.fromkeys(names))
