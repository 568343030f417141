"""The parser alone: an invitation request ("…, send invite", "Einladung senden") marks a planned meeting or
call, is cut from the note, and leaves the rest of the parse as it was; nothing else asks for one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsers import Intent, parse
from bot.parsers.gazetteer import MemoryGazetteer
from bot.parsers.invitation import cut

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def gaz() -> MemoryGazetteer:
    g = MemoryGazetteer()
    g.add_thirdparty(1, "ACME GmbH")
    g.add_contact(10, "Max", "Mustermann", (1, "ACME GmbH"))
    return g


def p(text: str, gaz: MemoryGazetteer) -> Intent:
    return parse(text, now=NOW, tz=BERLIN, language="en", gazetteer=gaz)


def local(moment: datetime | None) -> str | None:
    return moment.astimezone(BERLIN).strftime("%a %H:%M") if moment else None


@pytest.mark.parametrize(
    ("text", "intent", "when", "body"),
    [
        ("meeting with Max tomorrow 2pm, send invite", "log_meeting", "Tue 14:00", None),
        ("meeting with Max tomorrow 2pm and send an invitation", "log_meeting", "Tue 14:00", None),
        ("Meeting with Max tomorrow 2pm, please send him an invite", "log_meeting", "Tue 14:00", None),
        ("meeting with Max today 4pm, send invite", "log_meeting", "Mon 16:00", None),
        (
            "meeting with Max at 4pm: pricing review, send invite",
            "log_meeting",
            "Mon 16:00",
            "pricing review",
        ),
        ("call with Max on Friday 10am, with calendar invite", "log_call", "Fri 10:00", None),
        ("invite Max to a meeting on Friday 10am", "log_meeting", "Fri 10:00", None),
        ("Termin mit Max morgen 14 Uhr, Einladung senden", "log_meeting", "Tue 14:00", None),
        ("Termin mit Max morgen 14 Uhr, Einladung schicken", "log_meeting", "Tue 14:00", None),
        ("Termin mit Max morgen 14 Uhr mit Einladung", "log_meeting", "Tue 14:00", None),
        (
            "Termin mit Max am Freitag um 10, schick ihm bitte eine Einladung",
            "log_meeting",
            "Fri 10:00",
            None,
        ),
        (
            "Besprechung mit Max Freitag 9 Uhr - Einladung verschicken - Agenda: Vertrag",
            "log_meeting",
            "Fri 09:00",
            "Vertrag",
        ),
    ],
)
def test_an_invitation_request_marks_the_planned_meeting(
    gaz: MemoryGazetteer, text: str, intent: str, when: str, body: str | None
) -> None:
    parsed = p(text, gaz)
    assert (parsed.name, local(parsed.when), parsed.body) == (intent, when, body)
    assert parsed.resolved.get("invite") is True
    assert [m.text for m in parsed.mentions] == ["Max"]


@pytest.mark.parametrize(
    "text",
    [
        "meeting with Max tomorrow 2pm",
        "Termin mit Max morgen 14 Uhr",
        "note ACME: they asked us to send an invitation",
        "remind me to send an invite to Max tomorrow",
        "met Max with an invitation card yesterday",
        "send invite",
    ],
)
def test_no_invitation_unless_a_meeting_or_call_is_planned_with_it(gaz: MemoryGazetteer, text: str) -> None:
    assert "invite" not in p(text, gaz).resolved


def test_the_request_is_taken_out_of_the_text_and_the_rest_parses_as_before(gaz: MemoryGazetteer) -> None:
    assert cut("meeting with Max tomorrow 2pm, send invite") == ("meeting with Max tomorrow 2pm", True)
    assert cut("Termin mit Max morgen 14 Uhr mit Einladung") == ("Termin mit Max morgen 14 Uhr", True)
    assert cut("meeting with Max tomorrow") == ("meeting with Max tomorrow", False)
    asked = p("meeting with Max tomorrow 2pm: pricing, send invite", gaz)
    plain = p("meeting with Max tomorrow 2pm: pricing", gaz)
    assert asked.resolved.pop("invite") is True
    assert asked == plain
