"""Explicit commands in English and German."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsers import Intent
from bot.parsers import parse as parse_text

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def parse(text: str) -> Intent:
    return parse_text(text, now=NOW, tz=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("text", "intent", "target"),
    [
        ("last contact ACME", "last_contact", "ACME"),
        ("Last contact with Acme Logistics?", "last_contact", "Acme Logistics"),
        ("letzter Kontakt Müller Bau", "last_contact", "Müller Bau"),
        ("Letzter Kontakt mit Hooli", "last_contact", "Hooli"),
        ("/last initech", "last_contact", "initech"),
        ("history Hooli", "history", "Hooli"),
        ("Verlauf Hooli", "history", "Hooli"),
        ("/history #12 page 2", "history", "#12"),
        ("contacts at ACME", "contacts", "ACME"),
        ("Ansprechpartner bei Stark Industries", "contacts", "Stark Industries"),
        ("open items ACME", "open_items", "ACME"),
        ("offen bei ACME", "open_items", "ACME"),
        ("what's open with ACME?", "open_items", "ACME"),
        ("Was ist offen bei ACME", "open_items", "ACME"),
        ("who do we know at Initech", "contacts", "Initech"),
        ("Wer ist Ansprechpartner bei Hooli?", "contacts", "Hooli"),
        ("show “Schmidt & Partner”", "show", "Schmidt & Partner"),
        ("help", "help", None),
        ("Hilfe", "help", None),
        ("rückgängig", "undo", None),
    ],
)
def test_explicit_commands(text: str, intent: str, target: str | None) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.target) == (intent, target)


def test_history_page_is_zero_based() -> None:
    assert parse("Verlauf #3 Seite 3").page == 2
    assert parse("history ACME").page == 0


def test_text_without_known_names_or_cues_is_unknown() -> None:
    assert parse("x" * 200).name == "unknown"
