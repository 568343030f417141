"""Explicit commands, in English and German: "last contact ACME", "Verlauf Hooli", "/history X" ...

Pure functions of the text; the parser tries these before natural phrasing. Each command is a set of
leading words, optional linking words ("with", "bei" ...) and the target: the rest of the message.
"""

from __future__ import annotations

import re

from bot.parsers.intents import Intent

_END = r"\s*[?.!]*\s*$"
_PAGE = r"(?:\s+(?:page|seite|p\.?)\s*(?P<page>\d{1,4}))?"

# "show me", "zeig mir den", "w/": words between the command and its target that carry nothing.
_FILLER = r"(?:(?:me|mir|uns|us|the|den|die|das|a|an|w/|please|bitte)\s+)*"
_SHOW_ME = r"(?:(?:show|zeig(?:e)?)\s+(?:me\s+|mir\s+|uns\s+)?(?:the\s+|den\s+|die\s+)?)?"

# intent -> (leading words, linking words, whether a page number may follow)
_WITH_TARGET: dict[str, tuple[str, str, bool]] = {
    "last_contact": (
        r"last[ _]?contact|last|letzter\s+kontakt|letzte[rn]?\s+kontakt|latest\s+contact",
        r"with|mit|zu|bei|at|w/",
        False,
    ),
    "history": (
        _SHOW_ME + r"(?:history|historie|verlauf|timeline|chronik|activity\s+history|activities|aktivitäten)",
        r"of|with|for|von|mit|zu|bei|für",
        True,
    ),
    "contacts": (
        r"contacts|kontakte|ansprechpartner|people|who\s+do\s+we\s+know|who(?:'|’)?s\s+our\s+contact"
        r"|who\s+is\s+our\s+contact|wen\s+kennen\s+wir|wer\s+arbeitet|who\s+works"
        r"|wer\s+ist\s+(?:der\s+|die\s+|unser\s+|unsere\s+)?ansprechpartner(?:in)?",
        r"at|of|for|bei|von|zu|in",
        False,
    ),
    "open_items": (
        r"open(?:\s+items)?|offen(?:e\s+punkte|e\s+posten)?|was\s+ist\s+offen|what(?:'|’)?s\s+open"
        r"|whats\s+open|what\s+is\s+open|anything\s+open|what(?:'|’)?s\s+outstanding|outstanding",
        r"with|at|for|bei|mit|zu|w/",
        False,
    ),
    "show": (r"show|card|zeige?|karte|info", r"", False),
}
_BARE: dict[str, str] = {
    "help": r"(?:help|hilfe)(?:\s+(?:me|please|bitte))*|start|\?|what\s+can\s+you\s+do|was\s+kannst\s+du"
    r"|how\s+does\s+(?:this|it)\s+work|wie\s+funktioniert\s+(?:das|es)",
    "undo": r"(?:oops,?\s+|ups,?\s+)?(?:undo|rückgängig|rueckgaengig|zurücknehmen)"
    r"(?:\s+(?:last|that|this|it|please|bitte|machen|the\s+last\s+one))*",
}
# "Was ist bei X noch offen?", "what's open at X" with the target in the middle
_TARGET_IN_MIDDLE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "open_items",
        re.compile(r"^was\s+ist\s+(?:bei|mit)\s+(?P<target>.+?)\s+(?:noch\s+)?offen" + _END, re.IGNORECASE),
    ),
)


def _compile() -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = [(name, re.compile(rf"^/?(?:{words}){_END}", re.IGNORECASE)) for name, words in _BARE.items()]
    for name, (words, linking, paged) in _WITH_TARGET.items():
        link = rf"{_FILLER}(?:(?:{linking})\s+)?{_FILLER}" if linking else _FILLER
        pattern = rf"^/?(?:{words})\s+{link}(?P<target>.+?){_PAGE if paged else ''}{_END}"
        compiled.append((name, re.compile(pattern, re.IGNORECASE)))
    return tuple(compiled)


_COMMANDS = _compile()


_UNDO_BUTTON = re.compile(r"^undo:(?P<target>\S+)$")


def parse_command(text: str) -> Intent | None:
    """The intent of an explicit command, or None when *text* is not one."""
    stripped = " ".join(text.split())
    button = _UNDO_BUTTON.match(stripped)
    if button:
        return Intent("undo", target=button.group("target"))
    for name, pattern in _TARGET_IN_MIDDLE:
        middle = pattern.match(stripped)
        if middle:
            return Intent(name, target=middle.group("target").strip(" \"'“”„"))
    for name, pattern in _COMMANDS:
        match = pattern.match(stripped)
        if match:
            groups = match.groupdict()
            target = groups.get("target")
            page = int(groups["page"]) - 1 if groups.get("page") else 0
            return Intent(name, target=target.strip(" \"'“”„") if target else None, page=max(page, 0))
    return None
