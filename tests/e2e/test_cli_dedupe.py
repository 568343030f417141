"""`crmbot duplicates` and `crmbot merge` through the real entry point, on the demo data."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import Run


def pairs(crmbot: Run, records: str, *extra: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in crmbot("duplicates", records, "--json", *extra).stdout.splitlines()]


def pair_of(found: list[dict[str, Any]], a: str, b: str) -> dict[str, Any] | None:
    return next((p for p in found if {p["first"]["name"], p["second"]["name"]} == {a, b}), None)


def test_a_duplicate_made_in_chat_is_found_and_merged(demo_crmbot: Run) -> None:
    asked = demo_crmbot("say", "--as", "anna", "neue Firma ACME AG").stdout
    assert "ACME AG gibt es schon als ACME GmbH – die nehmen?" in asked
    assert "Interessent ACME AG angelegt." in demo_crmbot("say", "--as", "anna", "Trotzdem anlegen").stdout
    # Which is exactly why duplicates hurt: every mention of ACME becomes a question.
    asked = demo_crmbot("say", "--as", "anna", "Notiz zu ACME AG: Rahmenvertrag").stdout
    assert "Welche Firma meinst du mit „ACME AG“?" in asked
    assert "Notiz gespeichert: ACME AG" in demo_crmbot("say", "--as", "anna", "1").stdout

    pair = pair_of(pairs(demo_crmbot, "thirdparties"), "ACME GmbH", "ACME AG")
    assert pair is not None
    assert (pair["kind"], pair["score"], pair["reasons"]) == ("thirdparty", 85, ["same name"])
    keep, drop = str(pair["first"]["id"]), str(pair["second"]["id"])
    table = demo_crmbot("duplicates", "thirdparties", "--min-score", "80").stdout
    assert f"#{drop} ACME AG" in table
    assert "same name" in table
    assert "crmbot merge thirdparty KEEP DROP" in table

    asked = demo_crmbot("merge", "thirdparty", keep, drop, input="n\n", ok=False)
    assert asked.returncode == 1
    assert f"Merging third party #{drop} ACME AG into #{keep} ACME GmbH re-points 1 activity" in asked.stdout
    assert pair_of(pairs(demo_crmbot, "thirdparties"), "ACME GmbH", "ACME AG") is not None  # nothing done

    done = demo_crmbot("merge", "thirdparty", keep, drop, "--yes").stdout
    assert f"Merged third party #{drop} ACME AG into #{keep} ACME GmbH: 1 activity re-pointed." in done
    assert pair_of(pairs(demo_crmbot, "thirdparties", "--min-score", "0"), "ACME GmbH", "ACME AG") is None
    history = demo_crmbot("say", "--as", "anna", "Verlauf ACME").stdout
    assert "Rahmenvertrag" in history
    audit = [
        json.loads(line) for line in demo_crmbot("audit", "--thirdparty", keep, "--json").stdout.splitlines()
    ]
    merged = next(e for e in audit if e["action"] == "merge")
    assert merged["channel"] == "cli"
    assert merged["after"]["merged_id"] == int(drop)
    assert merged["before"]["name"] == "ACME AG"


def test_contacts_are_merged_with_their_addresses(demo_crmbot: Run) -> None:
    made = demo_crmbot(
        "say", "--as", "bob", "new contact Max Musterman at ACME GmbH, max.m@mail.example"
    ).stdout
    assert "Created contact Max Musterman at ACME GmbH." in made
    pair = pair_of(pairs(demo_crmbot, "contacts"), "Max Mustermann (ACME GmbH)", "Max Musterman (ACME GmbH)")
    assert pair is not None
    assert pair["reasons"][0].startswith("similar name ")
    assert pair["reasons"][-1] == "same third party"
    keep, drop = (
        (pair["first"]["id"], pair["second"]["id"])
        if pair["first"]["name"].startswith("Max Mustermann")
        else (pair["second"]["id"], pair["first"]["id"])
    )
    done = demo_crmbot("merge", "contact", str(keep), str(drop), "--yes").stdout
    assert f"Merged contact #{drop} Max Musterman into #{keep} Max Mustermann" in done
    exported = demo_crmbot("export", "contacts", "--format", "json").stdout
    contacts = {c["id"]: c for c in json.loads(exported)}
    assert drop not in contacts
    assert "max.m@mail.example" in json.dumps(contacts[keep]["extra_emails"])
    assert "Musterman (" not in demo_crmbot("duplicates", "contacts", "--min-score", "0").stdout


def test_merge_refuses_itself_and_unknown_ids(demo_crmbot: Run) -> None:
    itself = demo_crmbot("merge", "thirdparty", "1", "1", "--yes", ok=False)
    assert itself.returncode == 1
    assert "cannot merge third party #1 into itself" in itself.stderr
    unknown = demo_crmbot("merge", "contact", "1", "99999", "--yes", ok=False)
    assert unknown.returncode == 1
    assert "no contact #99999" in unknown.stderr
    assert (
        "No likely duplicate contacts (score 100 or more)."
        in demo_crmbot("duplicates", "contacts", "--min-score", "100").stdout
    )
