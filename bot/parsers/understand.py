"""text -> Intent, for the way people type in chat, in English and German.

1. Clean the text and correct misspelt command words (never a name the CRM knows).
2. Explicit commands ("Verlauf X", "last contact X", "/history", an Undo button) are taken as they are.
3. Otherwise find the names (gazetteer) and dates first, then classify from features (bot.parsers.classify):
   undo, help, create, the user's agenda and queries, reminders, then logs. Query targets are the names
   the gazetteer found, so any wording around them works ("who's the guy at Globex?").
4. For logs: the kind is the strongest, earliest cue ("Rollout-Termin … telefoniert" is a call); the time is
   a date in the clause of that cue (a date in the note, "wants it before Friday", stays in the note); a
   follow-up clause ("…, WV Freitag") gives the follow-up; the body is what is left to write down.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.normalize import fold
from bot.parsers import classify, invitation, spelling
from bot.parsers.commands import parse_command
from bot.parsers.dates import DateMatch, find_dates
from bot.parsers.gazetteer import Gazetteer
from bot.parsers.governance import parse_governance
from bot.parsers.intents import Intent, Mention
from bot.parsers.mentions import find_mentions, unknown_names
from bot.parsers.nlp import Token, detect_language, model_entities, tokenize
from bot.parsers.vocabulary import (
    FOLLOWUP_MARKERS,
    FUTURE_MARKERS,
    LOG_CUES,
    NOTE_REQUEST,
    PAST_MARKERS,
    REMIND,
    STOPWORDS,
)

_CLAUSE_BREAK = re.compile(r"(?:[,;:!?]+\s+|\.\s+|\s+[-–—]+\s+|\n+|!{2,})")
_LEADING_FILLER = re.compile(
    r"^(?:to|that|about|regarding|re:?|wegen|zu|zum|zur|an|dass|über|ueber|bzgl\.?|betreffend|betreff)\s+",
    re.IGNORECASE,
)
INVITABLE = frozenset({"log_meeting", "log_call"})  # what an invitation request can go with
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\ufe0f]")
_CREATE_NOISE = re.compile(
    r"\b(?:new|add|create|neue[rsn]?|anlegen|hinzuf[üu]gen|erfassen|lege|leg|bitte|please|pls|a|an|the|die|"
    r"der|den|das|mal|set|up|company|prospect|customer|lead|account|supplier|firma|kunden?|interessent(?:en)?|"
    r"lieferant(?:en)?|unternehmen|contact|person|kontakt|ansprechpartner(?:in)?|called|named|namens|as)\b",
    re.IGNORECASE,
)


_REMINDERS = re.compile(r"\b(?:reminders?|erinnerungen?)\b", re.IGNORECASE)


def _clean(text: str) -> str:
    return " ".join(_EMOJI.sub(" ", text).split())


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


def _clauses(text: str, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clause ranges of *text*, never splitting inside a protected range (a date like "12:30" or "1.12.")."""
    bounds = [0]
    position = 0
    while (match := _CLAUSE_BREAK.search(text, position)) is not None:
        if any(s < match.end() and match.start() < e for s, e in protected):
            position = match.start() + 1  # "1.12. – hab ich": the date keeps its dot, the dash still splits
            continue
        bounds.extend([match.start(), match.end()])
        position = match.end()
    bounds.append(len(text))
    ranges = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]
    return [(s, e) for s, e in ranges if text[s:e].strip()]


def _fix_typos(text: str, gazetteer: Gazetteer | None) -> str:
    """Correct misspelt command words ("histroy", "Anurf"), but never a word the CRM knows as a name."""
    fixes = spelling.corrections(text)
    if fixes and gazetteer is not None:
        known = gazetteer.lookup([fold(text[start:end]) for start, end, _ in fixes])
        fixes = [f for f in fixes if fold(text[f[0] : f[1]]) not in known]
    return spelling.apply(text, fixes)


def _followup_split(text: str) -> int:
    """Where a trailing follow-up clause starts ("…, follow up Friday"); len(text) when there is none."""
    for match in FOLLOWUP_MARKERS.finditer(text):
        if match.start() > 0:
            return match.start()
    return len(text)


