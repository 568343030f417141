"""Dates and times in English and German chat messages, resolved against a given ``now`` in the user's zone.

Pure: no clock, no I/O. The grammar in ``date_words`` lists candidate *atoms* ("nächsten Montag", "um 15:30",
"morgen", "früh", "in 2 Wochen"); the non-overlapping selection that covers the most text wins, and atoms
next to each other join into one expression ("nächsten Montag um 15:30"). Each expression is resolved in
the user's wall time: days, weekdays, times and DST by our own arithmetic (dateparser misreads German and
puts a yearless date that is today into next year), month and year offsets by dateparser from a canonical
English phrase, checked. Values are aware datetimes in ``tz``; a wall time that does not exist (02:30 on
the spring-forward day) moves forward by the gap, an ambiguous one (fall back) is its first occurrence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from bot.parsers.date_words import (
    MORNING,
    Atom,
    Calendar,
    Clock,
    DateSpec,
    Daypart,
    Grammar,
    MonthDay,
    Offset,
    Period,
    Relative,
    Weekday,
    _exists,
    grammar,
)

Prefer = Literal["past", "future"]
_CLOCK_UNITS = ("minutes", "hours")


@dataclass(frozen=True, slots=True)
class DateMatch:
    start: int  # character offsets of the expression in the original text (text[start:end])
    end: int
    text: str
    value: datetime  # timezone-aware, in the user's zone; 00:00 local when has_time is False
    has_date: bool  # a day was given (explicitly or relatively: "tomorrow", "Friday", "in 3 days")
    has_time: bool  # a time of day was given ("2pm", "14 Uhr", "noon", "morgen früh", "in 2 hours")


def _select(atoms: list[Atom]) -> list[Atom]:
    """The non-overlapping atoms that cover the most characters (then: the fewest atoms), left to right."""
    atoms = sorted(atoms, key=lambda atom: (atom.end, atom.start))
    ends = [atom.end for atom in atoms]
    best: list[tuple[int, int, tuple[Atom, ...]]] = [(0, 0, ())]  # best[k]: the best of atoms[:k]
    for index, atom in enumerate(atoms):
        covered, fewer, chosen = best[bisect_right(ends, atom.start, 0, index)]
        taken = (covered + atom.end - atom.start, fewer - 1, (*chosen, atom))
        best.append(max(best[index], taken, key=lambda option: option[:2]))
    return list(best[-1][2])


def _join(group: list[Atom], atom: Atom, spaced: bool) -> list[Atom] | None:
    """*group* with *atom* added when together they still make one expression, else None."""
    if atom.morgen and spaced and any(a.date for a in group) and not any(a.part for a in group):
        atom = replace(atom, date=None, part=MORNING, morgen=False)  # "heute Morgen", "Montag Morgen"
    joined = [*group, atom]
    dates = [a.date for a in joined if a.date is not None]
    offsets = [a.offset for a in joined if a.offset is not None]
    if sum(a.clock is not None for a in joined) > 1 or sum(a.part is not None for a in joined) > 1:
        return None
    week_from_weekday = (  # "Donnerstag in einer Woche", "Thursday in two weeks"
        len(offsets) == 1
        and len(dates) == 1
        and isinstance(dates[0], Weekday)
        and offsets[0].unit == "weeks"
        and offsets[0].amount > 0
    )
    if (
        offsets
        and not week_from_weekday
        and (len(offsets) > 1 or dates or (offsets[0].unit in _CLOCK_UNITS and len(joined) > 1))
    ):
        return None
    if len(dates) == 2:  # "Freitag, 3. Dezember", "Friday next week"
        kinds = {type(dates[0]), type(dates[1])}
        periods = [d for d in dates if isinstance(d, Period)]
        if kinds not in ({Weekday, Calendar}, {Weekday, Period}) or (
            periods and periods[0].kind not in ("next_week", "last_week", "week_after_next")
        ):
            return None
    return joined if len(dates) <= 2 else None


_GAP = re.compile(r"[\s,]*")


def _groups(atoms: list[Atom], text: str) -> list[list[Atom]]:
    groups: list[list[Atom]] = []
    for atom in atoms:
        if groups and _GAP.fullmatch(text, groups[-1][-1].end, atom.start):
            gap = text[groups[-1][-1].end : atom.start]
            joined = _join(groups[-1], atom, spaced=bool(gap) and not gap.strip())
            if joined is not None:
                groups[-1] = joined
                continue
        groups.append([atom])
    return groups


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """Wall time on *day* in *tz*; hour 24 is the next midnight; a time in a DST gap moves on by the gap."""
    wall = datetime.combine(day + timedelta(days=hour // 24), time(hour % 24, minute), tzinfo=tz)
    return wall.astimezone(UTC).astimezone(tz)


def _month_start(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)


@lru_cache(maxsize=512)
def _shift_months(day: date, months: int) -> date | None:
    """*day* plus *months* calendar months (the 31st clamps to the month's end), by dateparser."""
    import dateparser  # type: ignore[import-untyped, unused-ignore]

    base = datetime.combine(day, time(12), tzinfo=UTC).replace(tzinfo=None)  # dateparser wants a naive base
    phrase = f"in {months} months" if months >= 0 else f"{-months} months ago"
    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings={"RELATIVE_BASE": base})
    except (ValueError, OverflowError):
        return None
    if not isinstance(parsed, datetime) or parsed.replace(day=1).date() != _month_start(day, months):
        return None  # not what we asked for: never pass on a silent misparse
    return parsed.date()


