"""The English and German words of dates and times, and the patterns that find them in a message.

The grammar finds *atoms*: a day ("morgen"), a weekday ("nächsten Montag"), a calendar date ("3. Dezember"),
a week or month ("Ende nächster Woche"), an offset ("in 2 Stunden"), a clock time ("um 14 Uhr") or a part
of the day ("früh"). ``bot.parsers.dates`` joins neighbouring atoms into expressions and resolves them.
Table keys are lower case with single spaces; German words come with and without umlauts. The German
two-letter weekday abbreviations are the only case-sensitive words ("Do", "So" are everyday words).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, Literal, NamedTuple, TypeVar

_V = TypeVar("_V")
LANGUAGES: Final = ("en", "de")


class Daypart(NamedTuple):
    hour: int  # the conventional time of day; 24 is the midnight at the end of the day
    evening: bool  # a bare hour 1-11 with it is p.m.: "tomorrow evening at 7" = 19:00
    alone: bool  # a time on its own ("noon", "mittags"), not only after a day ("tomorrow morning")


MORNING: Final = Daypart(8, False, False)
_FORENOON, _NOON, _NOON_ALONE = Daypart(10, False, False), Daypart(12, False, False), Daypart(12, False, True)
_AFTERNOON, _EVENING, _NIGHT = Daypart(15, True, False), Daypart(19, True, False), Daypart(20, True, False)
_MIDNIGHT = Daypart(24, False, True)


def _de(*stems: str) -> tuple[str, ...]:
    """German adjective endings: "nächst" -> nächste, nächsten, nächster, nächstem."""
    return tuple(stem + ending for stem in stems for ending in ("e", "en", "er", "em"))


Mode = Literal["next", "this", "last", "after_next"]
_NEXT: Mode = "next"
_THIS: Mode = "this"
_LAST: Mode = "last"
_NEXT_DE, _LAST_DE = _de("nächst", "naechst", "kommend"), _de("letzt", "vergangen", "vorig")
# "next Friday" is the first Friday after today, "last Friday" the last one before, "this Friday" the nearest.
MODIFIERS: Final[dict[str, dict[str, Mode]]] = {
    "en": {"next": "next", "coming": "next", "this coming": "next", "the coming": "next", "this": "this",
           "last": "last", "past": "last", "previous": "last"},
    "de": {**dict.fromkeys(_NEXT_DE, _NEXT), **dict.fromkeys(_de("dies"), _THIS),
           **dict.fromkeys(_LAST_DE, _LAST), **dict.fromkeys(_de("übernächst"), "after_next")},
}  # fmt: skip
WEEKDAYS: Final[dict[str, dict[str, int]]] = {
    "en": {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
           "tuesay": 1, "wednsday": 2, "wendsday": 2, "wensday": 2, "wednesay": 2, "thurday": 3, "thursay": 3,
           "firday": 4, "fridy": 4, "saturady": 5, "sundy": 6},
    "de": {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
           "sonnabend": 5, "sonntag": 6, "dienstg": 1, "donerstag": 3, "freitg": 4},
}  # fmt: skip
# Abbreviations count only after "on"/"am" or a modifier ("next Fri") or next to a time or date ("Fri 9am").
ABBREVIATIONS: Final[dict[str, dict[str, int]]] = {
    "en": {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5,
           "sun": 6},
    "de": {"Mo": 0, "Di": 1, "Mi": 2, "Do": 3, "Fr": 4, "Sa": 5, "So": 6},  # with a dot or after "am"
}  # fmt: skip
# "Montagabend", "Freitagmorgen": a German weekday with the part of the day glued on.
WEEKDAY_SUFFIXES: Final = {"morgen": MORNING, "vormittag": _FORENOON, "mittag": _NOON,
                           "nachmittag": _AFTERNOON, "abend": _EVENING, "nacht": _NIGHT}  # fmt: skip
MONTHS: Final[dict[str, dict[str, int]]] = {
    "en": {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
           "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
           "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12},
    "de": {"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
           "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12, "jan": 1, "feb": 2,
           "mär": 3, "mrz": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10,
           "nov": 11, "dez": 12},
}  # fmt: skip
# Days relative to today, some with a part of the day ("tonight" is today 20:00).
DAYS: Final[dict[str, dict[str, tuple[int, Daypart | None]]]] = {
    "en": {"today": (0, None), "tomorrow": (1, None), "yesterday": (-1, None), "tmrw": (1, None),
           "tmr": (1, None), "tomorow": (1, None), "tommorow": (1, None), "tommorrow": (1, None),
           "yesterdy": (-1, None), "day after tomorrow": (2, None), "the day after tomorrow": (2, None),
           "day before yesterday": (-2, None), "the day before yesterday": (-2, None),
           "earlier today": (0, None), "later today": (0, None), "tonight": (0, _NIGHT),
           "tonite": (0, _NIGHT), "last night": (-1, _NIGHT), "this morning": (0, MORNING),
           "this afternoon": (0, _AFTERNOON), "this evening": (0, _EVENING)},
    "de": {"heute": (0, None), "morgen": (1, None), "gestern": (-1, None), "übermorgen": (2, None),
           "vorgestern": (-2, None)},
}  # fmt: skip
# "morgen" after another day is the morning ("heute Morgen"); after these words a greeting ("Guten Morgen").
GREETINGS: Final = ("guten", "gute", "schönen", "schoenen", "einen", "jeden", "am", "den", "diesen")
DAYPARTS: Final[dict[str, dict[str, Daypart]]] = {
    "en": {"morning": MORNING, "in the morning": MORNING, "afternoon": _AFTERNOON,
           "in the afternoon": _AFTERNOON, "evening": _EVENING, "in the evening": _EVENING, "night": _NIGHT,
           "at night": _NIGHT,
           "noon": _NOON_ALONE, "midday": _NOON_ALONE, "midnight": _MIDNIGHT, "lunchtime": _NOON},
    "de": {"früh": MORNING, "morgens": MORNING, "am morgen": MORNING, "vormittag": _FORENOON,
           "vormittags": _FORENOON, "am vormittag": _FORENOON, "mittag": _NOON, "mittags": _NOON_ALONE,
           "am mittag": _NOON, "nachmittag": _AFTERNOON, "nachmittags": _AFTERNOON,
           "am nachmittag": _AFTERNOON, "abend": _EVENING, "abends": _EVENING, "am abend": _EVENING,
           "nacht": _NIGHT, "nachts": _NIGHT,
           "in der nacht": _NIGHT, "mitternacht": _MIDNIGHT},
}  # fmt: skip
# "next week" is the Monday of next week, "end of the week" a Friday, "next month" the 1st.
PERIODS: Final[dict[str, dict[str, str]]] = {
    "en": {"next week": "next_week", "coming week": "next_week", "early next week": "next_week",
           "last week": "last_week", "end of the week": "end_week", "end of week": "end_week",
           "end of this week": "end_week", "the end of the week": "end_week",
           "the end of this week": "end_week", "end of next week": "end_next_week",
           "the end of next week": "end_next_week", "next month": "next_month", "last month": "last_month",
           "end of the month": "end_month", "end of month": "end_month", "end of this month": "end_month",
           "the end of the month": "end_month", "the week after next": "week_after_next",
           "week after next": "week_after_next"},
    "de": {"ende der woche": "end_week", "ende dieser woche": "end_week", "ende des monats": "end_month",
           "ende dieses monats": "end_month", "monatsende": "end_month"}
    | {f"{pre}{adjective} woche": "next_week" for adjective in _NEXT_DE for pre in ("", "in der ", "anfang ")}
    | {f"ende {pre}{adjective} woche": "end_next_week" for adjective in _NEXT_DE for pre in ("", "der ")}
    | {f"{pre}{adjective} woche": "week_after_next"
       for adjective in _de("übernächst") for pre in ("", "in der ")}
    | {f"{pre}{adjective} monat": "next_month" for adjective in _NEXT_DE for pre in ("", "im ")}
    | {f"{adjective} {noun}": f"last_{unit}" for adjective in _LAST_DE
       for noun, unit in (("woche", "week"), ("monat", "month"))},
}  # fmt: skip
NUMBERS: Final[dict[str, dict[str, int]]] = {
    "en": {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2},
    "de": {"ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4,
           "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12},
}  # fmt: skip
Unit = Literal["minutes", "hours", "days", "weeks", "months", "years"]
UNITS: Final[dict[str, dict[str, Unit]]] = {
    "en": {"minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes", "hour": "hours",
           "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours", "day": "days", "days": "days",
           "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks", "month": "months",
           "months": "months", "year": "years", "years": "years", "yr": "years", "yrs": "years"},
    "de": {"minute": "minutes", "minuten": "minutes", "min": "minutes", "min.": "minutes",
           "stunde": "hours", "stunden": "hours", "std": "hours", "std.": "hours", "tag": "days",
           "tage": "days", "tagen": "days", "woche": "weeks", "wochen": "weeks", "monat": "months",
           "monate": "months", "monaten": "months",
           "jahr": "years", "jahre": "years", "jahren": "years"},
}  # fmt: skip
HALF_HOUR: Final = {"en": ("half an hour", "a half hour"), "de": ("einer halben stunde", "eine halbe stunde")}
FORWARD: Final = {"en": ("in",), "de": ("in",)}  # "in 3 days", "in 3 Tagen"
BACK_BEFORE: Final = {"en": (), "de": ("vor",)}  # "vor 3 Tagen"
BACK_AFTER: Final = {"en": ("ago",), "de": ()}  # "3 days ago"
# Words that lead an expression and belong to its span: "on Friday", "am 3.12.", "at 2pm", "um 14 Uhr".
# "f/u Wed", "WV Fr.": a follow-up marker is as good as "on" before an abbreviated weekday.
DATE_PREFIXES: Final = {"en": ("on", "f/u", "by"), "de": ("am", "den", "wv", "bis")}
TIME_PREFIXES: Final = {"en": ("at", "around"), "de": ("um", "gegen")}
NOT_DATE_AFTER: Final = ("version", "v", "ver", "release", "python", "kapitel", "abschnitt", "section")

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _with_ascii(table: dict[str, _V]) -> None:
    for key, value in list(table.items()):
        table.setdefault(key.translate(_ASCII), value)  # "naechsten", "uebermorgen", "frueh"


_with_ascii(WEEKDAYS["de"])
_with_ascii(MONTHS["de"])
_with_ascii(DAYS["de"])
_with_ascii(DAYPARTS["de"])
_with_ascii(PERIODS["de"])
_with_ascii(NUMBERS["de"])
_with_ascii(UNITS["de"])


def _abbreviations(table: dict[str, int]) -> set[str]:
    """The words that are the start of a longer one ("dez" of "dezember"): they may end in a dot."""
    return {short for short in table if any(long != short and long.startswith(short) for long in table)}


_MONTH_ABBREVIATIONS: Final = frozenset({"mrz"} | _abbreviations(MONTHS["en"]) | _abbreviations(MONTHS["de"]))


@dataclass(frozen=True, slots=True)
class Relative:  # today + days
    days: int


@dataclass(frozen=True, slots=True)
class Weekday:
    index: int  # Monday = 0
    mode: Literal["plain", "next", "this", "last", "after_next"]


@dataclass(frozen=True, slots=True)
class Calendar:
    year: int | None
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class Period:  # a value of PERIODS
    kind: str


@dataclass(frozen=True, slots=True)
class MonthDay:  # "on the 19th": that day of this month, or of the nearest month in the preferred direction
    day: int


DateSpec = Relative | Weekday | Calendar | Period | MonthDay


@dataclass(frozen=True, slots=True)
class Clock:
    hour: int
    minute: int
    meridiem: str | None  # "a" or "p"
    bare: bool  # only an hour: "at 3", "um 9", "at 3 o'clock"


@dataclass(frozen=True, slots=True)
class Offset:  # "in 3 days" = Offset(3, "days"), "vor 2 Stunden" = Offset(-2, "hours")
    amount: int
    unit: Unit


@dataclass(frozen=True, slots=True)
class Atom:
    start: int
    end: int
    date: DateSpec | None = None
    clock: Clock | None = None
    part: Daypart | None = None
    offset: Offset | None = None
    weak: bool = False  # counts only next to another atom: "Sat", "at 9"
    morgen: bool = False  # German "morgen": tomorrow, or the morning after another day ("heute Morgen")


_Builder = Callable[[re.Match[str], int], Atom | None]
_NB = r"(?<![\w.,:/+#-])"  # a number may start here (not inside "PR2611", "1.200", "+49")
_NE = r"(?![\w/]|[.,:]\d)"  # and end here ("14 Uhr:" ends at the colon, "14:30" does not end at 14)
_NONE = "(?!)"


def _alt(options: Iterable[str], *, dotted: Iterable[str] = ()) -> str:
    """A regex alternation, longest first; a space matches any whitespace; *dotted* words may end in a dot."""
    ordered = sorted(set(options), key=len, reverse=True)
    dots = set(dotted)
    parts = [re.escape(o).replace(r"\ ", r"\s+") + (r"\.?" if o in dots else "") for o in ordered]
    return "(?:" + "|".join(parts) + ")" if parts else _NONE


def _key(words: str) -> str:
    return " ".join(words.casefold().split())


class Grammar:
    """The word tables and patterns of one set of languages; ``atoms(text)`` lists every candidate atom."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        def merged(tables: Mapping[str, Mapping[str, _V]]) -> dict[str, _V]:
            return {key: value for lang in languages for key, value in tables[lang].items()}

        def listed(tables: Mapping[str, Sequence[str]]) -> list[str]:
            return [word for lang in languages for word in tables[lang]]

        en, self.german = "en" in languages, "de" in languages
        self.weekdays, self.months, self.days = merged(WEEKDAYS), merged(MONTHS), merged(DAYS)
        self.dayparts, self.periods = merged(DAYPARTS), merged(PERIODS)
        self.numbers, self.units = merged(NUMBERS), merged(UNITS)
        self.modes = merged(MODIFIERS)
        date_pfx = rf"(?<!\w)(?P<pfx>{_alt(listed(DATE_PREFIXES))}\s+)?"
        time_pfx = rf"(?<!\w)(?P<pfx>{_alt(listed(TIME_PREFIXES))}\s+|@\s*)?"
        months = _alt(self.months, dotted=_MONTH_ABBREVIATIONS)
        year = r"(?:\s*,?\s*(?P<y>\d{4})(?!\d))?"
        uhr, oclock = ("uhr" if self.german else _NONE), ("o['’]?clock" if en else _NONE)
        abbreviations = _alt(ABBREVIATIONS["en"]) if en else _NONE
        if self.german:
            abbreviations += "|(?-i:" + "|".join(ABBREVIATIONS["de"]) + ")"
        number = (rf"(?:(?:(?P<n>\d{{1,3}})\s*|(?P<nw>{_alt(self.numbers)})\s+)(?P<u>{_alt(self.units)})"
                  rf"|(?P<half>{_alt(listed(HALF_HOUR))}))")  # fmt: skip
        rules: list[tuple[str, bool, _Builder]] = [
            (rf"{time_pfx}(?P<core>{_NB}(?P<h>\d{{1,2}})(?:(?P<sep>[:.])(?P<mi>\d{{2}})(?:\s?h\b)?)?"
             rf"(?:\s*(?P<mer>[ap])\.?m\.?(?!\w)|\s*(?P<uhr>{uhr})\b"
             rf"|\s*(?P<oclock>{oclock})\b)?){_NE}", True, self._clock),
            (rf"{date_pfx}(?P<core>{_NB}(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})"
             r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::\d{2})?)?)(?![\w-]|[.:]\d)", True, self._calendar),
            (rf"{date_pfx}(?P<core>(?:the\s+)?{_NB}(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th|\.)?\s*(?:of\s+)?"
             rf"(?P<mon>{months}){year})(?!\w)", True, self._calendar),
            (rf"{date_pfx}(?P<core>(?P<mon>{months})\s+(?:the\s+)?(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th)?{year})"
             f"{_NE}", True, self._calendar),
            (rf"{date_pfx}(?P<core>(?:(?P<mod>{_alt(self.modes)})\s+)?(?:(?P<wd>{_alt(self.weekdays)})"
             rf"(?P<suffix>{_alt(WEEKDAY_SUFFIXES) if self.german else _NONE})?"
             rf"|(?P<abbr>{abbreviations})(?P<dot>\.)?))(?!\w)", False, self._weekday),
            (rf"(?<!\w)(?P<core>{_alt(self.days)})(?!\w)", False, self._day),
            (rf"{time_pfx}(?P<core>{_alt(self.dayparts)})(?!\w)", False, self._daypart),
            (rf"(?<!\w)(?P<core>{_alt(self.periods)})(?!\w)", False, self._period),
            (rf"(?<!\w)(?P<core>(?P<dir>{_alt(listed(FORWARD) + listed(BACK_BEFORE))})\s+{number})(?!\w)",
             False, self._offset),
            (rf"(?<!\w)(?P<core>{number}\s+(?P<dir>{_alt(listed(BACK_AFTER))}))(?!\w)", False, self._offset),
        ]  # fmt: skip
        rules.append(
            (
                r"(?<!\w)(?P<core>(?:in\s+)?a\s+fortnight(?:\s+from\s+now)?|in\s+vierzehn\s+tagen)(?!\w)",
                False,
                self._fortnight,
            )
        )
        if en:
            rules.append((rf"{date_pfx}(?P<core>the\s+(?P<d>\d{{1,2}})(?P<ord>st|nd|rd|th))(?!\s*(?:of\s+)?(?:{months}))"
                          r"(?!\w)", True, self._month_day))  # fmt: skip
        if self.german:
            rules.append((rf"{time_pfx}(?P<core>halb\s+(?P<h>\d{{1,2}}))(?:\s*uhr)?(?!\w|[.:]\d)", True,
                          self._half_past))  # fmt: skip
            rules.append((rf"{date_pfx}(?P<core>{_NB}(?P<d>\d{{1,2}})\.\s?(?P<mo>\d{{1,2}})\.(?:\s?(?P<y>\d{{4}}))?)"
                          r"(?!\w|[.,:]?\d)", True, self._dotted_date))  # fmt: skip
        self.rules = [(re.compile(pattern, re.IGNORECASE), digits, build) for pattern, digits, build in rules]
        self.greeting = re.compile(rf"(?<!\w){_alt(GREETINGS)}\s+$", re.IGNORECASE)
        self._version = re.compile(rf"(?<!\w){_alt(NOT_DATE_AFTER)}\.?\s*$", re.IGNORECASE)

    def atoms(self, text: str) -> list[Atom]:
        """Every candidate atom, overlapping; a prefixed one ("on Friday") also without its prefix."""
        found: list[Atom] = []
        digits = any(char.isdigit() for char in text)
        for pattern, needs_digits, build in self.rules:
            if needs_digits and not digits:
                continue
            for match in pattern.finditer(text):
                prefixed = "pfx" in pattern.groupindex and match["pfx"]
                starts = (match.start(), match.start("core")) if prefixed else (match.start(),)
                try:
                    found.extend(atom for start in starts if (atom := build(match, start)) is not None)
                except KeyError:  # matched only by Unicode case folding ("ſunday"): not one of our words
                    continue
        return found

    def _clock(self, match: re.Match[str], start: int) -> Atom | None:
        hour, minute, end = int(match["h"]), int(match["mi"] or 0), match.end()
        meridiem, prefixed = match["mer"] and match["mer"].lower(), start < match.start("core")
        if match["sep"] == "." and not (meridiem or match["uhr"] or prefixed):
            return None  # "3.12" is a version or a number; "14.30 Uhr", "um 14.30" are times
        if match["sep"] is None and not (meridiem or match["uhr"] or match["oclock"] or prefixed):
            return None  # a bare number is not a time
        if meridiem and not 1 <= hour <= 12:
            if meridiem != "a" or not self.german:
                return None
            meridiem, end = None, match.end("mi") if match["mi"] else match.end("h")  # "14:30 am Montag"
        if minute > 59 or hour > 24 or (hour == 24 and minute):
            return None
        bare = match["sep"] is None and not (meridiem or match["uhr"])
        clock = Clock(hour, minute, meridiem or None, bare)
        return Atom(start, end, clock=clock, weak=bare and not match["oclock"])

    def _half_past(self, match: re.Match[str], start: int) -> Atom | None:
        """German "halb 11" is 10:30; like a bare hour, "halb 3" in business hours is 14:30."""
        hour = int(match["h"])
        if not 1 <= hour <= 24:
            return None
        return Atom(start, match.end(), clock=Clock(hour - 1, 30, None, bare=True))

    def _fortnight(self, match: re.Match[str], start: int) -> Atom | None:
        return Atom(start, match.end(), offset=Offset(2, "weeks"))

    def _month_day(self, match: re.Match[str], start: int) -> Atom | None:
        day = int(match["d"])
        return Atom(start, match.end(), date=MonthDay(day)) if 1 <= day <= 31 else None

    def _calendar(self, match: re.Match[str], start: int) -> Atom | None:
        found = match.groupdict()
        month = self.months[_key(found["mon"]).rstrip(".")] if found.get("mon") else int(found["mo"])
        day, year = int(found["d"]), int(found["y"]) if found["y"] else None
        if found.get("mon") == "may" and not (found["ord"] or year or start < match.start("core")):
            return None  # "they may 2 ..." is the verb
        if not _exists(year or 2000, month, day) or (year is not None and not 1900 <= year <= 2199):
            return None  # 2000 is a leap year: "29.2." is a date
        clock = None
        if found.get("h") is not None:
            if int(found["h"]) > 23 or int(found["mi"]) > 59:
                return None
            clock = Clock(int(found["h"]), int(found["mi"]), None, bare=False)
        return Atom(start, match.end(), date=Calendar(year, month, day), clock=clock)

    def _dotted_date(self, match: re.Match[str], start: int) -> Atom | None:
        if self._version.search(match.string, 0, match.start("core")):
            return None  # "version 3.12."
        return self._calendar(match, start)

    def _weekday(self, match: re.Match[str], start: int) -> Atom | None:
        prefixed = start < match.start("core") or match["mod"] is not None
        mode = self.modes[_key(match["mod"])] if match["mod"] else "plain"
        if match["wd"]:
            index = self.weekdays[_key(match["wd"])]
            part = WEEKDAY_SUFFIXES.get((match["suffix"] or "").lower())
        elif match["abbr"] in ABBREVIATIONS["de"]:
            if not (match["dot"] or prefixed):
                return None  # "Do" and "So" are words; "Do." and "am Do" are Thursday
            index, part = ABBREVIATIONS["de"][match["abbr"]], None
        else:
            index, part = ABBREVIATIONS["en"][_key(match["abbr"])], None
        weak = not match["wd"] and not prefixed
        return Atom(start, match.end(), date=Weekday(index, mode), part=part, weak=weak)

    def _day(self, match: re.Match[str], start: int) -> Atom | None:
        days, part = self.days[key := _key(match["core"])]
        return Atom(start, match.end(), date=Relative(days), part=part, morgen=key == "morgen")

    def _daypart(self, match: re.Match[str], start: int) -> Atom | None:
        return Atom(start, match.end(), part=self.dayparts[_key(match["core"])])

    def _period(self, match: re.Match[str], start: int) -> Atom | None:
        return Atom(start, match.end(), date=Period(self.periods[_key(match["core"])]))

    def _offset(self, match: re.Match[str], start: int) -> Atom | None:
        sign = -1 if _key(match["dir"]) in ("ago", "vor") else 1
        if match["half"]:
            return Atom(start, match.end(), offset=Offset(sign * 30, "minutes"))
        amount = int(match["n"]) if match["n"] else self.numbers[_key(match["nw"])]
        unit = self.units[_key(match["u"])]
        return Atom(start, match.end(), offset=Offset(sign * amount, unit))


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=8)
def grammar(languages: tuple[str, ...]) -> Grammar:
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ValueError(f"unsupported language(s) {unknown}; supported: {', '.join(LANGUAGES)}")
    return Grammar(tuple(dict.fromkeys(languages)))
