"""Any bytes given to the CSV importer end in a report or one clear ImportFileError, never anything else; the
rows it reports as imported are in the database and read back."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.bootstrap import App
from bot.crm.audit import Actor
from bot.crm.imports import ImportFileError, ImportReport, import_contacts, import_thirdparties
from bot.crm.models import Contact, ThirdParty
from tests.support.factories import company

THIRDPARTY_HEADERS = [
    "name", "alias", "customer", "prospect", "supplier", "email", "phone", "url", "town", "country", "tags",
    "vat_number", "customer_code", "parent", "email_domains", "custom:industry", "custom_fields", "id",
    "s.nom", "s.name_alias", "s.client", "s.fournisseur", "s.status", "s.code_client", "s.fk_pays",
    "s.fk_stcomm", "s.fk_prospectlevel", "s.fk_typent", "s.note_private", "s.ref_ext", "extra.industry",
    "Third-party name* (s.nom)", "Status* (s.status)", "Country code (s.fk_pays)", "Staff (s.fk_effectif)",
]  # fmt: skip
CONTACT_HEADERS = [
    "firstname", "lastname", "thirdparty", "email", "phone", "job_title", "country", "birthday",
    "s.civility", "s.lastname", "s.firstname", "s.fk_soc", "s.poste", "s.birthday", "s.priv", "s.fk_pays",
]  # fmt: skip
# Values that mean something to one column or another, and values that mean trouble to any.
CELLS = [
    "ACME GmbH", "Müller Bau GmbH", "yes", "no", "ja", "1", "0", "2", "-1", "PL_HIGH", "TE_SMALL", "DE",
    "Deutschland", "Narnia", "info@acme.example", "not an email", "@", "+49 30 1234567", "https://x.example",
    "www.", "24.12.1975", "1980-02-30", "31/12/99", "VIP; Metall", '{"a": 1}', "{not json", "[]", "null",
    "Robert'); DROP TABLE thirdparties;--", "<script>alert(1)</script> & *bold* _x_ <b>", "<!channel>",
    "=HYPERLINK(\"x\")", "\u202eevil", "a\u200bb", "👍", "", " ", '"', '""', ";", ",", "\n", "\r\n",
    "\x00", "9" * 40, "x" * 300, "CU2401-0001", "PL_NONE", "TE_UNKNOWN", "3.5", "1e308", "-0",
]  # fmt: skip

cell = st.one_of(
    st.sampled_from(CELLS), st.text(max_size=40), st.text(min_size=1, max_size=3).map(lambda s: s * 400)
)
NAMES = ["name", "s.nom", "Third-party name* (s.nom)"]
CONTACT_NAMES = ["lastname", "s.lastname"]


@st.composite
def csv_bytes(draw: st.DrawFn, names: list[str], headers: list[str]) -> bytes:
    """A CSV file as spreadsheets write one (and as they should not): mostly a name column and known ones,
    sometimes any header; any cells, encoding, delimiter and quoting; now and then cut off."""
    known = draw(st.lists(st.sampled_from(headers), unique=True, max_size=7))
    header = [draw(st.sampled_from(names)), *known] if draw(st.integers(0, 5)) else known
    if not draw(st.integers(0, 5)):
        header.append(draw(st.text(max_size=20)))
    width = max(len(header), 1)
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=width + 1), min_size=0, max_size=12))
    delimiter = draw(st.sampled_from([",", ",", ",", ";", ";", ";", "\t", "|"]))
    out = io.StringIO()
    if draw(st.booleans()) and delimiter in ",;":
        out.write(f"sep={delimiter}\r\n")
    if not draw(st.integers(0, 4)):  # no quoting at all: delimiters and quotes inside cells break rows
        for line in [header, *rows]:
            out.write(delimiter.join(line) + draw(st.sampled_from(["\n", "\r\n", "\r"])))
    else:
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
        writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "cp1252", "utf-16"]))
    data = out.getvalue().encode(encoding, errors="replace")
    if not draw(st.integers(0, 5)):  # a file cut off mid-record (or mid-character)
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    return data


thirdparty_csv = csv_bytes(NAMES, THIRDPARTY_HEADERS)
contact_csv = csv_bytes(CONTACT_NAMES, [*CONTACT_HEADERS, "name", "customer_code"])
files = st.one_of(st.just(b""), st.binary(max_size=300), thirdparty_csv, thirdparty_csv, thirdparty_csv)
contact_files = st.one_of(st.binary(max_size=200), contact_csv, contact_csv, contact_csv)
_names = itertools.count()


def _check(app: App, report: ImportReport, model: type[Any]) -> None:
    assert report.created + report.updated + report.skipped == report.total
    assert report.skipped >= len({e.line for e in report.errors if "parent" not in e.reason})
    assert all(e.line >= 2 and e.reason.strip() for e in report.errors)
    with app.uow(read_only=True) as uow:
        imported = list(uow.session.scalars(select(model).where(model.import_key == report.import_key)))
    # Each created row is a record of its own; rows that update may meet the same record twice.
    assert report.created <= len(imported) <= report.created + report.updated
    for record in imported:  # what went in reads back as text
        name = record.name if isinstance(record, ThirdParty) else record.full_name
        assert isinstance(name, str)
        assert name.strip()


def _run(app: App, tmp_path: Path, data: bytes, entity: str) -> None:
    path = tmp_path / f"fuzz-{next(_names)}.csv"
    path.write_bytes(data)
    run = import_thirdparties if entity == "thirdparties" else import_contacts
    model = ThirdParty if entity == "thirdparties" else Contact
    try:
        report = run(lambda: app.uow(Actor(user_id=None, channel="import")), path, batch_size=5)
    except ImportFileError as exc:
        message = str(exc)
        event(f"refused: {message.split(':', maxsplit=1)[0][:40]}")
        assert message.strip()
        assert "Traceback" not in message
        assert "\x00" not in message
        return
    event(f"imported: {'some' if report.created + report.updated else 'none'}")
    _check(app, report, model)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=files)
def test_thirdparty_import_of_any_file_reports_or_refuses_clearly(
    app: App, tmp_path: Path, data: bytes
) -> None:
    _run(app, tmp_path, data, "thirdparties")


@pytest.fixture
def with_companies(app: App) -> App:
    with app.uow() as uow:
        company(uow.session, "ACME GmbH")
        company(uow.session, "Müller Bau GmbH")
        company(uow.session, "Robert'); DROP TABLE thirdparties;--")
        uow.commit()
    return app


@FUZZ
@given(data=contact_files)
def test_contact_import_of_any_file_reports_or_refuses_clearly(
    with_companies: App, tmp_path: Path, data: bytes
) -> None:
    _run(with_companies, tmp_path, data, "contacts")


def test_a_nul_byte_deep_in_the_file_and_an_overlong_name_are_row_errors(app: App, tmp_path: Path) -> None:
    """The binary check looks at the start of the file only; what slips past it is refused row by row."""
    filler = "".join(f"Firma {n},Berlin\n" for n in range(700))  # past the first 8 KiB
    path = tmp_path / "late.csv"
    path.write_bytes(
        f"name,town\n{filler}Null\x00Byte GmbH,Köln\n{'L' * 300},Bonn\nLast GmbH,Kiel\n".encode()
    )
    report = import_thirdparties(lambda: app.uow(Actor(user_id=None, channel="import")), path)
    _check(app, report, ThirdParty)
    errors = {e.line: e.reason for e in report.errors}
    assert errors[703] == "name is too long (300 characters, at most 255)"
    assert set(errors) <= {702, 703}  # PostgreSQL refuses NUL in text: "refused by the database: …"
    assert report.created == 701 + (702 not in errors)
