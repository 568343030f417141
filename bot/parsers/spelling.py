"""Typo tolerance for the words that carry a message's intent ("calld", "Anurf", "histroy", "Verlaf").

Only the first few words are corrected (that is where commands and verbs stand), only towards the
vocabulary below, only words of five letters or more, and at most one edit (two from eight letters on,
a swap of neighbours counting as one): names later in the message are never touched.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

VOCABULARY = frozenset(
    """
    called calling phoned meeting emailed mailed remind reminder history contact contacts open
    outstanding lunch dinner coffee visited follow followup note notes undo help show
    anruf angerufen telefoniert telefonat treffen getroffen termin besprechung notiz erinnere erinnerung
    wiedervorlage verlauf historie letzter letzte kontakt kontakte ansprechpartner offen hilfe
    rückgängig zeige besuch besucht mittagessen
    """.split()
)
# Valid words next to the vocabulary (plurals, inflections) that must never be "corrected" into it.
KNOWN = VOCABULARY | frozenset(
    """
    calls meetings emails notes reminders contacts followups follow-ups histories lunches visits
    calling phoning meets mails
    offene offenen termine terminen wiedervorlagen notizen kontakten anrufe anrufen telefonieren
    telefonate erinnern erinnerungen besprechungen treffens besuche letzten letztes verläufe hilfen
    """.split()
)
FIRST_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=4096)
def _closest(word: str) -> str | None:
    lower = word.lower()
    if len(lower) < 5 or lower in KNOWN:
        return None
    limit = 2 if len(lower) >= 8 else 1
    best: tuple[int, str] | None = None
    for candidate in VOCABULARY:
        if abs(len(candidate) - len(lower)) > limit:
            continue
        distance = DamerauLevenshtein.distance(lower, candidate, score_cutoff=limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def corrections(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for misspelt command words among the first words (case as typed)."""
    found = []
    for index, match in enumerate(_WORD.finditer(text)):
        if index >= FIRST_WORDS:
            break
        fixed = _closest(match.group(0))
        if fixed is not None:
            found.append(
                (match.start(), match.end(), fixed.capitalize() if match.group(0)[:1].isupper() else fixed)
            )
    return found


def apply(text: str, fixes: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(fixes, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def correct_cues(text: str) -> str:
    """*text* with misspelt command words among its first words replaced."""
    return apply(text, corrections(text))
