"""The words the parser listens for, in English and German (the cues of each intent, follow-up markers,
tense, and words that are never names)."""

from __future__ import annotations

import re


def _words(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern for word-bounded alternatives (regex syntax allowed inside)."""
    return re.compile(r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?![\w@])", re.IGNORECASE)


# Cues per logging intent. The earliest cue in the message decides ("Anruf mit Max: Termin vereinbart" is a
# call); follow-up clauses are cut off before cues are looked for.
LOG_CUES: dict[str, re.Pattern[str]] = {
    "log_call": _words(
        r"call(?:ed|ing|s)?",
        r"phone(?:d)?",
        r"phone\s+call",
        r"rang",
        r"ring(?:ed)?",
        r"dial(?:l)?ed",
        r"got\s+off\s+the\s+phone",
        r"on\s+the\s+phone",
        r"spoke\s+(?:to|with)",
        r"talked\s+(?:to|with)",
        r"voicemail",
        r"left\s+a\s+message",
        r"anruf",
        r"angerufen",
        r"anrufen",
        r"telefoniert",
        r"telefonat",
        r"telefonisch",
        r"telefon",
        r"telko",
        r"tel\.",
        r"r[üu]ckruf",
        r"zur[üu]ckgerufen",
        r"ab\s+gesprochen",
        r"gesprochen\s+mit",
        r"mit\s+\S+\s+gesprochen",
    ),
    "log_meeting": _words(
        r"met",
        r"meet(?:ing)?",
        r"mtg",
        r"lunch",
        r"dinner",
        r"breakfast",
        r"coffee",
        r"visit(?:ed)?",
        r"demo(?:ed)?",
        r"\w*workshop",
        r"on[- ]?site",
        r"video\s+(?:call|meeting|conference)",
        r"zoom",
        r"teams\s+call",
        r"treffen",
        r"getroffen",
        r"termin",
        r"besprechung",
        r"meeting",
        r"besuch(?:t)?",
        r"mittagessen",
        r"abendessen",
        r"frühstück",
        r"kaffee",
        r"vor[- ]ort",
        r"trafen",
        r"traf",
        r"videokonferenz",
        r"konferenz",
        r"\w*gespräch(?!\w)",
    ),
    "log_email": _words(
        r"e-?mail(?:ed)?",
        r"mailed",
        r"gemailt",
        r"sent\s+(?:an?\s+)?(?:e-?mail|mail|offer|quote|proposal)",
        r"wrote\s+to",
        r"replied\s+to",
        r"schrieb",
        r"geschrieben",
        r"mail\s+(?:an|von|from|to)",
        r"e-?mail\s+(?:an|von|to|from)",
        r"(?:by|per|via)\s+e?-?mail",
        r"got\s+a\s+mail",
        r"fwd(?:'?d)?",
        r"forwarded",
        r"weitergeleitet",
        r"angebot\s+(?:geschickt|gesendet|verschickt)",
        r"geantwortet",
    ),
    "log_note": _words(r"note", r"notiz", r"memo", r"fyi", r"info\s+zu", r"vermerk", r"notieren", r"noted"),
}
# Nouns that name an occasion but not a report of one: "grabbing coffee" alone is no meeting to log.
WEAK_CUES = re.compile(
    r"lunch|dinner|breakfast|coffee|kaffee|mittagessen|abendessen|frühstück|demo|zoom|konferenz",
    re.IGNORECASE,
)
# An explicit request to write something down makes it a note, whatever else the text mentions.
NOTE_REQUEST = _words(
    r"note\s+(?:it|this|that)",
    r"pls\s+note",
    r"please\s+note",
    r"(?:bitte\s+)?notieren",
    r"als\s+notiz",
    r"zur\s+info(?:\s+notieren)?",
    r"^\s*note\b",
    r"^\s*notiz\b",
    r"^\s*fyi\b",
    r"^\s*vermerk\b",
    r"^\s*memo\b",
)

# Follow-up markers: the clause from here on is a follow-up, not part of the note.
FOLLOWUP_MARKERS = _words(
    r"follow[- ]?up(?:\s+(?:on|with))?",
    r"f/u",
    r"wiedervorlage",
    r"wv",
    r"nachfassen",
    r"nachhaken",
    r"remind\s+me",
    r"reminder",
    r"erinnerung",
    r"erinnere\s+mich",
    r"next\s+steps?",
    r"to-?do",
    r"call\s+back",
    r"zurückrufen",
    r"check\s+back",
    r"ping\s+(?:again|him|her|them)",
    r"melden",
)

REMIND = re.compile(
    r"^\s*(?:/remind\b|remind\s+me\b|reminder\b|erinnere?\s+mich\b|erinnerung\b|wiedervorlage\b|wv\b|"
    r"follow[- ]?up\b|f/u\b|nachfassen\b|set\s+a\s+reminder\b|to-?do\b)",
    re.IGNORECASE,
)
FOLLOWUPS = re.compile(
    r"^\s*(?:/(?:followups|today|agenda)\b|what(?:'|’)?s\s+(?:due|up|on|planned)|what\s+(?:is|do\s+i\s+have)\b|"
    r"(?:show\s+)?my\s+(?:follow[- ]?ups|reminders|to-?dos|tasks|agenda|day|week)|agenda\b|"
    r"was\s+steht\s+(?:heute\s+|morgen\s+|diese\s+woche\s+)?an|was\s+(?:habe|hab)\s+ich\s+(?:heute|morgen)|"
    r"meine\s+(?:wiedervorlagen|aufgaben|termine|erinnerungen)|termine\s+heute|(?:today|heute)\s*\??\s*$)",
    re.IGNORECASE,
)
CREATE_THIRDPARTY = re.compile(
    r"^\s*(?:(?:new|create|add)\s+(?:a\s+)?(?:company|customer|prospect|supplier|third[- ]party|lead|account)"
    r"|neue[rns]?\s+(?:firma|kunden?|interessent(?:en)?|lieferant(?:en)?|geschäftspartner|unternehmen)"
    r"|(?:lege?|leg)\s+(?:die\s+)?(?:firma|kunden?)\b|(?:firma|kunde|interessent|lieferant)\s+anlegen)"
    r"\s*:?\s+(?P<name>.+?)\s*(?:\banlegen|\ban)?\s*!*$",
    re.IGNORECASE,
)
CREATE_CONTACT = re.compile(
    r"^\s*(?:(?:new|create|add)\s+(?:a\s+)?(?:contact|person)|neue[rn]?\s+(?:kontakt|ansprechpartner(?:in)?)"
    r"|(?:lege?|leg)\s+(?:den\s+)?kontakt|kontakt\s+anlegen)\s*:?\s+(?P<name>.+?)\s*!*$",
    re.IGNORECASE,
)
ADD_PERSON_TO = re.compile(r"^\s*add\s+(?P<name>.+?)\s+(?:to|at)\s+(?P<company>.+?)\s*[.!]*$", re.IGNORECASE)
# "when did we last talk to X", "wann hatten wir zuletzt Kontakt mit X"
LAST_CONTACT_QUESTION = re.compile(
    r"^\s*(?:when\s+did\s+(?:we|i)\s+last\s+(?:talk|speak|meet|hear|email)\w*\s+(?:to|with|from)?|"
    r"when\s+was\s+(?:the\s+|our\s+|my\s+)?last\s+(?:contact|call|meeting|touch\s*point)\s+(?:with|to|at)?|"
    r"wann\s+(?:hatten|hatte|haben|habe)\s+(?:wir|ich)\s+(?:zuletzt|das\s+letzte\s+mal)\s+"
    r"(?:kontakt\s+)?(?:mit|zu|bei)?|wann\s+zuletzt\s+(?:mit|bei)?)\s*(?P<target>.+?)\s*"
    r"(?:gesprochen|telefoniert|kontakt|getroffen)?\s*[?.!]*$",
    re.IGNORECASE,
)
HISTORY_QUESTION = re.compile(
    r"^\s*(?:what(?:'|’)?s\s+(?:new|happening|the\s+story)\s+(?:with|at)|what\s+happened\s+with|"
    r"news\s+(?:on|from)|was\s+(?:gibt(?:'|’)?s\s+neues|war|lief)\s+(?:bei|mit)|was\s+ist\s+los\s+bei)"
    r"\s+(?P<target>.+?)\s*[?.!]*$",
    re.IGNORECASE,
)

# Signs that a message reports the past ("met", "hatte", "besprochen"): "on Friday" is then last Friday.
PAST_MARKERS = _words(
    r"met",
    r"called",
    r"phoned",
    r"rang",
    r"spoke",
    r"talked",
    r"had",
    r"was",
    r"were",
    r"got\s+off",
    r"discussed",
    r"sent",
    r"emailed",
    r"mailed",
    r"visited",
    r"did",
    r"went",
    r"agreed",
    r"just",
    r"yesterday",
    r"ago",
    r"last",
    r"earlier",
    r"today",
    r"this\s+morning",
    r"hatte[n]?",
    r"habe",
    r"haben",
    r"hab",
    r"war(?:en)?",
    r"getroffen",
    r"telefoniert",
    r"angerufen",
    r"besprochen",
    r"gesprochen",
    r"geschickt",
    r"geschrieben",
    r"besucht",
    r"vereinbart",
    r"gestern",
    r"vorgestern",
    r"vorhin",
    r"eben",
    r"gerade",
    r"heute",
    r"letzte[nmr]?",
    r"vor\s+\d+",
)
FUTURE_MARKERS = _words(
    r"will",
    r"going\s+to",
    r"planned",
    r"schedule[d]?",
    r"upcoming",
    r"tomorrow",
    r"next",
    r"plan(?:e|en)?",
    r"geplant",
    r"werden?",
    r"wird",
    r"morgen",
    r"übermorgen",
    r"nächste[nmr]?",
    r"naechste[nmr]?",
    r"kommende[nmr]?",
    r"send\s+invite",
    r"einladung",
)
SEND_INVITE = _words(
    r"send\s+(?:an?\s+)?invit(?:e|ation)", r"einladung\s+(?:senden|schicken|verschicken)", r"lade\s+\S+\s+ein"
)

# Prepositions after which a capitalised word is probably a person or company ("with Sarah Connor").
NAME_LEADS = frozenset(
    "with mit at bei from von for für fuer and und called met traf to an contact kontakt".split()
)

# Words that never stand for a CRM name on their own, however the CRM spells its contacts and companies.
STOPWORDS = frozenset(
    """
    a an the and or but of to in on at by for from with about as is are was were be been am do did does
    done had has have having i me my we us our you your he him his she her it its they them their this
    that these those there here what when where who why how which not no yes ok okay also just again all
    any some up down out over off into onto via per re fyi asap today tomorrow yesterday tonight morning
    afternoon evening week month year next last new old call called calling phone phoned meeting meet
    met lunch dinner coffee note notes email mail e mailed sent follow followup reminder remind please
    thanks thank will would should could can may might must shall let lets got get go went come came see
    saw said told ask asked discussed discuss price prices pricing offer quote order invoice project
    ticket about re der die das den dem des ein eine einer einem einen und oder aber mit bei von zu zum
    zur im am an auf aus für fuer über ueber unter nach vor hinter neben zwischen durch gegen ohne um
    ist sind war waren sein hat haben hatte hatten habe hab ich du er sie es wir ihr mein meine dein
    unser euer heute morgen gestern übermorgen woche monat jahr nächste letzte anruf angerufen
    telefoniert telefonat termin treffen getroffen notiz mail wiedervorlage erinnerung bitte danke auch
    noch schon nur wieder alle alles besprochen gesprochen angebot auftrag rechnung projekt ticket
    preise preis neue neuer neues mr mrs ms dr prof herr frau hr fr herrn lange kurz kurze kurzer kurzes
    langes langer long quick short brief team zusammen guten good morgen
    """.split()
)
