"""Filing mail (DESIGN.md §4): every routing rule, direction, the checks before filing, and the notices."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.crm.mail.notices import render
from bot.crm.models import Activity, ActivityType, Document, EmailMessage, NeverLog, Percent, User
from tests.support.factories import company, person, user
from tests.support.mail import BOT, Room, mail


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", emails=["anna@nordlicht.example"], language="de")
        user(s, "bob", emails=["bob@nordlicht.example"], language="en", timezone="America/New_York")
        anna.mail_receipts = True
        acme = company(s, "ACME GmbH", email="info@acme.example", website="https://acme.example")
        soylent = company(s, "Soylent GmbH", email="kontakt@soylent.example")
        company(s, "Müller Bau GmbH", email="info@mueller-bau.example")
        company(s, "Müller Logistik AG", email="info@mueller-logistik.example")
        company(s, "Twin One AG", website="https://twins.example")
        company(s, "Twin Two AG", website="https://twins.example")
        person(s, "Max", "Mustermann", acme, email="max.mustermann@acme.example")
        person(s, "Erika", "Musterfrau", acme, email="erika@acme.example")
        person(s, "Max", "Weber", soylent, email="max.weber@soylent.example")
        person(s, "Paula", "Privat", acme, email="paula.privat@gmail.com")
        uow.commit()
    return app


def room(app: App) -> Room:
    return Room(app)


def archived(app: App) -> list[Activity]:
    with app.uow() as uow:
        return list(
            uow.session.scalars(select(Activity).where(Activity.type_code.in_(["AC_EMAIL", "AC_EMAIL_IN"])))
        )


def test_bcc_by_a_user_is_filed_as_sent_mail_on_the_contacts_company(crm: App) -> None:
    outcome = room(crm).deliver(
        mail(
            "Anna <anna@nordlicht.example>",
            "Max <max.mustermann@acme.example>",
            "Angebot Q1",
            attachments=[("Angebot.pdf", "application/pdf", b"%PDF-1.7 q1")],
        )
    )
    assert (outcome.status, outcome.thirdparty[1] if outcome.thirdparty else None) == (
        "archived",
        "ACME GmbH",
    )
    assert outcome.contacts == ["Max Mustermann"]
    assert outcome.reason == "exact address max.mustermann@acme.example"
    (event,) = archived(crm)
    assert (event.type_code, event.percent, event.label) == (
        ActivityType.EMAIL,
        Percent.NOT_APPLICABLE,
        "Angebot Q1",
    )
    assert event.body is not None
    assert "anbei das Angebot" in event.body
    with crm.uow() as uow:
        doc = uow.session.scalars(select(Document)).one()
        row = uow.session.scalars(select(EmailMessage)).one()
    assert (doc.filename, doc.owner_type, doc.owner_id, doc.thirdparty_id) == (
        "Angebot.pdf",
        "activity",
        event.id,
        event.thirdparty_id,
    )
    assert crm.documents.read(doc.sha256) == b"%PDF-1.7 q1"
    assert (row.routing_rule, row.direction, row.activity_id) == ("contact_email", "out", event.id)


def test_the_same_mail_twice_is_archived_once(crm: App) -> None:
    raw = mail("anna@nordlicht.example", "max.mustermann@acme.example", message_id="<same@x>")
    r = room(crm)
    assert r.deliver(raw).status == "archived"
    second = r.deliver(raw)
    assert second.status == "duplicate"
    assert len(archived(crm)) == 1
    assert second.activity_id == archived(crm)[0].id


def test_plus_address_wins(crm: App) -> None:
    outcome = room(crm).deliver(
        mail("anna@nordlicht.example", "someone@elsewhere.example"), rcpt=("crm+soylent@nordlicht.example",)
    )
    assert (outcome.status, outcome.thirdparty and outcome.thirdparty[1]) == ("archived", "Soylent GmbH")
    assert outcome.reason == "plus-address “soylent”"


def test_ref_tag_and_first_line_keyword(crm: App) -> None:
    tagged = room(crm).deliver(mail("anna@nordlicht.example", "x@elsewhere.example", "Update [ref:Soylent]"))
    assert tagged.thirdparty
    assert tagged.thirdparty[1] == "Soylent GmbH"
    keyword = room(crm).deliver(
        mail(
            "anna@nordlicht.example",
            "x@elsewhere.example",
            "Fwd: Termin",
            body="Kunde: ACME\n\nbitte ablegen",
        )
    )
    assert keyword.thirdparty
    assert keyword.thirdparty[1] == "ACME GmbH"
    assert keyword.reason == "first line “ACME”"


def test_reply_in_a_known_thread_follows_the_thread(crm: App) -> None:
    r = room(crm)
    r.deliver(mail("anna@nordlicht.example", "max.weber@soylent.example", "Angebot", message_id="<t1@x>"))
    reply = r.deliver(
        mail("anna@nordlicht.example", "unknown@somewhere.example", "Re: Angebot", in_reply_to="<t1@x>")
    )
    assert reply.thirdparty
    assert reply.thirdparty[1] == "Soylent GmbH"
    assert reply.reason == "same thread as “Angebot”"


def test_company_address_then_domain_but_never_free_mail(crm: App) -> None:
    r = room(crm)
    by_email = r.deliver(mail("anna@nordlicht.example", "kontakt@soylent.example"))
    assert by_email.reason == "company address kontakt@soylent.example"
    by_domain = r.deliver(mail("anna@nordlicht.example", "new.person@acme.example"))
    assert by_domain.reason == "domain acme.example"
    free = r.deliver(mail("anna@nordlicht.example", "stranger@gmail.com"))
    assert free.status == "unresolved"


def test_a_contact_with_a_free_mail_address_is_matched_exactly(crm: App) -> None:
    outcome = room(crm).deliver(mail("anna@nordlicht.example", "paula.privat@gmail.com"))
    assert outcome.thirdparty
    assert outcome.thirdparty[1] == "ACME GmbH"
    assert outcome.contacts == ["Paula Privat"]


def test_two_companies_on_one_domain_are_not_guessed(crm: App) -> None:
    r = room(crm)
    outcome = r.deliver(mail("bob@nordlicht.example", "ceo@twins.example"))
    assert outcome.status == "unresolved"
    with crm.uow() as uow:
        row = uow.session.get(EmailMessage, outcome.email_id)
        assert row is not None
        assert [c["name"] for c in row.candidates or []] == ["Twin One AG", "Twin Two AG"]
    assert [n.kind for n in outcome.notices] == ["unresolved"]


def test_unresolved_mail_is_kept_and_the_sender_told_by_mail_then_a_reply_files_it(crm: App) -> None:
    r = room(crm)
    outcome = r.deliver(mail("bob@nordlicht.example", "boss@cyberdyne.example", "Pilot"))
    assert outcome.status == "unresolved"
    asyncio.run(r.room.notify(outcome))
    (notice,) = r.mailer.sent
    assert notice["To"] == "bob@nordlicht.example"
    assert notice["Subject"] == "Where should I file “Pilot”?"
    assert "crm+acme@nordlicht.example" in notice.get_content()
    answer = r.deliver(
        mail(
            "bob@nordlicht.example",
            BOT,
            "Re: Where should I file",
            body="Soylent\n",
            in_reply_to=str(notice["Message-ID"]),
        )
    )
    assert answer.status == "skipped"
    assert answer.thirdparty
    assert answer.thirdparty[1] == "Soylent GmbH"
    with crm.uow() as uow:
        original = uow.session.get(EmailMessage, outcome.email_id)
        assert original is not None
        assert (original.status, original.routing_rule) == ("archived", "chosen")


def test_forwarded_customer_mail_is_incoming_from_the_original_sender(crm: App) -> None:
    body = (
        "FYI\n\n---------- Forwarded message ---------\nFrom: Max Weber <max.weber@soylent.example>\n"
        "Date: Fri, 20 Nov 2026 at 10:00\nSubject: Bestellung\nTo: Anna <anna@nordlicht.example>\n\n"
        "Wir bestellen 10 Lizenzen.\n"
    )
    outcome = room(crm).deliver(mail("anna@nordlicht.example", BOT, "Fwd: Bestellung", body=body))
    assert outcome.thirdparty
    assert outcome.thirdparty[1] == "Soylent GmbH"
    assert outcome.contacts == ["Max Weber"]
    (event,) = archived(crm)
    assert event.type_code == ActivityType.EMAIL_IN


def test_mail_from_a_stranger_is_dropped_without_reply(crm: App) -> None:
    outcome = room(crm).deliver(mail("spammer@evil.example", BOT, "Buy now"))
    assert (outcome.status, outcome.notices) == ("rejected", [])
    assert archived(crm) == []


def test_internal_only_mail_and_never_log_are_not_archived(crm: App) -> None:
    r = room(crm)
    internal = r.deliver(mail("anna@nordlicht.example", "bob@nordlicht.example", "Mittag?"))
    assert (internal.status, internal.reason) == ("skipped", "only internal participants: not archived")
    with crm.uow() as uow:
        uow.session.add(NeverLog(pattern="acme.example", kind="domain"))
        uow.commit()
    hidden = r.deliver(mail("anna@nordlicht.example", "max.mustermann@acme.example"))
    assert (hidden.status, hidden.reason) == ("skipped", "never-log list: not archived")


def test_auto_replies_are_skipped_with_a_reason(crm: App) -> None:
    outcome = room(crm).deliver(
        mail(
            "anna@nordlicht.example",
            "max.mustermann@acme.example",
            "Automatische Antwort: Urlaub",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert outcome.status == "skipped"
    assert outcome.reason.startswith("auto-reply")


def test_loop_guard_holds_the_twenty_first_mail_from_one_sender(crm: App) -> None:
    r = room(crm)
    for n in range(20):
        r.deliver(mail("anna@nordlicht.example", "max.mustermann@acme.example", f"Mail {n}"))
    held = r.deliver(mail("anna@nordlicht.example", "max.mustermann@acme.example", "Mail 21"))
    assert held.status == "held"
    assert [n.kind for n in held.notices] == ["held"]
    text = render(held.notices[0], "de", "crm@nordlicht.example").text
    assert f"`crmbot unresolved release {held.email_id}`" in text
    with crm.uow() as uow:  # the user (or admin) lets it through: filed as if the guard were not there
        released = r.room.processor.release(uow.session, held.email_id, crm.clock.now())
        uow.commit()
    assert (released.status, released.thirdparty[1] if released.thirdparty else None) == (
        "archived",
        "ACME GmbH",
    )
    with crm.uow() as uow, pytest.raises(ValueError, match="not held"):
        r.room.processor.release(uow.session, held.email_id, crm.clock.now())


def test_loop_guard_does_not_hold_a_busy_user_writing_to_many_customers(crm: App) -> None:
    r = room(crm)
    for n in range(25):
        outcome = r.deliver(mail("anna@nordlicht.example", f"kunde{n}@acme.example", "Unser Angebot"))
        assert outcome.status == "archived", (n, outcome.reason)


def test_unknown_people_on_a_customer_domain_are_offered_not_created(crm: App) -> None:
    outcome = room(crm).deliver(
        mail("anna@nordlicht.example", ["max.mustermann@acme.example", "neu@acme.example"])
    )
    kinds = {n.kind: n for n in outcome.notices}
    assert set(kinds) == {"receipt", "new_people"}  # anna has receipts on
    assert kinds["new_people"].params["people"] == [{"email": "neu@acme.example", "name": None}]
    with crm.uow() as uow:
        from bot.crm.models import Contact

        assert uow.session.scalar(select(func.count()).select_from(Contact)) == 4


def test_receipt_says_where_and_why_in_the_users_language(crm: App) -> None:
    r = room(crm)
    outcome = r.deliver(mail("anna@nordlicht.example", "max.mustermann@acme.example", "Angebot Q1"))
    asyncio.run(r.room.notify(outcome))
    (receipt,) = r.mailer.sent
    filed, how = receipt.get_content().strip().split("\n\n")
    assert filed == "Abgelegt bei ACME GmbH / Max Mustermann — genaue Adresse max.mustermann@acme.example"
    assert how.startswith("Falsche Firma? Antworte mit dem richtigen Namen")
    assert receipt["Auto-Submitted"] == "auto-generated"


def _reply_to_receipt(r: Room, outcome_mail: bytes, first_line: str) -> tuple[int, str]:
    """Deliver *outcome_mail* (anna has receipts on), then anna's reply to the receipt; (mail id, status)."""
    outcome = r.deliver(outcome_mail)
    asyncio.run(r.room.notify(outcome))
    receipt = r.mailer.sent[-1]
    answer = r.deliver(
        mail(
            "anna@nordlicht.example",
            BOT,
            f"AW: {receipt['Subject']}",
            body=f"{first_line}\n\n> {receipt.get_content()}",
            in_reply_to=str(receipt["Message-ID"]),
        )
    )
    asyncio.run(r.room.notify(answer))
    return outcome.email_id, answer.status


