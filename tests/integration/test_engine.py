"""The engine: identity, dedup, error tiers, and the query intents end to end in both languages."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.models import AuditLog, ChannelIdentity, ProcessedMessage, User
from bot.crm.questions import NOT_LOADED
from bot.engine import Engine, FirstLook, first_look
from bot.messages import InboundMessage, Sender
from tests.conftest import NOW
from tests.support.chat import Conversation
from tests.support.factories import company, person, user
from tests.support.statements import counted_statements


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", name="Anna Berger", language="de", timezone="Europe/Berlin")
        user(s, "bob", name="Bob Miller", language="en", timezone="America/New_York")
        acme = company(s, "ACME GmbH", town="Berlin", country_code="DE")
        soylent = company(s, "Soylent GmbH")
        company(s, "Müller Bau GmbH")
        company(s, "Müller Logistik AG")
        max_ = person(s, "Max", "Mustermann", acme, job_title="Einkauf", email="max@acme.example")
        person(s, "Max", "Weber", soylent)
        log_activity(
            s,
            type_code="AC_TEL",
            label="Anruf",
            body="Preise Q1 besprochen",
            owner=anna,
            thirdparty=acme,
            contacts=[max_],
            start_at=NOW - timedelta(hours=5),
        )
        log_activity(
            s,
            type_code="AC_EMAIL",
            label="Angebot",
            email_subject="offer Q1 2027",
            owner=anna,
            thirdparty=acme,
            contacts=[max_],
            start_at=NOW - timedelta(hours=6),
        )
        uow.commit()
    return app


def test_last_contact_in_english_in_the_readers_time_zone(crm: App) -> None:
    bob = Conversation(crm, "bob")
    reply = bob.send("last contact ACME")
    assert reply.title == "Last contact with ACME GmbH"
    assert reply.text == (
        "Sun 22 Nov, 22:00 (5 hours ago): call by Anna Berger with Max Mustermann — Preise Q1 besprochen"
    )
    assert reply.lines == ("Last email: Sun 22 Nov, 21:00 (offer Q1 2027)",)
    assert reply.data["intent"] == "last_contact"
    assert reply.data["thirdparty"]["name"] == "ACME GmbH"


def test_last_contact_in_german(crm: App) -> None:
    anna = Conversation(crm, "anna")
    reply = anna.send("Letzter Kontakt mit acme")
    assert reply.text.startswith("Mo 23.11., 04:00 (vor 5 Stunden): Anruf von Anna Berger mit Max Mustermann")
    assert reply.lines == ("Letzte E-Mail: Mo 23.11., 03:00 (offer Q1 2027)",)


def test_ambiguous_company_offers_choices_and_a_pick_answers(crm: App) -> None:
    anna = Conversation(crm, "anna")
    reply = anna.send("Verlauf Müller")
    assert reply.text == "Welche Firma meinst du mit „Müller“?"
    assert [c.label for c in reply.choices] == ["Müller Bau GmbH", "Müller Logistik AG"]
    assert reply.data["needs_clarification"] is True
    answer = anna.pick(2)
    assert answer.text == "Zu Müller Logistik AG ist noch nichts erfasst."


def test_unknown_company_suggests_close_names(crm: App) -> None:
    bob = Conversation(crm, "bob")
    reply = bob.send("history Soylnt")
    assert reply.text == "I don't know a third party called “Soylnt”."
    assert reply.lines[0] == "Did you mean: Soylent GmbH?"
    assert [c.label for c in reply.choices] == ["Soylent GmbH"]


def test_bare_company_name_shows_its_card(crm: App) -> None:
    reply = Conversation(crm, "bob").send("acme gmbh")
    assert reply.title == "ACME GmbH"
    assert reply.text == "customer · Berlin, DE"
    assert "Contacts: Max Mustermann" in reply.lines
    assert any(line.startswith("Last contact: Sun 22 Nov, 22:00 (5 hours ago), call") for line in reply.lines)


def test_contacts_at_a_company(crm: App) -> None:
    reply = Conversation(crm, "anna").send("Ansprechpartner bei ACME")
    assert reply.title == "Ansprechpartner bei ACME GmbH"
    assert reply.lines == ("Max Mustermann · Einkauf · max@acme.example",)


def test_unknown_user_is_refused_politely_and_nothing_is_written(crm: App) -> None:
    stranger = Conversation(crm, "mallory", channel="telegram")
    reply = stranger.send("history ACME")
    assert "don't know you" in reply.text
    assert "kenne dich noch nicht" in reply.text
    with crm.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessedMessage)) == 0


def test_a_redelivered_message_is_handled_once(crm: App) -> None:
    anna = Conversation(crm, "anna")
    first = anna.send("Verlauf ACME", message_id="same-id")
    again = anna.send("Verlauf ACME", message_id="same-id")
    assert not first.silent
    assert again.silent
    assert again.data == {"duplicate": True}
    with crm.uow() as uow:
        rows = uow.session.scalars(select(ProcessedMessage)).all()
    assert [(r.channel, r.message_id) for r in rows] == [("console", "same-id")]
    assert rows[0].result is not None
    assert rows[0].result["intent"] == "history"


def test_an_unexpected_error_is_logged_with_ids_and_answered_with_an_apology(
    crm: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.handlers import queries

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(__import__("bot.handlers", fromlist=["HANDLERS"]).HANDLERS, "history", broken)
    anna = Conversation(crm, "anna")
    with caplog.at_level(logging.ERROR):
        reply = anna.send("Verlauf ACME – vertraulicher Text", message_id="m-err")
    assert reply.text.startswith("Entschuldigung, bei mir ist etwas schiefgegangen")
    assert "console/m-err" in caplog.text
    assert "vertraulicher" not in caplog.text  # bodies are customer data: never logged
    assert queries.history_ is not broken
    # the failed message was not marked processed: a redelivery is handled again
    assert not anna.send("Verlauf ACME", message_id="m-err").silent


def test_database_down_is_answered_not_crashed(crm: App) -> None:
    crm.db.engine.dispose()
    broken = App(crm.settings, crm.clock, crm.db, crm.documents)
    from storage.engine import make_engine

    broken.db.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    broken.db.session_factory.configure(bind=broken.db.engine)
    reply = Engine(broken).handle(
        InboundMessage("console", "x1", Sender("console", "anna"), "Verlauf ACME", NOW)
    )
    assert reply.data["error"] == "database"
    assert reply.data["intent"] == "unknown"
    assert "not reachable" in reply.text


def test_queries_write_nothing_but_the_processed_marker(crm: App) -> None:
    with crm.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(AuditLog))
    Conversation(crm, "anna").send("Verlauf ACME")
    with crm.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditLog)) == before


def test_overlong_message_gets_a_clear_error(crm: App) -> None:
    reply = Conversation(crm, "anna").send("x" * 5000)
    assert "5000" in reply.text
    assert "4000" in reply.text


def _first_look(app: App, msg: InboundMessage, seen: list[str] | None = None) -> FirstLook:
    """first_look in a read-only unit of work; the statements it ran are added to *seen*."""
    with app.uow(read_only=True) as uow:
        uow.session.connection()  # BEGIN is not the first look's
        with counted_statements(app) as statements:
            found = first_look(uow.session, msg, f"{msg.channel}:{msg.sender.external_id}")
    if seen is not None:
        seen.extend(statements)
    return found


def _look(
    app: App,
    channel: str,
    external_id: str,
    message_id: str,
    email: str | None = None,
    seen: list[str] | None = None,
) -> FirstLook:
    msg = InboundMessage(channel, message_id, Sender(channel, external_id, email=email), "hallo", NOW)
    return _first_look(app, msg, seen)


def test_the_first_look_reads_sender_handled_and_open_question_in_one_statement(crm: App) -> None:
    anna = Conversation(crm, "anna")
    asked = anna.send("Verlauf Müller", message_id="q1")
    assert asked.choices  # which Müller?
    seen: list[str] = []
    msg = anna.message("2", message_id="q2")
    look = _first_look(crm, msg, seen)
    assert len(seen) == 1
    assert look.user is not None
    assert look.user.login == "anna"
    assert (look.unlinked, look.handled) == (False, False)
    assert look.open_question is not None
    assert look.open_question.slot
    answered = anna.engine.handle(msg)
    # the open question read in the first look was answered
    assert answered.text == "Zu Müller Logistik AG ist noch nichts erfasst."
    assert _look(crm, "console", "anna", "q2").open_question is None  # answered: closed
    assert _look(crm, "console", "anna", "q2").handled


def test_the_first_look_for_linked_unlinked_and_inactive_senders(crm: App) -> None:
    with crm.uow() as uow:
        bob = uow.session.scalar(select(User).where(User.login == "bob"))
        assert bob is not None
        uow.session.add(ChannelIdentity(channel="telegram", external_id="777", user_id=bob.id))
        uow.commit()
    linked = _look(crm, "telegram", "777", "t1")
    assert linked.user is not None
    assert linked.user.login == "bob"
    assert (linked.unlinked, linked.handled, linked.open_question) == (False, False, None)
    seen: list[str] = []
    by_email = _look(crm, "telegram", "888", "t2", email="Anna@OurCo.example", seen=seen)
    # the identity once (not again in find_user), the address, and whether it was handled
    assert len(seen) == 3
    assert by_email.user is not None
    assert by_email.user.login == "anna"
    assert by_email.unlinked
    assert not by_email.handled
    assert by_email.open_question is NOT_LOADED  # read by the question step instead
    assert _look(crm, "telegram", "999", "t3").user is None
    with crm.uow() as uow:
        bob = uow.session.scalar(select(User).where(User.login == "bob"))
        assert bob is not None
        bob.is_active = False
        uow.commit()
    assert _look(crm, "telegram", "777", "t1").user is None
    assert _look(crm, "console", "bob", "t4").user is None
