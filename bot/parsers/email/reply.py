"""The new part of a message: what the sender wrote, without the quoted thread and the signature.

Top-posted replies end at the first quote header ("On … wrote:", "Am … schrieb …:", "-----Original
Message-----", "-----Ursprüngliche Nachricht-----", an Outlook "From:/Sent:" or "Von:/Gesendet:" block, a
forward marker). Inline replies (answers between ``>`` quotes) keep their answers. The signature goes from a
"-- " line, a "Sent from my iPhone" line, or a sign-off ("Best regards", "Viele Grüße", "Mit freundlichen
Grüßen" …) followed by a short name block.
"""

from __future__ import annotations

import re

SUMMARY_LIMIT = 1000

_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Forwarded Message)\s*-{3,}"
    r"|(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht)\s*:)\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Original-Nachricht|Originalnachricht)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^[\s>]*\*?(?:From|Von)\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^[\s>]*\*?(?:Sent|Gesendet|Date|Datum)\*?\s*:", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_ON_WROTE = re.compile(r"^\s*On\b.{0,300}\bwrote\s*:\s*$", re.IGNORECASE)
_AM_SCHRIEB = re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,300}:\s*$", re.IGNORECASE)
_SOMEONE_WROTE = re.compile(
    r"^.{1,200}\b(?:wrote|schrieb(?: am .{1,60})?|writes|schreibt)\s*:\s*$", re.IGNORECASE
)
_QUOTED = re.compile(r"^\s*>")
_SIG_DASHES = re.compile(r"^--\s*$")
_MOBILE = re.compile(
    r"^\s*(?:Sent from my \w+|Sent from (?:Mail|Outlook) for \w+|Get Outlook for \w+|Von meinem \w+ gesendet"
    r"|Gesendet von meinem \w+|Gesendet mit der \w+ App|Sent with \w+)\b",
    re.IGNORECASE,
)
_SIGNOFF_WORDS = (
    r"(?:best|kind|warm|warmest|many|with best|with kind)?\s*regards|best(?: wishes)?|all the best|cheers|"
    r"sincerely|yours(?: sincerely| truly| faithfully)?|thanks(?: again| a lot| and regards| & regards)?|"
    r"thank you|many thanks|br|kr|"
    r"(?:mit )?(?:viele|vielen|beste|besten|liebe|lieben|schöne|schönen|herzliche|herzlichen|freundliche|"
    r"freundlichen|freundlichem|sonnige|sonnigen)\s+(?:grü(?:ß|ss)en?|gru(?:ß|ss))(?: aus \w+| nach \w+)?|"
    r"grü(?:ß|ss)e|gru(?:ß|ss)|lg|vg|mfg|danke(?: und viele grü(?:ß|ss)e| und gru(?:ß|ss)|schön)?|"
    r"vielen dank(?: und viele grü(?:ß|ss)e)?"
)
_SIGNOFF = re.compile(rf"^\s*(?:{_SIGNOFF_WORDS})\s*[,.!]*\s*$", re.IGNORECASE)
# "Viele Grüße, Max" / "Cheers, Bob" / "Gruß Anna": a sign-off and up to three name words on one line.
_SIGNOFF_NAME = re.compile(
    rf"^\s*(?:{_SIGNOFF_WORDS})\s*[,.!]?\s+(?-i:[A-ZÄÖÜ])[\w.'-]*(?:\s+(?-i:[A-ZÄÖÜ])[\w.'-]*){{0,2}}\s*$",
    re.IGNORECASE,
)
_MOBILE_START = frozenset("SsGgV")
# Lines that may start a quote header: a marker, a rule, From/Von, On/Am, Begin/Anfang, a line ending in ":"
_CANDIDATE = re.compile(r"^(?:[ \t>*]*[-_BbAaFfVvOo]|.*:[ \t]*$)", re.MULTILINE)
_SIGNATURE_LINES = 16  # a name block after a sign-off: name, title, company, address, phones, register
_BLANKS = re.compile(r"\n{3,}")


