"""Email ingest end to end on a realistic corpus, against the floor of bare compat32 parsing.

    python -m benchmarks.mail_ingest [--messages 2000] [--runs 3] [--db URL | --postgres] [--json]
    python -m benchmarks.mail_ingest --cpython     # parse rates only, on CPython's Lib/test/test_email/data

The corpus is the .eml fixtures (EN/DE, forwards, attachments, invites, auto-replies …) repeated with fresh
Message-IDs. Three rates over the same messages in the same run:
* floor: ``email.message_from_bytes(raw, policy=compat32)`` alone;
* parse: ``parse_email`` (headers, charsets, HTML, forwards, invites, attachments);
* ingest: intake (raw stored durably + a committed row) and filing (routing, the event, documents), one mail
  after the other, as the mail room does it — with the demo data, on a temporary SQLite file, ``--db`` (an
  empty database gets the demo data) or a throwaway PostgreSQL cluster (``--postgres``).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import json
import os
import re
import statistics
import sysconfig
import tempfile
import time
from datetime import UTC, datetime
from email.policy import compat32
from pathlib import Path
from typing import Any

from benchmarks import harness
from bot.bootstrap import build_app
from bot.channels.mailer import FakeMailer
from bot.config import load_settings
from bot.crm.mail import MailSettings
from bot.mailroom import MailRoom
from bot.messages import RawMail
from bot.parsers.email import EmailParseError, parse_email

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
_MESSAGE_ID = re.compile(rb"^Message-ID:.*$", re.IGNORECASE | re.MULTILINE)


def corpus(folder: Path, count: int, tag: str = "bench") -> list[bytes]:
    """*count* messages: the fixtures in turn, each with a fresh Message-ID ``<{tag}-{n}@bench.example>``."""
    base = [p.read_bytes() for p in sorted(folder.glob("*.eml"))]
    if not base:
        raise SystemExit(f"no .eml files in {folder}")
    out = []
    for n in range(count):
        raw = base[n % len(base)]
        fresh = f"Message-ID: <{tag}-{n}@bench.example>".encode()
        out.append(_MESSAGE_ID.sub(fresh, raw, count=1) if _MESSAGE_ID.search(raw) else fresh + b"\r\n" + raw)
    return out


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def run_once(url: str, messages: list[bytes]) -> dict[str, Any]:
    started = time.perf_counter()
    for raw in messages:
        email.message_from_bytes(raw, policy=compat32)
    floor = time.perf_counter() - started
    started = time.perf_counter()
    for raw in messages:
        parse_email(raw)
    parse = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=url, data_dir=Path(tmp), now=NOW)
        app = build_app(settings)
        mail = MailSettings(
            bot_addresses=frozenset({"crm@nordlicht.example"}),
            internal_domains=frozenset({"nordlicht.example"}),
            loop_limit=10**9,
        )
        room = MailRoom(app, FakeMailer(), mail)
        statuses: dict[str, int] = {}
        started = time.perf_counter()
        for raw in messages:
            email_id = room.receive(RawMail(raw, "import", NOW, envelope_to=("crm@nordlicht.example",)))
            status = str(room.process(email_id, NOW).status or "error")
            statuses[status] = statuses.get(status, 0) + 1
        ingest = time.perf_counter() - started
        app.close()
    return {
        "floor": rate(len(messages), floor),
        "parse": rate(len(messages), parse),
        "ingest": rate(len(messages), ingest),
        "ratio": round(floor / ingest, 3) if ingest else 0.0,
        "statuses": statuses,
    }


def run(url: str, count: int, folder: Path, runs: int = 1) -> dict[str, Any]:
    """*runs* times: the three rates over *count* fresh messages (new Message-IDs each run, so no run
    finds the previous one's mail as duplicates) on the database at *url* (with the demo data)."""
    results = []
    for number in range(runs):
        tag = f"ingest{os.getpid()}x{time.time_ns() % 10**12}r{number}"
        results.append(run_once(url, corpus(folder, count, tag)))

    def median(key: str) -> float:
        return round(float(statistics.median(float(r[key]) for r in results)), 3)

    return {
        "benchmark": "mail_ingest",
        "database": harness.backend(url),
        "messages": count,
        "runs": runs,
        "distinct_files": len(list(folder.glob("*.eml"))),
        "floor_compat32_msgs_per_s": median("floor"),
        "parse_email_msgs_per_s": median("parse"),
        "ingest_msgs_per_s": median("ingest"),
        "ingest_vs_floor": median("ratio"),
        "ingest_runs": [r["ingest"] for r in results],
        "statuses": results[-1]["statuses"],
    }


def parse_rates(rounds: int = 20) -> dict[str, Any]:
    """Floor and ``parse_email`` on CPython's own email test data (CPU time, best of three)."""
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    files = [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()] if folder.is_dir() else []
    if not files:
        raise SystemExit(f"CPython's email test data is not installed here ({folder})")
    messages = files * rounds
    floor = parse = float("inf")
    for _ in range(3):
        started = time.process_time()
        for raw in messages:
            email.message_from_bytes(raw, policy=compat32)
        floor = min(floor, time.process_time() - started)
        started = time.process_time()
        for raw in messages:
            with contextlib.suppress(EmailParseError):  # the images and sound files in the folder
                parse_email(raw)
        parse = min(parse, time.process_time() - started)
    return {
        "files": len(files),
        "messages": len(messages),
        "floor_compat32_msgs_per_s": rate(len(messages), floor),
        "parse_email_msgs_per_s": rate(len(messages), parse),
        "parse_vs_floor": round(floor / parse, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=False)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures" / "email")
    parser.add_argument("--cpython", action="store_true", help="parse rates on CPython's email test data")
    args = parser.parse_args()
    if args.cpython:
        result = parse_rates()
    else:
        with harness.database(args, harness.demo(NOW), name="ingest") as url:
            result = run(url, args.messages, args.corpus, args.runs)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>28}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