def test_a_reply_to_a_receipt_with_another_company_moves_the_mail(crm: App) -> None:
    r = room(crm)
    pdf = [("Angebot.pdf", "application/pdf", b"%PDF-1.7 x")]
    sent = mail("anna@nordlicht.example", "max.mustermann@acme.example", "Angebot", attachments=pdf)
    email_id, status = _reply_to_receipt(r, sent, "Soylent")
    assert status == "skipped"
    (event,) = archived(crm)
    with crm.uow() as uow:
        row = uow.session.get(EmailMessage, email_id)
        assert row is not None
        doc = uow.session.scalars(select(Document)).one()
        tp_name = uow.session.scalar(
            select(func.min(Document.filename)).where(Document.thirdparty_id == event.thirdparty_id)
        )
        assert (row.status, row.routing_rule, row.activity_id) == ("archived", "chosen", event.id)
        assert event.thirdparty is not None
        assert event.thirdparty.name == "Soylent GmbH"
        assert event.contact_id is None  # Max Mustermann is ACME's, not Soylent's
        assert (doc.owner_id, tp_name) == (event.id, "Angebot.pdf")
    assert r.mailer.sent[-1].get_content().startswith("„Angebot“ bei Soylent GmbH abgelegt.")


def test_a_reply_undo_to_a_receipt_takes_the_mail_out_of_the_history(crm: App) -> None:
    r = room(crm)
    pdf = [("Angebot.pdf", "application/pdf", b"%PDF-1.7 y")]
    sent = mail("anna@nordlicht.example", "max.mustermann@acme.example", "Angebot", attachments=pdf)
    email_id, status = _reply_to_receipt(r, sent, "Rückgängig!")
    assert status == "skipped"
    assert archived(crm) == []
    with crm.uow() as uow:
        row = uow.session.get(EmailMessage, email_id)
        assert row is not None
        assert (row.status, row.routing_reason, row.activity_id) == (
            "skipped",
            "filing undone by the user",
            None,
        )
        assert uow.session.scalar(select(func.count()).select_from(Document)) == 0
    assert r.mailer.sent[-1]["Subject"] == "Herausgenommen: Angebot"
    # the mail can be filed again by hand
    with crm.uow() as uow, pytest.raises(ValueError, match="is not filed"):
        r.room.processor.unfile(uow.session, email_id)


