"""Whole conversations with the engine, as transcripts: log, clarify, create, undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.crm.models import Activity, ActivityAttendee, Contact, Percent, Reminder, ThirdParty
from tests.conftest import NOW
from tests.support.chat import Conversation
from tests.support.factories import company, person, user


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        user(s, "anna", name="Anna Berger", language="de", timezone="Europe/Berlin")
        user(s, "bob", name="Bob Miller", language="en", timezone="America/New_York")
        acme = company(s, "ACME GmbH")
        soylent = company(s, "Soylent GmbH")
        company(s, "Müller Bau GmbH")
        company(s, "Müller Logistik AG")
        globex = company(s, "Globex Corporation")
        person(s, "Max", "Mustermann", acme)
        person(s, "Erika", "Musterfrau", acme)
        person(s, "Max", "Weber", soylent)
        person(s, "Hank", "Scorpio", globex)
        uow.commit()
    return app


def count(app: App, model: type) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def activities(app: App) -> list[Activity]:
    with app.uow() as uow:
        return list(uow.session.scalars(select(Activity).order_by(Activity.id)))


def test_ambiguous_first_name_asks_which_max_and_logs_after_the_pick(crm: App) -> None:
    anna = Conversation(crm, "anna")
    question = anna.send("Anruf mit Max: Preise Q1 besprochen, Wiedervorlage Freitag")
    assert question.text == "Wen meinst du mit „Max“?"
    assert [c.label for c in question.choices] == ["Max Mustermann (ACME GmbH)", "Max Weber (Soylent GmbH)"]
    assert question.data["needs_clarification"] is True
    assert count(crm, Activity) == 0
    done = anna.pick(1)
    assert done.text == (
        "Anruf erfasst: Max Mustermann, ACME GmbH · heute 09:00 · Wiedervorlage Fr 27.11., 09:00"
    )
    assert done.context == "Preise Q1 besprochen"
    assert [a.label for a in done.actions] == ["Rückgängig"]
    assert done.data["thirdparty"]["name"] == "ACME GmbH"
    assert done.data["contact"]["name"] == "Max Mustermann"
    assert done.data["when"] == "2026-11-23T09:00:00+01:00"
    assert done.data["followup"] == "2026-11-27T09:00:00+01:00"
    call, todo = activities(crm)
    assert (call.type_code, call.percent, call.body) == ("AC_TEL", Percent.DONE, "Preise Q1 besprochen")
    assert call.label == "Anruf mit Max Mustermann"
    assert (todo.type_code, todo.percent, todo.start_at) == ("AC_OTH", Percent.TODO, NOW + timedelta(days=4))
    with crm.uow() as uow:
        reminder = uow.session.scalars(select(Reminder)).one()
        assert (reminder.activity_id, reminder.due_at) == (todo.id, todo.start_at)


def test_typing_the_number_or_the_name_answers_too(crm: App) -> None:
    anna = Conversation(crm, "anna")
    anna.send("Anruf mit Max")
    reply = anna.send("2")
    assert reply.text.startswith("Anruf erfasst: Max Weber, Soylent GmbH")
    anna.send("Anruf mit Max")
    reply = anna.send("max muster")
    assert reply.text.startswith("Anruf erfasst: Max Mustermann, ACME GmbH")


def test_anything_else_drops_the_question_and_is_handled_fresh(crm: App) -> None:
    anna = Conversation(crm, "anna")
    anna.send("Anruf mit Max")
    reply = anna.send("Verlauf Globex")
    assert reply.text == "Zu Globex Corporation ist noch nichts erfasst."
    assert anna.send("1").data["intent"] == "unknown"
    assert count(crm, Activity) == 0


def test_a_digit_that_is_no_number_drops_the_question_without_an_error(crm: App) -> None:
    anna = Conversation(crm, "anna")
    anna.send("Anruf mit Max")
    reply = anna.send("²")  # str.isdigit() is true for it, int() refuses it
    assert not reply.data.get("error")
    assert count(crm, Activity) == 0
    assert anna.send("1").data["intent"] == "unknown"  # the question was dropped


def test_a_company_in_the_message_decides_which_max(crm: App) -> None:
    reply = Conversation(crm, "bob").send("called Max at Soylent, follow up next week")
    assert reply.text.startswith(
        "Call logged: Max Weber, Soylent GmbH · today 03:00 · follow-up Mon 30 Nov, 09:00"
    )


def test_log_then_undo_removes_everything_it_wrote(crm: App) -> None:
    bob = Conversation(crm, "bob")
    logged = bob.send("met Erika Musterfrau for lunch, follow up tomorrow")
    assert logged.text.startswith("Meeting logged: Erika Musterfrau, ACME GmbH")
    assert count(crm, Activity) == 2
    assert count(crm, Reminder) == 1
    assert [a.label for a in logged.choices + logged.actions] == ["Undo"]
    undone = bob.pick(1)  # the Undo button
    assert undone.text.startswith("Undone: Meeting with Erika Musterfrau")
    assert count(crm, Activity) == 0
    assert count(crm, Reminder) == 0
    assert count(crm, ActivityAttendee) == 0
    assert bob.send("undo").text == "There is nothing to undo."


def test_undo_of_a_created_company_deletes_it_and_keeps_the_audit(crm: App) -> None:
    from bot.crm.models import AuditLog, ThirdParty

    bob = Conversation(crm, "bob")
    created = bob.send("new company Cyberdyne Systems")
    assert created.data["thirdparty"]["name"] == "Cyberdyne Systems"
    before = count(crm, ThirdParty)
    undone = bob.send("undo")
    assert undone.text.startswith("Undone:"), undone.text
    assert count(crm, ThirdParty) == before - 1
    with crm.uow(read_only=True) as uow:
        deleted = uow.session.scalars(
            select(AuditLog).where(AuditLog.object_type == "thirdparties", AuditLog.action == "delete")
        ).one()
    assert deleted.before is not None
    assert deleted.before["name"] == "Cyberdyne Systems"
    assert deleted.thirdparty_id is None  # the company is gone; its id stays in object_id
    assert deleted.object_id == created.data["thirdparty"]["id"]


def test_typed_undo_takes_back_the_last_message_only(crm: App) -> None:
    anna = Conversation(crm, "anna")
    assert anna.send("Anruf mit Hank").text.startswith("Anruf erfasst: Hank Scorpio")
    assert anna.send("Notiz zu ACME: Budget erst im Q2").text.startswith("Notiz gespeichert")
    assert anna.send("rückgängig").text.startswith("Rückgängig gemacht: Notiz zu ACME GmbH")
    assert [a.label for a in activities(crm)] == ["Anruf mit Hank Scorpio"]
    assert anna.send("rückgängig").text.startswith("Rückgängig gemacht: Anruf mit Hank Scorpio")
    assert activities(crm) == []


def test_unknown_company_offers_to_create_it_and_then_logs(crm: App) -> None:
    bob = Conversation(crm, "bob")
    question = bob.send("met Sarah Connor for coffee")
    assert question.text == "I don't know “Sarah Connor”. Is it one of these, or shall I create it?"
    assert [c.label for c in question.choices] == ["New company Sarah Connor", "New contact Sarah Connor"]
    done = bob.pick(2)
    assert done.text.startswith("Meeting logged: Sarah Connor")
    assert done.lines == ("Newly created: Sarah Connor",)
    with crm.uow() as uow:
        sarah = uow.session.scalars(select(Contact).where(Contact.lastname == "Connor")).one()
        assert sarah.firstname == "Sarah"
    assert activities(crm)[0].contact_id == sarah.id


def test_create_company_then_log_against_it(crm: App) -> None:
    anna = Conversation(crm, "anna")
    created = anna.send("neue Firma Cyberdyne Systems, info@cyberdyne.example")
    assert created.text == "Interessent Cyberdyne Systems angelegt."
    assert created.lines == ("email: info@cyberdyne.example",)
    again = anna.send("neue Firma Cyberdyne Systems")
    assert again.text == "Cyberdyne Systems gibt es schon."
    logged = anna.send("Notiz zu Cyberdyne: sucht ein CRM")
    assert logged.text.startswith("Notiz gespeichert: Cyberdyne Systems")
    with crm.uow() as uow:
        tp = uow.session.scalars(select(ThirdParty).where(ThirdParty.name == "Cyberdyne Systems")).one()
        assert tp.email_domains == ["cyberdyne.example"]


def test_create_contact_at_a_company(crm: App) -> None:
    bob = Conversation(crm, "bob")
    reply = bob.send("new contact Sarah Connor at Globex, sarah@globex.example")
    assert reply.text == "Created contact Sarah Connor at Globex Corporation."
    assert bob.send("contacts at Globex").lines == ("Sarah Connor · sarah@globex.example", "Hank Scorpio")


def test_planned_meeting_in_the_future_is_a_todo(crm: App) -> None:
    reply = Conversation(crm, "bob").send("meeting with Hank tomorrow at 2pm")
    assert reply.text == "Meeting planned: Hank Scorpio, Globex Corporation · tomorrow 14:00"
    (meeting,) = activities(crm)
    assert meeting.percent == Percent.TODO
    assert reply.data["when"] == "2026-11-24T14:00:00-05:00"


def test_several_people_become_attendees_of_one_activity(crm: App) -> None:
    reply = Conversation(crm, "bob").send("lunch with Max Mustermann and Hank Scorpio")
    assert reply.text.startswith("Meeting logged: Max Mustermann, Hank Scorpio, ACME GmbH")
    assert reply.lines == ("Filed under ACME GmbH; the people from Globex Corporation are attendees.",)
    (meeting,) = activities(crm)
    assert sorted(a.contact.full_name for a in meeting.attendees if a.contact) == [
        "Hank Scorpio",
        "Max Mustermann",
    ]


def test_reminder_and_agenda(crm: App) -> None:
    anna = Conversation(crm, "anna")
    set_ = anna.send("Erinnere mich morgen um 10 Uhr an das Angebot für Globex")
    assert set_.text == "Erinnerung gesetzt: morgen 10:00 — das Angebot für Globex (Globex Corporation)"
    anna.send("Anruf mit Hank, Wiedervorlage heute 17 Uhr")
    agenda = anna.send("Was steht heute an?")
    assert agenda.title == "Deine Agenda heute"
    assert agenda.lines == ("heute 17:00 · Aufgabe · Wiedervorlage: Hank Scorpio (Globex Corporation)",)


def test_no_name_at_all_asks_who(crm: App) -> None:
    reply = Conversation(crm, "bob").send("called about the renewal")
    assert reply.text.startswith("Who was it with?")
    assert count(crm, Activity) == 0


def test_a_question_outlives_a_restart_and_an_old_button_says_it_expired(crm: App) -> None:
    anna = Conversation(crm, "anna")
    first = anna.send("Anruf mit Max")
    old_button = first.choices[0].value
    anna.send("Anruf mit Max")  # a new question replaces the old one
    expired = Conversation(crm, "anna").send("1", choice=old_button)
    assert expired.text == "Diese Frage ist abgelaufen; bitte schick deine Nachricht noch einmal."