def _target(command: Intent, mentions: list[Mention]) -> Intent:
    """Prefer the name the gazetteer found inside a command's target ("touchpoint with Wernham Hog")."""
    if not command.target or command.target.startswith("#"):
        return command
    inside = [
        m for m in mentions if m.text in command.target and any(e.kind == "thirdparty" for e in m.entries)
    ]
    if len(inside) == 1 and fold(inside[0].text) != fold(command.target):
        return replace(command, target=inside[0].text)
    return command


def _query_target(mentions: list[Mention]) -> str | None:
    companies = [m for m in mentions if m.companies]
    return (companies or mentions)[0].text if (companies or mentions) else None


_AS_KIND = re.compile(
    r"\s+(?:as|als)\s+(?:a\s+|an\s+)?(?:new\s+|neue[nrs]?\s+)?(?:contact|customer|prospect|company|lead|supplier|"
    r"account|kontakt|kunden?|interessent(?:en)?|lieferant(?:en)?|firma|ansprechpartner(?:in)?)\b",
    re.IGNORECASE,
)
# "Neue Ansprechpartnerin bei der Bäckerei Sonnenschein ist Marie Kuhlmann"
_X_AT_Y_IS_Z = re.compile(
    r"\b(?:bei|at)\s+(?:der\s+|dem\s+|the\s+)?(?P<company>.+?)\s+(?:ist|is)\s+(?P<person>.+)$", re.IGNORECASE
)


def _create_name(text: str) -> str:
    """The name to create: after a colon, else the text without the command words around it."""
    text = classify.POLITE.sub("", text)
    swapped = _X_AT_Y_IS_Z.search(text)
    if swapped and not re.search(r":", text):
        return f"{swapped.group('person')} bei {swapped.group('company')}".strip(" \"'“”„.!")
    if ":" in text:
        return text.split(":", 1)[1].strip(" \"'“”„")
    called = re.search(r"\b(?:called|named|namens|mit\s+dem\s+namen)\s+(.+)$", text, re.IGNORECASE)
    if called:
        return called.group(1).strip(" \"'“”„")
    text = re.sub(r"\s+(?:an|anlegen|hinzufügen|hinzufuegen)\s*[.!?]*$", "", text, flags=re.IGNORECASE)
    text = _AS_KIND.sub("", text)
    words = text.split()
    while words and _CREATE_NOISE.fullmatch(words[0].strip(",;:")):
        words.pop(0)
    return " ".join(words).strip(" \"'“”„")


def parse(
    text: str, *, now: datetime, tz: ZoneInfo, language: str = "en", gazetteer: Gazetteer | None = None
) -> Intent:
    """The meaning of *text* for a user in *tz* at *now*. Pure: the gazetteer is the only lookup."""
    text = _clean(text)
    if not text:
        return Intent("unknown", language=language)
    governance = parse_governance(text)  # logins, rights and addresses: before any spelling fix
    if governance is not None:
        return replace(governance, language=detect_language(text, language))
    text = _fix_typos(text, gazetteer)
    lang = detect_language(text, language)
    rest, invite = invitation.cut(text)
    if invite and rest:
        planned = _understand(rest, lang, now=now, tz=tz, gazetteer=gazetteer, planned=True)
        if planned.name in INVITABLE:
            return planned.with_resolved("invite", True)
    return _understand(text, lang, now=now, tz=tz, gazetteer=gazetteer)


