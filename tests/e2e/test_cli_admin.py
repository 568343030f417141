"""`crmbot group …` and `crmbot audit` through the real entry point, on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Run


def test_a_group_right_reaches_its_members(demo_crmbot: Run) -> None:
    # Carla is a restricted user: ACME is not hers, so for her it does not exist
    assert (
        "keinen Geschäftspartner namens „ACME“"
        in demo_crmbot("say", "--as", "carla", "letzter Kontakt ACME").stdout
    )
    assert (
        demo_crmbot("group", "add", "Sales", "--description", "the sales team").stdout.strip()
        == "Added group Sales."
    )
    again = demo_crmbot("group", "add", "Sales", ok=False)
    assert again.returncode == 1
    assert "a group 'Sales' already exists" in again.stderr
    assert (
        "Group Sales now has thirdparty.read_all."
        in demo_crmbot("group", "grant", "Sales", "thirdparty.read_all").stdout
    )
    assert "already had" in demo_crmbot("group", "grant", "Sales", "thirdparty.read_all").stdout
    bad = demo_crmbot("group", "grant", "Sales", "everything", ok=False)
    assert bad.returncode == 1
    assert "unknown right 'everything'" in bad.stderr
    missing = demo_crmbot("group", "grant", "Support", "thirdparty.read_all", ok=False)
    assert "no group 'Support' (groups: Sales;" in missing.stderr
    assert "carla is now in group Sales." in demo_crmbot("group", "member", "Sales", "carla").stdout
    listed = demo_crmbot("group", "list").stdout
    assert "Sales" in listed
    assert "thirdparty.read_all" in listed
    assert "carla" in listed
    assert "ACME GmbH" in demo_crmbot("say", "--as", "carla", "letzter Kontakt ACME").stdout  # inherited
    assert (
        "carla is no longer in group Sales."
        in demo_crmbot("group", "member", "Sales", "carla", "--remove").stdout
    )
    assert "keinen Geschäftspartner" in demo_crmbot("say", "--as", "carla", "letzter Kontakt ACME").stdout


def test_audit_shows_who_changed_what(demo_crmbot: Run) -> None:
    demo_crmbot("say", "--as", "anna", "Anruf mit Max Mustermann: Preise besprochen")
    demo_crmbot("say", "--as", "bob", "note on Hooli: budget only in Q2")
    lines = [
        json.loads(line)
        for line in demo_crmbot("audit", "--thirdparty", "ACME GmbH", "--json").stdout.splitlines()
    ]
    assert lines, "the call on ACME is in the audit log"
    newest = lines[0]
    assert newest["user"] == "anna"
    assert newest["channel"] == "console"
    assert newest["action"] == "create"
    assert newest["object"]["type"] == "activities"
    assert newest["after"]["type_code"] == "AC_TEL"
    assert newest["before"] is None
    assert newest["source_message_id"]
    assert all(line["thirdparty_id"] == lines[0]["thirdparty_id"] for line in lines)
    bobs = [json.loads(line) for line in demo_crmbot("audit", "--user", "bob", "--json").stdout.splitlines()]
    assert bobs
    assert {b["user"] for b in bobs} == {"bob"}
    assert any(b["after"] and b["after"].get("body") == "budget only in Q2" for b in bobs)
    table = demo_crmbot("audit", "--user", "anna", "--limit", "5").stdout
    assert "anna" in table
    assert "console" in table
    assert "create" in table
    none = demo_crmbot("audit", "--since", "2030-01-01").stdout
    assert "No changes recorded for this selection." in none
    bad = demo_crmbot("audit", "--since", "yesterday-ish", ok=False)
    assert bad.returncode == 1
    assert "--since 'yesterday-ish' is not an ISO 8601" in bad.stderr


def test_gdpr_export_writes_the_persons_data(demo_crmbot: Run, tmp_path: Path) -> None:
    target = tmp_path / "requests" / "max.json"
    proc = demo_crmbot("gdpr", "export", "--email", "Max.Mustermann@acme.example", "--output", str(target))
    assert "about max.mustermann@acme.example written to" in proc.stderr.replace("\n", "")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["format"] == "crmbot-gdpr-export/1"
    assert [c["firstname"] for c in data["contacts"]] == ["Max"]
    assert data["activities"]
    assert all(
        "Mustermann" in json.dumps(a, ensure_ascii=False) or a["contact_id"] for a in data["activities"]
    )
    audit = [json.loads(line) for line in demo_crmbot("audit", "--json", "--limit", "1").stdout.splitlines()]
    assert audit[0]["action"] == "export"
    bad = demo_crmbot("gdpr", "export", "--email", "not-an-address", ok=False)
    assert bad.returncode == 1
    assert "is not an email address" in bad.stderr


def test_never_log_list_keeps_mail_out_of_the_archive(demo_crmbot: Run, tmp_path: Path) -> None:
    assert (
        "Mail with anyone at acme.example is never archived."
        in demo_crmbot("never-log", "add", "@acme.example", "--reason", "asked us not to").stdout
    )
    assert "never archived" in demo_crmbot("never-log", "add", "Pepper@Stark.example").stdout
    listed = demo_crmbot("never-log", "list").stdout
    assert "acme.example" in listed
    assert "pepper@stark.example" in listed
    assert "asked us not to" in listed
    bad = demo_crmbot("never-log", "add", "not a pattern", ok=False)
    assert "is neither an email address nor a domain" in bad.stderr
    sample = Path(__file__).resolve().parents[1] / "fixtures" / "email" / "sent_plain_de.eml"
    report = json.loads(demo_crmbot("import", "eml", str(sample), "--json").stdout.splitlines()[0])
    assert report["status"] == "skipped"
    assert "never-log" in report["reason"]
    assert "is no longer on the never-log list" in demo_crmbot("never-log", "remove", "acme.example").stdout
    report = json.loads(demo_crmbot("import", "eml", str(sample), "--json").stdout.splitlines()[0])
    assert report["status"] == "archived"
