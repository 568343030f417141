"""The words the parser listens for, in English and German: the cues of each kind of log, follow-up
markers, tense, titles, and words that are never names.

Word lists are whitespace-separated regex alternatives (``\\s`` stands for a space inside an alternative),
so they stay one readable block however the formatter lays out code.
"""

from __future__ import annotations

import re


def _words(alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern for word-bounded alternatives."""
    return re.compile(r"(?<![\w@])(?:" + "|".join(alternatives.split()) + r")(?![\w@])", re.IGNORECASE)


# Cues per logging intent. The strongest, then earliest cue before any follow-up clause decides
# ("Anruf mit Max: Termin vereinbart" is a call); a cue in a hyphenated compound ("Rollout-Termin") is none.
LOG_CUES: dict[str, re.Pattern[str]] = {
    "log_call": _words(r"""
        call(?:ed|ing|s)? phone(?:d)? phone\s+call rang ring(?:ed)? dial(?:l)?ed got\s+off\s+the\s+phone
        on\s+the\s+phone on\s+the\s+line by\s+phone spoke\s+(?:to|with) talked\s+(?:to|with) voicemail
        left\s+a\s+message tried\s+(?:reaching|to\s+reach|calling) anruf angerufen anrufen telefoniert
        telefonat telefonisch telefon per\s+telefon telko tel\. r[üu]ckruf zur[üu]ckgerufen ab\s+gesprochen
        gesprochen\s+mit mit\s+\S+\s+gesprochen nicht\s+erreicht niemand\s+erreicht
    """),
    "log_meeting": _words(r"""
        met meet(?:ing)? mtg lunch dinner breakfast coffee visit(?:ed)? demo(?:ed)? \w*workshop on[-\s]?site
        video\s+(?:call|meeting|conference) zoom teams\s+call sat\s+down catch(?:-|\s)?up in-person
        in\s+person
        walk(?:ed)?\s+through showed\s+us set\s+up\s+a\s+(?:meeting|call) treffen getroffen termin
        besprechung meeting besuch(?:t)? mittagessen abendessen frühstück kaffee vor[-\s]ort trafen traf
        videokonferenz konferenz \w*gespräch verabredet (?:kommt|kommen)\s+(?:\S+\s+){0,4}zu\s+uns
        (?:sehe|sehen|seh)\s+ich essen\s+gewesen essen\s+(?:gehen|waren) saßen sassen zusammengesessen
        zusammen\s+gesessen angesetzt (?:ein|einen)\s+termin\s+(?:ausgemacht|vereinbart)
    """),
    "log_email": _words(r"""
        e-?mail(?:ed)? mailed gemailt sent\s+(?:an?\s+)?(?:e-?mail|mail|offer|quote|proposal) wrote\s+to
        replied\s+to schrieb geschrieben mail\s+(?:an|von|from|to) e-?mail\s+(?:an|von|to|from)
        (?:by|per|via)\s+e?-?mail got\s+a\s+mail fwd(?:'?d)? forwarded weitergeleitet
        angebot\s+(?:geschickt|gesendet|verschickt) geantwortet \w+mail (?:is|are)\s+out\s+to
    """),
    "log_note": _words(r"""
        note notiz memo fyi info\s+zu vermerk notieren noted in\s+die\s+akte für\s+die\s+akte
        for\s+the\s+record zur\s+kenntnis aktennotiz
    """),
}
# Nouns that name an occasion but not a report of one: "grabbing coffee" alone is no meeting to log.
WEAK_CUES = re.compile(
    r"lunch|dinner|breakfast|coffee|kaffee|mittagessen|abendessen|frühstück|demo|zoom|konferenz",
    re.IGNORECASE,
)
# An explicit request to write something down makes it a note, whatever else the text mentions.
NOTE_REQUEST = _words(r"""
    note\s+(?:it|this|that) pls\s+note please\s+note (?:bitte\s+)?notieren als\s+notiz
    zur\s+info(?:\s+notieren)? ^\s*note ^\s*notiz ^\s*fyi ^\s*vermerk ^\s*memo (?:in|für)\s+die\s+akte
    for\s+the\s+record ^\s*zur\s+kenntnis ^\s*info\s+f[üu]r
""")

# Follow-up markers: the clause from here on is a follow-up, not part of the note.
FOLLOWUP_MARKERS = _words(r"""
    follow[-\s]?up(?:\s+(?:on|with))? f/u f/up wiedervorlage wv nachfassen nachhaken remind\s+me reminder
    erinnerung erinnere\s+mich next\s+steps? to-?do call\s+back zurückrufen check\s+back
    ping\s+(?:again|him|her|them) melden circle\s+back try\s+again ring\s+(?:them|him|her)\s+again revisit
    nochmal\s+(?:anrufen|melden|nachhaken)
""")
# A message that starts like this is a reminder request ("Wiedervorlage ACME in 2 Wochen").
REMIND = re.compile(
    r"^\s*(?:/remind\b|remind\s+me\b|reminder\b|erinnere?\s+mich\b|erinnerung\b|wiedervorlage\b|wv\b|"
    r"follow[- ]?up\b|f/u\b|nachfassen\b|set\s+a\s+reminder\b|to-?do\b|tickler\b|wecker\b)",
    re.IGNORECASE,
)

# Signs that a message reports the past ("met", "hatte", "besprochen"): "on Friday" is then last Friday.
# ("was" is left out: it is the German "what".)
PAST_MARKERS = _words(r"""
    met called phoned rang spoke talked had were got\s+off discussed sent emailed mailed visited did went
    agreed just yesterday ago last earlier today this\s+morning sat tried hatte[n]? habe haben hab war(?:en)?
    getroffen telefoniert angerufen besprochen gesprochen geschickt geschrieben besucht vereinbart gestern
    vorgestern vorhin eben gerade heute letzte[nmr]? vor\s+\d+ saßen sassen gewesen
""")
FUTURE_MARKERS = _words(r"""
    will going\s+to planned schedule[d]? upcoming tomorrow next plan(?:e|en)? geplant werden? wird morgen
    übermorgen nächste[nmr]? naechste[nmr]? kommende[nmr]? send\s+invite einladung angesetzt
""")

# A courtesy title before a name: the name is a person ("Frau Dr. Lehmann", "Herr Lange", "Mr. Anderson").
TITLES = frozenset("frau herr herrn hr fr dr prof mr mrs ms miss".split())
# Everyday words that are also surnames: alone they name nobody unless a title or "mit"/"with" leads them.
AMBIGUOUS_SURNAMES = frozenset(
    """lange kurz kurze klein kleine groß gross große neu neue alt jung schwarz weiß weiss braun lang gut
    schnell früh spät frank will may mark bill rose king young long short""".split()
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
    preise preis neue neuer neues mr mrs ms dr prof herr frau hr fr herrn long quick short brief team
    zusammen guten good
    """.split()
)
