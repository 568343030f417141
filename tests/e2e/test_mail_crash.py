"""Crash safety: kill -9 `crmbot run` while 1,000 mails arrive over SMTP; after a restart every mail the
server accepted (250) is archived exactly once, and mails that were not accepted are retried by the sender
(as an MTA does) and archived once too."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.crm.models import Activity, EmailMessage, EmailStatus
from tests.support.mail import BOT, mail
from tests.support.postgres import free_port

MAILS = 1000
SENDERS = 4
KILL_AFTER = 300


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")}
    env.update(
        {
            "CRMBOT_DATA_DIR": str(tmp_path / "data"),
            "CRMBOT_SMTP_LISTEN": f"127.0.0.1:{port}",
            "CRMBOT_HTTP_LISTEN": "off",
            "CRMBOT_MAIL_ADDRESSES": BOT,
            "CRMBOT_INTERNAL_DOMAINS": "nordlicht.example",
            "CRMBOT_MAIL_LOOP_LIMIT": "1000000",
            "CRMBOT_NOW": "2026-11-23T09:00:00+01:00",
        }
    )
    return env


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=handle, stderr=handle)
    port = int(env["CRMBOT_SMTP_LISTEN"].rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"crmbot run did not start: {log.read_text()[-2000:]}")


def _sender(
    port: int, ids: list[str], accepted: set[str], lock: threading.Lock, stop: Callable[[], bool]
) -> None:
    pending = list(ids)
    client: smtplib.SMTP | None = None
    while pending and not stop():
        message_id = pending[0]
        try:
            if client is None:
                client = smtplib.SMTP("127.0.0.1", port, timeout=10)
            raw = mail(
                "anna@nordlicht.example",
                "max.mustermann@acme.example",
                f"Mail {message_id}",
                message_id=message_id,
            )
            client.sendmail("anna@nordlicht.example", [BOT], raw)
            with lock:
                accepted.add(message_id)
            pending.pop(0)
        except (OSError, smtplib.SMTPException):
            client = None  # the server went away (or answered 4xx): try again, as an MTA would
            time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_during_delivery_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    subprocess.run([sys.executable, "-m", "bot", "demo"], env=env, check=True, capture_output=True)
    log = tmp_path / "run.log"
    proc = _start(env, log)
    ids = [f"<crash-{n}@test.example>" for n in range(MAILS)]
    accepted: set[str] = set()
    lock = threading.Lock()
    done = threading.Event()
    threads = [
        threading.Thread(
            target=_sender, args=(port, ids[i::SENDERS], accepted, lock, done.is_set), daemon=True
        )
        for i in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(accepted) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # no clean shutdown: whatever was in flight is cut off
    proc.wait(10)
    accepted_before_kill = len(accepted)
    time.sleep(0.5)
    proc = _start(env, log)
    try:
        for thread in threads:
            thread.join(180)
        assert len(accepted) == MAILS, "senders did not finish"
        engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'crmbot.sqlite3'}")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with Session(engine) as s:
                waiting = s.scalar(
                    select(func.count())
                    .select_from(EmailMessage)
                    .where(EmailMessage.status == EmailStatus.RECEIVED)
                )
                archived = s.scalar(
                    select(func.count())
                    .select_from(Activity)
                    .where(Activity.email_message_id.like("<crash-%"))
                )
            if waiting == 0 and archived == MAILS:
                break
            time.sleep(0.5)
        with Session(engine) as s:
            per_id = dict(
                s.execute(
                    select(Activity.email_message_id, func.count())
                    .where(Activity.email_message_id.like("<crash-%"))
                    .group_by(Activity.email_message_id)
                ).all()
            )
            statuses = dict(
                s.execute(select(EmailMessage.status, func.count()).group_by(EmailMessage.status)).all()
            )
        engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert 0 < accepted_before_kill < MAILS
    assert set(per_id) == set(ids), f"missing: {len(set(ids) - set(per_id))}; log: {log.read_text()[-1500:]}"
    assert set(per_id.values()) == {1}
    assert statuses.get(EmailStatus.RECEIVED, 0) == 0
    assert statuses[EmailStatus.ARCHIVED] == MAILS
    assert set(statuses) <= {EmailStatus.ARCHIVED, EmailStatus.DUPLICATE}
