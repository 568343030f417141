"""`crmbot user ics-token` and `crmbot ics export` through the real entry point, on the demo data."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.e2e.conftest import Run

FEED_URL = re.compile(r"(https?://\S+)/ics/([A-Za-z0-9_-]{43})\.ics")


@pytest.fixture
def crmbot(demo_crmbot: Run) -> Run:
    """On the demo data, with the HTTP address only read to build URLs (nothing listens)."""
    return functools.partial(demo_crmbot, CRMBOT_HTTP_LISTEN="127.0.0.1:8099")


def last_word(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout.split()[-1]


def test_ics_token_prints_the_feed_url_and_rotate_replaces_it(crmbot: Run) -> None:
    first = crmbot("user", "ics-token", "anna")
    url = last_word(first)
    match = FEED_URL.fullmatch(url)
    assert match is not None, first.stdout
    assert match.group(1) == "http://127.0.0.1:8099"
    assert "From URL" in first.stdout  # how to subscribe
    assert "Subscribe from web" in first.stdout
    assert "CRMBOT_PUBLIC_URL" in first.stderr

    assert last_word(crmbot("user", "ics-token", "anna")) == url  # shown again, not replaced
    rotated = crmbot("user", "ics-token", "anna", "--rotate")
    new_url = last_word(rotated)
    assert FEED_URL.fullmatch(new_url)
    assert new_url != url
    assert "old one no longer works" in rotated.stdout

    public = crmbot("user", "ics-token", "anna", CRMBOT_PUBLIC_URL="https://crm.example.com/")
    assert last_word(public) == new_url.replace("http://127.0.0.1:8099", "https://crm.example.com")
    assert "CRMBOT_PUBLIC_URL" not in public.stderr
    assert last_word(crmbot("user", "ics-token", "bob")) != new_url

    unknown = crmbot("user", "ics-token", "nobody", ok=False)
    assert unknown.returncode == 1
    assert "no user with login 'nobody'" in unknown.stderr
    bad = crmbot("user", "ics-token", "anna", ok=False, CRMBOT_PUBLIC_URL="crm.example.com")
    assert bad.returncode == 1
    assert "CRMBOT_PUBLIC_URL" in bad.stderr


def test_ics_export_writes_the_users_calendar(crmbot: Run, tmp_path: Path) -> None:
    out = crmbot("ics", "export", "--as", "anna")
    cal = Calendar.from_ical(out.stdout)
    assert str(cal["X-WR-CALNAME"]) == "crmbot – Anna Berger"
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert "Meeting with Initech" in summaries  # the demo's meeting today, with Bob
    assert "Werksbesichtigung in Chemnitz (Köhler Maschinenbau GmbH)" in summaries
    assert not any("Quarterly business review" in s for s in summaries)  # Bob's alone

    target = tmp_path / "anna.ics"
    crmbot("ics", "export", "--as", "anna", "--output", str(target))
    body = target.read_bytes()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert body.count(b"\n") == body.count(b"\r\n")
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")] == summaries

    bobs = Calendar.from_ical(crmbot("ics", "export", "--as", "bob").stdout).walk("VEVENT")
    assert "Meeting with Initech" in [str(e["SUMMARY"]) for e in bobs]  # he attends

    # 09:00 in Berlin: the 14:00 meeting is later today, so a window of zero days ahead leaves it out
    narrow = crmbot("ics", "export", "--as", "anna", "--past-days", "0", "--future-days", "0")
    assert Calendar.from_ical(narrow.stdout).walk("VEVENT") == []

    unknown = crmbot("ics", "export", "--as", "nobody", ok=False)
    assert unknown.returncode == 1
    assert "no user with login 'nobody'" in unknown.stderr
