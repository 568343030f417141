"""A subject access request: everything about one person, nothing about anyone else, and the export
itself in the audit log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.anonymize import anonymize_contact, anonymize_email, anonymize_thirdparty, require_contact
from bot.crm.audit import Actor
from bot.crm.gdpr import GdprError, export_person
from bot.crm.models import (
    ActivityType,
    AuditLog,
    Base,
    Consent,
    Contact,
    ContactEmail,
    EmailStatus,
    Percent,
    ProcessedMessage,
    ThirdParty,
)
from tests.support.factories import company, person, user
from tests.support.mail import BOT, Room, mail

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_export_holds_everything_about_the_person_and_nothing_else(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", emails=["anna@nordlicht.example"])
        acme = company(s, "ACME GmbH")
        max_ = person(s, "Max", "Mustermann", acme, email="max@acme.example")
        max_.extra_emails.append(
            ContactEmail(email="Max.Private@mail.example", email_lower="max.private@mail.example")
        )
        erika = person(s, "Erika", "Musterfrau", acme, email="erika@acme.example")
        s.add(Consent(contact_id=max_.id, purpose="marketing", status="withdrawn", at=NOW, source="chat"))
        log_activity(
            s, type_code=ActivityType.CALL, label="Call with Max", body="pricing", start_at=NOW, owner=anna,
            contacts=[max_],
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.MEETING, label="Workshop", start_at=NOW + timedelta(days=2), owner=anna,
            contacts=[erika, max_], percent=Percent.TODO,
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.NOTE, label="Only Erika", start_at=NOW, owner=anna, contacts=[erika]
        )  # fmt: skip
        uow.commit()
    room = Room(app)
    filed = room.deliver(
        mail(
            "Anna Berger <anna@nordlicht.example>",
            ["max@acme.example", BOT],
            subject="Angebot",
            attachments=[("angebot.pdf", "application/pdf", b"%PDF-1.4 offer")],
        )
    )
    assert filed.status == EmailStatus.ARCHIVED
    other = room.deliver(
        mail("Anna Berger <anna@nordlicht.example>", ["erika@acme.example", BOT], subject="Nur Erika")
    )
    assert other.status == EmailStatus.ARCHIVED

    for address in ("MAX@acme.example", "max.private@mail.example"):  # any of his addresses, any case
        with app.uow() as uow:
            data = export_person(uow.session, app.documents, address, now=NOW)
            uow.commit()
        assert [c["lastname"] for c in data["contacts"]] == ["Mustermann"]
        assert data["contacts"][0]["extra_emails"] == ["Max.Private@mail.example"]
        assert [(c["purpose"], c["status"]) for c in data["consents"]] == [("marketing", "withdrawn")]
        labels = [a["label"] for a in data["activities"]]
        assert "Call with Max" in labels
        assert "Workshop" in labels  # he attends
        assert "Only Erika" not in labels
        assert [m["subject"] for m in data["emails"]] == ["Angebot"]
        raw = base64.b64decode(data["emails"][0]["raw_base64"])
        assert b"Subject: Angebot" in raw
        (pdf,) = data["documents"]
        assert pdf["filename"] == "angebot.pdf"
        assert base64.b64decode(pdf["data_base64"]) == b"%PDF-1.4 offer"
        assert any(a["action"] == "create" for a in data["audit"])  # his contact record's history
        assert "Erika" not in str(data["contacts"]) + str([m["subject"] for m in data["emails"]])
    with app.uow(read_only=True) as uow:
        exports = uow.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
        assert len(exports) == 2
        assert exports[0].summary == "GDPR export for max@acme.example"


def test_export_of_an_unknown_or_bad_address(app: App) -> None:
    with app.uow() as uow:
        data = export_person(uow.session, app.documents, "nobody@nowhere.example", now=NOW)
        uow.commit()
    assert data["contacts"] == []
    assert data["activities"] == []
    assert data["emails"] == []
    with app.uow() as uow, pytest.raises(GdprError, match="is not an email address"):
        export_person(uow.session, app.documents, "not an address", now=NOW)


# --- anonymisation (the right to erasure) --------------------------------------------------------------

SECRET_BODY = "Geheimtext-4711 nur für Max"
ONLY_HIS_PDF = b"%PDF-1.4 offer for Max Mustermann, Hauptstrasse 5"
SHARED_PDF = b"%PDF-1.4 price list 2027"
IDENTIFYING = ("mustermann", "hauptstraße 5", "1234567", "5551234", "geheimtext", "golf")


def _world(app: App) -> tuple[int, int]:
    """Max (to be forgotten) and Erika at ACME, their events, consent, mail with attachments."""
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", emails=["anna@nordlicht.example"])
        acme = company(s, "ACME GmbH")
        max_ = person(
            s, "Max", "Mustermann", acme, email="max@acme.example", phone="+49 30 1234567",
            phone_mobile="0170 5551234", address="Hauptstraße 5", zip="10115", town="Berlin",
            job_title="Einkauf", note_private="plays golf on Fridays",
        )  # fmt: skip
        max_.birthday = date(1980, 5, 17)
        max_.custom_fields = {"linkedin": "linkedin.com/in/max-mustermann"}
        max_.extra_emails.append(ContactEmail(email="Max.Private@mail.example"))
        erika = person(s, "Erika", "Musterfrau", acme, email="erika@acme.example", phone="+49 30 7654321")
        s.add(Consent(contact_id=max_.id, purpose="marketing", status="withdrawn", at=NOW, note="by phone"))
        log_activity(
            s, type_code=ActivityType.CALL, label="Call with Max Mustermann",
            body="Max asked for prices; call him on 030 1234567", start_at=NOW, owner=anna, contacts=[max_],
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.MEETING, label="Workshop with Max and Erika", start_at=NOW, owner=anna,
            contacts=[erika, max_],
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.NOTE, label="Org chart", body="Max Mustermann reports to Erika",
            start_at=NOW, owner=anna, thirdparty=acme,
        )  # fmt: skip
        s.add(
            ProcessedMessage(
                channel="console", message_id="m-1", user_id=anna.id, processed_at=NOW,
                result={"contact": {"id": max_.id, "name": "Max Mustermann"}, "reply": "Max Mustermann"},
            )
        )  # fmt: skip
        uow.commit()
        max_id, erika_id = max_.id, erika.id
    room = Room(app)
    sender = "Anna Berger <anna@nordlicht.example>"
    for raw in (
        mail(
            sender, ["Max Mustermann <max@acme.example>", BOT], subject="Angebot für Max Mustermann",
            body=f"Hallo Max,\n\n{SECRET_BODY}\n",
            attachments=[("angebot_mustermann.pdf", "application/pdf", ONLY_HIS_PDF),
                         ("preise.pdf", "application/pdf", SHARED_PDF)],
        ),
        mail(
            sender, ["max@acme.example", "erika@acme.example", BOT], subject="Agenda",
            body=f"Hallo zusammen, {SECRET_BODY}",
            attachments=[("agenda.pdf", "application/pdf", b"%PDF agenda")],
        ),
        mail(
            sender, ["erika@acme.example", BOT], subject="Nur Erika", body="Erika-Text",
            attachments=[("preise.pdf", "application/pdf", SHARED_PDF)],
        ),
    ):  # fmt: skip
        assert room.deliver(raw).status == EmailStatus.ARCHIVED
    return max_id, erika_id


def _database_text(app: App) -> list[tuple[str, str]]:
    """Every row of every table as (table, lower-case text)."""
    rows = []
    with app.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                rows.append((table.name, str(tuple(row)).lower()))
    return rows


def _stored_files(app: App) -> dict[str, bytes]:
    root = app.settings.documents_dir
    return {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_anonymised_person_is_gone_from_export_database_and_files(app: App) -> None:
    max_id, erika_id = _world(app)
    with app.uow() as uow:
        before = export_person(uow.session, app.documents, "max@acme.example", now=NOW)
        uow.commit()
    assert len(before["emails"]) == 2
    assert {d["filename"] for d in before["documents"]} == {
        "angebot_mustermann.pdf",
        "preise.pdf",
        "agenda.pdf",
    }
    assert any(ONLY_HIS_PDF in data for data in _stored_files(app).values())

    with app.uow(Actor(None, "cli")) as uow:
        result = anonymize_contact(
            uow.session, app.documents, require_contact(uow.session, max_id), now=NOW, reason="asked by mail"
        )
        uow.commit()
    assert result.contacts == 1
    assert result.emails == 2
    assert result.originals == 2
    assert result.documents == 2  # the two files on his own mail; the agenda he shared with Erika stays
    assert result.files == 3  # his offer and both originals (stand-ins now); the price list is Erika's too
    assert result.activities == 4  # the call, the workshop and the two mails' events
    assert result.never_log == 2  # both his addresses: a new mail does not bring him back

    with app.uow() as uow:
        after = export_person(uow.session, app.documents, "max@acme.example", now=NOW)
        erika = export_person(uow.session, app.documents, "erika@acme.example", now=NOW)
        uow.commit()
        contact = uow.session.get(Contact, max_id)
        assert contact is not None
        assert (contact.lastname, contact.firstname, contact.email, contact.phone) == (
            f"anonymous-{max_id}",
            None,
            None,
            None,
        )
        assert (contact.address, contact.birthday, contact.custom_fields, contact.is_active) == (
            None,
            None,
            {},
            False,
        )
        assert contact.extra_emails == []
        consent = uow.session.scalars(select(Consent).where(Consent.contact_id == max_id)).one()
        assert (consent.status, consent.note) == ("withdrawn", None)  # kept as proof, the free text gone
    assert after["contacts"] == after["activities"] == after["emails"] == after["documents"] == []
    assert [n["pattern"] for n in after["never_log"]] == ["max@acme.example"]
    # Erika's data is intact; where she shared something with Max, he is an anonymous token now
    assert [c["lastname"] for c in erika["contacts"]] == ["Musterfrau"]
    assert erika["contacts"][0]["phone"] == "+49 30 7654321"
    workshop = next(a for a in erika["activities"] if a["label"].startswith("Workshop"))
    assert sorted(workshop["attendees"]) == ["Anna", "Erika Musterfrau", f"anonymous-{max_id}"]
    assert workshop["label"] == f"Workshop with anonymous-{max_id} and Erika"
    assert {m["subject"] for m in erika["emails"]} == {"Agenda", "Nur Erika"}
    raws = {m["subject"]: base64.b64decode(m["raw_base64"]) for m in erika["emails"]}
    assert b"Erika-Text" in raws["Nur Erika"]
    assert b"Geheimtext" not in raws["Agenda"]
    assert b"removed" in raws["Agenda"]
    assert b"erika@acme.example" in raws["Agenda"]
    assert {d["filename"] for d in erika["documents"]} == {"agenda.pdf", "preise.pdf"}
    text = json.dumps(erika, ensure_ascii=False).lower()
    assert not [word for word in IDENTIFYING if word in text]
    assert "max@acme.example" not in text

    for table, row in _database_text(app):
        assert not [word for word in IDENTIFYING if word in row], (table, row)
        assert "max.private@mail.example" not in row or table in ("never_log", "audit_log"), (table, row)
        if "max@acme.example" in row:  # the suppression entry, and the export asked for after the erasure
            allowed = ("never_log", "'export', 'contacts', 0,")
            assert table == "never_log" or (table == "audit_log" and any(a in row for a in allowed)), row
    files = _stored_files(app)
    for data in files.values():
        assert b"Mustermann" not in data
        assert b"Geheimtext" not in data
        assert b"max@acme.example" not in data
    assert SHARED_PDF in files.values()  # Erika's copy of the price list
    assert any(b"Erika-Text" in data for data in files.values())

    with app.uow(read_only=True) as uow:
        (entry,) = uow.session.scalars(select(AuditLog).where(AuditLog.action == "anonymize")).all()
    assert (entry.object_type, entry.object_id, entry.channel) == ("contacts", max_id, "cli")
    assert entry.summary == f"GDPR anonymisation of contact {max_id}: asked by mail"
    assert entry.after is not None
    assert entry.after["emails"] == 2
    assert erika_id != max_id


def test_anonymising_again_changes_nothing(app: App) -> None:
    max_id, _ = _world(app)
    for _ in range(2):
        with app.uow() as uow:
            contact = require_contact(uow.session, max_id)
            result = anonymize_contact(uow.session, app.documents, contact, now=NOW, reason="request")
            uow.commit()
    assert not result.changed
    files = _stored_files(app)
    with app.uow() as uow:
        again = anonymize_email(uow.session, app.documents, "MAX@acme.example", now=NOW, reason="request")
        uow.commit()
        assert not again.changed  # anonymised before: no error, nothing to do
        assert len(uow.session.scalars(select(AuditLog).where(AuditLog.action == "anonymize")).all()) == 1
    assert _stored_files(app) == files


def test_anonymise_by_address_and_refusals(app: App) -> None:
    _world(app)
    with app.uow() as uow, pytest.raises(GdprError, match="no contact with id 999"):
        require_contact(uow.session, 999)
    with app.uow() as uow, pytest.raises(GdprError, match="no contact or archived mail"):
        anonymize_email(uow.session, app.documents, "nobody@nowhere.example", now=NOW, reason="x")
    with app.uow() as uow, pytest.raises(GdprError, match="is not an email address"):
        anonymize_email(uow.session, app.documents, "not an address", now=NOW, reason="x")
    with app.uow() as uow:  # his second address finds him too
        result = anonymize_email(uow.session, app.documents, "max.private@mail.example", now=NOW, reason="x")
        uow.commit()
    assert (result.contacts, result.emails) == (1, 2)
    with app.uow() as uow:
        acme = uow.session.scalars(select(ThirdParty)).one()
        with pytest.raises(GdprError, match="is a company, not a private person"):
            anonymize_thirdparty(uow.session, app.documents, acme, now=NOW, reason="x")


def test_a_rollback_keeps_every_file(app: App) -> None:
    max_id, _ = _world(app)
    files = _stored_files(app)
    with app.uow() as uow:
        anonymize_contact(
            uow.session, app.documents, require_contact(uow.session, max_id), now=NOW, reason="x"
        )
        uow.rollback()
    assert set(files) <= set(_stored_files(app))  # the stand-ins were added, nothing was deleted


def test_a_private_customer_is_anonymised_with_their_mail(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        user(s, "anna", emails=["anna@nordlicht.example"])
        hans = company(
            s, "Hans Privatmann", is_individual=True, email="hans@mail.example", phone="0171 9876543",
            address="Gartenweg 12", vat_number="DE123456789",
        )  # fmt: skip
        uow.commit()
        hans_id = hans.id
    room = Room(app)
    raw = mail("Anna <anna@nordlicht.example>", ["hans@mail.example", BOT], subject="Hallo Hans Privatmann")
    assert room.deliver(raw).status == EmailStatus.ARCHIVED
    with app.uow() as uow:
        hans = uow.session.get(ThirdParty, hans_id)
        assert hans is not None
        result = anonymize_thirdparty(uow.session, app.documents, hans, now=NOW, reason="request")
        uow.commit()
        assert (hans.name, hans.email, hans.phone, hans.address, hans.vat_number) == (
            f"anonymous-thirdparty-{hans_id}",
            None,
            None,
            None,
            None,
        )
    assert (result.thirdparties, result.emails, result.never_log) == (1, 1, 1)
    for table, row in _database_text(app):
        assert "privatmann" not in row, (table, row)
        assert "gartenweg" not in row, (table, row)
