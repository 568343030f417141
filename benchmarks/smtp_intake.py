"""Benchmark 6 of issue #8: SMTP intake with 8 parallel smtplib clients, against ``crmbot run``.

    python -m benchmarks.smtp_intake [--db URL | --postgres] [--clients 8] [--mails 25] [--runs 3] [--json]

Starts ``crmbot run`` as a subprocess, as users run it, with only the SMTP intake listening (HTTP off; the
mail worker and the scheduler run as always, the clock fixed before anyone's digest time) on a database
with the demo data (the users and customers of the .eml fixtures; loaded when the database is empty).
Each run, *clients* threads each open one SMTP connection and send *mails* messages one after the other:
the .eml fixtures in turn with fresh Message-IDs, envelope from a user (anna@nordlicht.example), the bot
(crm@nordlicht.example) as the only recipient, i.e. BCC'd. Figures per run:

* accepted msgs/s: mails answered 250 after DATA (the raw mail stored durably and a ``received`` row
  committed) over the wall time from the first MAIL FROM to the last 250;
* the latency of each transaction (MAIL FROM to the 250), p50/p99 over all runs;
* filed after: from the first MAIL FROM until no mail of the run is ``received`` any more (the mail room's
  one worker filed them: archived, skipped, rejected …), and the filing rate that gives;
* the check: every Message-ID sent has exactly one ``email_messages`` row (none lost, none doubled) and at
  most one activity.

Target (issue #8): ≥ 200 accepted msgs/s.
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import harness
from benchmarks.mail_ingest import corpus
from bot.crm.models import Activity, EmailMessage
from storage import make_engine

FIXTURES = harness.ROOT / "tests" / "fixtures" / "email"
BOT = "crm@nordlicht.example"
USER = "anna@nordlicht.example"
CLOCK = harness.NOW - timedelta(hours=4)  # 05:00 in Berlin, Sunday night in New York: no digest is due


class Bot:
    """``crmbot run`` with the SMTP intake only, on *url*; stopped with SIGTERM as a service manager would."""

    def __init__(self, url: str, data_dir: Path, log: Path) -> None:
        self.port = harness.free_port()
        self.log = log
        env = harness.crmbot_env(
            DATABASE_URL=url,
            DATA_DIR=str(data_dir),
            SMTP_LISTEN=f"127.0.0.1:{self.port}",
            HTTP_LISTEN="off",
            MAIL_ADDRESSES=BOT,
            INTERNAL_DOMAINS="nordlicht.example",
            MAIL_LOOP_LIMIT="1000000000",  # the same few senders and recipients on purpose: no loop guard
            NOW=CLOCK.isoformat(),
            LOG_LEVEL="WARNING",
        )
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*harness.crmbot_command(), "run"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        started = time.perf_counter()
        try:
            harness.wait_for_port(self.port, 120, alive=lambda: self.proc.poll() is None)
        except BaseException:
            self.stop()
            raise RuntimeError(f"crmbot run did not start:\n{self.tail()}") from None
        self.ready_s = time.perf_counter() - started

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def on_the_wire(raw: bytes) -> bytes:
    """CRLF line ends, as every MTA sends them (smtplib sends bytes as they are, and aiosmtpd reads a
    message with bare LFs as one over-long line: 500)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send_all(
    port: int, shares: list[list[tuple[int, bytes]]]
) -> tuple[float, float, list[float], Counter[str], set[int]]:
    """Every share on its own connection, all at once; returns start and end (perf_counter), the latency
    of each transaction in ms, the answers (250, or the error) and the numbers of the mails accepted."""
    latencies: list[float] = []
    answers: Counter[str] = Counter()
    accepted: set[int] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(len(shares) + 1)
    ends: list[float] = []

    def client(share: list[tuple[int, bytes]]) -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        ok: set[int] = set()
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo("bench.example")
            barrier.wait()
            for number, raw in share:
                started = time.perf_counter()
                try:
                    refused = smtp.sendmail(USER, [BOT], raw)
                    seen["250" if not refused else f"refused {refused}"] += 1
                    ok.add(number)
                except smtplib.SMTPResponseException as exc:
                    seen[f"{exc.smtp_code} {exc.smtp_error[:60]!r}"] += 1
                except smtplib.SMTPException as exc:
                    seen[type(exc).__name__] += 1
                mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
            answers.update(seen)
            accepted.update(ok)
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return start, max(ends, default=start), latencies, answers, accepted


def last_id(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.max(EmailMessage.id))) or 0)
    finally:
        engine.dispose()


