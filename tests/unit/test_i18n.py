"""Reply texts exist in English and German with the same placeholders; dates read naturally."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import CATALOGS, format_ago, format_day, format_when, t


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    en, de = CATALOGS["en"], CATALOGS["de"]
    assert set(en) == set(de)
    for key in en:
        assert _placeholders(en[key]) == _placeholders(de[key]), key
        assert de[key].strip(), key


def test_dates_render_in_the_readers_zone_and_language() -> None:
    moment = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert format_when(moment, ZoneInfo("Europe/Berlin"), "en", now=now) == "Fri 27 Nov, 09:00"
    assert format_when(moment, ZoneInfo("Europe/Berlin"), "de", now=now) == "Fr 27.11., 09:00"
    assert format_when(moment, ZoneInfo("America/New_York"), "en", now=now) == "Fri 27 Nov, 03:00"
    assert format_when(moment, ZoneInfo("Pacific/Auckland"), "en", now=now) == "Fri 27 Nov, 21:00"
    next_year = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    assert format_when(next_year, ZoneInfo("Europe/Berlin"), "de", now=now) == "Mo 04.01.2027, 09:00"
    assert format_when(moment, ZoneInfo("Europe/Berlin"), "en", now=now, all_day=True) == "Fri 27 Nov"
    assert format_day(date(2026, 12, 24), "de") == "Do 24.12."


@pytest.mark.parametrize(
    ("delta", "en", "de"),
    [
        (timedelta(days=3), "3 days ago", "vor 3 Tagen"),
        (timedelta(days=1, hours=2), "1 day ago", "vor 1 Tag"),
        (timedelta(hours=5), "5 hours ago", "vor 5 Stunden"),
        (timedelta(days=45), "1 month ago", "vor 1 Monat"),
        (timedelta(days=-14), "in 2 weeks", "in 2 Wochen"),
        (timedelta(seconds=20), "just now", "gerade eben"),
    ],
)
def test_how_long_ago(delta: timedelta, en: str, de: str) -> None:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert format_ago(now - delta, now, "en") == en
    assert format_ago(now - delta, now, "de") == de


def test_unknown_language_falls_back_to_english() -> None:
    assert t("fr", "help.title") == t("en", "help.title")
