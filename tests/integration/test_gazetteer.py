"""The database gazetteer: what one lookup finds, in how many statements, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from bot.crm.gazetteer import MAX_ROWS_PER_KEY, WORDS_PER_STATEMENT, DatabaseGazetteer
from bot.crm.models import ThirdPartyStatus
from bot.crm.users import get_by_login
from tests.support.factories import company, person, user
from tests.support.statements import counted_statements


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna")
        acme = company(s, "ACME GmbH", alias="Roadrunner Supplies")
        hooli = company(s, "Hooli Logistics")
        company(s, "Closed Acme Logistics").status = ThirdPartyStatus.CLOSED
        person(s, "Max", "Mustermann", acme)
        person(s, "Acme", "Lange", hooli)  # a person whose first name is a company's
        person(s, "Erika", "Geheim", acme, is_private=True, created_by=anna)
        for n in range(MAX_ROWS_PER_KEY + 3):
            person(s, "Jürgen", f"Nummer{n}", hooli)
        uow.commit()
    return app


def lookup(app: App, keys: list[str], **kw: object) -> tuple[dict[str, list[tuple[str, str, str]]], int]:
    """What each key found as (kind, match, label), and how many statements the lookup ran."""
    with app.uow(read_only=True) as uow:
        gazetteer = DatabaseGazetteer(uow.session, **kw)  # type: ignore[arg-type]
        uow.session.connection()  # BEGIN is not the lookup's
        with counted_statements(app) as seen:
            found = gazetteer.lookup(keys)
    return {k: [(e.kind, e.match, e.label) for e in v] for k, v in found.items()}, len(seen)


def test_companies_and_people_come_back_from_one_statement(crm: App) -> None:
    found, statements = lookup(crm, ["acme", "max mustermann", "roadrunner supplies", "hooli", "lange"])
    assert statements == 1
    assert sorted(found["acme"]) == [
        ("contact", "first", "Acme Lange"),
        ("thirdparty", "name", "ACME GmbH"),
    ]
    assert [kind for kind, _, _ in found["acme"]][-1] == "contact"  # companies first under a key
    assert found["max mustermann"] == [("contact", "full", "Max Mustermann")]
    assert found["roadrunner supplies"] == [("thirdparty", "alias", "ACME GmbH")]
    assert found["lange"] == [("contact", "last", "Acme Lange")]
    assert ("thirdparty", "token", "Hooli Logistics") in found["hooli"]
    assert "Closed Acme Logistics" not in str(found)  # closed companies are not found


def test_a_common_first_name_is_cut_after_one_row_more_than_a_question_shows(crm: App) -> None:
    found, _ = lookup(crm, ["jurgen"])
    assert len(found["jurgen"]) == MAX_ROWS_PER_KEY + 1


def test_private_contacts_only_for_their_creator_and_hidden_companies_with_their_people(crm: App) -> None:
    with crm.uow() as uow:
        anna = get_by_login(uow.session, "anna")
        assert anna is not None
        anna_id = anna.id
        acme_id = next(iter({e.id for e in DatabaseGazetteer(uow.session).lookup(["acme"])["acme"]}))
    assert "geheim" not in lookup(crm, ["geheim"])[0]
    assert lookup(crm, ["geheim"], viewer=anna_id)[0]["geheim"] == [("contact", "last", "Erika Geheim")]
    hidden, _ = lookup(crm, ["acme", "mustermann"], visible=lambda tp: tp != acme_id)
    assert all(label != "ACME GmbH" for _, _, label in hidden.get("acme", []))
    assert "mustermann" not in hidden  # Max works at the hidden ACME
    without_people, _ = lookup(crm, ["acme", "max mustermann"], contacts=False)
    assert all(kind == "thirdparty" for v in without_people.values() for kind, _, _ in v)
    assert "max mustermann" not in without_people


def test_a_long_message_is_looked_up_in_chunks_on_sqlite_and_at_once_on_postgresql(crm: App) -> None:
    words = [f"filler{n}" for n in range(WORDS_PER_STATEMENT)] + ["hooli", "max mustermann"]
    found, statements = lookup(crm, words)
    assert statements == (1 if crm.db.engine.dialect.name == "postgresql" else 2)
    assert ("thirdparty", "token", "Hooli Logistics") in found["hooli"]
    assert found["max mustermann"] == [("contact", "full", "Max Mustermann")]
