"""Reading the digest days users and admins write."""

from __future__ import annotations

import pytest

from bot.crm.users import UserError, parse_days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", "12345"),
        ("Mon-Sat", "123456"),
        ("mon,wed,fri", "135"),
        ("fri-mon", "1567"),
        ("mo-fr", "12345"),
        ("sa,so", "67"),
        ("daily", "1234567"),
        ("12345", "12345"),
        ("5131", "135"),
    ],
)
def test_digest_days(text: str, days: str) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["someday", "mon-xyz", "8", "mon;tue", ""])
def test_unreadable_days_are_refused(text: str) -> None:
    with pytest.raises(UserError, match="cannot read the days"):
        parse_days(text)