def _understand(
    text: str,
    lang: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    gazetteer: Gazetteer | None,
    planned: bool = False,
) -> Intent:
    """The meaning of the cleaned *text* in *lang*; *planned*: the user asked for an invitation, so the
    event lies ahead and its dates are read preferring the future."""
    command = parse_command(text)
    tokens = tokenize(text, lang)
    if command is not None and command.name in ("help", "undo"):
        return replace(command, language=lang)

    split = _followup_split(text)
    main, clause = text[:split], text[split:]
    past = not planned and bool(PAST_MARKERS.search(main)) and not _future_only(main)
    dates = find_dates(main, now=now, tz=tz, prefer="past" if past else "future")
    later = _shift(find_dates(clause, now=now, tz=tz, prefer="future"), split)
    blocked = [(d.start, d.end) for d in (*dates, *later)]
    mentions = find_mentions(text, tokens, gazetteer, blocked) if gazetteer else []
    own_agenda = command is not None and command.name == "show" and _own_agenda(text, mentions)
    if command is not None and not own_agenda and not (mentions and _says_more(command.target, mentions)):
        return replace(_target(command, mentions), language=lang, mentions=tuple(mentions))

    unknown = unknown_names(tokens, mentions, blocked) or _model_names(text, mentions)
    found = {"mentions": tuple(mentions), "unknown_names": tuple(unknown), "language": lang}

    def intent(name: str, **slots: Any) -> Intent:
        return Intent(name, **found, **slots)  # type: ignore[arg-type]

    f = classify.features(
        text,
        [(m.start, m.end) for m in mentions] + blocked,
        has_company=any(m.companies for m in mentions),
        has_person=any(m.people for m in mentions),
    )
    if classify.is_undo(f):
        return intent("undo")
    if classify.is_help(f):
        return intent("help")
    create = classify.create_kind(text)
    if create is not None:
        return intent(create, target=_create_name(text), body=text)
    query = classify.query_intent(f)
    if query == "followups":
        moments = dates + later
        agenda = intent("followups", when=moments[0].value if moments else None)
        # "my reminders": the list, with Cancel; "reminders for the 30th?": that day's agenda
        return (
            agenda.with_resolved("list", "reminders") if _REMINDERS.search(text) and not moments else agenda
        )
    if query is not None and not (classify.is_reminder(f) or _log_report(f, query)):
        return intent(query, target=_query_target(mentions))
    if classify.is_reminder(f):
        return _reminder(text, dates + later, intent)
    return _log(text, main, split, dates, later, mentions, past, now, f, intent)


def _says_more(target: str | None, mentions: list[Mention]) -> bool:
    """A command's target that holds more than names ("open the Tyrell record", "Info für die Akte X – …"):
    the message is more than the command, so it is classified as a whole."""
    if not target or target.startswith("#"):
        return False
    rest = target
    for mention in mentions:
        rest = rest.replace(mention.text, " ")
    words = [w for w in re.findall(r"[^\W\d_]{2,}", fold(rest)) if w not in STOPWORDS]
    return bool(words)


def _own_agenda(text: str, mentions: list[Mention]) -> bool:
    """ "show my reminders": the user's agenda, not a company called "my reminders"."""
    return not mentions and bool(classify.OWN.search(text)) and bool(classify.TOPIC_FOLLOWUPS.search(text))


def _log_report(f: classify.Features, query: str) -> bool:
    """A message that reports a call or meeting is a log even when it mentions e.g. "invoice" or "team"."""
    if f.question:
        return False
    kind, weak = classify.earliest_cue(f.masked)
    return kind is not None and not weak and query in ("open_items", "contacts", "history")


def _reminder(text: str, moments: list[DateMatch], intent: Any) -> Intent:
    first = moments[0] if moments else None
    spans = [(d.start, d.end) for d in moments]
    lead = REMIND.match(text)
    if lead:
        spans.append((0, lead.end()))
    rest = _cut(text, spans)
    rest = re.sub(
        r"\b(?:(?:bitte\s+)?erinnern|(?:remind|nudge|ping)\s+me|erinnere?\s+mich|reminder(?:\s+for)?"
        r"|erinnerung(?:\s+f[üu]r)?|(?:wv|wiedervorlage)(?:\s+f[üu]r)?)\b|\s+setzen\s*$",
        " ",
        rest,
        flags=re.IGNORECASE,
    )
    result: Intent = intent(
        "remind",
        body=_tidy(rest),
        followup=first.value if first else None,
        when_has_time=bool(first and first.has_time),
        past=False,
    )
    return result