def new_part(text: str) -> str:
    """The lines of *text* the sender wrote now: quotes and signature removed, blank runs collapsed."""
    lines = text.split("\n")
    header = first_quote_header(text, lines)
    if header is not None:
        lines = lines[: _quote_start(lines, header)]
    lines = _drop_inline_quotes(lines)
    lines = _drop_signature(lines)
    cleaned = "\n".join(line.strip() for line in lines)
    return _BLANKS.sub("\n\n", cleaned).strip()


def first_line(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def clip(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """*text* cut to at most *limit* characters at a word boundary, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def first_quote_header(text: str, lines: list[str]) -> int | None:
    """The index in *lines* (``text.split("\\n")``) of the first quote header, or None. Only lines that could
    start one are looked at (found by one regex over the text: most lines are never touched in Python)."""
    line_no = pos = 0
    for match in _CANDIDATE.finditer(text):
        start = match.start()
        line_no += text.count("\n", pos, start)
        pos = start
        if is_quote_header(lines, line_no):
            return line_no
    return None


def is_quote_header(lines: list[str], index: int) -> bool:
    """Does a quoted message (a reply's quote, an Outlook header block, a forward) start at *index*?"""
    line = lines[index]
    stripped = line.lstrip(" \t>*")
    if not stripped:
        return False
    first = stripped[0]
    if first in "-_BbAa" and (_FORWARD_MARKER.match(line) or _ORIGINAL.match(line)):
        return True
    if first == "_" and _RULE.match(line):
        following = _next_nonblank(lines, index + 1)
        return following is not None and bool(_HEADER_FROM.match(lines[following]))
    if first in "FfVv" and _HEADER_FROM.match(line):
        return any(_HEADER_NEXT.match(lines[j]) for j in range(index + 1, min(index + 6, len(lines))))
    if first in "OoAa" or line.rstrip().endswith(":"):
        return _attribution(lines, index)
    return False


def _attribution(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    head = line[:3].lower()
    if head.startswith(("on ", "am ")):
        joined = line
        for j in range(index, min(index + 3, len(lines))):
            if j > index:
                joined = f"{joined} {lines[j].strip()}"
            if _ON_WROTE.match(joined) or _AM_SCHRIEB.match(joined):
                return True
            if joined.endswith(":"):
                break
        return False
    if line.endswith(":") and _SOMEONE_WROTE.match(line):
        following = _next_nonblank(lines, index + 1)
        return following is not None and bool(_QUOTED.match(lines[following]))
    return False


def _quote_start(lines: list[str], index: int) -> int:
    """Where the quoted thread starts, given its first header; for inline replies, the end of the text."""
    if _FORWARD_MARKER.match(lines[index]) or _ORIGINAL.match(lines[index]):
        return index
    if _is_inline_reply(lines, index + 1):
        return len(lines)
    return index


def _is_inline_reply(lines: list[str], start: int) -> bool:
    """After an attribution: are there answers (unquoted lines) between or after ``>`` quotes?"""
    seen_quote = False
    for line in lines[start:]:
        if line.lstrip()[:1] == ">":
            seen_quote = True
        elif line.strip() and seen_quote:
            return not (_SIG_DASHES.match(line) or _SIGNOFF.match(line) or _MOBILE.match(line))
    return False


def _drop_inline_quotes(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip()[:1] == ">":
            continue
        if line.rstrip().endswith(":") and index + 1 < len(lines) and _attribution(lines, index):
            continue
        kept.append(line)
    return kept


def _drop_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if index and line[:2] == "--" and _SIG_DASHES.match(line) and _has_text(lines[:index]):
            lines = lines[:index]
            break
    for index, line in enumerate(lines):
        if line.lstrip()[:1] in _MOBILE_START and _MOBILE.match(line) and _has_text(lines[:index]):
            lines = lines[:index]
            break
    seen = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if not line.strip():
            continue
        if _SIGNOFF.match(line) or (seen <= 3 and _SIGNOFF_NAME.match(line)):
            return lines[:index] if _has_text(lines[:index]) else lines
        seen += 1
        if seen > _SIGNATURE_LINES:
            break
    return lines


def _has_text(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, min(start + 4, len(lines))):
        if lines[index].strip():
            return index
    return None
