"""Reply texts in English and German, and dates as people read them.

``t(lang, key, **params)`` looks up a text; every key exists in both catalogs (a test checks keys and
placeholders). Dates render in the reader's time zone: "Fri 27 Nov, 09:00" / "Fr 27.11., 09:00".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from bot.i18n import de, en

CATALOGS: dict[str, dict[str, str]] = {"en": en.TEXTS, "de": de.TEXTS}
LANGUAGES = tuple(CATALOGS)

_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
}


def lang_of(language: str | None) -> str:
    return language if language in CATALOGS else "en"


def t(lang: str | None, key: str, **params: object) -> str:
    text = CATALOGS[lang_of(lang)][key]
    return text.format(**params) if params else text


def format_day(d: date, lang: str | None, *, with_year: bool = False) -> str:
    """ "Fri 27 Nov" / "Fr 27.11." (with the year when asked or when it is not obvious)."""
    lang = lang_of(lang)
    weekday = _WEEKDAYS[lang][d.weekday()]
    if lang == "de":
        return f"{weekday} {d.day:02d}.{d.month:02d}.{d.year if with_year else ''}"
    year = f" {d.year}" if with_year else ""
    return f"{weekday} {d.day} {_MONTHS['en'][d.month - 1]}{year}"


_RELATIVE_DAYS = {
    "en": {-1: "yesterday", 0: "today", 1: "tomorrow"},
    "de": {-1: "gestern", 0: "heute", 1: "morgen"},
}


def format_when(
    moment: datetime,
    tz: tzinfo,
    lang: str | None,
    *,
    now: datetime | None = None,
    all_day: bool = False,
    relative: bool = False,
) -> str:
    """A moment in the reader's zone: "Fri 27 Nov, 09:00"; the year is added when it is not this year.

    With *relative*, yesterday, today and tomorrow are named: "today 09:00" / "heute 09:00".
    """
    local = moment.astimezone(tz)
    if relative and now is not None:
        offset = (local.date() - now.astimezone(tz).date()).days
        word = _RELATIVE_DAYS[lang_of(lang)].get(offset)
        if word is not None:
            return word if all_day else f"{word} {local:%H:%M}"
    with_year = now is not None and local.year != now.astimezone(tz).year
    day = format_day(local.date(), lang, with_year=with_year)
    return day if all_day else f"{day}, {local:%H:%M}"


def format_ago(moment: datetime, now: datetime, lang: str | None) -> str:
    """How long ago (or how far ahead) *moment* is, in whole units: "3 days ago" / "vor 3 Tagen"."""
    delta = now - moment
    future = delta < timedelta(0)
    delta = abs(delta)
    units = (
        ("year", 365 * 86400),
        ("month", 30 * 86400),
        ("week", 7 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    )
    seconds = int(delta.total_seconds())
    for unit, size in units:
        if seconds >= size:
            count = seconds // size
            key = f"ago.{unit}.{'one' if count == 1 else 'many'}"
            text = t(lang, key, n=count)
            return t(lang, "ago.future" if future else "ago.past", span=text)
    return t(lang, "ago.now")
