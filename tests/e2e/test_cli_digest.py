"""`crmbot digest --as LOGIN [--now ISO] [--send]` through the real entry point, on the demo data."""

from __future__ import annotations

import json

from tests.e2e.conftest import Run
from tests.support.smtp_sink import smtp_sink


def test_digest_prints_the_users_day_in_their_language(demo_crmbot: Run) -> None:
    anna = demo_crmbot("digest", "--as", "anna", "--now", "2026-11-23T08:00").stdout
    assert anna.startswith("Dein Tag — Mo 23.11.\n")
    assert "Termine und Anrufe heute" in anna
    assert "14:00 · Meeting with Initech" in anna  # the demo's meeting with Bob
    assert "Länger kein Kontakt" in anna
    assert "1) Erledigt #" in anna  # the numbered actions, as in `crmbot chat`
    bob = json.loads(demo_crmbot("digest", "--as", "bob", "--json").stdout)
    assert bob["digest"]["date"] == "2026-11-23"  # 03:00 in New York
    assert bob["text"].startswith("Your day — Mon 23 Nov")
    unknown = demo_crmbot("digest", "--as", "nobody", ok=False)
    assert unknown.returncode == 1
    assert "no user with login 'nobody'" in unknown.stderr


def test_digest_send_goes_once_per_day(demo_crmbot: Run) -> None:
    with smtp_sink() as sink:
        outbound = {
            "CRMBOT_OUTBOUND_SMTP_HOST": "127.0.0.1",
            "CRMBOT_OUTBOUND_SMTP_PORT": str(sink.port),
            "CRMBOT_OUTBOUND_SMTP_SECURITY": "plain",
            "CRMBOT_MAIL_ADDRESSES": "crm@nordlicht.example",
        }
        sent = demo_crmbot("digest", "--as", "anna", "--send", **outbound)
        assert sent.stdout.strip() == "Sent anna's digest by email."
        again = demo_crmbot("digest", "--as", "anna", "--send", ok=False, **outbound)
        assert again.returncode == 1
        assert "sent already" in again.stderr
        tomorrow = demo_crmbot(
            "digest", "--as", "anna", "--send", CRMBOT_NOW="2026-11-24T08:00:00+01:00", **outbound
        )
        assert tomorrow.returncode == 0
    assert len(sink.delivered) == 2
    mail = sink.delivered[0].message
    assert mail["Subject"].startswith("Dein Tag — Mo 23.11.: ")
    assert mail["To"] == "anna.berger@nordlicht.example" or "anna" in mail["To"]
    assert "Antworte auf diese Mail" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail.get_body(("html",)) is not None


def test_digest_send_without_any_channel_says_so(demo_crmbot: Run) -> None:
    failed = demo_crmbot("digest", "--as", "anna", "--send", ok=False)
    assert failed.returncode == 1
    assert "no linked chat account and no email" in failed.stderr
