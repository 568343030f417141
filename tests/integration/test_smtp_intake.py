"""The SMTP intake end to end with smtplib: accepted → stored → archived; 550, 552, 451 and retry; AUTH."""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.bootstrap import App
from bot.channels.smtp_inbound import SmtpServer, SmtpSettings, accepts
from bot.crm.models import Activity, EmailMessage
from storage import migrate
from storage.engine import make_engine
from tests.conftest import make_app
from tests.support.factories import company, person, user
from tests.support.mail import BOT, Room, mail
from tests.support.postgres import find_bindir, free_port, start_cluster


@contextmanager
def running(app: App, **overrides: object) -> Iterator[tuple[int, Room]]:
    """The SMTP server and the mail worker on a background event loop; yields (port, room)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    room = Room(app)
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), addresses=frozenset({BOT}), **overrides)  # type: ignore[arg-type]
    server = SmtpServer(settings, room.room.accept, app.clock.now)
    port = asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    worker = asyncio.run_coroutine_threadsafe(room.room.run(), loop)
    try:
        yield port, room
    finally:
        worker.cancel()
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def seed(app: App) -> None:
    with app.uow() as uow:
        user(uow.session, "anna", emails=["anna@nordlicht.example"])
        acme = company(uow.session, "ACME GmbH")
        person(uow.session, "Max", "Mustermann", acme, email="max.mustermann@acme.example")
        uow.commit()


def wait_archived(app: App, message_id: str, timeout: float = 10.0) -> Activity:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.uow() as uow:
            found = uow.session.scalar(select(Activity).where(Activity.email_message_id == message_id))
            if found is not None:
                return found
        time.sleep(0.05)
    raise AssertionError(f"{message_id} was not archived within {timeout}s")


def test_bcc_over_smtp_is_stored_then_archived(app: App) -> None:
    seed(app)
    raw = mail("anna@nordlicht.example", "max.mustermann@acme.example", message_id="<smtp-1@x>")
    with running(app) as (port, _), smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        refused = client.sendmail("anna@nordlicht.example", ["max.mustermann@acme.example", BOT], raw)
        assert refused == {"max.mustermann@acme.example": (550, refused["max.mustermann@acme.example"][1])}
        event = wait_archived(app, "<smtp-1@x>")
    assert event.label == "Angebot Q1"
    with app.uow() as uow:
        row = uow.session.scalars(select(EmailMessage)).one()
    assert (row.received_via, row.envelope_from, row.envelope_to) == ("smtp", "anna@nordlicht.example", BOT)
    stored = app.documents.read(row.raw_sha256)  # what came over the wire, line ends aside
    assert stored.replace(b"\r\n", b"\n").rstrip() == raw.replace(b"\r\n", b"\n").rstrip()


def test_never_a_relay_550_for_foreign_recipients(sqlite_app: App) -> None:
    with (
        running(sqlite_app) as (port, _),
        smtplib.SMTP("127.0.0.1", port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("anna@nordlicht.example", ["victim@elsewhere.example"], b"Subject: x\r\n\r\nhi\r\n")
    code, _text = refused.value.recipients["victim@elsewhere.example"]
    assert code == 550


def test_plus_addresses_are_ours() -> None:
    ours = frozenset({"crm@nordlicht.example"})
    assert accepts("CRM+ACME@nordlicht.example", ours)
    assert accepts("<crm@nordlicht.example>", ours)
    assert not accepts("crm@evil.example", ours)
    assert not accepts("crmx@nordlicht.example", ours)


def test_too_big_is_552(sqlite_app: App) -> None:
    big = mail("anna@nordlicht.example", BOT, body="x" * 50_000)
    with (
        running(sqlite_app, max_bytes=10_000) as (port, _),
        smtplib.SMTP("127.0.0.1", port, timeout=10) as client,
        pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as too_big,
    ):
        client.sendmail("anna@nordlicht.example", [BOT], big)
    assert too_big.value.smtp_code == 552


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_is_required_when_configured(sqlite_app: App) -> None:
    with running(sqlite_app, credentials={"relay": "s3cret"}) as (port, _):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("anna@nordlicht.example", [BOT], b"Subject: x\r\n\r\nhi\r\n")
            assert refused.value.smtp_code == 530
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("relay", "wrong")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.login("relay", "s3cret")
            assert client.sendmail("anna@nordlicht.example", [BOT], b"Subject: x\r\n\r\nhi\r\n") == {}


@pytest.mark.postgres
def test_451_while_the_database_is_down_then_accepted_on_retry(tmp_path: Path) -> None:
    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    cluster = start_cluster()
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE crm_down"))
        admin.dispose()
        engine = make_engine(cluster.url("crm_down"))
        migrate.upgrade(engine)
        engine.dispose()
        app = make_app(cluster.url("crm_down"), tmp_path / "data")
        seed(app)
        raw = mail("anna@nordlicht.example", "max.mustermann@acme.example", message_id="<down-1@x>")
        with running(app) as (port, _):
            cluster._run(
                str(cluster.bindir / "pg_ctl"), "-D", str(cluster.datadir), "-m", "fast", "-w", "stop"
            )
            with (
                smtplib.SMTP("127.0.0.1", port, timeout=30) as client,
                pytest.raises(smtplib.SMTPDataError) as failed,
            ):
                client.sendmail("anna@nordlicht.example", [BOT], raw)
            assert failed.value.smtp_code == 451
            cluster.start_again()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                assert client.sendmail("anna@nordlicht.example", [BOT], raw) == {}
            wait_archived(app, "<down-1@x>")
        app.close()
    finally:
        cluster.stop()


def test_the_worker_waits_for_the_database_and_files_a_failed_mail_again(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that is away when the worker starts, and a filing that fails once, lose nothing."""
    import bot.mailroom

    seed(sqlite_app)
    monkeypatch.setattr(bot.mailroom, "RETRY_FIRST_SECONDS", 0.05)
    real_pending = bot.mailroom.pending_ids
    calls = {"pending": 0, "process": 0}

    def pending_after_an_outage(*args: object, **kw: object) -> list[int]:
        calls["pending"] += 1
        if calls["pending"] < 3:
            raise OSError("database is starting up")
        return real_pending(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.mailroom, "pending_ids", pending_after_an_outage)
    with running(sqlite_app) as (port, room):
        real_process = room.room.processor.process

        def fails_once(*args: object, **kw: object) -> object:
            calls["process"] += 1
            if calls["process"] == 1:
                raise RuntimeError("connection reset while filing")
            return real_process(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(room.room.processor, "process", fails_once)
        raw = mail("anna@nordlicht.example", "max.mustermann@acme.example", message_id="<retry-1@x>")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            assert client.sendmail("anna@nordlicht.example", [BOT], raw) == {}
        wait_archived(sqlite_app, "<retry-1@x>")
    assert calls["pending"] == 3
    assert calls["process"] >= 2  # + once more when the start-up scan queued it too (then a no-op)
    with sqlite_app.uow() as uow:
        row = uow.session.scalars(select(EmailMessage)).one()
    assert (row.status, row.attempts, row.last_error) == ("archived", 2, "connection reset while filing")
