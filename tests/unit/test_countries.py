"""Country codes from what import files carry: ISO codes, Dolibarr's numeric ids, names."""

from __future__ import annotations

import pytest

from bot.crm.countries import country_code


@pytest.mark.parametrize(
    ("text", "code"),
    [("de", "DE"), ("5", "DE"), ("Deutschland", "DE"), ("1", "FR"), ("999", None), ("", None)],
)
def test_codes_ids_and_names(text: str, code: str | None) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["²", "³", "½"])
def test_a_digit_that_is_no_number_is_no_country_and_no_crash(text: str) -> None:
    assert country_code(text) is None
