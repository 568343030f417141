"""text -> Intent, for the way people type in chat, in English and German.

Order: explicit commands ("Verlauf X"), question forms ("when did we last talk to X"), the user's own
agenda ("Was steht heute an?"), creating records ("new company X"), reminders, then logs. A log's kind is
the earliest cue in the message before any follow-up clause; names come from the gazetteer; dates are
read in the user's zone, the past preferred when the message reports what happened.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.normalize import fold
from bot.parsers import spelling
from bot.parsers.commands import parse_command
from bot.parsers.dates import DateMatch, find_dates
from bot.parsers.gazetteer import Gazetteer
from bot.parsers.intents import Intent, Mention
from bot.parsers.mentions import find_mentions, unknown_names
from bot.parsers.nlp import detect_language, model_entities, tokenize
from bot.parsers.vocabulary import (
    ADD_PERSON_TO,
    CREATE_CONTACT,
    CREATE_THIRDPARTY,
    FOLLOWUP_MARKERS,
    FOLLOWUPS,
    FUTURE_MARKERS,
    HISTORY_QUESTION,
    LAST_CONTACT_QUESTION,
    LOG_CUES,
    PAST_MARKERS,
    REMIND,
    STOPWORDS,
)

_CLAUSE_BREAK = re.compile(r"\s*(?:[,;.!?]+\s+|\s+[-–—]+\s+|\n+)\s*")
_LEADING_FILLER = re.compile(
    r"^(?:to|that|about|regarding|re|wegen|zu|zum|zur|an|dass|über|ueber|bzgl\.?|betreffend|betreff)\s+",
    re.IGNORECASE,
)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\ufe0f]")


def _clean(text: str) -> str:
    text = _EMOJI.sub(" ", text)
    return " ".join(text.split())


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """*text* without the character ranges in *spans*."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            out.append(text[last:start])
            last = end
    out.append(text[last:])
    return "".join(out)


def _tidy(text: str) -> str | None:
    text = re.sub(r"\s+([,;:.!?])", r"\1", " ".join(text.split()))
    text = text.strip(" ,;:-–—.")
    text = _LEADING_FILLER.sub("", text).strip(" ,;:-–—")
    return text or None


def _earliest_cue(text: str, masked: list[tuple[int, int]]) -> str | None:
    best: tuple[int, str] | None = None
    for name, pattern in LOG_CUES.items():
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in masked):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), name)
            break
    return best[1] if best else None


def _followup_split(text: str, *, remind: bool) -> int:
    """Where the follow-up clause starts (len(text) when there is none)."""
    for match in FOLLOWUP_MARKERS.finditer(text):
        if match.start() == 0 and remind:
            continue
        return match.start()
    return len(text)


def _body(main: str, cut: list[tuple[int, int]], names: list[tuple[int, int]]) -> str | None:
    """What to write down: after "X:", or the clauses after the first; a lone clause only when it says
    more than its cue words and names ("called Max" has nothing to add to "Call with Max Mustermann")."""
    rest = _cut(main, cut)  # without the dates: "15:30" is no "X: note" colon
    if ":" in rest:
        return _tidy(rest.split(":", 1)[1])
    clauses = [c for c in _CLAUSE_BREAK.split(rest) if c.strip()]
    if len(clauses) > 1:
        return _tidy(", ".join(clauses[1:]))
    leftover = _cut(main, cut + names)
    for pattern in LOG_CUES.values():
        leftover = pattern.sub(" ", leftover)
    words = [w for w in re.findall(r"\w+", leftover.lower()) if w not in STOPWORDS and not w.isdigit()]
    return _tidy(_cut(main, cut)) if words else None


def _shift(matches: list[DateMatch], offset: int) -> list[DateMatch]:
    return [replace(m, start=m.start + offset, end=m.end + offset) for m in matches]


