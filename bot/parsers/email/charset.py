"""Bytes to text for mail: the declared charset is a hint, not a promise.

Mail in the wild is labelled wrongly in both directions (UTF-8 bytes declared as ISO-8859-1, Latin-1 bytes
declared as UTF-8), with unknown or misspelled charset names, or with none at all. UTF-8 validates itself:
bytes that decode as UTF-8 and contain non-ASCII sequences are UTF-8 whatever the label says, so Western
labels (and none) try UTF-8 first, then Windows-1252 (the WHATWG reading of "iso-8859-1" and "us-ascii"), then
Latin-1, which never fails. Multibyte East Asian charsets are trusted first. Mixed bodies (a UTF-8 mail with a
Latin-1 footer appended by a server) are decoded line by line. Text that was encoded twice ("GrÃ¼ÃŸe") is
repaired when the repair is exact.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

# Labels whose bytes are read as "UTF-8 if valid, else Windows-1252": the WHATWG treats all of these as 1252.
_WESTERN = frozenset({"ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15"})
# Charsets whose bytes are trusted before UTF-8 (a valid UTF-8 reading of them is a coincidence).
_TRUSTED_FIRST = frozenset(
    {
        "shift_jis",
        "cp932",
        "euc_jp",
        "euc_jis_2004",
        "euc_kr",
        "cp949",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "cp950",
        "utf_16",
        "utf_16_le",
        "utf_16_be",
        "utf_32",
        "utf_32_le",
        "utf_32_be",
        "hz",
    }
)
# Seven-bit encodings: ASCII bytes in them are not ASCII text.
_SEVEN_BIT = ("iso2022", "utf_7", "hz")
_ALIASES = {
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "x-user-defined": None,
    "default": None,
    "8bit": None,
    "binary": None,
    "none": None,
    "charset": None,
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso8859_8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-874": "cp874",
    "utf8": "utf_8",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "iso-8859-16": "iso8859_16",
}
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
# "Ã¼", "Ã\x9f", "â€™": UTF-8 read as Windows-1252 and encoded again.
_MOJIBAKE = re.compile(
    "[ÂÃ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|â€"
)


@lru_cache(maxsize=256)
def codec_name(label: str | None) -> tuple[str | None, bool]:
    """The Python codec for a charset label, and whether the label was known. None: read as Western."""
    if label is None:
        return None, True
    cleaned = label.strip().strip("\"'").strip().lower()
    if not cleaned:
        return None, True
    if cleaned in _ALIASES:
        return _ALIASES[cleaned], True
    try:
        return codecs.lookup(cleaned).name.replace("-", "_"), True
    except (LookupError, ValueError):
        pass
    # "utf-8;" "iso-8859-1 format=flowed" "'utf-8'": try the first word.
    head = re.split(r"[\s;,]", cleaned, maxsplit=1)[0]
    if head and head != cleaned:
        name, known = codec_name(head)
        return name, known
    return None, False


def decode(data: bytes, charset: str | None) -> tuple[str, list[str]]:
    """*data* as text, best effort, and what was wrong ("charset: ..." defects)."""
    codec, known = codec_name(charset)
    if data.isascii() and not (codec and codec.startswith(_SEVEN_BIT)):
        return data.decode("ascii"), []
    defects = [] if known else [f"charset: unknown {charset!r}"]
    if codec in _TRUSTED_FIRST or (codec and codec.startswith(_SEVEN_BIT)):
        try:
            return data.decode(codec), defects
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode(codec, errors="replace"), [*defects, f"charset: invalid {charset}"]
        return text, [*defects, f"charset: {charset} is utf-8"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec not in (None, "utf_8", "ascii") and known:
            defects.append(f"charset: {charset} is utf-8")
        return _repaired(text, defects)
    if codec == "utf_8" and _UTF8_SEQUENCE.search(data):
        return _by_line(data), [*defects, "charset: mixed utf-8 and cp1252"]
    if codec is not None and codec not in _WESTERN and codec != "utf_8":
        try:
            return data.decode(codec), defects
        except UnicodeDecodeError:
            defects.append(f"charset: invalid {charset}")
    elif codec == "utf_8":
        defects.append("charset: utf-8 is cp1252")
    return _western(data), defects


def repair(text: str) -> str:
    """Undo a double encoding (UTF-8 read as Windows-1252 and encoded again) when it is exact."""
    if not text.isascii() and _MOJIBAKE.search(text):
        try:
            return text.encode("cp1252").decode("utf-8")
        except UnicodeError:
            return text
    return text


def _repaired(text: str, defects: list[str]) -> tuple[str, list[str]]:
    fixed = repair(text)
    if fixed is not text:
        defects.append("charset: double-encoded utf-8")
    return fixed, defects


def _western(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _by_line(data: bytes) -> str:
    out = []
    for line in data.split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(_western(line))
    return "\n".join(out)
