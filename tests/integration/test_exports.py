"""Export of third parties, contacts and activities as CSV and JSON; the CSV round trip through the import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.crm.activities import log_activity
from bot.crm.audit import Actor
from bot.crm.exports import COLUMNS, Entity, Format, export_rows, write_export
from bot.crm.imports import import_contacts, import_thirdparties
from bot.crm.models import ActivityType, Percent, Tag, TagType, ThirdParty, ThirdPartyTag
from storage import UnitOfWork, migrate
from storage.engine import make_engine
from tests.conftest import NOW, make_app
from tests.support.factories import company, person, user

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Columns that name this database's rows or this run, not the data: they differ after a round trip.
NOT_DATA = {"id", "parent_id", "thirdparty_id", "import_key", "created_at", "updated_at"}


@pytest.fixture
def crm(app: App) -> App:
    """ACME (tagged, with a parent and custom fields), a closed company, contacts and two activities."""
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna")
        user(s, "bob", timezone="America/New_York", language="en")
        holding = company(s, "ACME Holding AG", customer_type=0, country_code="DE")
        acme = company(
            s, "ACME GmbH", alias="ACME", email="info@acme.de", website="https://www.acme.de", town="Berlin",
            country_code="DE", customer_code="CU-1", vat_number="DE123", prospect_status=3,
            prospect_level="PL_HIGH", is_supplier=True, parent_id=holding.id,
            custom_fields={"industry": "Metall"}, note_private="Zahlt pünktlich,\naber spät.",
            converted_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        )  # fmt: skip
        company(s, "Wayne Enterprises", customer_type=2, status=0, email="info@wayne.example")
        for label in ("VIP", "Metall"):
            tag = Tag(label=label, type=TagType.CUSTOMER)
            s.add(tag)
            s.flush()
            s.add(ThirdPartyTag(tag_id=tag.id, thirdparty_id=acme.id))
        max_ = person(
            s, "Max", "Mustermann", acme, email="max@acme.de", extra_emails=["m.mustermann@acme.de"],
            job_title="Einkauf", civility="MR", birthday=date(1980, 4, 12), phone_mobile="+49 171 1",
        )  # fmt: skip
        person(s, "Erika", "Musterfrau", acme, is_active=False, language="de")
        person(s, None, "Pepper", None, email="pepper@freelance.example")
        log_activity(
            s, type_code=ActivityType.CALL, label="Preise Q1", body="Preise Q1 besprochen.", owner=anna,
            thirdparty=acme, contacts=[max_], start_at=NOW - timedelta(days=1), percent=Percent.DONE,
            call_duration_s=600,
        )  # fmt: skip
        log_activity(
            s, type_code=ActivityType.MEETING, label="Werksbesichtigung", owner=anna, contacts=[max_],
            start_at=NOW + timedelta(days=2), end_at=NOW + timedelta(days=2, hours=1), percent=Percent.TODO,
        )  # fmt: skip
        uow.commit()
    return app


def export(app: App, entity: Entity, fmt: Format) -> tuple[str, int]:
    out = io.StringIO(newline="")
    with app.uow(read_only=True) as uow:
        written = write_export(uow.session, entity, fmt, out)
    return out.getvalue(), written


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def by_name(rows: list[dict[str, Any]], key: str = "name") -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_third_parties_as_csv_with_plain_headers(crm: App) -> None:
    text, written = export(crm, "thirdparties", "csv")

    rows = csv_rows(text)
    assert written == len(rows) == 3
    assert text.splitlines()[0] == ",".join(COLUMNS["thirdparties"])
    acme = by_name(rows)["ACME GmbH"]
    flags = ("alias", "customer", "prospect", "supplier", "status", "country", "url")
    assert [acme[k] for k in flags] == ["ACME", "yes", "no", "yes", "1", "DE", "https://www.acme.de"]
    assert (acme["customer_code"], acme["vat_number"], acme["prospect_status"], acme["prospect_level"]) == (
        "CU-1", "DE123", "3", "PL_HIGH",
    )  # fmt: skip
    assert (acme["parent"], acme["email_domains"], acme["tags"]) == (
        "ACME Holding AG",
        "acme.de",
        "Metall; VIP",
    )
    assert acme["custom_fields"] == '{"industry": "Metall"}'
    assert acme["note_private"] == "Zahlt pünktlich,\naber spät."
    assert acme["converted_at"] == "2026-03-01T09:30:00+00:00"
    assert acme["created_at"].endswith("+00:00")
    wayne = by_name(rows)["Wayne Enterprises"]
    assert (wayne["customer"], wayne["prospect"], wayne["status"], wayne["tags"], wayne["parent"]) == (
        "no", "yes", "0", "", "",
    )  # fmt: skip


def test_contacts_as_csv(crm: App) -> None:
    text, written = export(crm, "contacts", "csv")

    rows = by_name(csv_rows(text), "lastname")
    assert written == 3
    max_ = rows["Mustermann"]
    assert (max_["firstname"], max_["thirdparty"], max_["email"], max_["extra_emails"]) == (
        "Max", "ACME GmbH", "max@acme.de", "m.mustermann@acme.de",
    )  # fmt: skip
    assert (max_["civility"], max_["job_title"], max_["birthday"], max_["phone_mobile"]) == (
        "MR", "Einkauf", "1980-04-12", "+49 171 1",
    )  # fmt: skip
    assert (rows["Musterfrau"]["active"], rows["Musterfrau"]["language"]) == ("no", "de")
    assert (rows["Pepper"]["firstname"], rows["Pepper"]["thirdparty"], rows["Pepper"]["thirdparty_id"]) == (
        "",
        "",
        "",
    )


def test_activities_as_json_with_owner_contact_and_offsets(crm: App) -> None:
    text, written = export(crm, "activities", "json")

    data = json.loads(text)
    assert written == len(data) == 2
    call, meeting = data
    assert list(call) == list(COLUMNS["activities"])
    assert (call["type_code"], call["label"], call["percent"], call["call_duration_s"]) == (
        "AC_TEL", "Preise Q1", 100, 600,
    )  # fmt: skip
    assert (call["thirdparty"], call["contact"], call["owner"], call["author"]) == (
        "ACME GmbH", "Max Mustermann", "anna", "anna",
    )  # fmt: skip
    assert call["attendees"] == ["Max Mustermann", "anna"]
    assert call["start_at"] == "2026-11-22T08:00:00+00:00"
    assert call["body"] == "Preise Q1 besprochen."
    assert (meeting["type_code"], meeting["percent"], meeting["thirdparty"]) == ("AC_RDV", 0, "ACME GmbH")
    assert (meeting["start_at"], meeting["end_at"]) == (
        "2026-11-25T08:00:00+00:00",
        "2026-11-25T09:00:00+00:00",
    )


def test_json_uses_json_types(crm: App) -> None:
    text, _ = export(crm, "thirdparties", "json")

    acme = by_name(json.loads(text))["ACME GmbH"]
    assert (acme["customer"], acme["supplier"], acme["status"]) == (True, True, 1)
    assert (acme["tags"], acme["email_domains"], acme["custom_fields"]) == (
        ["Metall", "VIP"],
        ["acme.de"],
        {"industry": "Metall"},
    )
    assert acme["parent_id"] == by_name(json.loads(text))["ACME Holding AG"]["id"]


@pytest.mark.parametrize("entity", ["thirdparties", "contacts", "activities"])
def test_an_empty_database_exports_a_header_or_an_empty_list(app: App, entity: Entity) -> None:
    assert export(app, entity, "csv") == (",".join(COLUMNS[entity]) + "\n", 0)
    assert export(app, entity, "json") == ("[]\n", 0)


def test_export_rows_pages_through_more_than_one_chunk(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.crm.exports.CHUNK", 3)
    with sqlite_app.uow() as uow:
        for i in range(7):
            company(uow.session, f"Firma {i} GmbH", email=f"info@firma{i}.de")
        uow.commit()
    with sqlite_app.uow() as uow:
        rows = list(export_rows(uow.session, "thirdparties"))
    assert [r["name"] for r in rows] == [f"Firma {i} GmbH" for i in range(7)]
    assert [r["email_domains"] for r in rows] == [[f"firma{i}.de"] for i in range(7)]


def test_unknown_entity_or_format_is_refused(sqlite_app: App) -> None:
    with sqlite_app.uow() as uow, pytest.raises(ValueError, match="cannot export 'invoices'"):
        export_rows(uow.session, "invoices")  # type: ignore[arg-type]
    with sqlite_app.uow() as uow, pytest.raises(ValueError, match="unknown export format 'xml'"):
        write_export(uow.session, "contacts", "xml", io.StringIO())  # type: ignore[arg-type]


# -- the round trip ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[App]:
    """A second, empty database (SQLite), to import an export into."""
    url = f"sqlite:///{tmp_path / 'fresh' / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    application = make_app(url, tmp_path / "fresh" / "data")
    yield application
    application.close()


def exported_files(app: App, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(exist_ok=True)
    tps, people = folder / "thirdparties.csv", folder / "contacts.csv"
    with app.uow(read_only=True) as uow, tps.open("w", encoding="utf-8", newline="") as out:
        write_export(uow.session, "thirdparties", "csv", out)
    with app.uow(read_only=True) as uow, people.open("w", encoding="utf-8", newline="") as out:
        write_export(uow.session, "contacts", "csv", out)
    return tps, people


def data_of(app: App, entity: Entity) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        rows = [
            {k: v for k, v in row.items() if k not in NOT_DATA} for row in export_rows(uow.session, entity)
        ]
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


def importer(app: App) -> Callable[[], UnitOfWork]:
    return lambda: app.uow(Actor(user_id=None, channel="import"))


def test_csv_export_imports_into_a_fresh_database_as_the_same_data(
    crm: App, fresh_app: App, tmp_path: Path
) -> None:
    with crm.uow() as uow:
        company(uow.session, "Soylent GmbH")
        uow.commit()
    import_thirdparties(importer(crm), FIXTURES / "thirdparties_dolibarr_codes.csv")
    import_thirdparties(importer(crm), FIXTURES / "thirdparties_cp1252.csv")
    import_contacts(importer(crm), FIXTURES / "contacts_dolibarr_codes.csv")
    tps_csv, contacts_csv = exported_files(crm, tmp_path / "out")

    tps_report = import_thirdparties(importer(fresh_app), tps_csv)
    contacts_report = import_contacts(importer(fresh_app), contacts_csv)

    assert (tps_report.errors, contacts_report.errors) == ([], [])
    assert tps_report.ignored_columns == ["import_key", "created_at", "updated_at"]
    assert (tps_report.created, tps_report.updated, contacts_report.created) == (11, 0, 6)
    assert data_of(fresh_app, "thirdparties") == data_of(crm, "thirdparties")
    assert data_of(fresh_app, "contacts") == data_of(crm, "contacts")
    with fresh_app.uow() as uow:
        acme, holding = (
            uow.session.scalars(select(ThirdParty).where(ThirdParty.name == name)).one()
            for name in ("ACME GmbH", "ACME Holding AG")
        )
        assert acme.parent_id == holding.id


def test_csv_export_reimported_into_the_same_database_only_updates(crm: App, tmp_path: Path) -> None:
    before = data_of(crm, "thirdparties"), data_of(crm, "contacts")
    tps_csv, contacts_csv = exported_files(crm, tmp_path / "out")

    tps_report = import_thirdparties(importer(crm), tps_csv)
    contacts_report = import_contacts(importer(crm), contacts_csv)

    assert (tps_report.created, tps_report.updated, tps_report.errors) == (0, 3, [])
    assert (contacts_report.created, contacts_report.updated, contacts_report.errors) == (0, 3, [])
    assert (data_of(crm, "thirdparties"), data_of(crm, "contacts")) == before