def parse(
    text: str, *, now: datetime, tz: ZoneInfo, language: str = "en", gazetteer: Gazetteer | None = None
) -> Intent:
    """The meaning of *text* for a user in *tz* at *now*. Pure: the gazetteer is the only lookup."""
    text = _clean(text)
    if not text:
        return Intent("unknown", language=language)
    text = _fix_typos(text, gazetteer)
    lang = detect_language(text, language)
    command = parse_command(text)
    if command is not None:
        return replace(command, language=lang)
    for name, pattern in (("last_contact", LAST_CONTACT_QUESTION), ("history", HISTORY_QUESTION)):
        question = pattern.match(text)
        if question and question.group("target").strip():
            return Intent(name, target=question.group("target").strip(" \"'“”„"), language=lang)
    if FOLLOWUPS.match(text):
        dates = find_dates(text, now=now, tz=tz, prefer="future")
        return Intent("followups", when=dates[0].value if dates else None, language=lang)

    tokens = tokenize(text, lang)
    for name, pattern in (
        ("create_contact", CREATE_CONTACT),
        ("create_thirdparty", CREATE_THIRDPARTY),
        ("create_contact", ADD_PERSON_TO),
    ):
        created = pattern.match(text)
        if created:
            mentions = find_mentions(text, tokens, gazetteer) if gazetteer else []
            return Intent(
                name,
                target=created.group("name").strip(" \"'“”„"),
                body=text,
                mentions=tuple(mentions),
                language=lang,
            )

    remind = bool(REMIND.match(text))
    split = _followup_split(text, remind=remind)
    main, clause = text[:split], text[split:]
    past = bool(PAST_MARKERS.search(main)) and not (remind or _future_only(main))
    dates = find_dates(main, now=now, tz=tz, prefer="past" if past else "future")
    later = _shift(find_dates(clause, now=now, tz=tz, prefer="future"), split)
    blocked = [(d.start, d.end) for d in (*dates, *later)]
    mentions = find_mentions(text, tokens, gazetteer, blocked) if gazetteer else []
    unknown = unknown_names(tokens, mentions, blocked) or _model_names(text, mentions)
    found = {"mentions": tuple(mentions), "unknown_names": tuple(unknown), "language": lang}

    def intent(name: str, **slots: Any) -> Intent:
        return Intent(name, **found, **slots)  # type: ignore[arg-type]

    if remind:
        moments = dates + later
        first = moments[0] if moments else None
        lead = REMIND.match(text)
        body = _tidy(_cut(text, [(d.start, d.end) for d in moments] + [(0, lead.end() if lead else 0)]))
        return intent(
            "remind",
            body=body,
            followup=first.value if first else None,
            when_has_time=bool(first and first.has_time),
            past=False,
        )

    masked = [(m.start, m.end) for m in mentions]
    cue = _earliest_cue(main, masked)
    if cue is None:
        if mentions and _only_names(text, mentions):
            return intent("show", target=mentions[0].text)
        if not (mentions and ":" in main and main.index(":") > mentions[0].start):
            return intent("unknown")
        cue = "log_note"
    when = dates[0] if dates else None
    is_past = past or (when is not None and when.value <= now)
    body = _body(main, [(d.start, d.end) for d in dates], masked)
    return intent(
        cue,
        body=body,
        when=when.value if when else None,
        when_has_time=bool(when and when.has_time),
        followup=later[0].value if later else None,
        past=is_past if when else True,
        resolved={"followup_has_time": later[0].has_time} if later else {},
    )


def _fix_typos(text: str, gazetteer: Gazetteer | None) -> str:
    """Correct misspelt command words ("histroy", "Anurf"), but never a word the CRM knows as a name."""
    fixes = spelling.corrections(text)
    if fixes and gazetteer is not None:
        known = gazetteer.lookup([fold(text[start:end]) for start, end, _ in fixes])
        fixes = [f for f in fixes if fold(text[f[0] : f[1]]) not in known]
    return spelling.apply(text, fixes)


def _future_only(text: str) -> bool:
    return bool(FUTURE_MARKERS.search(text)) and not re.search(
        r"\b(?:met|called|had|hatte|habe|getroffen|telefoniert|besprochen|gestern|yesterday)\b",
        text,
        re.IGNORECASE,
    )


def _only_names(text: str, mentions: list[Mention]) -> bool:
    rest = _cut(text, [(m.start, m.end) for m in mentions])
    return not re.sub(r"[\W_]+", "", rest)


def _model_names(text: str, mentions: list[Mention]) -> list[str]:
    covered = [(m.start, m.end) for m in mentions]
    return [
        ent
        for ent, _label, start, end in model_entities(text)
        if not any(s < end and start < e for s, e in covered)
    ]
