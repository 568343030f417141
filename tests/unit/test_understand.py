"""The parser alone (with an in-memory gazetteer): intents, names, dates and bodies in EN and DE."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsers import Intent, parse
from bot.parsers.gazetteer import MemoryGazetteer

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def gaz() -> MemoryGazetteer:
    g = MemoryGazetteer()
    g.add_thirdparty(1, "ACME GmbH", alias="ACME Deutschland")
    g.add_thirdparty(2, "Acme Logistics Ltd")
    g.add_thirdparty(3, "Soylent GmbH")
    g.add_thirdparty(4, "Müller Bau GmbH")
    g.add_thirdparty(5, "Müller Logistik AG")
    g.add_thirdparty(6, "Schmidt & Partner Steuerberatung")
    g.add_thirdparty(7, "Initech")
    g.add_thirdparty(8, "Hooli")
    g.add_contact(10, "Max", "Mustermann", (1, "ACME GmbH"))
    g.add_contact(11, "Max", "Weber", (3, "Soylent GmbH"))
    g.add_contact(12, "Erika", "Musterfrau", (1, "ACME GmbH"))
    g.add_contact(13, "Jürgen", "Köhler", (3, "Soylent GmbH"))
    g.add_contact(14, "Hank", "Scorpio", None)
    g.add_contact(15, None, "Pepper", None)
    return g


def p(text: str, gaz: MemoryGazetteer, lang: str = "en", tz: ZoneInfo = BERLIN) -> Intent:
    return parse(text, now=NOW, tz=tz, language=lang, gazetteer=gaz)


def names(intent: Intent) -> list[str]:
    return [m.text for m in intent.mentions]


def local(intent_value: datetime | None) -> str | None:
    return intent_value.astimezone(BERLIN).strftime("%a %d.%m. %H:%M") if intent_value else None


@pytest.mark.parametrize(
    ("text", "intent", "mentions"),
    [
        ("called Max at ACME, discussed pricing, follow up Friday", "log_call", ["Max", "ACME"]),
        ("Just got off the phone with Max Mustermann", "log_call", ["Max Mustermann"]),
        ("Anruf mit Jürgen Köhler: Bestellung besprochen", "log_call", ["Jürgen Köhler"]),
        ("Habe mit Erika telefoniert", "log_call", ["Erika"]),
        ("met Erika Musterfrau for lunch", "log_meeting", ["Erika Musterfrau"]),
        ("Treffen mit Hank gestern", "log_meeting", ["Hank"]),
        ("note ACME: wants a discount", "log_note", ["ACME"]),
        ("Notiz zu Hooli: Budget erst im Q2", "log_note", ["Hooli"]),
        ("emailed Pepper the offer", "log_email", ["Pepper"]),
        ("ACME: they want a discount", "log_note", ["ACME"]),
        (
            "lunch with Max Mustermann and Erika Musterfrau",
            "log_meeting",
            ["Max Mustermann", "Erika Musterfrau"],
        ),
        ("call with Acme Logistics about the tender", "log_call", ["Acme Logistics"]),
        ("call with ACME GmbH", "log_call", ["ACME GmbH"]),
        ("Anruf bei Schmidt & Partner", "log_call", ["Schmidt & Partner"]),
        ("called juergen koehler", "log_call", ["juergen koehler"]),
        ("Acme Logistics", "show", ["Acme Logistics"]),
        ("hooli", "show", ["hooli"]),
    ],
)
def test_intents_and_names(gaz: MemoryGazetteer, text: str, intent: str, mentions: list[str]) -> None:
    parsed = p(text, gaz)
    assert parsed.name == intent
    assert names(parsed) == mentions


def test_longest_match_wins_over_the_shorter_company(gaz: MemoryGazetteer) -> None:
    parsed = p("call with Acme Logistics", gaz)
    assert [e.id for e in parsed.mentions[0].entries] == [2]


def test_a_first_name_alone_keeps_every_candidate(gaz: MemoryGazetteer) -> None:
    parsed = p("Anruf mit Max: Preise Q1 besprochen, Wiedervorlage Freitag", gaz, "de")
    assert parsed.name == "log_call"
    assert sorted(e.id for e in parsed.mentions[0].entries) == [10, 11]
    assert parsed.body == "Preise Q1 besprochen"
    assert local(parsed.followup) == "Fri 27.11. 00:00"
    assert parsed.resolved == {"followup_has_time": False}
    assert parsed.when is None


def test_mueller_matches_the_words_of_both_companies(gaz: MemoryGazetteer) -> None:
    parsed = p("Anruf bei Müller", gaz, "de")
    assert sorted(e.id for e in parsed.mentions[0].entries) == [4, 5]


def test_past_log_reads_friday_as_last_friday(gaz: MemoryGazetteer) -> None:
    parsed = p("met Hank on Friday", gaz)
    assert parsed.name == "log_meeting"
    assert local(parsed.when) == "Fri 20.11. 00:00"
    assert parsed.past


def test_planned_meeting_reads_friday_as_next_friday(gaz: MemoryGazetteer) -> None:
    parsed = p("meeting with Hank on Friday at 2pm", gaz)
    assert local(parsed.when) == "Fri 27.11. 14:00"
    assert parsed.when_has_time
    assert not parsed.past


def test_body_after_the_intro_clause(gaz: MemoryGazetteer) -> None:
    parsed = p("called Max at ACME, discussed pricing, follow up Friday", gaz)
    assert parsed.body == "discussed pricing"
    assert local(parsed.followup) == "Fri 27.11. 00:00"


def test_reminders(gaz: MemoryGazetteer) -> None:
    parsed = p("remind me tomorrow at 10 to call Max Mustermann", gaz)
    assert parsed.name == "remind"
    assert local(parsed.followup) == "Tue 24.11. 10:00"
    assert parsed.when_has_time
    assert names(parsed) == ["Max Mustermann"]
    assert parsed.body == "call Max Mustermann"
    wv = p("Wiedervorlage ACME in 2 Wochen", gaz, "de")
    assert wv.name == "remind"
    assert names(wv) == ["ACME"]
    assert local(wv.followup) == "Mon 07.12. 00:00"


@pytest.mark.parametrize(
    ("text", "intent", "target"),
    [
        ("when did we last talk to Hooli?", "last_contact", "Hooli"),
        ("Wann hatten wir zuletzt Kontakt mit ACME?", "last_contact", "ACME"),
        ("what happened with Initech", "history", "Initech"),
        ("Was steht heute an?", "followups", None),
        ("what's due today?", "followups", None),
        ("my follow-ups", "followups", None),
        ("new company Cyberdyne Systems", "create_thirdparty", "Cyberdyne Systems"),
        ("neue Firma Cyberdyne Systems", "create_thirdparty", "Cyberdyne Systems"),
        (
            "new contact Sarah Connor at Cyberdyne Systems",
            "create_contact",
            "Sarah Connor at Cyberdyne Systems",
        ),
        (
            "neuer Kontakt Sarah Connor bei Hooli, sarah@hooli.example",
            "create_contact",
            "Sarah Connor bei Hooli, sarah@hooli.example",
        ),
    ],
)
def test_questions_agenda_and_creation(
    gaz: MemoryGazetteer, text: str, intent: str, target: str | None
) -> None:
    parsed = p(text, gaz)
    assert (parsed.name, parsed.target) == (intent, target)


def test_unknown_person_is_noticed(gaz: MemoryGazetteer) -> None:
    parsed = p("met Sarah Connor from a new prospect", gaz)
    assert parsed.name == "log_meeting"
    assert parsed.mentions == ()
    assert parsed.unknown_names == ("Sarah Connor",)


def test_language_is_detected_from_the_message(gaz: MemoryGazetteer) -> None:
    assert p("Habe mit Erika telefoniert", gaz, "en").language == "de"
    assert p("called Erika about the offer", gaz, "de").language == "en"


def test_emoji_and_lowercase_and_typos_in_cues(gaz: MemoryGazetteer) -> None:
    parsed = p("📞 called max mustermann 👍", gaz)
    assert parsed.name == "log_call"
    assert names(parsed) == ["max mustermann"]


def test_intent_round_trips_through_json(gaz: MemoryGazetteer) -> None:
    parsed = p("called Max at ACME, discussed pricing, follow up Friday", gaz).with_resolved(
        "mention:0", "p:10"
    )
    again = Intent.from_json(parsed.to_json())
    assert again == parsed


def test_an_installed_statistical_model_adds_unknown_names(
    gaz: MemoryGazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.parsers import nlp

    # No lead word ("with", "mit") before the name: the rules alone do not notice it.
    assert p("Sarah Connor called about the renewal", gaz).unknown_names == ()
    monkeypatch.setattr(
        nlp, "model_entities", lambda text: [("Sarah Connor", "PERSON", 0, 12), ("ACME", "ORG", 40, 44)]
    )
    monkeypatch.setattr("bot.parsers.understand.model_entities", nlp.model_entities)
    parsed = p("Sarah Connor called about the renewal", gaz)
    assert parsed.unknown_names == ("Sarah Connor", "ACME")


def test_without_a_model_nothing_is_downloaded_and_no_names_are_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from bot.parsers import nlp

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    nlp.statistical_model.cache_clear()
    try:
        assert nlp.statistical_model() is None
        assert nlp.model_entities("Met Sarah Connor from Cyberdyne Systems") == []
    finally:
        nlp.statistical_model.cache_clear()
