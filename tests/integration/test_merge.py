"""Merging duplicates: every link moves to the record that stays, nothing points at the merged one, and the
merge is in the audit log."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.audit import Actor
from bot.crm.merge import MergeError, merge_contacts, merge_thirdparties
from bot.crm.models import (
    Activity,
    ActivityType,
    AuditLog,
    Base,
    Consent,
    Contact,
    ContactEmail,
    ContactTag,
    Contract,
    Document,
    EmailMessage,
    Invoice,
    Order,
    Project,
    ProspectStatus,
    Quote,
    SalesRep,
    Tag,
    ThirdParty,
    ThirdPartyTag,
    Ticket,
)
from bot.crm.thirdparties import assign_salesrep
from tests.conftest import NOW
from tests.support.factories import company, person, user


def references(target: str) -> list[tuple[Table, Any]]:
    """Every (table, column) with a foreign key to *target* — the same walk a later table would join."""
    return [
        (table, fk.parent)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == target and table.name != "thirdparty_keys"
    ]


def pointing_at(session: Session, target: str, ident: int) -> dict[str, int]:
    counts = {}
    for table, column in references(target):
        n = session.scalar(select(func.count()).select_from(table).where(column == ident)) or 0
        if n:
            counts[f"{table.name}.{column.name}"] = n
    return counts


def mail_row(**kw: Any) -> EmailMessage:
    return EmailMessage(
        message_id=kw.pop("message_id", "<m1@acme.example>"),
        received_at=NOW,
        received_via="import",
        raw_sha256="0" * 64,
        raw_size=10,
        status=kw.pop("status", "archived"),
        **kw,
    )


def commercial(model: type[Any], ref: str, tp: ThirdParty, contact: Contact | None = None) -> Any:
    return model(
        ref=ref, thirdparty_id=tp.id, contact_id=contact.id if contact else None, date=date(2026, 11, 2)
    )


@pytest.fixture
def acme_twice(app: App) -> dict[str, int]:
    """ACME GmbH (kept) and its duplicate ACME Gmbh with everything a third party can have."""
    with app.uow() as uow:
        s = uow.session
        anna, bob = user(s, "anna"), user(s, "bob")
        keep = company(
            s, "ACME GmbH", customer_type=2, phone="+49 30 1234567", note_public="Key account",
            custom_fields={"segment": "", "region": "north"}, email_domains=["acme.de"],
        )  # fmt: skip
        drop = company(
            s, "ACME Gmbh", customer_type=1, email="info@acme.example", website="https://acme.example",
            vat_number="DE123456789", town="Berlin", note_public="Met at the fair", note_private="Pays late",
            customer_code="CU-0002", alias="Acme Berlin", custom_fields={"segment": "B2B"},
            email_domains=["acme.de"], prospect_status=ProspectStatus.DO_NOT_CONTACT,
        )  # fmt: skip
        daughter = company(s, "ACME Services GmbH", parent_id=drop.id)
        max_ = person(s, "Max", "Mustermann", drop, email="max@acme.example")
        erika = person(s, "Erika", "Musterfrau", keep)
        log_activity(s, type_code=ActivityType.CALL, label="Call", start_at=NOW, owner=anna, contacts=[max_])
        log_activity(
            s, type_code=ActivityType.NOTE, label="Note on the duplicate", start_at=NOW - timedelta(days=3),
            owner=bob, thirdparty=drop, linked=("thirdparty", drop.id),
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.MEETING, label="Kept", start_at=NOW, owner=anna, contacts=[erika]
        )
        vip = Tag(label="VIP", type="customer")
        berlin = Tag(label="Berlin", type="customer")
        s.add_all([vip, berlin])
        s.flush()
        s.add_all(
            [
                ThirdPartyTag(tag_id=vip.id, thirdparty_id=keep.id),
                ThirdPartyTag(tag_id=vip.id, thirdparty_id=drop.id),
                ThirdPartyTag(tag_id=berlin.id, thirdparty_id=drop.id),
            ]
        )
        for rep, tp in ((anna, keep), (anna, drop), (bob, drop)):
            assign_salesrep(s, rep, tp)
        s.add(
            Document(
                sha256="a" * 64, filename="offer.pdf", size=3, owner_type="thirdparty", owner_id=drop.id,
                thirdparty_id=drop.id,
            )
        )  # fmt: skip
        project = Project(ref="PJ2611-0001", title="Rollout", thirdparty_id=drop.id)
        s.add(project)
        s.add(
            Ticket(
                ref="TS2611-0001", track_id="t1", subject="Broken", thirdparty_id=drop.id, contact_id=max_.id
            )
        )
        s.add_all(
            [
                commercial(Quote, "PR2611-0001", drop, max_),
                commercial(Order, "CO2611-0001", drop),
                commercial(Invoice, "IN2611-0001", drop),
                commercial(Contract, "CT2611-0001", drop),
            ]
        )
        s.add(mail_row(thirdparty_id=drop.id, subject="Offer"))
        s.add(
            mail_row(
                message_id="<m2@acme.example>", status="unresolved",
                candidates=[{"id": drop.id, "name": drop.name, "reason": "domain"},
                            {"id": keep.id, "name": keep.name, "reason": "domain"}],
            )
        )  # fmt: skip
        uow.commit()
        return {
            "keep": keep.id,
            "drop": drop.id,
            "daughter": daughter.id,
            "max": max_.id,
            "project": project.id,
        }


def test_merge_keeps_every_link(app: App, acme_twice: dict[str, int]) -> None:
    keep_id, drop_id = acme_twice["keep"], acme_twice["drop"]
    with app.uow() as uow:
        before = pointing_at(uow.session, "thirdparties", drop_id)
        kept_before = pointing_at(uow.session, "thirdparties", keep_id)
    assert {
        "activities.thirdparty_id", "contacts.thirdparty_id", "documents.thirdparty_id",
        "projects.thirdparty_id", "tickets.thirdparty_id", "quotes.thirdparty_id", "orders.thirdparty_id",
        "invoices.thirdparty_id",
        "contracts.thirdparty_id", "email_messages.thirdparty_id", "thirdparty_tags.thirdparty_id",
        "sales_reps.thirdparty_id", "thirdparty_domains.thirdparty_id", "thirdparties.parent_id",
        "audit_log.thirdparty_id",
    } <= set(before)  # fmt: skip

    with app.uow(Actor(user_id=None, channel="cli")) as uow:
        result = merge_thirdparties(uow.session, keep_id, drop_id)
        uow.commit()

    assert result.summary() == (
        "2 activities, 1 contact, 2 mails, 1 document, 1 project, 1 ticket, 1 quote, 1 order, 1 invoice, "
        "1 contract, 1 tag, 1 sales rep, 1 subsidiary re-pointed"
    )
    # VIP, anna, and both domains (acme.example came with the email KEEP took) were KEEP's already.
    assert result.removed == {"thirdparty_tags": 1, "sales_reps": 1, "thirdparty_domains": 2}
    assert (
        result.duplicates_summary() == f"1 tag, 1 sales rep, 2 email domains already on #{keep_id}, dropped"
    )
    with app.uow() as uow:
        s = uow.session
        assert pointing_at(s, "thirdparties", drop_id) == {}
        assert s.get(ThirdParty, drop_id) is None
        after = pointing_at(s, "thirdparties", keep_id)
        duplicates = {"thirdparty_tags.thirdparty_id": 1, "sales_reps.thirdparty_id": 1}
        for link, n in before.items():
            if link == "thirdparty_domains.thirdparty_id":
                continue  # checked below
            assert after[link] >= kept_before.get(link, 0) + n - duplicates.get(link, 0), link
        assert s.scalar(select(Document.owner_id).where(Document.filename == "offer.pdf")) == keep_id
        linked = s.scalar(select(Activity).where(Activity.label == "Note on the duplicate"))
        assert linked is not None
        assert (linked.thirdparty_id, linked.linked_type, linked.linked_id) == (
            keep_id,
            "thirdparty",
            keep_id,
        )
        assert s.get(ThirdParty, acme_twice["daughter"]).parent_id == keep_id  # type: ignore[union-attr]
        unresolved = s.scalar(select(EmailMessage).where(EmailMessage.status == "unresolved"))
        assert unresolved is not None
        assert unresolved.candidates == [{"id": keep_id, "name": "ACME GmbH", "reason": "domain"}]

        keep = s.get(ThirdParty, keep_id)
        assert keep is not None
        assert keep.name == "ACME GmbH"
        assert (keep.email, keep.vat_number, keep.town, keep.customer_code) == (
            "info@acme.example", "DE123456789", "Berlin", "CU-0002",
        )  # fmt: skip
        assert keep.phone == "+49 30 1234567"  # KEEP's own value stays
        assert keep.customer_type == 3  # prospect | customer
        assert keep.prospect_status == ProspectStatus.DO_NOT_CONTACT  # an opt-out survives
        assert keep.note_public == "Key account\nMet at the fair"
        assert keep.note_private == "Pays late"
        assert keep.alias == "Acme Berlin"  # "ACME Gmbh" has ACME GmbH's key: not an alias of its own
        assert keep.custom_fields == {"segment": "B2B", "region": "north"}
        assert sorted(keep.email_domains) == ["acme.de", "acme.example"]
        tags = s.scalars(select(ThirdPartyTag.tag_id).where(ThirdPartyTag.thirdparty_id == keep_id)).all()
        assert len(tags) == 2
        reps = s.scalars(select(SalesRep.user_id).where(SalesRep.thirdparty_id == keep_id)).all()
        assert len(reps) == 2

        merged = s.scalars(select(AuditLog).where(AuditLog.action == "merge")).one()
        assert (merged.object_type, merged.object_id, merged.thirdparty_id) == (
            "thirdparties",
            keep_id,
            keep_id,
        )
        assert merged.channel == "cli"
        assert merged.before is not None
        assert merged.before["name"] == "ACME Gmbh"
        assert merged.after is not None
        assert merged.after["merged_id"] == drop_id
        assert merged.after["moved"]["activities"] == 2
        assert "vat_number" in merged.after["filled"]
        # The re-pointed rows are audited one by one, too.
        moved = s.scalars(
            select(AuditLog).where(AuditLog.action == "update", AuditLog.object_type == "quotes")
        ).one()
        assert (moved.before, moved.after) == ({"thirdparty_id": drop_id}, {"thirdparty_id": keep_id})


def test_the_old_name_still_finds_the_merged_company(app: App) -> None:
    with app.uow() as uow:
        keep = company(uow.session, "Initech Systems GmbH")
        drop = company(uow.session, "Initech", alias="ITS")
        uow.commit()
    with app.uow() as uow:
        merge_thirdparties(uow.session, keep.id, drop.id)
        uow.commit()
    with app.uow() as uow:
        kept = uow.session.get(ThirdParty, keep.id)
        assert kept is not None
        assert kept.alias == "Initech; ITS"
        assert {k.key for k in kept.keys} >= {"initech systems", "initech", "its"}


def test_a_company_under_its_duplicate_takes_its_place_in_the_tree(app: App) -> None:
    with app.uow() as uow:
        group = company(uow.session, "Umbrella Holding")
        drop = company(uow.session, "Umbrella Corp", parent_id=group.id)
        keep = company(uow.session, "Umbrella Corporation", parent_id=drop.id)
        uow.commit()
    with app.uow() as uow:
        merge_thirdparties(uow.session, keep.id, drop.id)
        uow.commit()
    with app.uow() as uow:
        kept = uow.session.get(ThirdParty, keep.id)
        assert kept is not None
        assert kept.parent_id == group.id


@pytest.fixture
def max_twice(app: App) -> dict[str, int]:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna")
        acme = company(s, "ACME GmbH")
        keep = person(s, "Max", "Mustermann", acme, email="max@acme.example", note_private="decides")
        drop = person(
            s, "Max", "Mustermann", None, email="max.mustermann@gmail.example",
            phone_mobile="+49 170 1234567", job_title="CTO", no_marketing=True, note_private="prefers calls",
            extra_emails=["m@acme.example", "max@acme.example"],
        )  # fmt: skip
        other = person(s, "Erika", "Musterfrau", acme)
        s.add_all(
            [
                Consent(contact_id=drop.id, purpose="marketing", status="withdrawn", at=NOW, source="chat"),
                Consent(contact_id=keep.id, purpose="processing", status="granted", at=NOW, source="form"),
            ]
        )
        log_activity(s, type_code=ActivityType.CALL, label="Call", start_at=NOW, owner=anna, contacts=[drop])
        log_activity(
            s, type_code=ActivityType.MEETING, label="Workshop", start_at=NOW, owner=anna,
            contacts=[keep, drop, other],
        )  # fmt: skip
        s.add(Document(sha256="b" * 64, filename="cv.pdf", size=3, owner_type="contact", owner_id=drop.id))
        s.add(Ticket(ref="TS1", track_id="t1", subject="Login", thirdparty_id=acme.id, contact_id=drop.id))
        s.add(commercial(Quote, "PR1", acme, drop))
        s.add(mail_row(thirdparty_id=acme.id, contact_ids=[drop.id, other.id]))
        vip = Tag(label="VIP", type="contact")
        tech = Tag(label="Tech", type="contact")
        s.add_all([vip, tech])
        s.flush()
        s.add_all(
            [
                ContactTag(tag_id=vip.id, contact_id=keep.id),
                ContactTag(tag_id=vip.id, contact_id=drop.id),
                ContactTag(tag_id=tech.id, contact_id=drop.id),
            ]
        )
        uow.commit()
        return {"keep": keep.id, "drop": drop.id, "other": other.id}


def test_merge_contacts_keeps_every_link(app: App, max_twice: dict[str, int]) -> None:
    keep_id, drop_id = max_twice["keep"], max_twice["drop"]
    with app.uow() as uow:
        before = pointing_at(uow.session, "contacts", drop_id)
    assert {
        "activities.contact_id", "activity_attendees.contact_id", "consents.contact_id",
        "contact_emails.contact_id", "contact_tags.contact_id", "tickets.contact_id", "quotes.contact_id",
    } <= set(before)  # fmt: skip

    with app.uow(Actor(user_id=None, channel="cli")) as uow:
        result = merge_contacts(uow.session, keep_id, drop_id)
        uow.commit()

    assert result.removed == {"activity_attendees": 1, "contact_tags": 1, "contact_emails": 1}
    assert result.summary() == (
        "1 activity, 1 attendance, 1 mail, 1 document, 1 ticket, 1 quote, 1 consent record, 1 extra email, "
        "1 tag re-pointed"
    )
    with app.uow() as uow:
        s = uow.session
        assert pointing_at(s, "contacts", drop_id) == {}
        assert s.get(Contact, drop_id) is None
        keep = s.get(Contact, keep_id)
        assert keep is not None
        assert keep.thirdparty is not None
        assert keep.thirdparty.name == "ACME GmbH"
        assert (keep.email, keep.phone_mobile, keep.job_title) == (
            "max@acme.example",
            "+49 170 1234567",
            "CTO",
        )
        assert keep.no_marketing is True
        assert keep.note_private == "decides\nprefers calls"
        assert sorted(e.email_lower for e in keep.extra_emails) == [
            "m@acme.example",
            "max.mustermann@gmail.example",
        ]
        consents = s.scalars(select(Consent.purpose).where(Consent.contact_id == keep_id)).all()
        assert sorted(consents) == ["marketing", "processing"]
        workshop = s.scalars(select(Activity).where(Activity.label == "Workshop")).one()
        attending = [a.contact_id for a in workshop.attendees if a.contact_id is not None]
        assert sorted(attending) == sorted([keep_id, max_twice["other"]])
        call = s.scalars(select(Activity).where(Activity.label == "Call")).one()
        assert call.contact_id == keep_id
        assert s.scalar(select(Document.owner_id).where(Document.filename == "cv.pdf")) == keep_id
        mail = s.scalars(select(EmailMessage)).one()
        assert mail.contact_ids == [keep_id, max_twice["other"]]
        assert len(s.scalars(select(ContactTag).where(ContactTag.contact_id == keep_id)).all()) == 2
        assert (
            s.scalar(select(func.count()).select_from(ContactEmail).where(ContactEmail.contact_id == drop_id))
            == 0
        )
        actions = {
            (a.action, a.object_type, a.object_id)
            for a in s.scalars(select(AuditLog).where(AuditLog.channel == "cli"))
        }
        assert ("merge", "contacts", keep_id) in actions
        assert ("delete", "contacts", drop_id) in actions
        merged = s.scalars(select(AuditLog).where(AuditLog.action == "merge")).one()
        assert merged.before is not None
        assert merged.before["email"] == "max.mustermann@gmail.example"
        assert merged.after is not None
        assert merged.after["merged_id"] == drop_id


def test_a_contact_without_email_takes_the_duplicates_address(app: App) -> None:
    with app.uow() as uow:
        keep = person(uow.session, "Hank", "Scorpio", None)
        drop = person(
            uow.session, "H.", "Scorpio", None, email="hank@globex.example", extra_emails=["h@globex.example"]
        )
        uow.commit()
    with app.uow() as uow:
        result = merge_contacts(uow.session, keep.id, drop.id)
        uow.commit()
    assert result.filled["email"] == "hank@globex.example"
    with app.uow() as uow:
        kept = uow.session.get(Contact, keep.id)
        assert kept is not None
        assert (kept.firstname, kept.email) == ("Hank", "hank@globex.example")
        assert [e.email for e in kept.extra_emails] == ["h@globex.example"]


@pytest.mark.parametrize("kind", ["thirdparty", "contact"])
def test_merging_into_itself_or_an_unknown_id_is_refused(app: App, kind: str) -> None:
    with app.uow() as uow:
        tp = company(uow.session, "ACME GmbH")
        max_ = person(uow.session, "Max", "Mustermann", tp)
        uow.commit()
    merge = merge_thirdparties if kind == "thirdparty" else merge_contacts
    ident = tp.id if kind == "thirdparty" else max_.id
    what = "third party" if kind == "thirdparty" else "contact"
    with app.uow() as uow:
        with pytest.raises(MergeError, match=f"cannot merge {what} #{ident} into itself"):
            merge(uow.session, ident, ident)
        with pytest.raises(MergeError, match=f"no {what} #999"):
            merge(uow.session, ident, 999)
        with pytest.raises(MergeError, match=f"no {what} #999"):
            merge(uow.session, 999, ident)
    with app.uow() as uow:
        assert (
            uow.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "merge"))
            == 0
        )


def test_merge_error_is_a_value_error_for_the_cli() -> None:
    assert issubclass(MergeError, ValueError)
