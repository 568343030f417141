"""Explicit commands, in English and German: "last contact ACME", "Verlauf Hooli", "/history X" ...

Pure functions of the text; the parser tries these before natural phrasing. Each command is a set of
leading words, optional linking words ("with", "bei" ...) and the target: the rest of the message.
"""

from __future__ import annotations

import re

from bot.parsers.intents import Intent

_END = r"\s*[?.!]*\s*$"
_PAGE = r"(?:\s+(?:page|seite|p\.?)\s*(?P<page>\d{1,4}))?"

# intent -> (leading words, linking words, whether a page number may follow)
_WITH_TARGET: dict[str, tuple[str, str, bool]] = {
    "last_contact": (
        r"last[ _]?contact|last|letzter\s+kontakt|letzte[rn]?\s+kontakt",
        r"with|mit|zu|bei|at",
        False,
    ),
    "history": (r"history|historie|verlauf|timeline|chronik", r"of|with|von|mit|zu|bei", True),
    "contacts": (
        r"contacts|kontakte|ansprechpartner|people|who\s+do\s+we\s+know"
        r"|wer\s+ist\s+(?:der\s+|die\s+|unser\s+)?ansprechpartner(?:in)?",
        r"at|of|for|bei|von|zu",
        False,
    ),
    "open_items": (
        r"open(?:\s+items)?|offen(?:e\s+punkte)?|was\s+ist\s+offen|what(?:'|’)?s\s+open|what\s+is\s+open",
        r"with|at|for|bei|mit|zu",
        False,
    ),
    "show": (r"show|card|zeige?|karte|info", r"", False),
}
_BARE: dict[str, str] = {
    "help": r"help|hilfe|start|\?|what\s+can\s+you\s+do|was\s+kannst\s+du",
    "undo": r"undo|rückgängig|rueckgaengig|zurück",
}


def _compile() -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = [(name, re.compile(rf"^/?(?:{words}){_END}", re.IGNORECASE)) for name, words in _BARE.items()]
    for name, (words, linking, paged) in _WITH_TARGET.items():
        link = rf"(?:(?:{linking})\s+)?" if linking else ""
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
    for name, pattern in _COMMANDS:
        match = pattern.match(stripped)
        if match:
            groups = match.groupdict()
            target = groups.get("target")
            page = int(groups["page"]) - 1 if groups.get("page") else 0
            return Intent(name, target=target.strip(" \"'“”„") if target else None, page=max(page, 0))
    return None
