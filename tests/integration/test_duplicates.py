"""Finding likely duplicates: scored pairs with their reasons, and no pair for what only looks alike."""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from bot.crm.duplicates import (
    DuplicatePair,
    find_contact_duplicates,
    find_thirdparty_duplicates,
    likely_duplicate,
    name_similarity,
    phone_key,
    same_phone,
    vat_key,
)
from tests.support.factories import company, person


def pair_of(pairs: list[DuplicatePair], a: str, b: str) -> DuplicatePair | None:
    wanted = {a, b}
    return next((p for p in pairs if {p.first_name, p.second_name} == wanted), None)


@pytest.fixture
def companies(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        company(s, "Hooli XYZ", vat_number="DE 123.456.789")
        company(s, "Hooli Europe", vat_number="de123456789")
        company(s, "Stark Industries", email="tony@stark.example")
        company(s, "SI Holding", website="https://www.stark.example")
        company(s, "Wonka Sweets", phone="+49 30 1234567")
        company(s, "Chocolate Factory Berlin", phone="030 / 123 45 67")
        company(s, "Initech Systems")
        company(s, "Initech Sytems")
        company(s, "ACME GmbH")
        company(s, "Acme Inc.")
        company(s, "Bäckerei Schmidt", email="schmidt.baeckerei@gmail.com", email_domains=["gmail.com"])
        company(s, "Tischlerei Braun", email="braun.tischlerei@gmail.com", email_domains=["gmail.com"])
        company(s, "Müller Bau 1")
        company(s, "Müller Bau 2")
        company(s, "Globex Corporation")
        company(s, "Soylent GmbH")
        company(s, "Tyrell GmbH", vat_number="DE111111111")
        company(s, "Tyrell AG", vat_number="DE222222222")
        uow.commit()
    return app


def test_thirdparty_pairs_are_scored_with_their_reasons(companies: App) -> None:
    with companies.uow() as uow:
        pairs = find_thirdparty_duplicates(uow.session)
    vat = pair_of(pairs, "Hooli XYZ", "Hooli Europe")
    assert vat is not None
    assert vat.reasons == ("same VAT id",)
    assert vat.score == 95
    domain = pair_of(pairs, "Stark Industries", "SI Holding")
    assert domain is not None
    assert (domain.score, domain.reasons) == (60, ("same email domain",))
    phone = pair_of(pairs, "Wonka Sweets", "Chocolate Factory Berlin")
    assert phone is not None
    assert (phone.score, phone.reasons) == (60, ("same phone",))
    typo = pair_of(pairs, "Initech Systems", "Initech Sytems")
    assert typo is not None
    assert typo.reasons == ("similar name 96",)
    assert 70 < typo.score < 85
    same = pair_of(pairs, "ACME GmbH", "Acme Inc.")
    assert same is not None
    assert (same.score, same.reasons) == (85, ("same name",))
    assert (same.first_id, same.kind) < (same.second_id, "thirdparty")  # the older one first
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_no_pair_for_free_mail_numbered_or_unrelated_names(companies: App) -> None:
    with companies.uow() as uow:
        pairs = find_thirdparty_duplicates(uow.session, min_score=0)
    assert pair_of(pairs, "Bäckerei Schmidt", "Tischlerei Braun") is None  # both on gmail.com
    assert pair_of(pairs, "Müller Bau 1", "Müller Bau 2") is None
    assert pair_of(pairs, "Globex Corporation", "Soylent GmbH") is None
    assert pair_of(pairs, "ACME GmbH", "Soylent GmbH") is None


def test_different_vat_ids_speak_against_the_same_name(companies: App) -> None:
    with companies.uow() as uow:
        assert pair_of(find_thirdparty_duplicates(uow.session), "Tyrell GmbH", "Tyrell AG") is None
        low = pair_of(find_thirdparty_duplicates(uow.session, min_score=0), "Tyrell GmbH", "Tyrell AG")
    assert low is not None
    assert low.reasons == ("same name", "different VAT ids")
    assert low.score == 42


def test_evidence_adds_up(app: App) -> None:
    with app.uow() as uow:
        company(uow.session, "Umbrella Corp", email="info@umbrella.example", vat_number="GB123456789")
        company(
            uow.session, "Umbrella Corporation Ltd", email="info@umbrella.example", vat_number="GB123456789"
        )
        uow.commit()
    with app.uow() as uow:
        (pair,) = find_thirdparty_duplicates(uow.session)
    assert pair.reasons == ("same VAT id", "same email", "same name", "same email domain")
    assert pair.score == 100


def test_limit_and_min_score(companies: App) -> None:
    with companies.uow() as uow:
        assert len(find_thirdparty_duplicates(uow.session, limit=2)) == 2
        assert {p.score for p in find_thirdparty_duplicates(uow.session, min_score=90)} == {95}


@pytest.fixture
def people(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        acme = company(s, "ACME GmbH")
        soylent = company(s, "Soylent GmbH")
        person(s, "Max", "Mustermann", acme, email="max@acme.example")
        person(s, "Maximilian", "Muster", soylent, email="MAX@acme.example")
        person(s, "Erika", "Musterfrau", acme)
        person(s, "Erika", "Musterfrau", acme, phone="+49 30 555")
        person(s, "Max", "Weber", acme)
        person(s, "Max", "Weber", soylent)
        person(s, "M.", "Schulz", acme)
        person(s, "Martin", "Schulz", acme)
        person(s, "Hank", "Scorpio", acme)
        person(s, "Hank", "Scorpoi", acme)
        person(s, "Pepper", "Potts", None)
        person(s, "Pepper", "Potts", soylent)
        person(s, "Anna", "Schmidt", acme, extra_emails=["anna.schmidt@mail.example"])
        person(s, "Annette", "Kraus", soylent, email="anna.schmidt@mail.example")
        uow.commit()
    return app


def test_contact_pairs_are_scored_with_their_reasons(people: App) -> None:
    with people.uow() as uow:
        pairs = find_contact_duplicates(uow.session)
    email = pair_of(pairs, "Max Mustermann (ACME GmbH)", "Maximilian Muster (Soylent GmbH)")
    assert email is not None
    assert email.reasons == ("same email",)
    assert email.score == 95
    extra = pair_of(pairs, "Anna Schmidt (ACME GmbH)", "Annette Kraus (Soylent GmbH)")
    assert extra is not None
    assert extra.reasons == ("same email",)
    same = pair_of(pairs, "Erika Musterfrau (ACME GmbH)", "Erika Musterfrau (ACME GmbH)")
    assert same is not None
    assert (same.score, same.reasons) == (89, ("same name", "same third party"))
    initial = pair_of(pairs, "M. Schulz (ACME GmbH)", "Martin Schulz (ACME GmbH)")
    assert initial is not None
    assert initial.reasons == ("same last name", "same third party")
    typo = pair_of(pairs, "Hank Scorpio (ACME GmbH)", "Hank Scorpoi (ACME GmbH)")
    assert typo is not None
    assert typo.reasons[0].startswith("similar name ")
    loose = pair_of(pairs, "Pepper Potts", "Pepper Potts (Soylent GmbH)")
    assert loose is not None
    assert loose.reasons == ("same name", "one without third party")


def test_the_same_name_at_two_companies_is_two_people(people: App) -> None:
    with people.uow() as uow:
        pairs = find_contact_duplicates(uow.session)
    assert pair_of(pairs, "Max Weber (ACME GmbH)", "Max Weber (Soylent GmbH)") is None
    assert pair_of(pairs, "Max Mustermann (ACME GmbH)", "Erika Musterfrau (ACME GmbH)") is None


def test_likely_duplicate_of_a_new_company(companies: App) -> None:
    with companies.uow() as uow:
        s = uow.session
        acme = likely_duplicate(s, "ACME Gmbh")
        assert acme is not None
        assert acme.name == "ACME GmbH"  # the same spelling first, before Acme Inc.
        typo = likely_duplicate(s, "Initech Sytsems")
        assert typo is not None
        assert typo.name.startswith("Initech")
        by_mail = likely_duplicate(s, "Tony's shop", email="Tony@Stark.example")
        assert by_mail is not None
        assert by_mail.name == "Stark Industries"
        assert likely_duplicate(s, "Cyberdyne Systems") is None
        assert likely_duplicate(s, "Müller Bau 3") is None
        assert likely_duplicate(s, "ACME Gmbh", visible=lambda _id: False) is None


def test_normalised_keys() -> None:
    assert phone_key("+49 30 1234567") == phone_key("0049 (30) 123 45-67") == "49301234567"
    assert same_phone({"49301234567"}, {phone_key("030 1234567") or ""})
    assert not same_phone({phone_key("+1 512 555 0100") or ""}, {phone_key("+1 212 555 0100") or ""})
    assert phone_key("112") is None
    assert vat_key("DE 123.456.789") == vat_key("de-123456789") == "DE123456789"
    assert vat_key("n/a") is None
    assert name_similarity("initech systems", "systems initech") == 100
    assert name_similarity("muller bau 1", "muller bau 2") == 0
    assert name_similarity("acme", "globex", cutoff=85) == 0
