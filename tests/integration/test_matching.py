"""Matching third parties and contacts by name, email and domain, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.crm.matching import Matcher, _contacts_by_email
from bot.crm.models import ContactEmail, ThirdParty
from bot.crm.rights import Scope
from tests.support.factories import company, person


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        acme = company(s, "ACME GmbH", email="info@acme.de", website="https://www.acme.de")
        company(s, "Acme Logistics Ltd", alias="AcmeLog")
        company(s, "Müller Bau GmbH")
        company(s, "Müller Logistik AG")
        company(s, "Schmidt & Partner GmbH & Co. KG", alias="S&P; Schmidt Partner")
        company(s, "Köhler Maschinenbau e.V.")
        company(s, "Initech Inc.", email="hello@gmail.com")
        soylent = company(s, "Soylent GmbH", email="kontakt@soylent.de")
        person(s, "Max", "Mustermann", acme, email="Max.Mustermann@acme.de")
        person(s, "Max", "Weber", soylent, email="max.weber@soylent.de")
        person(s, "Erika", "Musterfrau", acme)
        person(s, "Jürgen", "Köhler", soylent)
        uow.commit()
    return app


def tp_names(app: App, query: str) -> tuple[list[str], str | None, bool]:
    with app.uow() as uow:
        result = app.matcher(uow).thirdparty_by_name(query)
        best = result.best
        return [c.name for c in result.candidates], best.reason if best else None, result.ambiguous


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ACME", "ACME GmbH"),
        ("acme gmbh", "ACME GmbH"),
        ("Acme Logistics", "Acme Logistics Ltd"),
        ("acmelog", "Acme Logistics Ltd"),
        ("Mueller Bau", "Müller Bau GmbH"),
        ("Muller Logistik", "Müller Logistik AG"),
        ("MÜLLER BAU GMBH", "Müller Bau GmbH"),
        ("Koehler Maschinenbau", "Köhler Maschinenbau e.V."),
        ("Köhler Maschinenbau eV", "Köhler Maschinenbau e.V."),
        ("Schmidt & Partner", "Schmidt & Partner GmbH & Co. KG"),
        ("schmidt partner", "Schmidt & Partner GmbH & Co. KG"),
        ("S&P", "Schmidt & Partner GmbH & Co. KG"),
        ("initech", "Initech Inc."),
    ],
)
def test_name_variants_find_the_one_company(crm: App, query: str, expected: str) -> None:
    names, reason, ambiguous = tp_names(crm, query)
    assert not ambiguous, names
    assert names[0] == expected
    assert reason in {"exact name", "name", "alias", "name prefix", "partial name"}


def test_acme_alone_prefers_acme_gmbh_over_acme_logistics(crm: App) -> None:
    names, reason, _ = tp_names(crm, "ACME")
    assert names == ["ACME GmbH"]
    assert reason == "name"


def test_two_mueller_companies_are_ambiguous_not_guessed(crm: App) -> None:
    with crm.uow() as uow:
        result = crm.matcher(uow).thirdparty_by_name("Müller")
    assert result.ambiguous
    assert result.best is None
    assert sorted(c.name for c in result.top) == ["Müller Bau GmbH", "Müller Logistik AG"]
    assert {c.reason for c in result.top} == {"name prefix"}


def test_typo_is_a_fuzzy_match_with_a_lower_score(crm: App) -> None:
    with crm.uow() as uow:
        result = crm.matcher(uow).thirdparty_by_name("Soylnet")
    assert result.best is not None
    assert result.best.name == "Soylent GmbH"
    assert result.best.reason == "fuzzy"
    assert result.best.score < 0.9


def test_unknown_name_finds_nothing(crm: App) -> None:
    names, reason, _ = tp_names(crm, "Cyberdyne Systems")
    assert names == []
    assert reason is None


def test_email_matches_contact_then_domain_but_never_freemail(crm: App) -> None:
    with crm.uow() as uow:
        m = crm.matcher(uow)
        exact = m.thirdparty_by_email("MAX.MUSTERMANN@ACME.DE")
        domain = m.thirdparty_by_email("someone.new@acme.de")
        free = m.thirdparty_by_email("stranger@gmail.com")
        tp_email = m.thirdparty_by_email("kontakt@soylent.de")
    assert exact.best is not None
    assert (exact.best.name, exact.best.reason) == ("ACME GmbH", "email")
    assert domain.best is not None
    assert (domain.best.name, domain.best.reason) == ("ACME GmbH", "domain")
    assert not free.found
    assert tp_email.best is not None
    assert (tp_email.best.name, tp_email.best.reason) == ("Soylent GmbH", "email")


def test_first_name_fitting_two_contacts_is_ambiguous(crm: App) -> None:
    with crm.uow() as uow:
        result = crm.matcher(uow).contact_by_name("Max")
    assert result.ambiguous
    assert sorted(c.label for c in result.top) == ["Max Mustermann (ACME GmbH)", "Max Weber (Soylent GmbH)"]
    assert {c.reason for c in result.top} == {"first name"}


def test_first_name_within_a_known_company_is_decided(crm: App) -> None:
    with crm.uow() as uow:
        m = crm.matcher(uow)
        acme = m.thirdparty_by_name("ACME").best
        assert acme is not None
        result = m.contact_by_name("max", thirdparty_ids=[acme.id])
    assert result.best is not None
    assert result.best.name == "Max Mustermann"


@pytest.mark.parametrize("query", ["Juergen Koehler", "Jurgen Kohler", "JÜRGEN KÖHLER", "Köhler Jürgen"])
def test_contact_names_with_umlauts_and_transliterations(crm: App, query: str) -> None:
    with crm.uow() as uow:
        result = crm.matcher(uow).contact_by_name(query)
    assert result.best is not None, result
    assert result.best.name == "Jürgen Köhler"
    assert result.best.thirdparty_name == "Soylent GmbH"


def test_contact_by_email_is_case_insensitive(crm: App) -> None:
    with crm.uow() as uow:
        result = crm.matcher(uow).contact_by_email("max.mustermann@ACME.de")
    assert result.best is not None
    assert result.best.name == "Max Mustermann"


def test_renamed_company_is_found_under_its_new_name_at_once(crm: App) -> None:
    with crm.uow() as uow:
        m = crm.matcher(uow)
        assert m.thirdparty_by_name("Soylnet").found  # loads the fuzzy list
        from sqlalchemy import select

        from bot.crm.models import ThirdParty

        tp = uow.session.scalars(select(ThirdParty).where(ThirdParty.name == "Soylent GmbH")).one()
        tp.name = "Soylent Green AG"
        uow.commit()
    names, _, _ = tp_names(crm, "Soylent Green")
    assert names == ["Soylent Green AG"]
    with crm.uow() as uow:
        fuzzy = crm.matcher(uow).thirdparty_by_name("Soylnet Green")
    assert fuzzy.best is not None
    assert fuzzy.best.name == "Soylent Green AG"


def test_an_individuals_own_domain_is_not_a_company_domain(app: App) -> None:
    with app.uow() as uow:
        person_tp = company(uow.session, "Erika Privat", is_individual=True, email="erika@familie-muster.de")
        firm = company(uow.session, "Muster AG", email="info@muster.example")
        uow.commit()
        assert person_tp.email_domains == []
        assert firm.email_domains == ["muster.example"]


def test_contact_by_email_finds_extra_addresses_once_and_only_active_visible_contacts(crm: App) -> None:
    with crm.uow() as uow:
        s = uow.session
        acme = s.scalars(select(ThirdParty).where(ThirdParty.name == "ACME GmbH")).one()
        erika = person(s, "Erika", "Zweitadresse", acme, email="erika@acme.de")
        s.add(ContactEmail(contact_id=erika.id, email="E.Z@Privat.example", email_lower="e.z@privat.example"))
        s.add(ContactEmail(contact_id=erika.id, email="erika@acme.de", email_lower="erika@acme.de"))
        person(s, "Gone", "Away", acme, email="gone@acme.de", is_active=False)
        person(s, "Pia", "Privat", acme, email="pia@privat.example", is_private=True)
        uow.commit()
    with crm.uow() as uow:
        matcher = crm.matcher(uow)
        assert [c.name for c in matcher.contact_by_email("e.z@PRIVAT.example").candidates] == [
            "Erika Zweitadresse"
        ]
        # main and extra address both match: still one candidate
        assert [c.name for c in matcher.contact_by_email("erika@acme.de").candidates] == [
            "Erika Zweitadresse"
        ]
        assert matcher.contact_by_email("gone@acme.de").candidates == ()
        nobody = Scope(user_id=0, rights=frozenset({"contact.read"}), thirdparty_ids=None)
        restricted = Matcher.for_scope(uow.session, crm.fuzzy, nobody)
        assert restricted.contact_by_email("pia@privat.example").candidates == ()
        assert restricted.contact_by_email("e.z@privat.example").candidates[0].thirdparty_name == "ACME GmbH"
        # without contact.read nothing, and every such user shares one prebuilt statement
        for _ in range(2):
            blind = Scope(user_id=0, rights=frozenset(), thirdparty_ids=None)
            assert (
                Matcher.for_scope(uow.session, crm.fuzzy, blind).contact_by_email("erika@acme.de").best
                is None
            )
        statements = _contacts_by_email.cache_info().currsize
        blind = Scope(user_id=1, rights=frozenset(), thirdparty_ids=None)
        Matcher.for_scope(uow.session, crm.fuzzy, blind).contact_by_email("erika@acme.de")
        assert _contacts_by_email.cache_info().currsize == statements
