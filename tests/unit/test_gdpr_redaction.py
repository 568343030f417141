"""GDPR redaction: taking one person out of text, address lists and stored mail (bot.crm.redaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from bot.crm.redaction import PHONE_REMOVED, Redactor, like_terms, redact_mail
from tests.support.mail import mail

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MAX = Redactor.for_person(
    "anonymous-17",
    firstname="Max",
    lastname="Müller",
    addresses=["Max@Acme.example"],
    phones=["+49 30 1234567"],
    streets=["Hauptstraße 5"],
    keep=["Müller Bau GmbH"],
)


def test_full_name_address_phone_and_street_go_everywhere() -> None:
    text = "Max Müller (max@acme.example, Tel. 030/123 45 67) lives in Hauptstraße 5; Müller, Max agreed"
    assert MAX.text(text) == (
        f"anonymous-17 (anonymous-17@anonymized.invalid, Tel. {PHONE_REMOVED}) lives in [address removed]; "
        "anonymous-17 agreed"
    )


def test_first_or_last_name_alone_only_in_the_persons_own_records() -> None:
    assert MAX.text("Call with Max") == "Call with Max"
    assert MAX.text("Call with Max", weak=True) == "Call with anonymous-17"
    assert MAX.text("Maximilian and Maxi stay", weak=True) == "Maximilian and Maxi stay"
    assert MAX.text("angebot_max.pdf", weak=True) == "angebot_anonymous-17.pdf"


def test_a_name_inside_the_company_name_is_kept() -> None:
    assert MAX.weak == ["Max"]  # "Müller" alone would hit "Müller Bau GmbH"
    assert (
        MAX.text("Visit at Müller Bau GmbH with Max", weak=True)
        == "Visit at Müller Bau GmbH with anonymous-17"
    )


def test_other_digits_are_not_a_phone_number() -> None:
    assert MAX.text("Invoice 991234567012") == "Invoice 991234567012"
    assert MAX.text("+49 (30) 123-4567") == PHONE_REMOVED


def test_address_lists_lose_the_persons_display_name() -> None:
    assert MAX.header('a@b.example, "Mueller, M." <MAX@acme.example>') == (
        "a@b.example, anonymous-17 <anonymous-17@anonymized.invalid>"
    )
    assert MAX.header("max@acme.example") == "anonymous-17@anonymized.invalid"


def test_like_terms_also_find_json_escapes() -> None:
    assert "max m\\u00fcller" in like_terms(["Max Müller"])


def test_a_stored_mail_keeps_only_threading_headers_and_is_redacted_once() -> None:
    raw = mail(
        "Anna <anna@ourco.example>",
        ["Max Müller <max@acme.example>", "erika@acme.example"],
        subject="Angebot für Max Müller",
        body="Geheim",
        message_id="<offer-1@ourco.example>",
        attachments=[("offer.pdf", "application/pdf", b"%PDF secret")],
    )
    stand_in = redact_mail(raw, MAX, now=NOW)
    assert stand_in is not None
    assert b"Geheim" not in stand_in
    assert b"%PDF" not in stand_in
    assert b"M\xc3\xbcller" not in stand_in
    assert b"max@acme.example" not in stand_in
    assert b"Message-ID: <offer-1@ourco.example>" in stand_in
    assert b"erika@acme.example" in stand_in
    assert message_from_bytes(stand_in, policy=policy.default)["Subject"] == "Angebot für anonymous-17"
    assert redact_mail(stand_in, MAX, now=NOW) is None
