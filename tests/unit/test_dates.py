"""Dates and times in English and German messages, resolved against a fixed ``now`` in the user's zone.

Expected values are written as the local wall time with its weekday ("Tue 2026-11-17 14:00") and what was
given: "date", "time" or "date+time". November 2026: Mon 16, Tue 17, Wed 18, Thu 19, Fri 20, Sat 21, Sun 22.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsers.dates import DateMatch, Prefer, find_dates, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

MONDAY_MORNING = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
FRIDAY_EVENING = datetime(2026, 11, 20, 18, 30, tzinfo=BERLIN)
SUNDAY = datetime(2026, 11, 22, 11, 0, tzinfo=BERLIN)
FRIDAY_EVENING_NY = datetime(2026, 11, 20, 18, 30, tzinfo=NEW_YORK)
MONDAY_MORNING_NY = datetime(2026, 11, 16, 9, 0, tzinfo=NEW_YORK)
BEFORE_SPRING_FORWARD = datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN)  # clocks go 02:00 -> 03:00 on the 29th
BEFORE_SPRING_FORWARD_NY = datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK)  # 02:00 -> 03:00 on the 8th
BEFORE_FALL_BACK_NY = datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK)  # 02:00 -> 01:00 on 1 November

GIVEN = {"date": (True, False), "time": (False, True), "date+time": (True, True)}


def local(match: DateMatch, *, offset: bool = False) -> str:
    return f"{match.value:%a %Y-%m-%d %H:%M}" + (f" {match.value:%z}" if offset else "")


def assert_whole(text: str, now: datetime, tz: ZoneInfo, prefer: Prefer, expected: str, given_: str) -> None:
    match = parse_when(text, now=now, tz=tz, prefer=prefer)
    assert match is not None, f"{text!r} not understood"
    assert match.text == text.strip(), "the whole text is the expression"
    assert match.value.tzinfo is tz
    assert (local(match), (match.has_date, match.has_time)) == (expected, GIVEN[given_])


ENGLISH_ON_MONDAY_MORNING = [
    ("tomorrow at 2pm", "Tue 2026-11-17 14:00", "date+time"),
    ("tomorrow 14:00", "Tue 2026-11-17 14:00", "date+time"),
    ("on Friday", "Fri 2026-11-20 00:00", "date"),
    ("Friday 9am", "Fri 2026-11-20 09:00", "date+time"),
    ("next Monday", "Mon 2026-11-23 00:00", "date"),  # today is Monday: in 7 days
    ("this Friday", "Fri 2026-11-20 00:00", "date"),
    ("in 3 days", "Thu 2026-11-19 00:00", "date"),
    ("in 2 hours", "Mon 2026-11-16 11:00", "date+time"),
    ("in 30 minutes", "Mon 2026-11-16 09:30", "date+time"),
    ("in half an hour", "Mon 2026-11-16 09:30", "date+time"),
    ("in a week", "Mon 2026-11-23 00:00", "date"),
    ("in two weeks", "Mon 2026-11-30 00:00", "date"),
    ("in 2 months", "Sat 2027-01-16 00:00", "date"),
    ("next week", "Mon 2026-11-23 00:00", "date"),
    ("last week", "Mon 2026-11-09 00:00", "date"),
    ("end of the week", "Fri 2026-11-20 00:00", "date"),
    ("end of week", "Fri 2026-11-20 00:00", "date"),
    ("end of next week", "Fri 2026-11-27 00:00", "date"),
    ("next week Friday", "Fri 2026-11-27 00:00", "date"),
    ("next month", "Tue 2026-12-01 00:00", "date"),
    ("end of the month", "Mon 2026-11-30 00:00", "date"),
    ("Dec 3 at noon", "Thu 2026-12-03 12:00", "date+time"),
    ("December 3rd", "Thu 2026-12-03 00:00", "date"),
    ("3 Dec", "Thu 2026-12-03 00:00", "date"),
    ("3rd of December 2026", "Thu 2026-12-03 00:00", "date"),
    ("December 3, 2026 at 4pm", "Thu 2026-12-03 16:00", "date+time"),
    ("2026-12-03", "Thu 2026-12-03 00:00", "date"),
    ("2026-12-03 14:30", "Thu 2026-12-03 14:30", "date+time"),
    ("2026-12-03T14:30", "Thu 2026-12-03 14:30", "date+time"),
    ("yesterday", "Sun 2026-11-15 00:00", "date"),
    ("yesterday afternoon", "Sun 2026-11-15 15:00", "date+time"),
    ("last night", "Sun 2026-11-15 20:00", "date+time"),
    ("today", "Mon 2026-11-16 00:00", "date"),
    ("tonight", "Mon 2026-11-16 20:00", "date+time"),
    ("this morning", "Mon 2026-11-16 08:00", "date+time"),
    ("this afternoon", "Mon 2026-11-16 15:00", "date+time"),
    ("this evening", "Mon 2026-11-16 19:00", "date+time"),
    ("tomorrow morning", "Tue 2026-11-17 08:00", "date+time"),
    ("tomorrow evening at 7", "Tue 2026-11-17 19:00", "date+time"),
    ("tomorrow at 3", "Tue 2026-11-17 15:00", "date+time"),  # a bare 1-6 is business hours: p.m.
    ("tmrw 10am", "Tue 2026-11-17 10:00", "date+time"),
    ("at 2pm", "Mon 2026-11-16 14:00", "time"),
    ("2 pm", "Mon 2026-11-16 14:00", "time"),
    ("2:30pm", "Mon 2026-11-16 14:30", "time"),
    ("at 14:30", "Mon 2026-11-16 14:30", "time"),
    ("at 8am", "Tue 2026-11-17 08:00", "time"),  # already past today
    ("noon", "Mon 2026-11-16 12:00", "time"),
    ("midday", "Mon 2026-11-16 12:00", "time"),
    ("midnight", "Tue 2026-11-17 00:00", "time"),
    ("last Friday", "Fri 2026-11-13 00:00", "date"),
    ("3 days ago", "Fri 2026-11-13 00:00", "date"),
    ("an hour ago", "Mon 2026-11-16 08:00", "date+time"),
    ("earlier today", "Mon 2026-11-16 00:00", "date"),
    ("day after tomorrow", "Wed 2026-11-18 00:00", "date"),
    ("the day after tomorrow", "Wed 2026-11-18 00:00", "date"),
    ("in 3 days at 2pm", "Thu 2026-11-19 14:00", "date+time"),
    ("Wed 3pm", "Wed 2026-11-18 15:00", "date+time"),
    ("on Sat", "Sat 2026-11-21 00:00", "date"),
    ("Friday evening at 7", "Fri 2026-11-20 19:00", "date+time"),
    ("9 am Monday", "Mon 2026-11-23 09:00", "date+time"),
    ("wensday", "Wed 2026-11-18 00:00", "date"),
]

GERMAN_ON_MONDAY_MORNING = [
    ("morgen um 14 Uhr", "Tue 2026-11-17 14:00", "date+time"),
    ("morgen 14:00", "Tue 2026-11-17 14:00", "date+time"),
    ("morgen um 9", "Tue 2026-11-17 09:00", "date+time"),
    ("am Donnerstag um 10 Uhr", "Thu 2026-11-19 10:00", "date+time"),
    ("Donnerstag 10 Uhr", "Thu 2026-11-19 10:00", "date+time"),
    ("am Do um 10", "Thu 2026-11-19 10:00", "date+time"),
    ("nächsten Montag um 15:30", "Mon 2026-11-23 15:30", "date+time"),
    ("naechsten Montag", "Mon 2026-11-23 00:00", "date"),
    ("nächste Woche", "Mon 2026-11-23 00:00", "date"),
    ("kommende Woche", "Mon 2026-11-23 00:00", "date"),
    ("Anfang nächster Woche", "Mon 2026-11-23 00:00", "date"),
    ("kommenden Freitag", "Fri 2026-11-20 00:00", "date"),
    ("diesen Freitag", "Fri 2026-11-20 00:00", "date"),
    ("Freitag nächste Woche", "Fri 2026-11-27 00:00", "date"),
    ("in 2 Wochen", "Mon 2026-11-30 00:00", "date"),
    ("in zwei Wochen", "Mon 2026-11-30 00:00", "date"),
    ("in 3 Tagen", "Thu 2026-11-19 00:00", "date"),
    ("in einer Woche", "Mon 2026-11-23 00:00", "date"),
    ("in 2 Stunden", "Mon 2026-11-16 11:00", "date+time"),
    ("in einer halben Stunde", "Mon 2026-11-16 09:30", "date+time"),
    ("gestern", "Sun 2026-11-15 00:00", "date"),
    ("vorgestern", "Sat 2026-11-14 00:00", "date"),
    ("übermorgen", "Wed 2026-11-18 00:00", "date"),
    ("uebermorgen", "Wed 2026-11-18 00:00", "date"),
    ("heute", "Mon 2026-11-16 00:00", "date"),
    ("heute Nachmittag", "Mon 2026-11-16 15:00", "date+time"),
    ("heute Abend", "Mon 2026-11-16 19:00", "date+time"),
    ("heute früh", "Mon 2026-11-16 08:00", "date+time"),
    ("heute Morgen", "Mon 2026-11-16 08:00", "date+time"),
    ("morgen früh", "Tue 2026-11-17 08:00", "date+time"),
    ("morgen frueh", "Tue 2026-11-17 08:00", "date+time"),
    ("morgen Vormittag", "Tue 2026-11-17 10:00", "date+time"),
    ("morgen Nachmittag", "Tue 2026-11-17 15:00", "date+time"),
    ("morgen Abend um 8", "Tue 2026-11-17 20:00", "date+time"),
    ("Montagabend", "Mon 2026-11-23 19:00", "date+time"),
    ("Freitagnachmittag", "Fri 2026-11-20 15:00", "date+time"),
    ("am 3. Dezember um 16 Uhr", "Thu 2026-12-03 16:00", "date+time"),
    ("3. Dezember", "Thu 2026-12-03 00:00", "date"),
    ("Donnerstag, den 3. Dezember", "Thu 2026-12-03 00:00", "date"),
    ("am 3.12.", "Thu 2026-12-03 00:00", "date"),
    ("3.12.2026", "Thu 2026-12-03 00:00", "date"),
    ("3.12.2026 15:30", "Thu 2026-12-03 15:30", "date+time"),
    ("am 29.2.", "Tue 2028-02-29 00:00", "date"),  # the next 29 February
    ("14 Uhr", "Mon 2026-11-16 14:00", "time"),
    ("um 8 Uhr", "Tue 2026-11-17 08:00", "time"),  # already past today
    ("um 14:30", "Mon 2026-11-16 14:30", "time"),
    ("14.30 Uhr", "Mon 2026-11-16 14:30", "time"),
    ("3 Uhr nachmittags", "Mon 2026-11-16 15:00", "time"),
    ("mittags", "Mon 2026-11-16 12:00", "time"),
    ("Ende der Woche", "Fri 2026-11-20 00:00", "date"),
    ("Ende nächster Woche", "Fri 2026-11-27 00:00", "date"),
    ("Ende des Monats", "Mon 2026-11-30 00:00", "date"),
    ("letzten Freitag", "Fri 2026-11-13 00:00", "date"),
    ("vor 2 Tagen", "Sat 2026-11-14 00:00", "date"),
    ("vor einer Stunde", "Mon 2026-11-16 08:00", "date+time"),
    ("vor einem Jahr", "Sun 2025-11-16 00:00", "date"),
    ("nächsten Monat", "Tue 2026-12-01 00:00", "date"),
]


@pytest.mark.parametrize(("text", "expected", "given_"), ENGLISH_ON_MONDAY_MORNING)
def test_english_on_a_monday_morning_in_berlin(text: str, expected: str, given_: str) -> None:
    assert_whole(text, MONDAY_MORNING, BERLIN, "future", expected, given_)


@pytest.mark.parametrize(("text", "expected", "given_"), GERMAN_ON_MONDAY_MORNING)
def test_german_on_a_monday_morning_in_berlin(text: str, expected: str, given_: str) -> None:
    assert_whole(text, MONDAY_MORNING, BERLIN, "future", expected, given_)


@pytest.mark.parametrize(
    ("text", "expected", "given_"),
    [
        ("tomorrow at 2pm", "Sat 2026-11-21 14:00", "date+time"),
        ("on Friday", "Fri 2026-11-27 00:00", "date"),  # today is Friday: strictly after today
        ("Friday 9am", "Fri 2026-11-27 09:00", "date+time"),
        ("next Monday", "Mon 2026-11-23 00:00", "date"),
        ("this Friday", "Fri 2026-11-20 00:00", "date"),  # today
        ("in 3 days", "Mon 2026-11-23 00:00", "date"),
        ("in 2 hours", "Fri 2026-11-20 20:30", "date+time"),
        ("in 30 minutes", "Fri 2026-11-20 19:00", "date+time"),
        ("next week", "Mon 2026-11-23 00:00", "date"),
        ("end of the week", "Fri 2026-11-20 00:00", "date"),
        ("end of next week", "Fri 2026-11-27 00:00", "date"),
        ("next month", "Tue 2026-12-01 00:00", "date"),
        ("at 2pm", "Sat 2026-11-21 14:00", "time"),  # already past today
        ("at 9pm", "Fri 2026-11-20 21:00", "time"),
        ("noon", "Sat 2026-11-21 12:00", "time"),
        ("tonight", "Fri 2026-11-20 20:00", "date+time"),
        ("last Friday", "Fri 2026-11-13 00:00", "date"),
        ("yesterday afternoon", "Thu 2026-11-19 15:00", "date+time"),
        ("Dec 3 at noon", "Thu 2026-12-03 12:00", "date+time"),
        ("morgen früh", "Sat 2026-11-21 08:00", "date+time"),
        ("nächsten Montag um 15:30", "Mon 2026-11-23 15:30", "date+time"),
        ("14 Uhr", "Sat 2026-11-21 14:00", "time"),
        ("heute Abend", "Fri 2026-11-20 19:00", "date+time"),
        ("Ende der Woche", "Fri 2026-11-20 00:00", "date"),
        ("am 3.12.", "Thu 2026-12-03 00:00", "date"),
    ],
)
def test_on_a_friday_evening_in_new_york(text: str, expected: str, given_: str) -> None:
    assert_whole(text, FRIDAY_EVENING_NY, NEW_YORK, "future", expected, given_)


@pytest.mark.parametrize(
    ("text", "expected", "given_"),
    [
        ("next Monday", "Mon 2026-11-23 00:00", "date"),
        ("Friday", "Fri 2026-11-27 00:00", "date"),
        ("this Friday", "Fri 2026-11-27 00:00", "date"),
        ("last Friday", "Fri 2026-11-20 00:00", "date"),
        ("next week", "Mon 2026-11-23 00:00", "date"),
        ("end of the week", "Fri 2026-11-27 00:00", "date"),
        ("nächste Woche Freitag", "Fri 2026-11-27 00:00", "date"),
        ("Sonntag", "Sun 2026-11-29 00:00", "date"),
        ("am Sa.", "Sat 2026-11-28 00:00", "date"),
        ("übermorgen", "Tue 2026-11-24 00:00", "date"),
        ("vorgestern", "Fri 2026-11-20 00:00", "date"),
    ],
)
def test_on_a_sunday_in_berlin(text: str, expected: str, given_: str) -> None:
    assert_whole(text, SUNDAY, BERLIN, "future", expected, given_)


@pytest.mark.parametrize(
    ("text", "now", "tz", "expected", "given_"),
    [
        ("on Friday", FRIDAY_EVENING, BERLIN, "Fri 2026-11-13 00:00", "date"),  # strictly before today
        ("Donnerstag", FRIDAY_EVENING, BERLIN, "Thu 2026-11-19 00:00", "date"),
        ("this Friday", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 00:00", "date"),
        ("next Monday", FRIDAY_EVENING, BERLIN, "Mon 2026-11-23 00:00", "date"),  # said explicitly
        ("at 9am", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 09:00", "time"),  # already passed: today
        ("at 9pm", FRIDAY_EVENING, BERLIN, "Thu 2026-11-19 21:00", "time"),  # still ahead: yesterday
        ("14 Uhr", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 14:00", "time"),
        ("mittags", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 12:00", "time"),
        ("midnight", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 00:00", "time"),
        ("Dec 3", FRIDAY_EVENING, BERLIN, "Wed 2025-12-03 00:00", "date"),  # ahead this year: last year
        ("am 3.12.", FRIDAY_EVENING, BERLIN, "Wed 2025-12-03 00:00", "date"),
        ("Nov 20", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 00:00", "date"),  # today
        ("end of the week", FRIDAY_EVENING, BERLIN, "Fri 2026-11-20 00:00", "date"),
        ("Friday", MONDAY_MORNING_NY, NEW_YORK, "Fri 2026-11-13 00:00", "date"),
        ("Monday", MONDAY_MORNING_NY, NEW_YORK, "Mon 2026-11-09 00:00", "date"),
        ("am Freitag", MONDAY_MORNING_NY, NEW_YORK, "Fri 2026-11-13 00:00", "date"),
        ("at 10am", MONDAY_MORNING_NY, NEW_YORK, "Sun 2026-11-15 10:00", "time"),
        ("noon", MONDAY_MORNING_NY, NEW_YORK, "Sun 2026-11-15 12:00", "time"),
        ("29 Feb", MONDAY_MORNING_NY, NEW_YORK, "Thu 2024-02-29 00:00", "date"),
    ],
)
def test_logs_prefer_the_past(text: str, now: datetime, tz: ZoneInfo, expected: str, given_: str) -> None:
    assert_whole(text, now, tz, "past", expected, given_)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("Dec 3", datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN), "Thu 2026-12-03 00:00"),  # today is not passed
        ("Dec 2", datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN), "Thu 2027-12-02 00:00"),
        ("3. Januar", datetime(2026, 12, 28, 9, 0, tzinfo=BERLIN), "Sun 2027-01-03 00:00"),
        ("next month", datetime(2026, 12, 28, 9, 0, tzinfo=BERLIN), "Fri 2027-01-01 00:00"),
        ("in 1 month", datetime(2026, 1, 31, 9, 0, tzinfo=BERLIN), "Sat 2026-02-28 00:00"),  # clamped
        ("vor einem Monat", datetime(2026, 3, 31, 9, 0, tzinfo=BERLIN), "Sat 2026-02-28 00:00"),
        ("end of the month", datetime(2028, 2, 10, 9, 0, tzinfo=BERLIN), "Tue 2028-02-29 00:00"),
        ("today", datetime(2026, 11, 16, 23, 30, tzinfo=UTC), "Tue 2026-11-17 00:00"),  # now in another zone
    ],
)
def test_year_and_month_boundaries(text: str, now: datetime, expected: str) -> None:
    match = parse_when(text, now=now, tz=BERLIN)
    assert match is not None
    assert local(match) == expected


@pytest.mark.parametrize(
    ("text", "now", "tz", "expected"),
    [
        ("tomorrow at 2:30am", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 03:30 +0200"),  # in the gap
        ("morgen um 2:30", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 03:30 +0200"),
        ("at 2:30am", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 03:30 +0200"),
        ("morgen", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 00:00 +0100"),
        ("morgen früh", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 08:00 +0200"),
        ("tomorrow at 3am", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 03:00 +0200"),
        ("in 2 hours", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 01:30 +0100"),
        ("in 3 Stunden", BEFORE_SPRING_FORWARD, BERLIN, "Sun 2026-03-29 03:30 +0200"),  # 3 real hours
        ("next week", BEFORE_SPRING_FORWARD, BERLIN, "Mon 2026-03-30 00:00 +0200"),
        ("tomorrow at 2:30am", BEFORE_SPRING_FORWARD_NY, NEW_YORK, "Sun 2026-03-08 03:30 -0400"),
        ("in 3 hours", BEFORE_SPRING_FORWARD_NY, NEW_YORK, "Sun 2026-03-08 03:30 -0400"),
        ("tomorrow", BEFORE_SPRING_FORWARD_NY, NEW_YORK, "Sun 2026-03-08 00:00 -0500"),
        ("tomorrow 9am", BEFORE_SPRING_FORWARD_NY, NEW_YORK, "Sun 2026-03-08 09:00 -0400"),
        ("tomorrow at 1:30am", BEFORE_FALL_BACK_NY, NEW_YORK, "Sun 2026-11-01 01:30 -0400"),  # first 01:30
        ("in 2 hours", BEFORE_FALL_BACK_NY, NEW_YORK, "Sun 2026-11-01 01:30 -0400"),
        ("in 3 hours", BEFORE_FALL_BACK_NY, NEW_YORK, "Sun 2026-11-01 01:30 -0500"),  # the second 01:30
        ("tomorrow 9am", BEFORE_FALL_BACK_NY, NEW_YORK, "Sun 2026-11-01 09:00 -0500"),
        ("in 1 day", BEFORE_FALL_BACK_NY, NEW_YORK, "Sun 2026-11-01 00:00 -0400"),
    ],
)
def test_dst_switch_days(text: str, now: datetime, tz: ZoneInfo, expected: str) -> None:
    match = parse_when(text, now=now, tz=tz)
    assert match is not None
    assert local(match, offset=True) == expected
    assert match.value.tzinfo is tz


@pytest.mark.parametrize(
    ("text", "prefer", "found"),
    [
        (
            "Anruf mit Max: Preise besprochen, Wiedervorlage nächsten Montag um 15:30",
            "future",
            [("nächsten Montag um 15:30", "Mon 2026-11-23 15:30")],
        ),
        (
            "called Max yesterday, follow up Friday 2pm",
            "future",
            [("yesterday", "Sun 2026-11-15 00:00"), ("Friday 2pm", "Fri 2026-11-20 14:00")],
        ),
        ("met Max on Friday", "past", [("on Friday", "Fri 2026-11-13 00:00")]),
        ("lunch with Max at noon tomorrow", "future", [("at noon tomorrow", "Tue 2026-11-17 12:00")]),
        (
            "Treffen mit ACME am 3.12. um 15:30, danach Angebot in 2 Wochen",
            "future",
            [("am 3.12. um 15:30", "Thu 2026-12-03 15:30"), ("in 2 Wochen", "Mon 2026-11-30 00:00")],
        ),
        ("Termin um 14:30 am Montag", "future", [("um 14:30 am Montag", "Mon 2026-11-23 14:30")]),
        (
            "met Sarah on Dec 3 at noon; follow up tomorrow at 9am",
            "future",
            [("on Dec 3 at noon", "Thu 2026-12-03 12:00"), ("tomorrow at 9am", "Tue 2026-11-17 09:00")],
        ),
        (
            "Guten Morgen! Können wir morgen früh telefonieren?",
            "future",
            [("morgen früh", "Tue 2026-11-17 08:00")],
        ),
        ("remind me in 2 hours to call ACME", "future", [("in 2 hours", "Mon 2026-11-16 11:00")]),
        ("Was steht heute an?", "future", [("heute", "Mon 2026-11-16 00:00")]),
        ("Version 3.12. released on Friday", "future", [("on Friday", "Fri 2026-11-20 00:00")]),
        ("PR2611-0001 über 1.200 € am 3.12. geliefert", "past", [("am 3.12.", "Wed 2025-12-03 00:00")]),
        ("Wiedervorlage ACME in 2 Wochen", "future", [("in 2 Wochen", "Mon 2026-11-30 00:00")]),
    ],
)
def test_expressions_inside_messages(text: str, prefer: Prefer, found: list[tuple[str, str]]) -> None:
    matches = find_dates(text, now=MONDAY_MORNING, tz=BERLIN, prefer=prefer)
    assert [(m.text, local(m)) for m in matches] == found
    assert all(text[m.start : m.end] == m.text for m in matches)


@pytest.mark.parametrize(
    "text",
    [
        "May I ask you something?",
        "you may want to call him",
        "those 2 may help",
        "they will march on",
        "the sun is shining",
        "I sat down with Max",
        "Monitoring the Common area",
        "Q1 targets are set",
        "upgraded to version 3.12",
        "upgraded to version 3.12.",
        "3.12 is out",
        "costs 1.200 € in total",
        "10% discount",
        "call +49 30 123456",
        "ordered 2 units",
        "ACME 2000",
        "order PR2611-0001",
        "Guten Morgen Max!",
        "Guten Morgen, Herr Köhler",
        "Do you have a minute?",
        "sat at 9 tables",
        "on 12/03",
        "das war zu früh",
        "good morning",
        "spent 2 hours on it",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_dates(text, now=MONDAY_MORNING, tz=BERLIN) == []


def test_languages_limit_the_words() -> None:
    assert find_dates("morgen um 14 Uhr", now=MONDAY_MORNING, tz=BERLIN, languages=("en",)) == []
    assert find_dates("tomorrow", now=MONDAY_MORNING, tz=BERLIN, languages=("de",)) == []
    (match,) = find_dates("morgen um 14:30", now=MONDAY_MORNING, tz=BERLIN, languages=("de",))
    assert local(match) == "Tue 2026-11-17 14:30"


def test_parse_when_needs_the_whole_text() -> None:
    assert parse_when("call ACME on Friday", now=MONDAY_MORNING, tz=BERLIN) is None
    assert parse_when("Friday and Monday", now=MONDAY_MORNING, tz=BERLIN) is None
    assert parse_when("", now=MONDAY_MORNING, tz=BERLIN) is None
    friday = parse_when("Friday?", now=MONDAY_MORNING, tz=BERLIN)
    assert friday is not None
    assert friday.text == "Friday"
    padded = parse_when("  morgen früh.  ", now=MONDAY_MORNING, tz=BERLIN)
    assert padded is not None
    assert (padded.start, padded.end, padded.text) == (2, 13, "morgen früh")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find_dates("tomorrow", now=datetime(2026, 11, 16, 9, 0), tz=BERLIN)
    with pytest.raises(ValueError, match="unsupported language"):
        find_dates("demain", now=MONDAY_MORNING, tz=BERLIN, languages=("fr",))
    with pytest.raises(ValueError, match="prefer"):
        find_dates("tomorrow", now=MONDAY_MORNING, tz=BERLIN, prefer="soon")  # type: ignore[arg-type]


_WORDS = [
    "tomorrow", "morgen", "Morgen", "am", "um", "at", "on", "in", "vor", "ago", "next", "nächsten", "Friday",
    "Fri", "Fr.", "Sa", "Montagabend", "früh", "Uhr", "pm", "a.m.", "noon", "3.12.", "3.12", "14:30", "14.30",
    "2026-12-03", "Dec", "3rd", "of", "December", "2", "24", "99", "two", "einer", "Stunde", "days", "Wochen",
    "Ende", "der", "Woche", "the", "day", "after", "guten", ",", ".", "-", "+49", "1.200", "€", "%", "ſunday",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=4)), max_size=12).map(" ".join),
    ),
    prefer=st.sampled_from(["past", "future"]),
    tz=st.sampled_from([BERLIN, NEW_YORK]),
)
def test_any_text_gives_well_formed_matches(text: str, prefer: Prefer, tz: ZoneInfo) -> None:
    matches = find_dates(text, now=BEFORE_FALL_BACK_NY, tz=tz, prefer=prefer)
    end = 0
    for match in matches:
        assert text[match.start : match.end] == match.text
        assert end <= match.start < match.end
        assert match.value.tzinfo is tz
        assert match.has_date or match.has_time
        end = match.end


@pytest.mark.parametrize(
    ("text", "expected", "span"),
    [
        ("WV übernächste Woche", "Mon 07.12. 00:00", "übernächste Woche"),
        ("übernächsten Montag um 10 Uhr", "Mon 07.12. 10:00", "übernächsten Montag um 10 Uhr"),
        ("the week after next", "Mon 07.12. 00:00", "the week after next"),
        ("f/u Wed", "Wed 25.11. 00:00", "f/u Wed"),
        ("Mittwoch 10 Uhr: Anke anrufen", "Wed 25.11. 10:00", "Mittwoch 10 Uhr"),
    ],
)
def test_week_after_next_abbreviations_and_a_colon_after_uhr(text: str, expected: str, span: str) -> None:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
    (match,) = find_dates(text, now=now, tz=ZoneInfo("Europe/Berlin"))
    assert match.value.strftime("%a %d.%m. %H:%M") == expected
    assert match.text == span
