"""Rights (issue #7): what a user may not see does not exist for them, in every intent, the digest and
mail routing; writing needs ``thirdparty.write``; admins manage rights in chat.

The permission matrix: a user with ``thirdparty.read_all`` and a restricted one (sales rep of ACME only)
× a third party assigned to them (ACME) or not (Globex) × every intent. For the restricted user nothing
about Globex may show: not in the answer, not in a question, not in a suggestion, not in an error.
The same messages from the user who may see Globex must show it, so the test fails both ways.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.models import (
    Activity,
    Consent,
    Contact,
    EmailMessage,
    NeverLog,
    SalesRep,
    ThirdParty,
    Unsubscribe,
    User,
)
from bot.crm.rights import effective_rights
from bot.crm.thirdparties import assign_salesrep
from bot.messages import Reply
from bot.scheduler.digest import build
from tests.conftest import NOW
from tests.support.chat import Conversation
from tests.support.factories import company, person, user
from tests.support.mail import Room, mail

# Words that exist only in what the restricted user may not see (checked unless the user typed them).
SECRET = (
    "Globex Corporation",
    "Globex",
    "Hank",
    "Scorpio",
    "merger",
    "globex.example",
    "Peter Privat",
    "pricing strategy",
)


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        ada = user(s, "ada", name="Ada Admin", emails=["ada@nordlicht.example"], language="en", admin=True)
        al = user(s, "al", name="Al Lovelace", emails=["al@nordlicht.example"], language="en")
        own = user(
            s, "own", name="Olga Own", emails=["own@nordlicht.example"], language="en", restricted=True
        )
        reader = user(s, "reader", name="Rita Reader", emails=["reader@nordlicht.example"], language="en")
        reader.rights = [r for r in reader.rights if r.right != "thirdparty.write"]  # type: ignore[assignment]
        acme = company(s, "ACME GmbH", email="info@acme.example", website="https://acme.example")
        globex = company(
            s, "Globex Corporation", email="info@globex.example", website="https://globex.example"
        )
        assign_salesrep(s, own, acme)
        assign_salesrep(s, al, globex)
        max_ = person(s, "Max", "Mustermann", acme, email="max@acme.example")
        hank = person(s, "Hank", "Scorpio", globex, email="hank@globex.example")
        # Al's private contact at ACME: only Al sees him, though Olga sees ACME.
        person(s, "Peter", "Privat", acme, email="peter@acme.example", is_private=True, created_by=al)
        log_activity(
            s,
            type_code="AC_TEL",
            label="Call",
            body="merger talks",
            owner=al,
            thirdparty=globex,
            contacts=[hank],
            start_at=NOW - timedelta(days=2),
        )
        # Al's call on ACME: without agenda.read_all, Olga does not see other users' events.
        log_activity(
            s,
            type_code="AC_TEL",
            label="Call",
            body="pricing strategy",
            owner=al,
            thirdparty=acme,
            contacts=[max_],
            start_at=NOW - timedelta(hours=3),
        )
        log_activity(
            s,
            type_code="AC_TEL",
            label="Call",
            body="delivery dates",
            owner=own,
            thirdparty=acme,
            contacts=[max_],
            start_at=NOW - timedelta(days=1),
        )
        del ada
        uow.commit()
    return app


def everything(reply: Reply) -> str:
    """All a user gets to read: text, lines, sections, choices, buttons and the structured result."""
    shown = [reply.plain(), *(c.label for c in reply.choices), *(a.label for a in reply.actions)]
    return "\n".join(shown) + json.dumps(reply.data, ensure_ascii=False, default=str)


def globex_id(app: App) -> int:
    with app.uow() as uow:
        return uow.session.scalars(select(ThirdParty.id).where(ThirdParty.name.like("Globex%"))).one()


MATRIX = [
    "last contact Globex",
    "Verlauf Globex",
    "history Globex Corporation",
    "contacts at Globex",
    "open Globex",
    "show Globex",
    "Glbex",  # a typo: no fuzzy suggestion either
    "last contact Glob",
    "who changed Globex?",
    "called Hank at Globex, discussed the merger",
    "meeting with Hank Scorpio tomorrow 10am",
    "note for Globex: budget approved",
    "remind me to call Globex tomorrow",
    "Hank Scorpio opted out of marketing",
    "hank@globex.example agreed to marketing",
    "last contact Hank Scorpio",
    "what's on today?",
    "contacts at ACME",
    "show ACME",
    "last contact ACME",
    "Verlauf ACME",
]


@pytest.mark.parametrize("text", MATRIX)
def test_restricted_user_sees_nothing_of_a_third_party_they_do_not_handle(crm: App, text: str) -> None:
    olga = Conversation(crm, "own")
    reply = olga.send(text)
    shown = everything(reply)
    if reply.choices:  # a question: picking an answer still shows nothing secret
        shown += everything(olga.pick(1))
    for word in SECRET:
        if word.casefold() not in text.casefold():
            assert word.casefold() not in shown.casefold(), (text, word, shown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("last contact Globex", "merger talks"),
        ("Verlauf Globex", "merger talks"),
        ("contacts at Globex", "Hank Scorpio"),
        ("show Globex", "Globex Corporation"),
        ("last contact Hank Scorpio", "merger talks"),
        ("contacts at ACME", "Peter Privat"),
        ("last contact ACME", "pricing strategy"),
        ("who changed Globex?", "Globex Corporation"),
    ],
)
def test_the_user_who_may_see_it_does(crm: App, text: str, expected: str) -> None:
    assert expected in everything(Conversation(crm, "al").send(text))


def test_restricted_user_sees_own_events_and_the_team_member_everyones(crm: App) -> None:
    assert "delivery dates" in Conversation(crm, "own").send("last contact ACME").plain()
    history = Conversation(crm, "own").send("history ACME").plain()
    assert "delivery dates" in history
    assert "pricing strategy" not in history
    al_history = Conversation(crm, "al").send("history ACME").plain()
    assert "delivery dates" in al_history
    assert "pricing strategy" in al_history


def test_private_contacts_are_found_only_by_their_creator(crm: App) -> None:
    olga = Conversation(crm, "own").send("called Peter Privat, sent the catalogue")
    assert olga.data["contact"] is None
    assert "peter@acme.example" not in everything(olga)
    assert "ACME" not in everything(olga)  # not offered as Peter's company either
    al = Conversation(crm, "al").send("called Peter Privat, sent the catalogue")
    assert al.data["contact"]["name"] == "Peter Privat"


def test_an_id_reference_to_an_invisible_third_party_is_unknown(crm: App) -> None:
    reply = Conversation(crm, "own").send(f"history #{globex_id(crm)}")
    assert "Globex" not in everything(reply)
    assert reply.data["thirdparty"] is None


def test_writing_needs_thirdparty_write_and_nothing_is_written_without_it(crm: App) -> None:
    with crm.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(Activity))
    rita = Conversation(crm, "reader")
    for text in (
        "called Max at ACME, discussed pricing",
        "new company Initech",
        "remind me to call ACME tomorrow",
        "Max Mustermann opted out of marketing",
    ):
        reply = rita.send(text)
        assert reply.text == "You are not allowed to do that (missing right thirdparty.write).", text
        assert reply.data["record"] is None
    # reading still works
    assert "delivery dates" in rita.send("history ACME").plain()
    with crm.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Activity)) == before
        assert uow.session.scalar(select(func.count()).select_from(ThirdParty)) == 2
        assert uow.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_digest_of_a_restricted_user_lists_only_their_customers(crm: App) -> None:
    with crm.uow() as uow:
        s = uow.session
        for login in ("own", "al"):
            u = s.scalars(select(User).where(User.login == login)).one()
            u.digest_days = "1234567"
        # both customers silent for 60 days: stale for their sales reps
        for a in s.scalars(select(Activity)):
            a.start_at = NOW - timedelta(days=60)
            a.end_at = None
        uow.commit()
    with crm.uow() as uow:
        own = uow.session.scalars(select(User).where(User.login == "own")).one()
        al = uow.session.scalars(select(User).where(User.login == "al")).one()
    olga = build(crm, own, NOW).reply.plain()
    assert "ACME GmbH" in olga
    for word in SECRET:
        assert word not in olga
    assert "Globex Corporation" in build(crm, al, NOW).reply.plain()


def test_mail_about_an_invisible_third_party_is_unresolved_with_the_reason(crm: App) -> None:
    room = Room(crm)
    outcome = room.deliver(mail("own@nordlicht.example", "hank@globex.example", "Merger"))
    assert outcome.status == "unresolved"
    with crm.uow() as uow:
        row = uow.session.get(EmailMessage, outcome.email_id)
        assert row is not None
        assert row.thirdparty_id is None
        assert "may not see" in (row.routing_reason or "")
        assert all("Globex" not in c["name"] for c in row.candidates or [])
    for sent in room.mailer.sent:  # the notice to Olga names nothing she may not see
        assert "Globex" not in sent.as_string()
    # Al may see Globex: the same mail from him is filed there
    filed = room.deliver(mail("al@nordlicht.example", "hank@globex.example", "Merger"))
    assert filed.status == "archived"


def test_admin_grants_and_assigns_in_chat(crm: App) -> None:
    olga = Conversation(crm, "own")
    refused = olga.send("grant own thirdparty.read_all")
    assert refused.text == "You are not allowed to do that (missing right admin)."
    assert "Globex Corporation" not in olga.send("last contact Globex").plain()

    ada = Conversation(crm, "ada")
    assert ada.send("grant own thirdparty.read_all").text == "own now has thirdparty.read_all."
    assert ada.send("grant own thirdparty.read_all").text == "own already had thirdparty.read_all."
    assert "Globex Corporation" in olga.send("show Globex").plain()
    assert ada.send("revoke own thirdparty.read_all").text == "own no longer has thirdparty.read_all."
    assert "Globex Corporation" not in olga.send("show Globex").plain()

    assert ada.send("salesrep assign own Globex").text == "own is now sales rep of Globex Corporation."
    assert "Globex Corporation" in olga.send("show Globex").plain()
    assert ada.send("rights own").text == "Rights of own: contact.read, thirdparty.write"
    assert ada.send("grant nobody admin").text == "There is no user with the login nobody."
    assert ada.send("grant own superpowers").text.startswith("superpowers is not a right. Rights: admin,")
    with crm.uow() as uow:
        s = uow.session
        own = s.scalars(select(User).where(User.login == "own")).one()
        assert "thirdparty.read_all" not in effective_rights(s, own)
        assert s.scalar(select(func.count()).select_from(SalesRep).where(SalesRep.user_id == own.id)) == 2


def test_admin_manages_groups_in_chat_in_german(crm: App) -> None:
    from bot.crm.groups import add_group

    with crm.uow() as uow:
        add_group(uow.session, "Sales")
        ada = uow.session.scalars(select(User).where(User.login == "ada")).one()
        ada.language = "de"
        uow.commit()
    ada_chat = Conversation(crm, "ada")
    assert (
        ada_chat.send("group grant Sales thirdparty.read_all").text == "Sales hat jetzt thirdparty.read_all."
    )
    assert ada_chat.send("group member Sales own").text == "own ist jetzt in der Gruppe Sales."
    assert "Globex Corporation" in Conversation(crm, "own").send("show Globex").plain()
    assert ada_chat.send("group member Sales own --remove").text == "own ist nicht mehr in der Gruppe Sales."
    assert ada_chat.send("Rechte own").text == "Rechte von own: contact.read, thirdparty.write"


def test_who_changed_acme_lists_the_audit_in_the_readers_words(crm: App) -> None:
    al = Conversation(crm, "al")
    al.send("new contact Erika Musterfrau at ACME")
    reply = al.send("who changed ACME?")
    assert reply.title == "Changes at ACME GmbH"
    assert reply.lines[0] == "Mon 23 Nov, 09:00 · Al Lovelace (console) · created contact Erika Musterfrau"
    al.send("Max Mustermann opted out of marketing")
    changed = al.send("who changed ACME?").lines
    assert (
        "Mon 23 Nov, 09:00 · Al Lovelace (console) · changed contact Max Mustermann: "
        "no_marketing: False → True" in changed
    )
    # Olga sees ACME, but not Al's private contact nor his events among the changes
    olga = Conversation(crm, "own").send("wer hat ACME geändert?")
    assert "Peter Privat" not in olga.plain()
    assert "pricing strategy" not in olga.plain()
    # … while her own events are there
    own = Conversation(crm, "own")
    own.send("Anruf mit ACME: Lieferzeiten besprochen")
    changes = own.send("wer hat ACME geändert?").plain()
    assert "Olga Own (console) · created event Call with ACME GmbH" in changes


def test_consent_by_chat_in_both_languages_with_undo(crm: App) -> None:
    al = Conversation(crm, "al")
    reply = al.send("Hank Scorpio opted out of marketing")
    assert reply.text.startswith("Noted: Hank Scorpio does not want marketing (as of ")
    assert reply.data["intent"] == "consent"
    assert reply.data["contact"]["name"] == "Hank Scorpio"
    with crm.uow() as uow:
        s = uow.session
        rows = list(s.scalars(select(Consent)))
        assert [(r.purpose, r.status) for r in rows] == [("marketing", "withdrawn")]
        assert rows[0].source is not None
        assert rows[0].source.startswith("console message ")
        assert rows[0].at == NOW
        hank = s.scalars(select(Contact).where(Contact.lastname == "Scorpio")).one()
        assert hank.no_marketing is True
        assert s.scalar(select(Unsubscribe.email_lower)) == "hank@globex.example"
    al.send("undo")
    with crm.uow() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(Consent)) == 0
        assert s.scalars(select(Contact).where(Contact.lastname == "Scorpio")).one().no_marketing is False
        assert s.scalar(select(func.count()).select_from(Unsubscribe)) == 0

    with crm.uow() as uow:
        u = uow.session.scalars(select(User).where(User.login == "al")).one()
        u.language = "de"
        uow.commit()
    german = Conversation(crm, "al").send("Max Mustermann will keine Werbung")
    assert german.text.startswith("Notiert: Max Mustermann möchte keine Werbung (Stand ")
    again = Conversation(crm, "al").send("Max Mustermann hat der Werbung zugestimmt")
    assert again.text.startswith("Notiert: Max Mustermann ist mit Werbung einverstanden")
    unknown = Conversation(crm, "al").send("Sarah Connor will keine Werbung")
    assert unknown.text == "Einen Kontakt „Sarah Connor“ kenne ich nicht. Es wurde nichts eingetragen."


def test_never_log_from_chat_is_honoured_by_mail_archiving(crm: App) -> None:
    olga = Conversation(crm, "own")
    assert olga.send("never log acme.example").text == (
        "Mail with anyone at acme.example is never archived from now on."
    )
    assert olga.send("never log list").lines == ("acme.example — from chat by own",)
    al = Conversation(crm, "al")
    al.send("never log wife@private.example")
    assert olga.send("never log list").lines == ("acme.example — from chat by own",)  # not Al's
    assert set(Conversation(crm, "ada").send("never log list").lines) == {
        "acme.example — from chat by own",
        "wife@private.example — from chat by al",
    }
    al.send("undo")
    outcome = Room(crm).deliver(mail("own@nordlicht.example", "max@acme.example", "Offer"))
    assert outcome.status == "skipped"
    # taking an entry off needs admin
    assert olga.send("log acme.example again").text == "You are not allowed to do that (missing right admin)."
    assert Conversation(crm, "ada").send("log acme.example again").text == (
        "acme.example is off the never-log list; its mail is archived again."
    )
    with crm.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NeverLog)) == 0
    assert olga.send("never log not-an-address").text.startswith("“not-an-address” is neither")