def test_a_reply_to_a_receipt_from_someone_else_changes_nothing(crm: App) -> None:
    r = room(crm)
    outcome = r.deliver(mail("anna@nordlicht.example", "max.mustermann@acme.example", "Angebot"))
    asyncio.run(r.room.notify(outcome))
    receipt = r.mailer.sent[-1]
    answer = r.deliver(
        mail("bob@nordlicht.example", BOT, "Re", body="undo\n", in_reply_to=str(receipt["Message-ID"]))
    )
    assert (answer.status, answer.reason) == ("skipped", "only internal participants: not archived")
    (event,) = archived(crm)
    assert event.id == outcome.activity_id
    assert event.thirdparty is not None
    assert event.thirdparty.name == "ACME GmbH"


def test_mail_about_a_company_the_user_may_not_see_stays_unresolved(crm: App) -> None:
    with crm.uow() as uow:
        bob = uow.session.scalars(select(User).where(User.login == "bob")).one()
        from bot.crm.users import revoke

        revoke(uow.session, bob, "thirdparty.read_all")
        uow.commit()
    outcome = room(crm).deliver(mail("bob@nordlicht.example", "max.mustermann@acme.example"))
    assert outcome.status == "unresolved"


def test_assign_files_an_unresolved_mail(crm: App) -> None:
    r = room(crm)
    outcome = r.deliver(mail("bob@nordlicht.example", "boss@cyberdyne.example", "Pilot"))
    with crm.uow() as uow:
        from bot.crm.models import ThirdParty

        soylent = uow.session.scalars(select(ThirdParty).where(ThirdParty.name == "Soylent GmbH")).one()
        filed = r.room.processor.assign(uow.session, outcome.email_id, soylent.id, crm.clock.now())
        uow.commit()
    assert filed.status == "archived"
    assert filed.thirdparty == (soylent.id, "Soylent GmbH")


