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


def _any(words: str) -> re.Pattern[str]:
    """A case-insensitive pattern from whitespace-separated regex alternatives (``\\s`` for spaces)."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(words.split()) + r")(?![\w])", re.IGNORECASE)


TOPIC_FOLLOWUPS = _any(r"""
    agenda zettel f[äa]llig due on\s+for on\s+my\s+plate reminders to-?dos to-?do\s+list erledigen
    auf\s+meinem\s+tisch auf\s+dem\s+tisch schedule kalender calendar wiedervorlagen erinnerungen termine
    aufgaben follow[-\s]?ups my\s+day mein\s+tag steht\s+(?:\w+\s+)?an
""")
OWN = _any(r"my i me mein(?:e|en|er)? ich mir mich")
TOPIC_LAST = _any(r"""
    last latest zuletzt letzte[rnms]? most\s+recent recently how\s+long\s+since seit\s+wann
    wie\s+lange\s+(?:schon\s+)?(?:kein|nicht)
""")
TOPIC_CONTACTS = _any(r"""
    who who(?:'|’)s wer wen ansprechpartner(?:in|innen)? contacts? people guy person talk\s+to kontakte leute
    jemand(?:en)? kennen\s+wir team mit\s+wem kontaktpersonen? names? reach\s+out\s+to
    who\s+to\s+(?:call|contact)
""")
TOPIC_OPEN = _any(r"""
    open offen(?:e|en|er)? pending outstanding unpaid unbezahlt(?:e|en)? erledigt tickets? rechnungen angebote
    invoices? quotes? posten ausstehend(?:e|en)? h[äa]ngt unresolved owes?\s+us owe schuldet schulden
""")
TOPIC_HISTORY = _any(r"""
    history \w*verlauf \w*historie aktivit[äa]ten activities activity\s+log log done gelaufen happened news
    neues passiert bisher so\s+far timeline gab(?:'|’)?s interactions? kommunikation past\s+activities
    auflisten list\s+(?:every|all)
""")
SHOW_WORDS = _any(r"""
    show pull\s+up zeig(?:e|en)? infos? details card karte anzeigen open\s+up look\s+up nachschlagen
    firmenprofil profil(?:e)? stammdaten record steckbrief
""")
# "open the Tyrell record": a record to open, not open items.
OPEN_RECORD = _any(r"open\s+(?:the\s+)?(?:\S+\s+){0,3}(?:record|card|profile|file)")
UNDO_WORDS = _any(r"""
    undo revert scratch\s+that scrap\s+that take\s+(?:it|that)\s+back zur[üu]cknehmen r[üu]ckg[äa]ngig
    l[öo]schen delete cancel\s+that war\s+falsch wrong\s+entry ungeschehen never\s*mind\s+that
""")
HELP_WORDS = _any(r"""
    help hilfe how\s+do\s+i how\s+can\s+i how\s+does
    wie\s+(?:lege|mache|kann|erfasse|logge|trage|funktioniert)
    commands? befehle what\s+can\s+you was\s+kannst\s+du what\s+do\s+you\s+understand manual
    cheat\s*sheet tips?\s+on\s+how how\s+to\s+use was\s+du\s+(?:alles\s+)?kannst anleitung handbuch
""")
# Politeness before a command: "pls …", "Könntest du bitte …", "Kannst du mal …".
POLITE = re.compile(
    r"^\s*(?:(?:pls|please|bitte|kannst\s+du|könntest\s+du|koenntest\s+du|could\s+you|can\s+you|mal)[\s,]+)+",
    re.IGNORECASE,
)
CREATE_VERB = _any(r"new add create neue[rsn]? anlegen hinzuf[üu]gen erfassen lege leg register set\s+up")
CREATE_COMPANY_NOUN = _any(r"""
    company prospect customer lead account supplier third[-\s]party firma kunden? interessent(?:en)?
    lieferant(?:en)? unternehmen gesch[äa]ftspartner
""")
CREATE_CONTACT_NOUN = _any(r"contact person kontakt ansprechpartner(?:in)? mitarbeiter(?:in)?")
REMIND_WORDS = _any(r"""
    remind(?:\s+me)? reminder nudge\s+me ping\s+me erinner(?:e|n|ung)? erinnere\s+mich wiedervorlage wv
    nachfassen follow[-\s]?up(?:\s+(?:w/|with|on))? f/u don(?:'|’)?t\s+(?:let\s+me\s+)?forget
    nicht\s+vergessen wecker tickler
""")
REMIND_REQUEST = re.compile(
    r"(?:bitte\s+(?:dran\s+)?erinnern|erinnern\s*[.!?]*$|remind\s+me|nudge\s+me|ping\s+me|erinnere?\s+mich|"
    r"don(?:'|’)?t\s+(?:let\s+me\s+)?forget|nicht\s+vergessen|^\s*wecker|^\s*tickler|erinnerung\s+.*anlegen)",
    re.IGNORECASE,
)
PAST_TENSE = _any(r"""
    met called had hatte[n]? habe hab getroffen telefoniert angerufen gesprochen besprochen ran was war got
    sent emailed gemailt sat saßen sassen visited besucht gewesen tried
""")


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
    if TOPIC_LAST.search(m) and (
        f.question or re.search(r"touch\s*point|kontakt|contact|interaction|austausch", m, re.IGNORECASE)
    ):
        return "last_contact"
    if SHOW_WORDS.search(m) and OPEN_RECORD.search(m):
        return "show"
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
    words = POLITE.sub("", text).split()
    head = " ".join(words[:10])
    verb_last = re.search(r"\b(?:anlegen|hinzuf[üu]gen|erfassen)\s*[.!?]*$", text, re.IGNORECASE)
    if verb_last:
        head = text  # "Bitte Frau Dr. Ingrid Lorenz als Kontakt bei Rheinland Versicherung anlegen"
    elif not CREATE_VERB.search(
        " ".join(words[:3])
    ):  # "new company …", "Kontakt hinzufügen: …", "set up a …"
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
    request = REMIND_REQUEST.search(f.masked)
    first_words = f.masked[: match.start()].strip(" ,:;–-")
    leads = not re.search(r"[^\W\d_]{3,}", first_words)  # only dates/numbers before the reminder word
    if PAST_TENSE.search(f.masked) and not request:
        return False
    return bool(request) or leads or cue is None or match.start() < cue
