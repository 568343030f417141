"""The .eml fixture corpus, CPython's own email test data and fuzzed bytes through the whole mail pipeline
(intake → parse → route → file) on the demo data: every message gets a clear status, nothing raises."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm.audit import Actor
from bot.crm.demo import load_demo
from bot.crm.mail import MailSettings
from bot.crm.mail.invites import CANCELLED_PREFIX
from bot.crm.models import Activity, ActivityType, Percent
from bot.mailroom import MailRoom
from bot.messages import RawMail
from tests.conftest import make_app

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "email"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
STATUSES = {"archived", "duplicate", "unresolved", "skipped", "rejected", "held"}
SETTINGS = MailSettings(
    bot_addresses=frozenset({"crm@nordlicht.example"}),
    internal_domains=frozenset({"nordlicht.example"}),
    loop_limit=10**6,
)

# file -> (status, third party or None), reviewed against tests/fixtures/email/README.md
EXPECTED: dict[str, tuple[str, str | None]] = {
    "auto_reply_de.eml": ("skipped", None),
    "auto_reply_en.eml": ("skipped", None),
    "bounce.eml": ("skipped", None),
    "bounce_exchange_de.eml": ("skipped", None),
    "cp1252.eml": ("archived", "Müller Bau GmbH"),
    "encoded_headers.eml": ("archived", "Köhler Maschinenbau GmbH"),
    "forward_apple_de.eml": ("archived", "Müller Bau GmbH"),
    "forward_apple_en.eml": ("archived", "Hooli"),
    "forward_attached_rfc822.eml": ("archived", "Soylent GmbH"),
    "forward_gmail_de.eml": ("archived", "Soylent GmbH"),
    "forward_gmail_en.eml": ("archived", "Globex Corporation"),
    "forward_outlook_de.eml": ("archived", "ACME GmbH"),
    "forward_outlook_en.eml": ("archived", "Initech"),
    "forward_thunderbird_de.eml": ("archived", "ACME GmbH"),
    "forward_thunderbird_en.eml": ("archived", "Stark Industries"),
    "freemail_customer.eml": ("unresolved", None),
    "garbage_headers.eml": ("archived", "Müller Logistik AG"),
    "html_only_de.eml": ("archived", "Soylent GmbH"),
    "inline_image_pdf.eml": ("archived", "ACME GmbH"),
    "internal_only.eml": ("skipped", None),
    "invite_allday.eml": ("archived", "Globex Corporation"),
    "invite_cancel.eml": ("archived", "ACME GmbH"),
    "invite_google.eml": ("archived", "Globex Corporation"),
    "invite_outlook.eml": ("archived", "ACME GmbH"),
    "keyword_acme.eml": ("archived", "ACME GmbH"),
    "keyword_kunde_hooli.eml": ("archived", "Hooli"),
    "latin1.eml": ("archived", "Schmidt & Partner Steuerberatung"),
    "mailing_list.eml": ("skipped", None),
    "malformed.eml": ("archived", "Globex Corporation"),
    "mislabelled_latin1_as_utf8.eml": ("archived", "ACME GmbH"),
    "mislabelled_utf8_as_latin1.eml": ("archived", "Köhler Maschinenbau GmbH"),
    "no_message_id.eml": ("archived", "Soylent GmbH"),
    "plus_address.eml": ("archived", "ACME GmbH"),
    "ref_tag.eml": ("archived", "ACME GmbH"),
    "reply_inline_en.eml": ("archived", "Initech"),
    "reply_outlook_de.eml": ("archived", "ACME GmbH"),
    "reply_quoted_de.eml": ("archived", "ACME GmbH"),
    "reply_thread_en.eml": ("archived", "Globex Corporation"),
    "rfc2231_filename.eml": ("archived", "Müller Bau GmbH"),
    "sent_plain_de.eml": ("archived", "ACME GmbH"),
    "sent_plain_en.eml": ("archived", "Globex Corporation"),
    "stranger.eml": ("rejected", None),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, MailRoom]]:
    tmp = tmp_path_factory.mktemp("mailcorpus")
    from storage import migrate
    from storage.engine import make_engine

    url = f"sqlite:///{tmp / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_app(url, tmp / "data")
    with app.uow(Actor(None, "cli")) as uow:
        load_demo(uow.session, now=NOW)
        uow.commit()
    yield app, MailRoom(app, FakeMailer(), SETTINGS)
    app.close()


def deliver(room: MailRoom, raw: bytes, source: str = "test") -> str:
    email_id = room.receive(
        RawMail(raw, "import", NOW, envelope_to=("crm@nordlicht.example",), source=source)
    )
    return room.process(email_id, NOW).status


def test_every_fixture_gets_the_reviewed_outcome(demo: tuple[App, MailRoom]) -> None:
    app, room = demo
    files = sorted(CORPUS.glob("*.eml"))
    assert {f.name for f in files} == set(EXPECTED), "new or missing fixtures: update EXPECTED"
    wrong = []
    for path in files:
        email_id = room.receive(
            RawMail(path.read_bytes(), "import", NOW, envelope_to=("crm@nordlicht.example",))
        )
        outcome = room.process(email_id, NOW)
        got = (outcome.status, outcome.thirdparty[1] if outcome.thirdparty else None)
        if got != EXPECTED[path.name]:
            wrong.append(f"{path.name}: expected {EXPECTED[path.name]}, got {got} ({outcome.reason})")
    assert wrong == []
    with app.uow() as uow:
        meetings = {
            a.ical_uid: a for a in uow.session.scalars(select(Activity).where(Activity.ical_uid.is_not(None)))
        }
    planned = [m for m in meetings.values() if m.type_code == ActivityType.MEETING]
    assert len(planned) >= 3  # Outlook, Google and the all-day invitations
    assert any(
        m.label.startswith(CANCELLED_PREFIX) and m.percent == Percent.NOT_APPLICABLE for m in planned
    ) or all(not m.label.startswith(CANCELLED_PREFIX) for m in planned)
    allday = [m for m in planned if m.all_day]
    assert allday, "the all-day invitation is an all-day meeting"


def _cpython_email_data() -> list[Path]:
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


@pytest.mark.skipif(not _cpython_email_data(), reason="CPython's Lib/test/test_email/data is not installed")
def test_cpythons_email_test_data_gets_a_clear_status(demo: tuple[App, MailRoom]) -> None:
    _, room = demo
    results = {path.name: deliver(room, path.read_bytes(), str(path)) for path in _cpython_email_data()}
    unclear = {name: status for name, status in results.items() if status not in STATUSES}
    assert len(results) > 50
    assert unclear == {}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source=st.sampled_from(sorted(p.name for p in CORPUS.glob("*.eml"))),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(0, 8000), st.integers(0, 255)), max_size=12),
)
def test_fuzzed_mail_never_breaks_the_pipeline(
    demo: tuple[App, MailRoom], source: str, cut: int, flips: list[tuple[int, int]]
) -> None:
    _, room = demo
    data = bytearray((CORPUS / source).read_bytes())
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    raw = bytes(data[: max(1, len(data) - cut)])
    assert deliver(room, raw) in STATUSES
