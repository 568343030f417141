"""Any text gives a reply and no exception: the parser alone, and the whole engine on a real database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import App
from bot.engine import Engine
from bot.messages import InboundMessage, Sender
from bot.parsers import INTENT_NAMES, parse
from bot.parsers.gazetteer import MemoryGazetteer
from tests.support.factories import company, person, user

WORDS = [
    "called",
    "Anruf",
    "mit",
    "Max",
    "ACME",
    "GmbH",
    "Müller",
    "follow",
    "up",
    "Friday",
    "Wiedervorlage",
    "morgen",
    "um",
    "14",
    "Uhr",
    "remind",
    "me",
    "new",
    "company",
    "Verlauf",
    "history",
    "last",
    "contact",
    ":",
    ",",
    "undo",
    "rückgängig",
    "next",
    "Monday",
    "3.12.",
    "at",
    "2pm",
    "👍",
    "&",
    "#12",
    "page",
    "2",
    "neuer",
    "Kontakt",
    "bei",
    "Was",
    "steht",
    "heute",
    "an",
    "?",
    "note",
    "Notiz",
    "zu",
    "\n",
    "  ",
    # names that look like SQL or markup, mentions, invisible and right-to-left characters
    "Robert');",
    "DROP TABLE thirdparties;--",
    "<script>alert(1)</script>",
    "*bold*",
    "_x_",
    "<b>",
    "<!channel>",
    "<@U123>",
    "\u200b",
    "Max\u200dMuster",
    "\u202eCMEA",
    "שלום",
    "مرحبا",
    "\x00",
    "\ufeff",
]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
    # very long words and messages around the 4,000-character limit
    st.tuples(st.sampled_from(WORDS), st.integers(100, 4200)).map(lambda t: ("ACME " + t[0] * t[1])[:4100]),
)

gazetteer = MemoryGazetteer()
gazetteer.add_thirdparty(1, "ACME GmbH")
gazetteer.add_thirdparty(2, "Müller Bau GmbH")
gazetteer.add_thirdparty(3, "Müller Logistik AG")
gazetteer.add_contact(10, "Max", "Mustermann", (1, "ACME GmbH"))
gazetteer.add_contact(11, "Max", "Weber", None)
gazetteer.add_thirdparty(4, "Robert'); DROP TABLE thirdparties;--")
gazetteer.add_thirdparty(5, "<script>alert(1)</script> & *bold* _x_ <b>")


@settings(max_examples=400, deadline=None)
@given(text=texts, lang=st.sampled_from(["en", "de"]))
def test_parser_never_raises_and_offsets_point_into_the_text(text: str, lang: str) -> None:
    intent = parse(
        text,
        now=datetime(2026, 11, 23, 8, tzinfo=UTC),
        tz=ZoneInfo("Europe/Berlin"),
        language=lang,
        gazetteer=gazetteer,
    )
    assert intent.name in INTENT_NAMES
    for mention in intent.mentions:
        assert 0 <= mention.start < mention.end
        assert mention.text.strip()


_ids = itertools.count()


@pytest.fixture
def engine(sqlite_app: App) -> Engine:
    with sqlite_app.uow() as uow:
        s = uow.session
        user(s, "anna")
        acme = company(s, "ACME GmbH")
        company(s, "Müller Bau GmbH")
        company(s, "Müller Logistik AG")
        person(s, "Max", "Mustermann", acme)
        person(s, "Max", "Weber", None)
        company(s, "Robert'); DROP TABLE thirdparties;--")
        company(s, "<script>alert(1)</script> & *bold* _x_ <b>")
        uow.commit()
    return Engine(sqlite_app)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=texts,
    choice=st.one_of(st.none(), st.sampled_from(["pick:1:0", "pick:999:3", "undo:console:x", "1"])),
)
def test_engine_always_answers(engine: Engine, text: str, choice: str | None) -> None:
    msg = InboundMessage(
        "console",
        f"f{next(_ids)}",
        Sender("console", "anna"),
        text,
        datetime(2026, 11, 23, 8, tzinfo=UTC),
        "console:anna",
        choice=choice,
    )
    reply = engine.handle(msg)
    assert reply.data.get("error") in (None, "too_long")
    assert reply.plain().strip()
    assert reply.data["intent"] in INTENT_NAMES
