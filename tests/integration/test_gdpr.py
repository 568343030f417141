"""A subject access request: everything about one person, nothing about anyone else, and the export
itself in the audit log."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.gdpr import GdprError, export_person
from bot.crm.models import ActivityType, AuditLog, Consent, ContactEmail, EmailStatus, Percent
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
