"""Benchmark 7 of issue #8: 4 ``crmbot run`` workers on one PostgreSQL database, 50 concurrent chat senders.

    python -m benchmarks.workers [--postgres | --db URL | --sqlite] [--workers 4] [--senders 50] \\
        [--messages 10] [--redeliver 0.1] [--runs 2] [--think 0] [--logs DIR] [--json]

Without ``--db`` a throwaway PostgreSQL cluster is started and filled by the generator (reduced sizes by
default). Each worker is a real ``crmbot run`` process with Telegram in webhook mode: its own HTTP port
(``CRMBOT_HTTP_LISTEN``, ``CRMBOT_TELEGRAM_WEBHOOK_URL``) and ``CRMBOT_TELEGRAM_API_URL`` pointing at one
fake Telegram Bot API run by this benchmark (``tests/support/fake_telegram.py``), which notes when each
answer (sendMessage) arrives. Every sender is a linked Telegram user with a customer of its own (a company
and a contact whose names nothing else has); it logs a call, waits for the bot's answer, and logs the next:

    called <contact> at <company>, note #<marker>        (German senders: "Anruf mit … bei …, Notiz #…")

The updates go round-robin to the workers. A share of them (``--redeliver``) is delivered a second time,
same update, to the next worker a few milliseconds later, as Telegram does when a webhook call timed out:
those must be answered once and logged once. Figures: answered msgs/s (median over runs), latency from
the POST of an update to the arrival of its answer at the fake API (p50/p99 over all messages), the mean
time in ``Engine.handle`` from the workers' /metrics, and the check afterwards: every marker exactly once
in the activities (nothing lost, nothing duplicated) and every message answered exactly once. The
workers' logs are scanned for errors (``--logs DIR`` keeps them).

With ``--think 0`` (the default) every sender sends its next message as soon as it has the answer: the
workers are saturated and the latency is mostly queueing (by Little's law about senders ÷ throughput).
``--think 5`` lets each sender pause 5 s on average (exponentially distributed), about 10 msgs/s from 50
people: the latency a user sees at that load. The load generator shares the machine with the workers.

Target (issue #8): nothing lost or duplicated, p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import signal
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks import harness
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.crm.audit import Actor
from bot.crm.contacts import create_contact
from bot.crm.models import Activity, ChannelIdentity, ThirdParty, User
from bot.crm.thirdparties import create_thirdparty
from storage import make_engine
from tests.support.fake_telegram import FakeTelegram

SECRET = "bench-webhook-secret"
SENDER_BASE = 770_000_000  # Telegram user (and private chat) ids of the senders
CLOCK = harness.NOW - timedelta(hours=4)  # 05:00 in Berlin, Sunday night in New York: no digest is due
FIRST = ("Ada", "Bruno", "Cora", "Dario", "Elif", "Fiete", "Greta", "Hugo", "Ilka", "Jonte")
SYLLABLES = ("zor", "quel", "vix", "brun", "ottil", "kra", "mefl", "tas", "yor", "pliv")
MARKER = re.compile(r"#(b\w+?s\d+m\d+)\b")


def customer_of(sender: int) -> tuple[str, str, str]:
    """(company, first name, last name) of a sender's own customer: made-up words nobody else has."""
    a, b = SYLLABLES[sender // 10 % 10], SYLLABLES[sender % 10]
    c = SYLLABLES[sender // 100 % 10]
    company = f"{(a + b + c).title()}tec GmbH"
    last = f"{(b + a).title()}{c}mann"
    return company, FIRST[sender % 10], last


def prepare(url: str, senders: int) -> None:
    """A linked Telegram account per sender (on the first users) and a customer of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(load_settings(database_url=url, data_dir=Path(tmp), now=CLOCK))
        try:
            with app.uow(Actor(None, "cli")) as uow:
                s = uow.session
                users = list(s.scalars(select(User.id).order_by(User.id).limit(senders)))
                if not users:
                    raise SystemExit("no users in the database: generate data first")
                for sender in range(senders):
                    external = str(SENDER_BASE + sender)
                    known = s.scalar(
                        select(ChannelIdentity.id).where(
                            ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == external
                        )
                    )
                    if known is None:
                        s.add(
                            ChannelIdentity(
                                channel="telegram",
                                external_id=external,
                                user_id=users[sender % len(users)],
                                display_name=f"Sender {sender}",
                            )
                        )
                    company, first, last = customer_of(sender)
                    if s.scalar(select(ThirdParty.id).where(ThirdParty.name == company)) is None:
                        tp = create_thirdparty(s, name=company, customer_type=1)
                        create_contact(s, firstname=first, lastname=last, thirdparty=tp)
                uow.commit()
        finally:
            app.close()


class AnswerLog(FakeTelegram):
    """The fake Bot API, noting when each sendMessage (an answer) arrives and waking its sender."""

    def __init__(self) -> None:
        super().__init__()
        # As on Telegram, a chat never sees a message id twice, also across runs on one database (the
        # engine takes a (chat, message id) it has handled before for a redelivery and stays silent).
        base = time.time_ns() // 1_000_000
        self._update_ids = itertools.count(base)
        self._message_ids = itertools.count(base)
        self.answers: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.waiting: dict[int, asyncio.Future[tuple[float, str]]] = {}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = super()._send_message(params)
        arrived = time.perf_counter()
        chat = int(params["chat_id"])
        text = str(params.get("text") or "")
        self.answers[chat].append((arrived, text))
        waiter = self.waiting.pop(chat, None)
        if waiter is not None and not waiter.done():
            waiter.set_result((arrived, text))
        return message


class Workers:
    """*count* ``crmbot run`` processes, each with its own HTTP port and the Telegram webhook."""

    def __init__(self, url: str, count: int, api_url: str, root: Path) -> None:
        self.ports = [harness.free_port() for _ in range(count)]
        self.logs = [root / f"worker{i}.log" for i in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []
        for port, log in zip(self.ports, self.logs, strict=True):
            env = harness.crmbot_env(
                DATABASE_URL=url,
                DATA_DIR=str(root / "data"),
                SMTP_LISTEN="off",
                HTTP_LISTEN=f"127.0.0.1:{port}",
                TELEGRAM_TOKEN=FakeTelegram().token,
                TELEGRAM_API_URL=api_url,
                TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                TELEGRAM_SECRET=SECRET,
                NOW=CLOCK.isoformat(),
                LOG_LEVEL="WARNING",
            )
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [*harness.crmbot_command(), "run"], env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/telegram/webhook" for port in self.ports]

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def errors(self, limit: int = 5) -> list[str]:
        """The first error lines (and tracebacks' last lines) of each worker's log."""
        found = []
        for i, log in enumerate(self.logs):
            lines = log.read_text(errors="replace").splitlines() if log.exists() else []
            for n, line in enumerate(lines):
                if " ERROR " in line or line.startswith("Traceback"):
                    tail = next((lines[k] for k in range(n + 1, len(lines)) if lines[k][:1].isalpha()), "")
                    found.append(f"worker{i}: {line.strip()[:300]} | {tail.strip()[:300]}")
        return found[: limit * len(self.logs)]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


async def start_workers(url: str, count: int, fake: AnswerLog, root: Path) -> tuple[Workers, float]:
    started = time.perf_counter()
    workers = Workers(url, count, fake.base_url, root)
    try:
        for port in workers.ports:
            await asyncio.to_thread(harness.wait_for_port, port, 180, workers.alive)
        deadline = time.monotonic() + 120
        while len(fake.called("setWebhook")) < count:
            if time.monotonic() > deadline or not workers.alive():
                raise RuntimeError(f"the workers did not set their webhooks: {workers.errors()}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # setWebhook comes just before the application starts taking updates
    except BaseException:
        workers.stop()
        raise
    return workers, time.perf_counter() - started


def message_text(sender: int, marker: str) -> str:
    company, first, last = customer_of(sender)
    if sender % 2:
        return f"Anruf mit {first} {last} bei {company}, Notiz #{marker}"
    return f"called {first} {last} at {company}, note #{marker}"


async def send_run(
    fake: AnswerLog,
    urls: list[str],
    senders: int,
    messages: int,
    redeliver: float,
    prefix: str,
    timeout: float,
    seed: int,
    think: float = 0.0,
) -> dict[str, Any]:
    """One run: every sender logs *messages* calls, one after the other; returns latencies and markers."""
    rng = random.Random(seed)
    turn = itertools.count()
    latencies: list[float] = []
    slow: list[tuple[float, float, int]] = []  # (seconds into the run, latency ms, worker)
    problems: Counter[str] = Counter()
    sent: dict[str, int] = {}  # marker -> sender
    redelivered: set[str] = set()
    samples: list[str] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    again: list[asyncio.Task[None]] = []
    limits = httpx.Limits(max_connections=senders * 2, max_keepalive_connections=senders * 2)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:

        async def post(url: str, update: dict[str, Any], delay: float = 0.0) -> None:
            if delay:
                await asyncio.sleep(delay)
            response = await client.post(url, json=update, headers=headers)
            if response.status_code != 200:
                problems[f"webhook answered {response.status_code}"] += 1

        async def sender(number: int) -> None:
            chat = SENDER_BASE + number
            if think:  # paced senders start at random moments too, not all in the same millisecond
                await asyncio.sleep(rng.expovariate(1 / think))
            for k in range(messages):
                marker = f"{prefix}s{number}m{k}"
                update = fake.text_update(
                    message_text(number, marker), chat_id=chat, user_id=chat, first_name=f"Sender{number}"
                )
                worker = next(turn) % len(urls)
                waiter: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
                fake.waiting[chat] = waiter
                sent[marker] = number
                posted = time.perf_counter()
                await post(urls[worker], update)
                if rng.random() < redeliver:
                    redelivered.add(marker)
                    nxt = urls[(worker + 1) % len(urls)]
                    again.append(asyncio.create_task(post(nxt, update, rng.uniform(0.0, 0.03))))
                try:
                    arrived, text = await asyncio.wait_for(waiter, timeout)
                except TimeoutError:
                    problems["no answer within the timeout"] += 1
                    continue
                latencies.append((arrived - posted) * 1000)
                slow.append((posted - run_started, latencies[-1], worker))
                if f"#{marker}" not in text:
                    problems["an answer without the note"] += 1
                    if len(samples) < 5:
                        samples.append(text[:200])
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        run_started = time.perf_counter()
        await asyncio.gather(*(sender(n) for n in range(senders)))
        wall = time.perf_counter() - run_started
        await asyncio.gather(*again)
    return {
        "wall_s": wall,
        "latencies": latencies,
        "slowest": [
            {"at_s": round(at, 2), "ms": round(ms, 1), "worker": w}
            for at, ms, w in sorted(slow, key=lambda x: -x[1])[: max(5, len(slow) // 100)]
        ],
        "problems": problems,
        "sent": sent,
        "redelivered": redelivered,
        "odd_answers": samples,
    }


METRIC = re.compile(r"^(crmbot_message_seconds_(?:sum|count)|crmbot_errors_total)\{([^}]*)\} (\S+)$", re.M)


async def engine_totals(urls: list[str]) -> dict[str, float]:
    """Summed over the workers' /metrics: messages handled, seconds spent in the engine (the thread that
    runs ``Engine.handle``, queueing in front of it excluded) and errors."""
    totals: dict[str, float] = defaultdict(float)
    async with httpx.AsyncClient(timeout=10) as client:
        for url in urls:
            response = await client.get(url.replace("/telegram/webhook", "/metrics"))
            for name, labels, value in METRIC.findall(response.text):
                if 'channel="telegram"' in labels:
                    key = {
                        "crmbot_message_seconds_sum": "seconds",
                        "crmbot_message_seconds_count": "messages",
                    }
                    totals[key.get(name, "errors")] += float(value)
    return dict(totals)


def count_markers(url: str, prefix: str) -> Counter[str]:
    """How often each marker of this run is in the activities' notes."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            bodies = conn.scalars(select(Activity.body).where(Activity.body.like(f"%#{prefix}s%"))).all()
    finally:
        engine.dispose()
    found: Counter[str] = Counter()
    for body in bodies:
        found.update(m for m in MARKER.findall(body or "") if m.startswith(prefix))
    return found


def answers_per_marker(fake: AnswerLog, prefix: str) -> Counter[str]:
    counted: Counter[str] = Counter()
    for answers in fake.answers.values():
        for _, text in answers:
            counted.update(m for m in MARKER.findall(text) if m.startswith(prefix))
    return counted


async def measure(
    url: str,
    workers: int,
    senders: int,
    messages: int,
    redeliver: float,
    runs: int,
    timeout: float,
    think: float = 0.0,
    settle: float = 5.0,
    logs: Path | None = None,
) -> dict[str, Any]:
    prepare(url, senders)
    rates: list[float] = []
    latencies: list[float] = []
    checks: list[dict[str, Any]] = []
    problems: Counter[str] = Counter()
    odd: list[str] = []
    engine_ms: list[float] = []
    engine_errors = 0.0
    slowest: list[list[dict[str, float]]] = []  # per run: the slowest 1 % (when and on which worker)
    with tempfile.TemporaryDirectory(prefix="crmbot-workers-") as tmp:
        root = Path(tmp)
        if logs is not None:  # the workers' logs (and data dir) kept for reading afterwards
            root = logs
            root.mkdir(parents=True, exist_ok=True)
        fake = AnswerLog()
        await fake.start()
        try:
            pool, ready = await start_workers(url, workers, fake, root)
            await asyncio.sleep(settle)  # the first scheduler tick of every worker runs at start
            try:
                for number in range(runs):
                    prefix = f"b{os.getpid()}t{time.time_ns() % 10**9}r{number}"
                    before = await engine_totals(pool.urls)
                    got = await send_run(
                        fake, pool.urls, senders, messages, redeliver, prefix, timeout, number, think
                    )
                    await asyncio.sleep(2.0)  # a redelivery answered late would show now
                    after = await engine_totals(pool.urls)
                    handled = after.get("messages", 0) - before.get("messages", 0)
                    if handled:
                        engine_ms.append(
                            1000 * (after.get("seconds", 0) - before.get("seconds", 0)) / handled
                        )
                    engine_errors += after.get("errors", 0) - before.get("errors", 0)
                    latencies.extend(got["latencies"])
                    problems.update(got["problems"])
                    odd.extend(got["odd_answers"])
                    slowest.append(sorted(got["slowest"], key=lambda x: float(x["at_s"])))
                    rates.append(len(got["latencies"]) / got["wall_s"])
                    stored = await asyncio.to_thread(count_markers, url, prefix)
                    answered = answers_per_marker(fake, prefix)
                    sent = set(got["sent"])
                    checks.append(
                        {
                            "messages": len(sent),
                            "redelivered": len(got["redelivered"]),
                            "lost": sorted(m for m in sent if not stored[m])[:10],
                            "lost_count": sum(1 for m in sent if not stored[m]),
                            "duplicated": sorted(m for m in sent if stored[m] > 1)[:10],
                            "duplicated_count": sum(1 for m in sent if stored[m] > 1),
                            "redelivered_duplicated": sum(1 for m in got["redelivered"] if stored[m] > 1),
                            "answered_twice": sum(1 for m in sent if answered[m] > 1),
                            "unanswered": sum(1 for m in sent if not answered[m]),
                        }
                    )
                    if not pool.alive():
                        raise RuntimeError(f"a worker ended during the run: {pool.errors()}")
            finally:
                pool.stop()
                errors = pool.errors()
        finally:
            await fake.stop()
    return {
        "benchmark": "workers",
        "database": harness.backend(url),
        "workers": workers,
        "senders": senders,
        "messages_per_run": senders * messages,
        "workers_ready_s": round(ready, 2),
        "answered_msgs_per_s": harness.runs_summary(rates, 1),
        "update_to_answer_ms": harness.latency_summary(latencies),
        "engine_mean_ms": harness.runs_summary(engine_ms, 1),
        "think_s": think,
        "lost": sum(c["lost_count"] for c in checks),
        "duplicated": sum(c["duplicated_count"] for c in checks),
        "answered_twice": sum(c["answered_twice"] for c in checks),
        "problems": dict(problems),
        "engine_errors": engine_errors,
        "odd_answers": odd[:5],
        "slowest_per_run": slowest,
        "checks": checks,
        "worker_errors": errors,
        "worker_logs": str(logs) if logs is not None else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=True)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per sender and run")
    parser.add_argument("--redeliver", type=float, default=0.1, help="share of updates delivered twice")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one answer")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause of a sender between an answer and its next message (0: as fast as answered)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds between the workers being ready and the first message",
    )
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this directory")
    args = parser.parse_args(argv)
    if not args.db and not args.sqlite:
        args.postgres = True  # issue #8: the workers share a PostgreSQL database
    fill = harness.generated(harness.size_of(args), args.seed)
    with harness.database(args, fill, name="workers") as url:
        result = asyncio.run(
            measure(
                url,
                args.workers,
                args.senders,
                args.messages,
                args.redeliver,
                args.runs,
                args.timeout,
                args.think,
                args.settle,
                args.logs,
            )
        )
    harness.emit(result, args.json)


if __name__ == "__main__":
    main()
