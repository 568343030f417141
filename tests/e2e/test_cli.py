"""The `crmbot` command line through its real entry point (a subprocess, as a user runs it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.conftest import Run


def test_commands_before_init_say_what_to_do(crmbot: Run) -> None:
    proc = crmbot("user", "list", ok=False)
    assert proc.returncode == 1
    assert "run `crmbot init` first" in proc.stderr


def test_init_user_add_list_grant_revoke(crmbot: Run, tmp_path: Path) -> None:
    assert "upgraded from empty to revision" in crmbot("init").stdout
    assert "is up to date" in crmbot("init").stdout
    assert (tmp_path / "data" / "crmbot.sqlite3").exists()
    added = crmbot(
        "user",
        "add",
        "--login",
        "anna",
        "--name",
        "Anna Berger",
        "--email",
        "anna@nordlicht.example",
        "--email",
        "a.berger@nordlicht.example",
        "--timezone",
        "Europe/Berlin",
        "--language",
        "de",
        "--admin",
    )
    assert "Added user anna (Anna Berger), anna@nordlicht.example, a.berger@nordlicht.example" in added.stdout
    crmbot(
        "user",
        "add",
        "--login",
        "carla",
        "--name",
        "Carla",
        "--email",
        "carla@nordlicht.example",
        "--restricted",
    )
    listing = crmbot("user", "list").stdout
    assert "anna" in listing
    assert "admin (all)" in listing
    assert "contact.read, thirdparty.write" in listing  # carla, restricted
    assert "now has thirdparty.export" in crmbot("grant", "carla", "thirdparty.export").stdout
    assert "already had" in crmbot("grant", "carla", "thirdparty.export").stdout
    assert "no longer has" in crmbot("revoke", "carla", "thirdparty.export").stdout
    bad = crmbot("grant", "carla", "everything", ok=False)
    assert bad.returncode == 1
    assert "unknown right 'everything'" in bad.stderr
    dup = crmbot("user", "add", "--login", "x", "--name", "X", "--email", "ANNA@nordlicht.example", ok=False)
    assert "already belongs to user 'anna'" in dup.stderr
    tz = crmbot(
        "user",
        "add",
        "--login",
        "y",
        "--name",
        "Y",
        "--email",
        "y@x.example",
        "--timezone",
        "Mars/Base",
        ok=False,
    )
    assert "unknown time zone 'Mars/Base'" in tz.stderr


def test_bad_fixed_clock_is_named(crmbot: Run) -> None:
    proc = crmbot("--now", "yesterday", "init", ok=False)
    assert "--now 'yesterday' is not an ISO 8601 date-time" in proc.stderr


def test_unreachable_database_is_reported_in_one_line(crmbot: Run) -> None:
    proc = crmbot("--db", "postgresql://crm@127.0.0.1:1/crm", "init", ok=False)
    assert proc.returncode == 1
    assert "the database is unavailable" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_backup_copies_the_sqlite_database(crmbot: Run, tmp_path: Path) -> None:
    crmbot("init")
    crmbot("user", "add", "--login", "anna", "--name", "Anna", "--email", "anna@x.example")
    target = tmp_path / "backup" / "crm.sqlite3"
    assert "Backed up" in crmbot("backup", str(target)).stdout
    with sqlite3.connect(target) as conn:
        assert conn.execute("select login from users").fetchall() == [("anna",)]
    again = crmbot("backup", str(target), ok=False)
    assert "exists already" in again.stderr


def test_backup_of_postgres_points_to_pg_dump(crmbot: Run) -> None:
    proc = crmbot("--db", "postgresql://crm@127.0.0.1:1/crm", "backup", "x.dump", ok=False)
    assert "pg_dump" in proc.stderr


def test_console_chat_through_run(crmbot: Run) -> None:
    crmbot("init")
    crmbot(
        "user",
        "add",
        "--login",
        "anna",
        "--name",
        "Anna",
        "--email",
        "anna@x.example",
        "--language",
        "de",
        "--timezone",
        "Europe/Berlin",
        "--admin",
    )
    proc = crmbot("run", "--console", input="hilfe\nVerlauf Nirgendwo\nquit\n")
    assert "you are anna" in proc.stdout
    assert "Was ich kann" in proc.stdout
    assert "Ich kenne keinen Geschäftspartner namens „Nirgendwo“." in proc.stdout


def test_run_without_any_channel_says_how_to_start(crmbot: Run) -> None:
    crmbot("init")  # the fixture runs with CRMBOT_SMTP_LISTEN=off and no mailboxes
    proc = crmbot("run", ok=False)
    assert "no channel to run" in proc.stderr
    assert "--console" in proc.stderr


def test_version_of_the_json_import_report_is_parseable(crmbot: Run, tmp_path: Path) -> None:
    crmbot("init")
    csv = tmp_path / "tp.csv"
    csv.write_text("name,town\nACME GmbH,Berlin\n,Nowhere\n", encoding="utf-8")
    report = json.loads(crmbot("import", "thirdparties", str(csv), "--json").stdout)
    assert report["created"] == 1
    assert report["skipped"] == 1
    assert report["errors"][0]["line"] == 3


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_import_eml_files_mbox_and_maildir_then_file_the_unresolved_one(crmbot: Run, tmp_path: Path) -> None:
    import mailbox

    crmbot("init")
    crmbot("demo")
    box = mailbox.mbox(tmp_path / "sent.mbox")
    for name in ("sent_plain_en.eml", "reply_outlook_de.eml"):
        box.add((FIXTURES / name).read_bytes())
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add((FIXTURES / "freemail_customer.eml").read_bytes())
    maildir.add(b"this is not a mail at all\n")

    proc = crmbot(
        "import", "eml", str(FIXTURES / "sent_plain_de.eml"), str(tmp_path / "sent.mbox"),
        str(tmp_path / "Maildir"), "--json",
    )  # fmt: skip
    report = _json_lines(proc.stdout)
    got = {
        (r["status"], (r["thirdparty"] or {}).get("name") if isinstance(r["thirdparty"], dict) else None)
        for r in report
    }
    assert got == {
        ("archived", "ACME GmbH"),
        ("archived", "Globex Corporation"),
        ("unresolved", None),
        ("rejected", None),
    }
    assert len(report) == 5
    first = report[0]
    assert set(first) >= {"message_id", "status", "thirdparty", "contacts", "event", "reason", "source"}
    assert first["contacts"] == ["Max Mustermann", "Erika Musterfrau"]  # To and CC
    assert isinstance(first["event"], dict)
    assert first["event"]["type"] == "activity"
    assert str(first["message_id"]).startswith("<FR3P281MB1234ABCD")
    rejected = next(r for r in report if r["status"] == "rejected")
    assert "not an email message" in str(rejected["reason"])

    again = _json_lines(crmbot("import", "eml", str(FIXTURES / "sent_plain_de.eml"), "--json").stdout)
    assert [r["status"] for r in again] == ["duplicate"]
    assert again[0]["event"] == first["event"]  # the same event, not a second one

    listing = crmbot("unresolved", "list").stdout
    assert "Anfrage Einzellizenz" in listing
    unresolved = next(r for r in report if r["status"] == "unresolved")
    email_id = _email_id(tmp_path, str(unresolved["message_id"]))
    assert str(email_id) in listing
    filed = crmbot("unresolved", "assign", str(email_id), "Hooli").stdout
    assert f"Mail {email_id} filed under Hooli" in filed
    assert "No mail is waiting to be filed." in crmbot("unresolved", "list").stdout
    proc = crmbot("unresolved", "assign", str(email_id), "Hooli", ok=False)
    assert proc.returncode == 1
    assert "is not waiting to be filed" in proc.stderr
    proc = crmbot("unresolved", "release", str(email_id), ok=False)
    assert "is not held" in proc.stderr

    summary = crmbot("import", "eml", str(FIXTURES / "sent_plain_en.eml")).stdout
    assert "1 messages: 1 duplicate." in summary


def _email_id(tmp_path: Path, message_id: str) -> int:
    with sqlite3.connect(tmp_path / "data" / "crmbot.sqlite3") as db:
        (row,) = db.execute("SELECT id FROM email_messages WHERE message_id = ?", (message_id,)).fetchall()
    return int(row[0])


def test_import_eml_as_a_user_files_received_mail(crmbot: Run, tmp_path: Path) -> None:
    crmbot("init")
    crmbot("demo")
    received = tmp_path / "from-max.eml"
    received.write_bytes(
        b"From: Max Mustermann <max.mustermann@acme.example>\r\n"
        b"To: Anna Berger <anna@nordlicht.example>\r\n"
        b"Subject: Rueckfrage zum Angebot\r\n"
        b"Message-ID: <rueckfrage-1@acme.example>\r\n"
        b"Date: Fri, 20 Nov 2026 10:00:00 +0100\r\n"
        b"\r\n"
        b"Hallo Frau Berger, koennen wir Freitag telefonieren?\r\n"
    )
    plain = _json_lines(crmbot("import", "eml", str(received), "--json").stdout)
    assert [(r["status"], r["reason"]) for r in plain] == [("rejected", "sender is not a registered user")]

    proc = crmbot("import", "eml", str(received), "--as", "anna", "--json")
    (filed,) = _json_lines(proc.stdout)
    assert filed["status"] == "archived"
    assert filed["thirdparty"] == {"id": filed["thirdparty"]["id"], "name": "ACME GmbH"}  # type: ignore[index]
    with sqlite3.connect(tmp_path / "data" / "crmbot.sqlite3") as db:
        ((type_code, owner),) = db.execute(
            "SELECT a.type_code, u.login FROM activities a JOIN users u ON u.id = a.owner_id "
            "WHERE a.email_message_id = '<rueckfrage-1@acme.example>'"
        ).fetchall()
    assert (type_code, owner) == ("AC_EMAIL_IN", "anna")

    crmbot(
        "user",
        "add",
        "--login",
        "dora",
        "--name",
        "Dora",
        "--email",
        "dora@nordlicht.example",
        "--mail-receipts",
    )
    with sqlite3.connect(tmp_path / "data" / "crmbot.sqlite3") as db:
        receipts = dict(db.execute("SELECT login, mail_receipts FROM users WHERE login IN ('anna', 'dora')"))
    assert receipts == {"anna": 0, "dora": 1}

    proc = crmbot("import", "eml", str(received), "--as", "nobody", ok=False)
    assert proc.returncode == 1
    assert "nobody" in proc.stderr
    proc = crmbot("import", "eml", str(tmp_path / "missing.eml"), ok=False)
    assert "missing.eml: no such file or directory" in proc.stderr


def test_user_set_changes_channel_digest_and_meeting_reminders(crmbot: Run) -> None:
    crmbot("init")
    crmbot("user", "add", "--login", "anna", "--name", "Anna Berger", "--email", "anna@example.com")
    out = crmbot(
        "user", "set", "anna", "--timezone", "Europe/Berlin", "--language", "de", "--channel", "telegram",
        "--digest-time", "07:30", "--digest-days", "mon-sat", "--reminder-lead", "30",
    ).stdout  # fmt: skip
    assert out.strip() == (
        "anna: Europe/Berlin, de, reminders and digest by telegram, digest 07:30 Mon,Tue,Wed,Thu,Fri,Sat, "
        "meeting reminders 30 min ahead."
    )
    out = crmbot(
        "user", "set", "anna", "--no-digest", "--digest-days", "fri-mon", "--reminder-lead", "0"
    ).stdout
    assert "no digest, meeting reminders none ahead." in out
    for args, message in (
        (("--digest-days", "someday"), "cannot read the days 'someday'"),
        (("--digest-time", "25:00"), "--digest-time '25:00' is not a time like 07:30"),
        (("--timezone", "Mars/Base"), "unknown time zone 'Mars/Base'"),
        (("--channel", "pigeon"), "unknown channel 'pigeon'"),
        (("--reminder-lead", "5000"), "the reminder lead time is 0 (none) to 1440 minutes"),
    ):
        proc = crmbot("user", "set", "anna", *args, ok=False)
        assert proc.returncode == 1
        assert message in proc.stderr
    unchanged = crmbot("user", "set", "anna").stdout  # the failures changed nothing
    assert unchanged.strip() == (
        "anna: Europe/Berlin, de, reminders and digest by telegram, no digest, meeting reminders none ahead."
    )


def test_backup_and_restore_round_trip(crmbot: Run, tmp_path: Path) -> None:
    crmbot("init")
    crmbot("user", "add", "--login", "anna", "--name", "Anna", "--email", "anna@x.example")
    backup = tmp_path / "backups" / "monday.sqlite3"
    crmbot("backup", str(backup))
    crmbot("user", "add", "--login", "bob", "--name", "Bob", "--email", "bob@x.example")
    refused = crmbot("restore", str(backup), input="n\n", ok=False)  # asks first
    assert refused.returncode == 1
    assert "nothing was changed" in refused.stderr
    assert "bob" in crmbot("user", "list").stdout
    restored = crmbot("restore", str(backup), "--yes")
    assert f"Restored {tmp_path / 'data' / 'crmbot.sqlite3'} from {backup}." in restored.stdout.replace(
        "\n", ""
    )
    users = crmbot("user", "list").stdout
    assert "anna" in users
    assert "bob" not in users
    kept = sorted((tmp_path / "data").glob("crmbot.before-restore-*.sqlite3"))
    assert len(kept) == 1  # what was there before the restore, Bob included
    with sqlite3.connect(kept[0]) as conn:
        assert sorted(r[0] for r in conn.execute("select login from users")) == ["anna", "bob"]


def test_restore_refuses_what_is_not_a_crmbot_backup_and_upgrades_an_old_one(
    crmbot: Run, tmp_path: Path
) -> None:
    crmbot("init")
    crmbot("user", "add", "--login", "anna", "--name", "Anna", "--email", "anna@x.example")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer)")
    for path, message in (
        (junk, "is not a SQLite database"),
        (other, "is not a crmbot database"),
        (tmp_path / "missing.sqlite3", "no such file"),
    ):
        proc = crmbot("restore", str(path), "--yes", ok=False)
        assert proc.returncode == 1
        assert message in proc.stderr
    assert "anna" in crmbot("user", "list").stdout  # nothing changed
    from sqlalchemy import create_engine

    from storage import migrate

    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    migrate.upgrade(engine, "0003")
    engine.dispose()
    restored = crmbot("restore", str(old), "--yes").stdout.replace("\n", "")
    assert "upgraded from schema 0003 to" in restored
    assert "is up to date" in crmbot("init").stdout
    postgres = crmbot("--db", "postgresql://crm@127.0.0.1:1/crm", "restore", "x.dump", "--yes", ok=False)
    assert "pg_restore" in postgres.stderr
