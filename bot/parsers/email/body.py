"""A MIME part's content as text: transfer decoding, charsets, format=flowed, HTML via inscriptis."""

from __future__ import annotations

import html as html_lib
import re
from email.message import Message
from functools import lru_cache
from typing import Any

from bot.parsers.email import charset
from bot.parsers.email.mime import PartInfo

_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|/blockquote)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLANKS = re.compile(r"\n{3,}")


def payload(part: Message, defects: list[str]) -> bytes:
    """The transfer-decoded bytes of a leaf part (base64, quoted-printable, uuencode; b"" when unreadable)."""
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError) as exc:
        defects.append(f"mime: undecodable payload ({type(exc).__name__})")
        return b""
    return data if isinstance(data, bytes) else b""


def part_text(part: Message, info: PartInfo, defects: list[str]) -> str:
    """A text/* leaf as text (HTML not converted): transfer decoding, the charset, format=flowed."""
    data = payload(part, defects)
    text, problems = charset.decode(data, info.charset)
    defects.extend(problems)
    text = newlines(text)
    if info.mime_type == "text/plain" and info.params.get("format", "").lower() == "flowed":
        text = unflow(text, delsp=info.params.get("delsp", "").lower() == "yes")
    return text


def newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676: join soft-broken lines (ending in a space) with the next line of the same quote depth."""
    out: list[str] = []
    current: str | None = None
    current_depth = -1
    for raw in text.split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if current is not None and depth == current_depth:
            current += line
        else:
            if current is not None:
                out.append(">" * current_depth + (" " if current_depth else "") + current)
            current, current_depth = line, depth
        if line.endswith(" ") and line != "-- ":
            if delsp:
                current = current[:-1]
            continue
        out.append(">" * depth + (" " if depth else "") + current)
        current, current_depth = None, -1
    if current is not None:
        out.append(">" * current_depth + (" " if current_depth else "") + current)
    return "\n".join(out)


def tidy(text: str) -> str:
    """Trailing spaces gone, the common indentation removed, at most one blank line in a row, trimmed."""
    lines = [line.rstrip() for line in text.split("\n")]
    if any(lines) and all(line[:1] == " " for line in lines if line):
        common = min(len(line) - len(line.lstrip(" ")) for line in lines if line)
        lines = [line[common:] for line in lines]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip("\n")


@lru_cache(maxsize=1)
def _inscriptis() -> tuple[Any, Any]:
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    # "strict": no padding spaces around inline elements and no indentation of nested blocks
    return get_text, ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)


def html_to_text(markup: str, defects: list[str]) -> str:
    """HTML as readable text (inscriptis: tables, lists and blocks laid out); a tag-stripping fallback."""
    if not markup.strip():
        return ""
    get_text, config = _inscriptis()
    try:
        converted = get_text(markup, config)
    except Exception as exc:  # a third-party parser on hostile input: fall back, keep a defect
        defects.append(f"html: {type(exc).__name__}")
        converted = html_lib.unescape(_TAG.sub("", _BLOCK_TAG.sub("\n", _HIDDEN.sub("", markup))))
    return str(converted).replace("\xa0", " ").replace("\u200b", "").replace("\r", "")
