"""`crmbot gdpr anonymize` and `crmbot gdpr retention` through the real entry point, on the demo data."""

from __future__ import annotations

import json

from tests.e2e.conftest import Run

MAX = "Max.Mustermann@acme.example"
LATER = {
    "CRMBOT_NOW": "2030-01-01T09:00:00+01:00",
    "CRMBOT_RETENTION_PROSPECT_MONTHS": "12",
    "CRMBOT_RETENTION_CUSTOMER_MONTHS": "24",
}


def test_anonymize_asks_then_erases_the_person_for_good(demo_crmbot: Run) -> None:
    before = json.loads(demo_crmbot("gdpr", "export", "--email", MAX).stdout)
    (max_,) = before["contacts"]
    assert before["activities"]
    no = demo_crmbot("gdpr", "anonymize", "--contact", str(max_["id"]), input="n\n", ok=False)
    assert no.returncode == 1
    assert f"Anonymise contact {max_['id']} (Max Mustermann, ACME GmbH)?" in no.stdout
    assert "nothing was changed" in no.stderr

    done = demo_crmbot("gdpr", "anonymize", "--email", MAX, "--reason", "asked by phone", input="y\n").stdout
    assert "Anonymised max.mustermann@acme.example — Max Mustermann" in done
    assert "1 contact, " in done
    assert "events redacted" in done
    assert "1 address put on the never-log list" in done

    after = json.loads(demo_crmbot("gdpr", "export", "--email", MAX).stdout)
    assert after["contacts"] == after["activities"] == []
    history = demo_crmbot("say", "--as", "anna", "Verlauf ACME").stdout
    assert "Mustermann" not in history
    assert f"anonymous-{max_['id']}" in history  # the events stay, without his name
    assert "max.mustermann@acme.example" in demo_crmbot("never-log", "list").stdout
    audit = [json.loads(line) for line in demo_crmbot("audit", "--json", "--limit", "50").stdout.splitlines()]
    (entry,) = [a for a in audit if a["action"] == "anonymize"]
    assert entry["object"] == {
        "type": "contacts",
        "id": max_["id"],
        "label": f"GDPR anonymisation of contact {max_['id']}: asked by phone",
    }
    assert "Mustermann" not in json.dumps(audit, ensure_ascii=False)

    again = demo_crmbot("gdpr", "anonymize", "--contact", str(max_["id"]), "--yes").stdout
    assert "Nothing left to anonymise" in again
    assert "was anonymised before" in demo_crmbot("gdpr", "anonymize", "--email", MAX, "--yes").stdout


def test_anonymize_refuses_what_it_cannot_do(demo_crmbot: Run) -> None:
    unknown = demo_crmbot("gdpr", "anonymize", "--contact", "99999", "--yes", ok=False)
    assert unknown.returncode == 1
    assert "no contact with id 99999" in unknown.stderr
    nobody = demo_crmbot("gdpr", "anonymize", "--email", "nobody@nowhere.example", "--yes", ok=False)
    assert "no contact or archived mail with the address nobody@nowhere.example" in nobody.stderr
    both = demo_crmbot("gdpr", "anonymize", "--contact", "1", "--email", MAX, "--yes", ok=False)
    assert "name exactly one of --contact ID, --email ADDRESS or --thirdparty ID" in both.stderr
    company = json.loads(demo_crmbot("gdpr", "export", "--email", MAX).stdout)["contacts"][0]["thirdparty_id"]
    refused = demo_crmbot("gdpr", "anonymize", "--thirdparty", str(company), "--yes", ok=False)
    assert "is a company, not a private person" in refused.stderr


def test_retention_lists_then_anonymises_what_is_idle(demo_crmbot: Run) -> None:
    off = json.loads(demo_crmbot("gdpr", "retention", "--json").stdout)
    assert off == {"enabled": False, "dry_run": False, "candidates": [], "anonymized": {}}
    assert "Retention is off" in demo_crmbot("gdpr", "retention").stdout
    fresh = demo_crmbot(
        "gdpr", "retention", CRMBOT_RETENTION_PROSPECT_MONTHS="36"
    )  # the demo's data is younger
    assert "Nothing is due for anonymisation." in fresh.stdout

    dry = json.loads(demo_crmbot("gdpr", "retention", "--dry-run", "--json", **LATER).stdout)
    assert dry["dry_run"] is True
    assert dry["anonymized"] == {}
    names = {c["name"] for c in dry["candidates"]}
    assert "Umbrella Corp" in names  # a prospect idle for three years
    assert "ACME GmbH" not in names  # invoiced: kept, as in Dolibarr
    assert {c["category"] for c in dry["candidates"]} == {"prospect", "customer"}  # suppliers, contacts: off
    assert (
        "would be anonymised (dry run: nothing changed)"
        in demo_crmbot("gdpr", "retention", "--dry-run", **LATER).stdout
    )

    done = json.loads(demo_crmbot("gdpr", "retention", "--json", **LATER).stdout)
    assert done["anonymized"]["thirdparties"] == len(dry["candidates"])
    companies = demo_crmbot("export", "thirdparties", "--format", "json", **LATER).stdout
    assert "Umbrella Corp" not in companies
    assert "ACME GmbH" in companies
    assert (
        json.loads(demo_crmbot("gdpr", "retention", "--dry-run", "--json", **LATER).stdout)["candidates"]
        == []
    )
