"""Which intent a message has, from features rather than fixed sentence shapes.

The explicit commands (bot.parsers.commands) come first. After them a message is classified by what it
contains, wherever it stands: a question form plus topic words ("who's the guy at Globex?" → contacts,
"Offene Rechnungen bei X?" → open items), command words (undo, help, create, remind), and for logs the
cue words of calls, meetings, emails and notes, strongest first. Names and dates found earlier are masked
so that "Meeting Point GmbH" or "Friday" never count as cue words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsers.vocabulary import LOG_CUES, WEAK_CUES

_Q_START = re.compile(
    r"^\s*(?:who|whom|whose|when|what|which|where|any|anything|how|do\s+we|did\s+(?:we|i)|is\s+there|are\s+there|"
    r"wer|wen|wem|wann|was|welche[rsnm]?|wie|gibt(?:'|’)?s|gibt\s+es|hab(?:e)?\s+ich|haben\s+wir|hatten\s+wir)\b",
    re.IGNORECASE,
)


def _any(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w])", re.IGNORECASE)


TOPIC_FOLLOWUPS = _any(
    r"agenda",
    r"zettel",
    r"f[äa]llig",
    r"due",
    r"on\s+for",
    r"on\s+my\s+plate",
    r"reminders",
    r"to-?dos",
    r"wiedervorlagen",
    r"erinnerungen",
    r"termine",
    r"aufgaben",
    r"follow[- ]?ups",
    r"my\s+day",
    r"mein\s+tag",
    r"steht\s+(?:\w+\s+)?an",
)
OWN = _any(r"my", r"i", r"me", r"mein(?:e|en|er)?", r"ich", r"mir", r"mich")
TOPIC_LAST = _any(r"last", r"latest", r"zuletzt", r"letzte[rnms]?", r"most\s+recent", r"recently")
TOPIC_CONTACTS = _any(
    r"who",
    r"who(?:'|’)s",
    r"wer",
    r"wen",
    r"ansprechpartner(?:in|innen)?",
    r"contacts?",
    r"people",
    r"guy",
    r"person",
    r"talk\s+to",
    r"kontakte",
    r"leute",
    r"jemand(?:en)?",
    r"kennen\s+wir",
    r"team",
)
TOPIC_OPEN = _any(
    r"open",
    r"offen(?:e|en|er)?",
    r"pending",
    r"outstanding",
    r"unpaid",
    r"unbezahlt(?:e|en)?",
    r"erledigt",
    r"tickets?",
    r"rechnungen",
    r"angebote",
    r"invoices?",
    r"quotes?",
    r"posten",
    r"ausstehend(?:e|en)?",
)
TOPIC_HISTORY = _any(
    r"history",
    r"\w*verlauf",
    r"historie",
    r"aktivit[äa]ten",
    r"activities",
    r"activity\s+log",
    r"log",
    r"done",
    r"gelaufen",
    r"happened",
    r"news",
    r"neues",
    r"passiert",
    r"bisher",
    r"so\s+far",
    r"timeline",
    r"gab(?:'|’)?s",
)
SHOW_WORDS = _any(
    r"show",
    r"pull\s+up",
    r"zeig(?:e|en)?",
    r"infos?",
    r"details",
    r"card",
    r"karte",
    r"anzeigen",
    r"open\s+up",
    r"look\s+up",
    r"nachschlagen",
)
UNDO_WORDS = _any(
    r"undo",
    r"revert",
    r"scratch\s+that",
    r"take\s+(?:it|that)\s+back",
    r"zur[üu]cknehmen",
    r"r[üu]ckg[äa]ngig",
    r"l[öo]schen",
    r"delete",
    r"cancel\s+that",
    r"war\s+falsch",
    r"wrong\s+entry",
)
HELP_WORDS = _any(
    r"help",
    r"hilfe",
    r"how\s+do\s+i",
    r"how\s+can\s+i",
    r"how\s+does",
    r"wie\s+(?:lege|mache|kann|erfasse|logge|"
    r"trage|funktioniert)",
    r"commands?",
    r"befehle",
    r"what\s+can\s+you",
    r"was\s+kannst\s+du",
    r"what\s+do\s+you\s+understand",
)
CREATE_VERB = _any(
    r"new",
    r"add",
    r"create",
    r"neue[rsn]?",
    r"anlegen",
    r"hinzuf[üu]gen",
    r"erfassen",
    r"lege",
    r"leg",
    r"register",
)
CREATE_COMPANY_NOUN = _any(
    r"company",
    r"prospect",
    r"customer",
    r"lead",
    r"account",
    r"supplier",
    r"third[- ]party",
    r"firma",
    r"kunden?",
    r"interessent(?:en)?",
    r"lieferant(?:en)?",
    r"unternehmen",
    r"gesch[äa]ftspartner",
)
CREATE_CONTACT_NOUN = _any(
    r"contact", r"person", r"kontakt", r"ansprechpartner(?:in)?", r"mitarbeiter(?:in)?"
)
REMIND_WORDS = _any(
    r"remind(?:\s+me)?",
    r"reminder",
    r"nudge\s+me",
    r"ping\s+me",
    r"erinner(?:e|n|ung)?",
    r"erinnere\s+mich",
    r"wiedervorlage",
    r"wv",
    r"nachfassen",
    r"follow[- ]?up(?:\s+(?:w/|with|on))?",
    r"f/u",
)
PAST_TENSE = _any(
    r"met",
    r"called",
    r"had",
    r"hatte[n]?",
    r"habe",
    r"hab",
    r"getroffen",
    r"telefoniert",
    r"angerufen",
    r"gesprochen",
    r"besprochen",
    r"ran",
    r"was",
    r"war",
    r"got",
    r"sent",
    r"emailed",
    r"gemailt",
)


@dataclass(frozen=True, slots=True)
class Features:
    text: str
    masked: str  # names and dates replaced by spaces (offsets kept)
    question: bool
    has_company: bool
    has_person: bool
    words: int


def masked_text(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def features(text: str, spans: list[tuple[int, int]], *, has_company: bool, has_person: bool) -> Features:
    masked = masked_text(text, spans)
    return Features(
        text=text,
        masked=masked,
        question=text.rstrip().endswith("?") or bool(_Q_START.match(text)),
        has_company=has_company,
        has_person=has_person,
        words=len(text.split()),
    )


def query_intent(f: Features) -> str | None:
    """A question or a query phrase: which of the queries it asks, or None."""
    m = f.masked
    if TOPIC_FOLLOWUPS.search(m) and not f.has_company and (OWN.search(m) or f.question or f.words <= 4):
        return "followups"
    if not (f.has_company or f.has_person):
        return None
    if TOPIC_LAST.search(m) and (f.question or re.search(r"touch\s*point|kontakt|contact", m, re.IGNORECASE)):
        return "last_contact"
    if TOPIC_OPEN.search(m):
        return "open_items"
    if TOPIC_CONTACTS.search(m) and (f.question or not _log_cue(m)):
        return "contacts"
    if TOPIC_HISTORY.search(m):
        return "history"
    if SHOW_WORDS.search(m) and not _log_cue(m):
        return "show"
    return None


def _log_cue(text: str) -> str | None:
    return earliest_cue(text)[0]


def earliest_cue(text: str) -> tuple[str | None, bool]:
    """The log kind of the strongest, then earliest, cue; and whether that cue is weak (a noun like "lunch").

    A cue inside a hyphenated compound ("Rollout-Termin") does not count.
    """
    found: list[tuple[bool, int, str]] = []
    for name, pattern in LOG_CUES.items():
        for match in pattern.finditer(text):
            if match.start() > 0 and text[match.start() - 1] == "-":
                continue
            weak = bool(WEAK_CUES.fullmatch(match.group(0).strip()))
            found.append((weak, match.start(), name))
            break
    if not found:
        return None, False
    weak, _, name = min(found)
    return name, weak


def is_undo(f: Features) -> bool:
    return f.words <= 8 and not f.has_company and not f.has_person and bool(UNDO_WORDS.search(f.masked))


def is_help(f: Features) -> bool:
    return not f.has_company and not f.has_person and bool(HELP_WORDS.search(f.masked))


def create_kind(text: str) -> str | None:
    """ "create_contact" / "create_thirdparty" when the first words ask to create one."""
    words = text.split()
    head = " ".join(words[:7])
    if not CREATE_VERB.search(" ".join(words[:2])):  # "new company …", "Kontakt hinzufügen: …"
        return None
    contact = CREATE_CONTACT_NOUN.search(head)
    company = CREATE_COMPANY_NOUN.search(head)
    if contact and (not company or contact.start() < company.start()):
        return "create_contact"
    if company:
        return "create_thirdparty"
    return None


def is_reminder(f: Features) -> bool:
    """The message asks to be reminded: the reminder words come before any log verb, or it is phrased as a
    request ("… bitte erinnern", "ping me …"), and it reports nothing that happened."""
    match = REMIND_WORDS.search(f.masked)
    if match is None:
        return False
    cue = None
    for pattern in LOG_CUES.values():
        hit = pattern.search(f.masked)
        if hit and (cue is None or hit.start() < cue):
            cue = hit.start()
    request = re.search(
        r"(?:bitte\s+erinnern|erinnern\s*[.!]*$|remind\s+me|nudge\s+me|ping\s+me|erinnere?\s+mich)",
        f.masked,
        re.IGNORECASE,
    )
    first_words = f.masked[: match.start()].strip(" ,:;–-")
    leads = not re.search(r"[^\W\d_]{3,}", first_words)  # only dates/numbers before the reminder word
    if PAST_TENSE.search(f.masked) and not request:
        return False
    return bool(request) or leads or cue is None or match.start() < cue
