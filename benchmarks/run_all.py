"""All seven benchmarks of issue #8, on SQLite and (when initdb is installed) PostgreSQL; one table.

    python -m benchmarks.run_all                 # reduced size (`make bench`): a few minutes on 2 cores
    python -m benchmarks.run_all --full          # the size of issue #8: 100k / 300k / 5M / 10k
    python -m benchmarks.run_all --no-postgres   # SQLite only

Generates the data once per database (a temporary SQLite file; a database on one throwaway PostgreSQL
cluster), then runs each benchmark as its own process (``python -m benchmarks.<name> --db URL --json``),
so every figure comes from the same command a reader can run alone. Prints the table (figure, target,
measured per database, ✓/✗), writes it with every benchmark's full output to ``bench/results.json`` and
ends with the commands for the full size. Timings on a shared 2-core machine are indicative (±30 %).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import harness

RESULTS = harness.ROOT / "bench" / "results.json"
# Benchmark 7 runs twice: senders back to back (saturation: latency is mostly queueing, by Little's law
# about senders ÷ throughput) and senders pausing 5 s on average (about 10 msgs/s offered by 50 people).
PACED_THINK_S = 5.0


@dataclass(frozen=True)
class Plan:
    """How big each benchmark runs."""

    size: harness.DataSize
    chat_messages: int
    queries: int
    mails: int
    mail_runs: int
    startup_runs: int
    smtp_mails: int  # per client and run
    smtp_runs: int
    worker_messages: int  # per sender and run
    worker_runs: int
    timeout_s: float


REDUCED = Plan(harness.REDUCED, 300, 300, 300, 2, 3, 25, 2, 6, 2, 900)
FULL = Plan(harness.FULL, 2000, 2000, 2000, 3, 5, 100, 3, 40, 3, 7200)


@dataclass
class Databases:
    generated: str
    ingest: str
    smtp: str


@contextlib.contextmanager
def sqlite_databases() -> Iterator[Databases]:
    with tempfile.TemporaryDirectory(prefix="crmbot-bench-") as tmp:
        urls = Databases(*(f"sqlite:///{tmp}/{name}.sqlite3" for name in ("crm", "ingest", "smtp")))
        yield urls


@contextlib.contextmanager
def postgres_databases() -> Iterator[Databases]:
    with harness.throwaway_postgres() as cluster:
        yield Databases(*(harness.create_database(cluster, name) for name in ("crm", "ingest", "smtp")))


def bench(name: str, args: list[str], timeout: float, log: Path) -> dict[str, Any]:
    """``python -m benchmarks.<name> ARGS --json``; its JSON line, or the error."""
    command = [sys.executable, "-m", f"benchmarks.{name}", *args, "--json"]
    started = time.perf_counter()
    print(f"  {name} {' '.join(args)}", file=sys.stderr, flush=True)
    try:
        with log.open("ab") as err:
            done = subprocess.run(
                command, cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=err, timeout=timeout, check=False
            )
    except subprocess.TimeoutExpired:
        return {
            "error": f"timed out after {timeout:.0f} s",
            "wall_s": round(time.perf_counter() - started, 1),
        }
    wall = round(time.perf_counter() - started, 1)
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}; see {log}", "wall_s": wall}
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except ValueError:
        return {"error": f"no JSON in the output: {lines[-1][:200]}", "wall_s": wall}
    result["wall_s"] = wall
    return result


def run_backend(backend: str, dbs: Databases, plan: Plan, log: Path) -> dict[str, Any]:
    size = plan.size
    t = plan.timeout_s
    out: dict[str, Any] = {}
    started = time.perf_counter()
    print(f"{backend}: generating {size}", file=sys.stderr, flush=True)
    try:
        harness.generated(size, progress=False)(dbs.generated)
        out["generate"] = {"seconds": round(time.perf_counter() - started, 1), "size": size.__dict__}
    except Exception as exc:
        out["generate"] = {"error": f"{type(exc).__name__}: {exc}"}
        return out
    db = ["--db", dbs.generated]
    out["chat_latency"] = bench("chat_latency", [*db, f"--messages={plan.chat_messages}"], t, log)
    out["queries"] = bench("queries", [*db, f"--queries={plan.queries}"], t, log)
    out["startup"] = bench("startup", [*db, f"--runs={plan.startup_runs}"], t, log)
    out["digests"] = bench("digests", db, t, log)
    out["mail_ingest"] = bench(
        "mail_ingest", ["--db", dbs.ingest, f"--messages={plan.mails}", f"--runs={plan.mail_runs}"], t, log
    )
    out["smtp_intake"] = bench(
        "smtp_intake",
        ["--db", dbs.smtp, "--clients=8", f"--mails={plan.smtp_mails}", f"--runs={plan.smtp_runs}"],
        t,
        log,
    )
    if backend == "postgresql":
        out["workers"] = bench(
            "workers",
            [
                *db,
                "--workers=4",
                "--senders=50",
                f"--messages={plan.worker_messages}",
                f"--runs={plan.worker_runs}",
                f"--logs={log.parent / 'workers-saturated'}",
            ],
            t,
            log,
        )
        out["workers_paced"] = bench(
            "workers",
            [
                *db,
                "--workers=4",
                "--senders=50",
                f"--messages={plan.worker_messages}",
                "--runs=1",
                f"--think={PACED_THINK_S}",
                f"--logs={log.parent / 'workers-paced'}",
            ],
            t,
            log,
        )
    return out


# -- the table -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    benchmark: str
    label: str
    target: str
    value: Callable[[dict[str, Any]], float | None]
    unit: str
    ok: Callable[[float], bool] | None = None


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def pick(result: dict[str, Any]) -> float | None:
        value: Any = result
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    return pick


def _digests_per_10k(result: dict[str, Any]) -> float | None:
    seconds, users = result.get("seconds"), result.get("digests")
    if not isinstance(seconds, int | float) or not users:
        return None
    return float(seconds) * 10_000 / float(users)


def _lost_or_doubled(result: dict[str, Any]) -> float | None:
    if "lost" not in result:
        return None
    return (
        float(result.get("lost", 0))
        + float(result.get("duplicated", 0))
        + float(result.get("answered_twice", 0))
    )


def at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


def _ratio_pct(result: dict[str, Any]) -> float | None:
    ratio = _get("ingest_vs_floor")(result)
    return None if ratio is None else ratio * 100


FIGURES = (
    Figure("chat_latency", "1 chat message → logged, p50", "≤ 5 ms", _get("p50_ms"), "ms", at_most(5)),
    Figure("chat_latency", "1 chat message → logged, p99", "≤ 25 ms", _get("p99_ms"), "ms", at_most(25)),
    Figure("queries", "2 last contact X, p99", "≤ 10 ms", _get("last_contact", "p99_ms"), "ms", at_most(10)),
    Figure(
        "queries", "2 timeline (20 entries), p99", "≤ 10 ms", _get("timeline_20", "p99_ms"), "ms", at_most(10)
    ),
    Figure("queries", "2 last contact via the engine, p99", "–", _get("engine_last_contact", "p99_ms"), "ms"),
    Figure(
        "mail_ingest",
        "3 email ingest end to end",
        "≥ 1,000 msgs/s",
        _get("ingest_msgs_per_s"),
        "/s",
        at_least(1000),
    ),
    Figure("mail_ingest", "3 ingest ÷ bare compat32 parse", "≥ 40 %", _ratio_pct, "%", at_least(40)),
    Figure("startup", "4 start-up to ready (median)", "≤ 2 s", _get("ready_median_s"), "s", at_most(2)),
    Figure("startup", "4 peak RSS", "≤ 300 MB", _get("peak_rss_mb"), "MB", at_most(300)),
    Figure("digests", "5 digests, scaled to 10k users", "≤ 30 s", _digests_per_10k, "s", at_most(30)),
    Figure(
        "smtp_intake",
        "6 SMTP intake, 8 clients",
        "≥ 200 msgs/s",
        _get("accepted_msgs_per_s", "median"),
        "/s",
        at_least(200),
    ),
    Figure("smtp_intake", "6 SMTP mails lost or doubled", "0", _lost_or_doubled, "", at_most(0)),
    Figure("workers", "7 4 workers, 50 senders: lost or doubled", "0", _lost_or_doubled, "", at_most(0)),
    Figure(
        "workers",
        "7 update → answer, p99 (saturated)",
        "≤ 200 ms",
        _get("update_to_answer_ms", "p99_ms"),
        "ms",
        at_most(200),
    ),
    Figure("workers", "7 update → answer, p50 (saturated)", "–", _get("update_to_answer_ms", "p50_ms"), "ms"),
    Figure("workers", "7 answered msgs/s (median)", "–", _get("answered_msgs_per_s", "median"), "/s"),
    Figure("workers_paced", "7 paced (~10 msgs/s): lost or doubled", "0", _lost_or_doubled, "", at_most(0)),
    Figure(
        "workers_paced",
        "7 paced (~10 msgs/s): p99",
        "≤ 200 ms",
        _get("update_to_answer_ms", "p99_ms"),
        "ms",
        at_most(200),
    ),
    Figure("workers_paced", "7 paced (~10 msgs/s): p50", "–", _get("update_to_answer_ms", "p50_ms"), "ms"),
)


def _format(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "/s":
        return f"{value:,.1f}/s"
    if unit == "":
        return f"{value:.0f}"
    return f"{value:,.2f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def table(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for figure in FIGURES:
        row: dict[str, Any] = {"figure": figure.label, "target": figure.target}
        for backend, benches in results.items():
            result = benches.get(figure.benchmark)
            if result is None:
                row[backend] = {"text": "–"}
                continue
            if "error" in result:
                row[backend] = {"text": "error", "error": result["error"]}
                continue
            value = figure.value(result)
            if value is None:
                row[backend] = {"text": "?"}
                continue
            ok = figure.ok(value) if figure.ok else None
            mark = "" if ok is None else (" ✓" if ok else " ✗")
            row[backend] = {"value": round(value, 3), "ok": ok, "text": _format(value, figure.unit) + mark}
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]], backends: list[str]) -> None:
    headers = ["figure", "target", *backends]
    cells = [[r["figure"], r["target"], *(r.get(b, {}).get("text", "–") for b in backends)] for r in rows]
    widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for cell in cells:
        print("  ".join(str(c).ljust(w) for c, w in zip(cell, widths, strict=True)))


def full_commands() -> list[str]:
    f = harness.FULL
    gen = " ".join(f.flags())
    db = "sqlite:///bench/crm.sqlite3"
    return [
        "# everything at the size of issue #8 (SQLite, and PostgreSQL when installed), one table:",
        "python -m benchmarks.run_all --full",
        "# or one by one, on SQLite (PostgreSQL: --db postgresql://… or --postgres with the same flags):",
        f"python -m benchmarks.generate {gen} --db {db}",
        f"python -m benchmarks.chat_latency --db {db} --messages 2000",
        f"python -m benchmarks.queries --db {db} --queries 2000",
        "python -m benchmarks.mail_ingest --messages 2000 --runs 3",
        f"python -m benchmarks.startup --db {db} --runs 5",
        f"python -m benchmarks.digests --db {db}",
        "python -m benchmarks.smtp_intake --clients 8 --mails 100 --runs 3",
        f"python -m benchmarks.workers --postgres {gen} --workers 4 --senders 50 --messages 40 --runs 3",
        f"python -m benchmarks.workers --postgres {gen} --messages 40 --runs 1 --think {PACED_THINK_S:g}",
    ]


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the size of issue #8 (takes an hour or more)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    plan = FULL if args.full else REDUCED
    backends = ["sqlite"]
    if not args.no_postgres:
        if harness.postgres_available():
            backends.append("postgresql")
        else:
            print("PostgreSQL is not installed (no initdb): SQLite only", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    log = args.output.with_suffix(".log")
    log.write_text("")
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        databases = postgres_databases if backend == "postgresql" else sqlite_databases
        with databases() as dbs:
            results[backend] = run_backend(backend, dbs, plan, log)
    rows = table(results)
    print()
    print_table(rows, backends)
    wall = time.perf_counter() - started
    print(f"\n{'full' if args.full else 'reduced'} size {plan.size}; {wall / 60:.1f} min in all")
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": "full" if args.full else "reduced",
        "data": plan.size.__dict__,
        "machine": machine(),
        "wall_s": round(wall, 1),
        "table": rows,
        "results": results,
        "full_size_commands": full_commands(),
    }
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"results: {args.output} (stderr of the benchmarks: {log})")
    print("\nThe full size (for BENCHMARKS.md):")
    for command in full_commands():
        print(f"  {command}")


if __name__ == "__main__":
    main()