def _log(
    text: str,
    main: str,
    split: int,
    dates: list[DateMatch],
    later: list[DateMatch],
    mentions: list[Mention],
    past: bool,
    now: datetime,
    f: classify.Features,
    intent: Any,
) -> Intent:
    masked = f.masked[: len(main)]
    cue, weak = classify.earliest_cue(masked)
    if NOTE_REQUEST.search(masked) and (cue is None or not _strong_report(masked)):
        cue, weak = "log_note", False
    if cue is None:
        if mentions and _only_names(text, mentions):
            result: Intent = intent("show", target=_query_target(mentions))
            return result
        if not (mentions and ":" in main and main.index(":") > mentions[0].start):
            unknown: Intent = intent("unknown")
            return unknown
        cue = "log_note"
    if weak and not mentions and not f.has_person and not re.search(r"\b(?:with|mit|w/)\b", masked, re.I):
        nothing: Intent = intent("unknown")  # "brb, grabbing coffee"
        return nothing
    protected = [(d.start, d.end) for d in dates]
    clauses = _clauses(main, protected)
    home = _cue_clause(masked, cue, clauses)
    when = _when(dates, clauses, home, main)
    body = _body(main, clauses, home, when, mentions)
    is_past = past or (when is not None and when.value <= now)
    followup = later[0] if later else None
    logged: Intent = intent(
        cue,
        body=body,
        when=when.value if when else None,
        when_has_time=bool(when and when.has_time),
        followup=followup.value if followup else None,
        past=is_past if when else True,
        resolved={"followup_has_time": followup.has_time} if followup else {},
    )
    return logged


def _strong_report(masked: str) -> bool:
    """A call or meeting verb that reports one ("telefoniert", "met"), not a noun in a note ("no calls")."""
    return bool(re.search(r"\b(?:called|telefoniert|angerufen|met|getroffen|spoke|talked)\b", masked, re.I))


def _cue_clause(masked: str, cue: str, clauses: list[tuple[int, int]]) -> tuple[int, int] | None:
    pattern = LOG_CUES[cue]
    for match in pattern.finditer(masked):
        for start, end in clauses:
            if start <= match.start() < end:
                return start, end
    return clauses[0] if clauses else None


def _when(
    dates: list[DateMatch], clauses: list[tuple[int, int]], home: tuple[int, int] | None, main: str
) -> DateMatch | None:
    """The activity's time: a date in the cue's clause (the first clause when there is no cue), else a
    clause that is no more than a date ("Call with Max, yesterday"); dates elsewhere belong to the note."""

    def inside(clause: tuple[int, int] | None) -> list[DateMatch]:
        return [d for d in dates if clause and clause[0] <= d.start < clause[1] and not _deadline(main, d)]

    found = inside(home if home is not None else (clauses[0] if clauses else None))
    if found:
        return found[0]
    for clause in clauses:
        found = inside(clause)
        rest = _cut(main[clause[0] : clause[1]], [(d.start - clause[0], d.end - clause[0]) for d in found])
        if found and len(re.findall(r"[^\W\d_]{2,}", rest)) <= 1:
            return found[0]
    return None


_DEADLINE = re.compile(r"\b(?:by|until|till|before|bis|spätestens|spaetestens|vor\s+dem)\s*$", re.IGNORECASE)


def _deadline(text: str, date: DateMatch) -> bool:
    """ "wants the offer by Friday", "bis Freitag": a deadline in the note, not when the activity happened."""
    before = text[: date.start]
    return bool(_DEADLINE.search(before)) or bool(re.match(r"(?:by|bis)\b", date.text, re.IGNORECASE))


def _body(
    main: str,
    clauses: list[tuple[int, int]],
    home: tuple[int, int] | None,
    when: DateMatch | None,
    mentions: list[Mention],
) -> str | None:
    """What to write down: after "X:", else every clause but the cue's; a lone clause only when it says more
    than its cue words and names ("called Max" adds nothing to "Call with Max Mustermann")."""
    used = [(when.start, when.end)] if when else []
    rest = _cut(main, used)
    colon = re.search(r":\s", main)
    if (
        colon
        and (home is None or colon.start() >= home[0])
        and not (when and when.start <= colon.start() < when.end)
    ):
        return _tidy(_cut(main[colon.end() :], [(s - colon.end(), e - colon.end()) for s, e in used]))
    others = [c for c in clauses if c != home]
    if others:
        text = " ".join(main[s:e] for s, e in others)
        return _tidy(_cut(text, [])) if text.strip() else None
    leftover = _cut(main, used + [(m.start, m.end) for m in mentions])
    for pattern in LOG_CUES.values():
        leftover = pattern.sub(" ", leftover)
    words = [w for w in re.findall(r"\w+", leftover.lower()) if w not in STOPWORDS and not w.isdigit()]
    return _tidy(rest) if words else None


def _shift(matches: list[DateMatch], offset: int) -> list[DateMatch]:
    return [replace(m, start=m.start + offset, end=m.end + offset) for m in matches]


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


__all__ = ["Token", "parse"]
