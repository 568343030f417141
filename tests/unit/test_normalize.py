"""Name normalisation: one key for every way a salesperson spells a name."""

from __future__ import annotations

import pytest

from bot.normalize import (
    email_domain,
    fold,
    is_freemail,
    name_key,
    normalize_email,
    split_aliases,
    website_domain,
)


@pytest.mark.parametrize(
    ("variants", "key"),
    [
        (["Müller", "Mueller", "Muller", "MÜLLER", "müller"], "muller"),
        (["Köhler", "Koehler", "Kohler"], "kohler"),
        (["Jürgen", "Juergen", "Jurgen"], "jurgen"),
        (["Straße", "Strasse", "STRASSE"], "strasse"),
        (["Ærø", "Aero"], "aro"),
        (["Société Générale", "Societe Generale"], "societe generale"),
        (["O'Brien", "OBrien", "O’Brien"], "obrien"),
    ],
)
def test_spellings_fold_to_one_key(variants: list[str], key: str) -> None:
    assert {fold(v) for v in variants} == {key}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME GmbH", "acme"),
        ("Acme Logistics Ltd.", "acme logistics"),
        ("Müller Bau GmbH & Co. KG", "muller bau"),
        ("Schmidt & Partner", "schmidt partner"),
        ("Köhler Maschinenbau e.V.", "kohler maschinenbau"),
        ("Initech, Inc.", "initech"),
        ("Globex Corporation", "globex"),
        ("Stark Industries LLC", "stark industries"),
        ("Siemens AG", "siemens"),
        ("Mini UG (haftungsbeschränkt)", "mini"),
        ("AG", "ag"),  # never strip a name down to nothing
        ("The Company", "the company"),
        ("Müller und Söhne", "muller sohne"),
        ("Müller & Söhne KG", "muller sohne"),
        ("Procter and Gamble", "procter gamble"),
        ("Und Co", "und co"),  # a name of stop words keeps its suffix
    ],
)
def test_legal_suffixes_are_removed(name: str, key: str) -> None:
    assert name_key(name) == key


def test_aliases_split_on_semicolon_and_bar_but_not_comma() -> None:
    assert split_aliases("ACME; Acme Deutschland | ACME DE") == ["ACME", "Acme Deutschland", "ACME DE"]
    assert split_aliases("Schmidt, Meyer & Partner") == ["Schmidt, Meyer & Partner"]
    assert split_aliases(None) == []


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Max.Mustermann@ACME.de", "max.mustermann@acme.de"),
        ("<max@acme.de>", "max@acme.de"),
        ("mailto:max@acme.de", "max@acme.de"),
        ("not an address", None),
        ("a@b@c.de", None),
        ("max@localhost", None),
        ("", None),
    ],
)
def test_email_normalisation(raw: str, normalized: str | None) -> None:
    assert normalize_email(raw) == normalized


def test_domains_and_free_mail() -> None:
    assert email_domain("Max@Acme.DE") == "acme.de"
    assert website_domain("https://www.acme.de/kontakt?x=1") == "acme.de"
    assert website_domain("acme.de") == "acme.de"
    assert website_domain("not a site") is None
    assert is_freemail("gmail.com")
    assert is_freemail("t-online.de")
    assert not is_freemail("acme.de")
