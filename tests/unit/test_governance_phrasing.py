"""Consent, never-log, audit and admin phrasing in English and German, and what must not be taken for it."""

from __future__ import annotations

import pytest

from bot.parsers.governance import parse_governance


@pytest.mark.parametrize(
    ("text", "target", "purpose", "status"),
    [
        ("Max Mustermann opted out of marketing", "Max Mustermann", "marketing", "withdrawn"),
        ("Max Mustermann will keine Werbung", "Max Mustermann", "marketing", "withdrawn"),
        ("Jürgen Köhler möchte keinen Newsletter mehr", "Jürgen Köhler", "marketing", "withdrawn"),
        ("Max hat Werbung abbestellt", "Max", "marketing", "withdrawn"),
        ("max@acme.example unsubscribed from newsletters", "max@acme.example", "marketing", "withdrawn"),
        ("max@acme.example agreed to marketing", "max@acme.example", "marketing", "granted"),
        ("Max Mustermann hat der Werbung zugestimmt", "Max Mustermann", "marketing", "granted"),
        ("Erika ist mit Werbung einverstanden", "Erika", "marketing", "granted"),
        ("Max widerspricht der Datenverarbeitung", "Max", "processing", "withdrawn"),
        ("Max objects to processing", "Max", "processing", "withdrawn"),
        ("Max hat in die Datenverarbeitung eingewilligt", "Max", "processing", "granted"),
    ],
)
def test_consent(text: str, target: str, purpose: str, status: str) -> None:
    intent = parse_governance(text)
    assert intent is not None
    assert intent.name == "consent"
    assert intent.target == target
    assert intent.resolved["consent"] == {"purpose": purpose, "status": status}


@pytest.mark.parametrize(
    ("text", "action", "target"),
    [
        ("never log max@example.com", "add", "max@example.com"),
        ("never-log @example.com", "add", "example.com"),
        ("nie archivieren example.com", "add", "example.com"),
        ("don't log mails from spam.example", "add", "spam.example"),
        ("example.com nicht archivieren", "add", "example.com"),
        ("never log whatever", "add", "whatever"),  # the handler explains what is wrong
        ("log example.com again", "remove", "example.com"),
        ("example.com wieder archivieren", "remove", "example.com"),
        ("never log remove example.com", "remove", "example.com"),
        ("never log list", "list", None),
        ("never log", "list", None),
    ],
)
def test_never_log(text: str, action: str, target: str | None) -> None:
    intent = parse_governance(text)
    assert intent is not None
    assert intent.name == "never_log"
    assert intent.resolved["never_log"] == action
    assert intent.target == target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("who changed ACME?", "ACME"),
        ("Who edited Müller Bau GmbH", "Müller Bau GmbH"),
        ("who changed something at ACME GmbH?", "ACME GmbH"),
        ("audit ACME", "ACME"),
        ("wer hat ACME geändert?", "ACME"),
        ("wer hat bei ACME was geändert?", "ACME"),
        ("Änderungsprotokoll Hooli", "Hooli"),
    ],
)
def test_changes(text: str, target: str) -> None:
    intent = parse_governance(text)
    assert intent is not None
    assert intent.name == "changes"
    assert intent.target == target


@pytest.mark.parametrize(
    ("text", "resolved", "target"),
    [
        (
            "grant carla thirdparty.read_all",
            {"admin": "grant", "login": "carla", "right": "thirdparty.read_all"},
            None,
        ),
        ("/revoke carla admin", {"admin": "revoke", "login": "carla", "right": "admin"}, None),
        (
            "gewähre carla agenda.read_all",
            {"admin": "grant", "login": "carla", "right": "agenda.read_all"},
            None,
        ),
        ("salesrep assign carla ACME GmbH", {"admin": "salesrep", "login": "carla"}, "ACME GmbH"),
        ("assign carla to ACME", {"admin": "salesrep", "login": "carla"}, "ACME"),
        ("group member Sales carla", {"admin": "group_member", "group": "Sales", "login": "carla"}, None),
        (
            "group member Sales carla --remove",
            {"admin": "group_member", "group": "Sales", "login": "carla", "remove": True},
            None,
        ),
        (
            "group grant Sales contact.read",
            {"admin": "group_grant", "group": "Sales", "right": "contact.read"},
            None,
        ),
        ("rights carla", {"admin": "rights", "login": "carla"}, None),
        ("Rechte von carla", {"admin": "rights", "login": "carla"}, None),
    ],
)
def test_admin(text: str, resolved: dict[str, object], target: str | None) -> None:
    intent = parse_governance(text)
    assert intent is not None
    assert intent.name == "admin"
    assert intent.resolved == resolved
    assert intent.target == target


@pytest.mark.parametrize(
    "text",
    [
        "called Max at ACME, discussed pricing, follow up Friday",
        "Anruf mit Max: will keine Werbung mehr im Katalog",  # a log that mentions advertising
        "Max wants a new offer",
        "changes in pricing discussed with Max",
        "last contact ACME",
        "Verlauf Hooli",
        "granted the discount to ACME",
        "assigned the ticket to Bob yesterday at ACME, he called back",
    ],
)
def test_ordinary_messages_are_not_governance(text: str) -> None:
    assert parse_governance(text) is None