def test_received_mail_survives_until_processed(crm: App) -> None:
    """Stored but not processed (a crash between acceptance and filing): the next start files it."""
    from bot.messages import RawMail

    r = room(crm)
    r.room.receive(
        RawMail(
            mail("anna@nordlicht.example", "max.mustermann@acme.example"),
            "smtp",
            datetime.now(UTC) - timedelta(minutes=1),
        )
    )
    outcomes = Room(crm).room.process_pending()
    assert [o.status for o in outcomes] == ["archived"]
    assert Room(crm).room.process_pending() == []


def test_a_mail_is_claimed_once_and_the_claim_counts_the_attempt(crm: App) -> None:
    from bot.crm.models import EmailMessage
    from bot.messages import RawMail

    r = room(crm)
    raw = RawMail(mail("anna@nordlicht.example", "max.mustermann@acme.example"), "smtp", datetime.now(UTC))
    email_id = r.room.receive(raw)
    first = r.room.process(email_id)
    again = r.room.process(email_id)  # a second worker, or the start-up scan, after the first
    assert first.status == "archived"
    assert (again.status, again.reason) == ("", "already processed or taken by another worker")
    with crm.uow() as uow:
        row = uow.session.get_one(EmailMessage, email_id)
        assert (row.status, row.attempts, row.message_id) == ("archived", 1, first.message_id)
    assert len(archived(crm)) == 1