def _on_weekday(index: int, mode: str, today: date, prefer: Prefer) -> date:
    ahead, back = (index - today.weekday()) % 7, (today.weekday() - index) % 7
    if mode == "plain":
        mode = "next" if prefer == "future" else "last"
    if mode == "next":  # strictly after today: "next Monday" on a Monday is in 7 days
        return today + timedelta(days=ahead or 7)
    if mode == "last":
        return today - timedelta(days=back or 7)
    if mode == "after_next":  # "übernächsten Montag": a week after "nächsten Montag"
        return today + timedelta(days=(ahead or 7) + 7)
    return today + timedelta(days=ahead) if prefer == "future" else today - timedelta(days=back)  # "this"


def _in_period(kind: str, today: date, prefer: Prefer) -> date:
    monday = today - timedelta(days=today.weekday())
    match kind:
        case "next_week":
            return monday + timedelta(weeks=1)
        case "week_after_next":
            return monday + timedelta(weeks=2)
        case "last_week":
            return monday - timedelta(weeks=1)
        case "end_week":
            return _on_weekday(4, "this", today, prefer)
        case "end_next_week":
            return monday + timedelta(days=11)
        case "next_month":
            return _month_start(today, 1)
        case "last_month":
            return _month_start(today, -1)
        case _:  # end_month
            return _month_start(today, 1) - timedelta(days=1)


def _on_calendar(spec: Calendar, today: date, prefer: Prefer) -> date | None:
    if spec.year is not None:
        return date(spec.year, spec.month, spec.day)
    step = 1 if prefer == "future" else -1
    for year in range(today.year, today.year + 9 * step, step):  # 9 years: far enough for a 29 February
        try:
            candidate = date(year, spec.month, spec.day)
        except ValueError:
            continue
        if (candidate >= today) if prefer == "future" else (candidate <= today):
            return candidate
    return None


def _on_month_day(day: int, today: date, prefer: Prefer) -> date | None:
    step = 1 if prefer == "future" else -1
    month = date(today.year, today.month, 1)
    for _ in range(13):
        if _exists(month.year, month.month, day):
            candidate = date(month.year, month.month, day)
            if (candidate >= today) if prefer == "future" else (candidate <= today):
                return candidate
        month = _month_start(month, step)
    return None


def _day(specs: list[DateSpec], offset: Offset | None, today: date, prefer: Prefer) -> date | None:
    weekday = next((spec for spec in specs if isinstance(spec, Weekday)), None)
    if offset is not None and weekday is not None:  # "Donnerstag in einer Woche": a week after this Thursday
        return _on_weekday(weekday.index, "this", today, "future") + timedelta(weeks=offset.amount)
    if offset is not None:
        if offset.unit in ("days", "weeks"):
            return today + timedelta(**{offset.unit: offset.amount})
        return _shift_months(today, offset.amount * (12 if offset.unit == "years" else 1))
    calendar = next((spec for spec in specs if isinstance(spec, Calendar)), None)
    if calendar is not None:  # "Freitag, 3. Dezember": the date decides
        return _on_calendar(calendar, today, prefer)
    weekday = next((spec for spec in specs if isinstance(spec, Weekday)), None)
    period = next((spec for spec in specs if isinstance(spec, Period)), None)
    if weekday is not None and period is not None:  # "Friday next week"
        monday = today - timedelta(days=today.weekday())
        weeks = {"next_week": 1, "week_after_next": 2}.get(period.kind, -1)
        return monday + timedelta(weeks=weeks, days=weekday.index)
    match specs[0]:
        case Relative(days):
            return today + timedelta(days=days)
        case Weekday(index, mode):
            return _on_weekday(index, mode, today, prefer)
        case Period(kind):
            return _in_period(kind, today, prefer)
        case MonthDay(day):
            return _on_month_day(day, today, prefer)
        case _:
            return None