def wait_filed(
    url: str, tag: str, after_id: int, accepted: set[int], start: float, timeout: float
) -> dict[str, Any]:
    """Poll until the run's rows (ids above *after_id*) are all there and none is ``received``; then
    count rows per Message-ID: each accepted mail exactly once, nothing that was not accepted."""
    engine = make_engine(url)
    pattern = f"<{tag}-%"
    fresh = EmailMessage.id > after_id
    statuses: dict[str, int] = {}
    try:
        deadline = time.monotonic() + timeout
        filed_at = None
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(EmailMessage.status, func.count()).where(fresh).group_by(EmailMessage.status)
                ).all()
            statuses = {str(status): int(n) for status, n in rows}
            if sum(statuses.values()) >= len(accepted) and not statuses.get("received"):
                filed_at = time.perf_counter()
                break
            time.sleep(0.1)
        with engine.connect() as conn:
            per_id = Counter(
                dict(
                    conn.execute(
                        select(EmailMessage.message_id, func.count())
                        .where(fresh, EmailMessage.message_id.like(pattern))
                        .group_by(EmailMessage.message_id)
                    ).all()
                )
            )
            others = conn.scalar(
                select(func.count())
                .select_from(EmailMessage)
                .where(fresh, EmailMessage.message_id.is_(None) | EmailMessage.message_id.not_like(pattern))
            )
            events = conn.execute(
                select(Activity.email_message_id, func.count())
                .where(Activity.email_message_id.like(pattern))
                .group_by(Activity.email_message_id)
                .having(func.count() > 1)
            ).all()
    finally:
        engine.dispose()
    wanted = {f"<{tag}-{n}@bench.example>" for n in accepted}
    lost = sorted(wanted - set(per_id))
    return {
        "filed_s": round(filed_at - start, 3) if filed_at else None,
        "statuses": statuses,
        "lost": lost[:10],
        "lost_count": len(lost),
        "duplicated": sorted(str(k) for k, n in per_id.items() if n > 1)[:10],
        "duplicated_count": sum(1 for n in per_id.values() if n > 1),
        "stored_but_refused": len(set(per_id) - wanted),
        "rows_of_other_ids": others,
        "double_events": len(events),
    }


def run(url: str, clients: int, mails: int, runs: int, timeout: float) -> dict[str, Any]:
    total = clients * mails
    rates: list[float] = []
    filing_rates: list[float] = []
    filed: list[float] = []
    latencies: list[float] = []
    answers: Counter[str] = Counter()
    checks: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="crmbot-smtp-") as tmp:
        bot = Bot(url, Path(tmp) / "data", Path(tmp) / "crmbot.log")
        try:
            for number in range(runs):
                tag = f"smtp{os.getpid()}x{time.time_ns() % 10**12}r{number}"
                messages = list(enumerate(on_the_wire(raw) for raw in corpus(FIXTURES, total, tag)))
                shares = [messages[i::clients] for i in range(clients)]
                after_id = last_id(url)
                start, end, latency, seen, accepted = send_all(bot.port, shares)
                rates.append(len(accepted) / (end - start) if end > start else 0.0)
                latencies.extend(latency)
                answers.update(seen)
                check = wait_filed(url, tag, after_id, accepted, start, timeout)
                checks.append(check)
                if check["filed_s"]:
                    filed.append(check["filed_s"])
                    filing_rates.append(len(accepted) / check["filed_s"])
                if bot.proc.poll() is not None:
                    raise RuntimeError(f"crmbot run ended during the run:\n{bot.tail()}")
        finally:
            bot.stop()
            log_tail = bot.tail(15)
    return {
        "benchmark": "smtp_intake",
        "database": harness.backend(url),
        "clients": clients,
        "mails_per_run": total,
        "crmbot_ready_s": round(bot.ready_s, 2),
        "accepted_msgs_per_s": harness.runs_summary(rates, 1),
        "transaction_ms": harness.latency_summary(latencies),
        "all_filed_after_s": harness.runs_summary(filed, 2),
        "filed_msgs_per_s": harness.runs_summary(filing_rates, 1),
        "answers": dict(answers),
        "lost": sum(c["lost_count"] for c in checks),
        "duplicated": sum(
            c["duplicated_count"] + c["double_events"] + c["stored_but_refused"] for c in checks
        ),
        "checks": checks,
        "crmbot_log_tail": log_tail if any(k != "250" for k in answers) else "",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=False)
    parser.add_argument("--clients", type=int, default=8, help="parallel SMTP connections")
    parser.add_argument("--mails", type=int, default=25, help="mails per client and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the filing")
    args = parser.parse_args(argv)
    with harness.database(args, harness.demo(), name="smtp") as url:
        harness.emit(run(url, args.clients, args.mails, args.runs, args.timeout), args.json)


if __name__ == "__main__":
    main()
