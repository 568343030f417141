"""Dates as mail clients print them in a forwarded header block, in English and German.

"Mon, 16 Nov 2026 10:00:00 +0100" (Thunderbird), "Mon, Nov 16, 2026 at 10:00 AM" and "Mo., 16. Nov. 2026 um
10:00 Uhr" (Gmail), "Monday, November 16, 2026 10:00 AM" and "Montag, 16. November 2026 10:00" (Outlook), "16
November 2026 at 10:00:00 CET" and "16. November 2026 um 10:00:00 MEZ" (Apple Mail), "16.11.2026 10:00",
"11/16/2026 10:00 AM", "2026-11-16 10:00". Most of these carry no zone: the caller passes the zone to assume
(the forwarding message's own offset is the best guess: clients print the time in the forwarder's zone).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

from bot.parsers.email.headers import from_parts

_MONTHS = {
    "jan": 1,
    "january": 1,
    "januar": 1,
    "jän": 1,
    "jänner": 1,
    "feb": 2,
    "february": 2,
    "februar": 2,
    "mar": 3,
    "march": 3,
    "mär": 3,
    "märz": 3,
    "mrz": 3,
    "maerz": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "mai": 5,
    "jun": 6,
    "june": 6,
    "juni": 6,
    "jul": 7,
    "july": 7,
    "juli": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "okt": 10,
    "oktober": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
    "dez": 12,
    "dezember": 12,
}
_ZONES = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "ut": 0,
    "wet": 0,
    "west": 60,
    "bst": 60,
    "cet": 60,
    "mez": 60,
    "cest": 120,
    "mesz": 120,
    "eet": 120,
    "eest": 180,
    "est": -300,
    "edt": -240,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
}
_RFC = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
_DMY_DOTS = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b")
_MDY_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_D_MONTH_Y = re.compile(r"\b(\d{1,2})\.?\s+([^\W\d_]{3,9})\.?,?\s+(\d{4})\b")
_MONTH_D_Y = re.compile(r"\b([^\W\d_]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_OFFSET = re.compile(r"(?:\b(?:gmt|utc))?\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def parse(value: str, default_tz: tzinfo = UTC) -> datetime | None:
    """*value* as an aware datetime, or None. Without a zone in the text, the wall time is in *default_tz*."""
    value = value.strip().replace("\u202f", " ").replace("\xa0", " ")
    if not value:
        return None
    if _RFC.search(value):
        found = _rfc(value, default_tz)
        if found is not None:
            return found
    day = _day(value)
    if day is None:
        return None
    year, month, mday, rest = day
    hour = minute = second = 0
    time_match = _TIME.search(rest)
    tail = rest
    if time_match:
        hour, minute, second = int(time_match[1]), int(time_match[2]), int(time_match[3] or 0)
        meridiem = (time_match[4] or "").lower()
        if meridiem == "p" and hour < 12:
            hour += 12
        elif meridiem == "a" and hour == 12:
            hour = 0
        tail = rest[time_match.end() :]
    tz = _zone(tail) or default_tz
    try:
        return datetime(year, month, mday, hour, minute, min(second, 59), tzinfo=tz)
    except ValueError:
        return None


def _rfc(value: str, default_tz: tzinfo) -> datetime | None:
    try:
        parts = parsedate_tz(value)
    except (ValueError, IndexError, TypeError, OverflowError):
        return None
    if parts is None:
        return None
    found = from_parts(parts[:6], parts[9])
    explicit = parts[9] is not None or re.search(r"[+-]0000|\b(?:GMT|UTC|UT)\b", value)
    return found if found is None or explicit else found.replace(tzinfo=default_tz)


def _day(value: str) -> tuple[int, int, int, str] | None:
    """(year, month, day, the text after the date) from the first date-like run in *value*."""
    match = _ISO.search(value)
    if match:
        return int(match[1]), int(match[2]), int(match[3]), value[match.end() :]
    match = _DMY_DOTS.search(value)
    if match:
        return _year(match[3]), int(match[2]), int(match[1]), value[match.end() :]
    match = _MDY_SLASH.search(value)
    if match:
        first, second = int(match[1]), int(match[2])
        month, mday = (second, first) if first > 12 else (first, second)
        return _year(match[3]), month, mday, value[match.end() :]
    for pattern, day_group, month_group in ((_D_MONTH_Y, 1, 2), (_MONTH_D_Y, 2, 1)):
        for match in pattern.finditer(value):
            named = _MONTHS.get(match[month_group].lower())
            if named:
                return int(match[3]), named, int(match[day_group]), value[match.end() :]
    return None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 70 else year + 1900 if year < 100 else year


def _zone(text: str) -> tzinfo | None:
    for word in _WORD.findall(text):
        minutes = _ZONES.get(word.lower())
        if minutes is not None:
            offset = _offset_after(text, word)
            return offset or timezone(timedelta(minutes=minutes))
    return _offset_after(text, "")


def _offset_after(text: str, word: str) -> tzinfo | None:
    start = text.lower().find(word.lower()) if word else 0
    match = _OFFSET.search(text, start)
    if not match:
        return None
    hours, minutes = int(match[2]), int(match[3] or 0)
    if hours > 14:
        return None
    sign = -1 if match[1] == "-" else 1
    try:
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    except ValueError:
        return None