def _time_of_day(clock: Clock | None, part: Daypart | None) -> tuple[int, int] | None:
    if clock is None:
        return None if part is None else (part.hour, 0)
    hour = clock.hour
    if clock.meridiem == "p" and hour < 12:
        hour += 12
    elif clock.meridiem == "a" and hour == 12:
        hour = 0
    elif (
        clock.meridiem is None
        and 1 <= hour <= 11
        and ((part is not None and part.evening) or (part is None and clock.bare and hour <= 6))
    ):  # "tomorrow evening at 7", "3 Uhr nachmittags"; a bare "at 3", "um 5" in business hours is p.m.
        hour += 12
    return hour, clock.minute


def _resolve(
    group: list[Atom], text: str, lexicon: Grammar, now: datetime, tz: ZoneInfo, prefer: Prefer
) -> DateMatch | None:
    start, end = group[0].start, group[-1].end
    if all(atom.weak for atom in group):
        return None  # "sat", "at 9": only next to a day or a time
    if group[0].morgen and len(group) == 1 and lexicon.greeting.search(text, max(0, start - 12), start):
        return None  # "Guten Morgen"
    specs = [atom.date for atom in group if atom.date is not None]
    clock = next((atom.clock for atom in group if atom.clock is not None), None)
    part = next((atom.part for atom in group if atom.part is not None), None)
    offset = next((atom.offset for atom in group if atom.offset is not None), None)
    if not specs and offset is None and clock is None and (part is None or not part.alone):
        return None  # "morning" alone is not a time
    if offset is not None and offset.unit in _CLOCK_UNITS:  # exact: "in 2 hours", "vor 5 Minuten"
        value = (now.astimezone(UTC) + timedelta(**{offset.unit: offset.amount})).astimezone(tz)
        return DateMatch(start, end, text[start:end], value, has_date=True, has_time=True)
    local_now = now.astimezone(tz)
    hour_minute = _time_of_day(clock, part)
    if not specs and offset is None:  # a time alone: the next one (or the last one) of that time
        assert hour_minute is not None
        step = 0
        if prefer == "future" and _local(local_now.date(), *hour_minute, tz) <= now:
            step = 1
        elif prefer == "past" and _local(local_now.date(), *hour_minute, tz) > now:
            step = -1
        value = _local(local_now.date() + timedelta(days=step), *hour_minute, tz)
        return DateMatch(start, end, text[start:end], value, has_date=False, has_time=True)
    day = _day(specs, offset, local_now.date(), prefer)
    if day is None:
        return None
    value = _local(day, *(hour_minute or (0, 0)), tz)
    return DateMatch(start, end, text[start:end], value, has_date=True, has_time=hour_minute is not None)


def _check(now: datetime, prefer: str) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if prefer not in ("past", "future"):
        raise ValueError(f"prefer must be 'past' or 'future', not {prefer!r}")


def find_dates(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    prefer: Prefer = "future",
    languages: tuple[str, ...] = ("en", "de"),
) -> list[DateMatch]:
    """Every date/time expression in *text*, left to right, non-overlapping, longest first.

    *prefer* decides ambiguous directions: "past" for logs ("met Max on Friday" = last Friday), "future"
    for follow-ups and planned meetings.
    """
    _check(now, prefer)
    lexicon = grammar(tuple(languages))
    groups = _groups(_select(lexicon.atoms(text)), text)
    found = (_resolve(group, text, lexicon, now, tz, prefer) for group in groups)
    return [match for match in found if match is not None]


_TRAILING = re.compile(r"[\s.!?,;:…]*")


def parse_when(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    prefer: Prefer = "future",
    languages: tuple[str, ...] = ("en", "de"),
) -> DateMatch | None:
    """The expression when the whole (stripped) text is one date/time expression, else None.

    Offsets are into *text*; trailing sentence punctuation is allowed ("Friday?", "morgen früh.").
    """
    matches = find_dates(text, now=now, tz=tz, prefer=prefer, languages=languages)
    if len(matches) != 1:
        return None
    match = matches[0]
    if text[: match.start].strip() or not _TRAILING.fullmatch(text, match.end):
        return None
    return match


def warm_up(languages: tuple[str, ...] = ("en", "de"), *, month_offsets: bool = False) -> None:
    """Build the grammar now rather than on the first message. dateparser (~0.2 s to load) is only needed
    for month and year offsets ("in 2 months"); it is loaded on first use unless *month_offsets* asks."""
    grammar(tuple(languages))
    if month_offsets:
        _shift_months(date(2000, 1, 31), 1)


__all__ = ["DateMatch", "Prefer", "find_dates", "parse_when", "warm_up"]
