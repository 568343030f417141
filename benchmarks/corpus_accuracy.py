"""How well crmbot understands the labelled chat corpus (issue 3, "Tests and figures").

Runs ``tests/fixtures/corpus.jsonl`` through the real entry point, exactly as a tool would: a fresh data dir,
``crmbot init`` and ``crmbot demo`` with the fixed clock, then the whole corpus through ONE
``crmbot say --batch -`` subprocess (JSON lines in, JSON lines out, DESIGN.md §6). Each result is compared
field by field with the line's ``expect``: intent, third-party name, contact name, ``when``, ``followup``
(as instants) and ``needs_clarification``.

    .venv/bin/python -m benchmarks.corpus_accuracy [--corpus PATH] [--json]

A corpus line is ``{"user", "text", "now"?, "lang"?, "expect": {...}}``; ``lang`` (en|de) is the language of
the text for the per-language breakdown (default: the user's UI language).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.parsers.intents import INTENT_NAMES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "fixtures" / "corpus.jsonl"
NOW = "2026-11-23T09:00:00+01:00"  # Monday 09:00 in Berlin, 03:00 in New York
FIELDS = ("intent", "thirdparty", "contact", "when", "followup", "needs_clarification")
INTENTS = INTENT_NAMES
USER_LANGUAGE = {"anna": "de", "bob": "en"}
SETUP_TIMEOUT_S = 300
BATCH_TIMEOUT_S = 900


class CorpusError(ValueError):
    """The corpus file is malformed."""


class RunError(RuntimeError):
    """crmbot could not be set up or did not answer every line."""


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    line: int  # 1-based line number in the corpus file
    user: str
    text: str
    lang: str
    expect: Mapping[str, Any]
    now: str | None = None

    def batch_input(self) -> dict[str, str]:
        item = {"user": self.user, "text": self.text}
        if self.now is not None:
            item["now"] = self.now
        return item


@dataclass(frozen=True)
class BatchRun:
    """What ``crmbot say --batch`` answered, and how long it took."""

    results: list[dict[str, Any]]
    seconds: float  # wall time of the batch subprocess, start to exit
    first_result_s: float  # from start to the first answer (start-up plus one message)
    gaps_ms: list[float]  # time between consecutive answers: the per-message cost once running

    @property
    def per_second(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Mismatch:
    field: str
    expected: Any
    got: Any


@dataclass(frozen=True)
class Outcome:
    case: Case
    result: dict[str, Any]
    mismatches: tuple[Mismatch, ...]

    @property
    def right(self) -> bool:
        return not self.mismatches


@dataclass
class Tally:
    total: int = 0
    right: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += ok

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class Summary:
    outcomes: list[Outcome]
    run: BatchRun
    fields: dict[str, Tally] = field(default_factory=dict)
    intents: dict[str, Tally] = field(default_factory=dict)
    languages: dict[str, Tally] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def right(self) -> int:
        return sum(o.right for o in self.outcomes)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    def to_json(self) -> dict[str, Any]:
        def tallies(group: Mapping[str, Tally]) -> dict[str, dict[str, float | int]]:
            return {
                k: {"total": t.total, "right": t.right, "rate": round(t.rate, 4)} for k, t in group.items()
            }

        gaps = self.run.gaps_ms
        return {
            "messages": self.total,
            "fully_right": self.right,
            "fully_right_rate": round(self.rate, 4),
            "fields": tallies(self.fields),
            "intents": tallies(self.intents),
            "languages": tallies(self.languages),
            "timing": {
                "batch_seconds": round(self.run.seconds, 3),
                "messages_per_second": round(self.run.per_second, 1),
                "first_result_seconds": round(self.run.first_result_s, 3),
                "per_message_ms_p50": round(_percentile(gaps, 50), 2),
                "per_message_ms_p95": round(_percentile(gaps, 95), 2),
            },
            "wrong": [
                {
                    "line": o.case.line,
                    "user": o.case.user,
                    "text": o.case.text,
                    "mismatches": [
                        {"field": m.field, "expected": m.expected, "got": m.got} for m in o.mismatches
                    ],
                    "reply": o.result.get("reply") or o.result.get("error"),
                }
                for o in self.wrong
            ],
        }


# -- the corpus --------------------------------------------------------------------------------------------


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Case]:
    """Read and check the corpus: every line a JSON object with user, text and a complete expect."""
    cases: list[Case] = []
    with path.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not JSON: {exc}") from None
            cases.append(_case(item, number, path))
    return cases


def _case(item: Any, number: int, path: Path) -> Case:
    where = f"{path}:{number}"
    if not isinstance(item, dict):
        raise CorpusError(f"{where}: a line must be a JSON object")
    user, text, expect = item.get("user"), item.get("text"), item.get("expect")
    if not isinstance(user, str) or not isinstance(text, str) or not isinstance(expect, dict):
        raise CorpusError(f"{where}: needs string user and text and an expect object")
    missing = [name for name in FIELDS if name not in expect]
    if missing:
        raise CorpusError(f"{where}: expect lacks {', '.join(missing)}")
    if expect["intent"] not in INTENTS:
        raise CorpusError(f"{where}: unknown intent {expect['intent']!r}")
    for name in ("when", "followup"):
        if expect[name] is not None and _instant(expect[name]) is None:
            raise CorpusError(f"{where}: {name} {expect[name]!r} is not ISO 8601 with an offset")
    lang = item.get("lang") or USER_LANGUAGE.get(user, "en")
    now = item.get("now")
    return Case(number, user, text, str(lang), expect, str(now) if now is not None else None)


# -- running crmbot ----------------------------------------------------------------------------------------


def crmbot_command() -> list[str]:
    """The installed ``crmbot`` console script next to this interpreter, else ``python -m bot``."""
    script = Path(sys.executable).parent / "crmbot"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "bot"]


def crmbot_env(data_dir: Path, now: str = NOW) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")}
    env.update({"CRMBOT_DATA_DIR": str(data_dir), "CRMBOT_NOW": now, "NO_COLOR": "1", "COLUMNS": "200"})
    return env


def prepare(data_dir: Path, now: str = NOW) -> None:
    """``crmbot init`` and ``crmbot demo`` into *data_dir* with the fixed clock."""
    env = crmbot_env(data_dir, now)
    for step in (["init"], ["demo"]):
        proc = subprocess.run(
            [*crmbot_command(), *step],
            env=env,
            cwd=data_dir.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=SETUP_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise RunError(
                f"crmbot {' '.join(step)} failed ({proc.returncode}): {proc.stderr or proc.stdout}"
            )


def run_batch(cases: Sequence[Case], data_dir: Path, now: str = NOW) -> BatchRun:
    """Every case through one ``crmbot say --batch -``; one JSON result per case, in order."""
    payload = "".join(json.dumps(c.batch_input(), ensure_ascii=False) + "\n" for c in cases)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*crmbot_command(), "say", "--batch", "-"],
            env=crmbot_env(data_dir, now),
            cwd=data_dir.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )
        assert proc.stdin is not None
        assert proc.stdout is not None

        def feed() -> None:
            assert proc.stdin is not None
            try:
                proc.stdin.write(payload)
            except BrokenPipeError:  # the process died; reported below
                pass
            finally:
                proc.stdin.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        stamps: list[float] = []
        lines: list[str] = []
        for out in proc.stdout:
            stamps.append(time.perf_counter())
            lines.append(out)
        try:
            code = proc.wait(timeout=BATCH_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise RunError(f"crmbot say --batch took longer than {BATCH_TIMEOUT_S} s") from None
        seconds = time.perf_counter() - started
        writer.join()
        stderr.seek(0)
        errors = stderr.read()
    results = [json.loads(line) for line in lines if line.strip()]
    if len(results) != len(cases):
        raise RunError(
            f"crmbot say --batch answered {len(results)} of {len(cases)} lines (exit {code}): "
            + errors[-2000:]
        )
    gaps = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(stamps)]
    return BatchRun(results, seconds, (stamps[0] - started) if stamps else seconds, gaps)


# -- comparing ---------------------------------------------------------------------------------------------


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def _name(value: Any) -> Any:
    """A ``{"id", "name"}`` reference as its name (anything else as it is)."""
    if isinstance(value, dict):
        return value.get("name")
    return value


def field_matches(name: str, expected: Any, got: Any) -> bool:
    if name in ("when", "followup"):
        if expected is None or got is None:
            return expected is None and got is None
        want, have = _instant(expected), _instant(got)
        return want is not None and have is not None and want == have
    if name == "needs_clarification":
        return bool(expected) == bool(got)
    return bool(expected == got)


def compare(case: Case, result: Mapping[str, Any]) -> tuple[Mismatch, ...]:
    """The fields where *result* differs from what the case expects (a failed line differs everywhere)."""
    if "error" in result:
        return tuple(Mismatch(name, case.expect[name], f"error: {result['error']}") for name in FIELDS)
    mismatches = []
    for name in FIELDS:
        expected = case.expect[name]
        got = _name(result.get(name)) if name in ("thirdparty", "contact") else result.get(name)
        if not field_matches(name, expected, got):
            mismatches.append(Mismatch(name, expected, got))
    return tuple(mismatches)


def evaluate(cases: Sequence[Case], run: BatchRun) -> Summary:
    outcomes = [
        Outcome(case, result, compare(case, result)) for case, result in zip(cases, run.results, strict=True)
    ]
    summary = Summary(outcomes, run)
    summary.fields = {name: Tally() for name in FIELDS}
    for outcome in outcomes:
        wrong = {m.field for m in outcome.mismatches}
        for name in FIELDS:
            summary.fields[name].add(name not in wrong)
        summary.intents.setdefault(outcome.case.expect["intent"], Tally()).add(outcome.right)
        summary.languages.setdefault(outcome.case.lang, Tally()).add(outcome.right)
    summary.intents = {k: summary.intents[k] for k in INTENTS if k in summary.intents}
    summary.languages = dict(sorted(summary.languages.items()))
    return summary


def measure(cases: Sequence[Case], workdir: Path | None = None, now: str = NOW) -> Summary:
    """Set up a demo database in a fresh data dir (under *workdir*, else a temp dir) and measure."""
    with tempfile.TemporaryDirectory(prefix="crmbot-corpus-", dir=workdir) as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        prepare(data_dir, now)
        return evaluate(cases, run_batch(cases, data_dir, now))


# -- reporting ---------------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _pct(tally: Tally) -> str:
    return f"{100 * tally.rate:5.1f} % ({tally.right}/{tally.total})"


def _table(title: str, rows: Iterable[tuple[str, Tally]]) -> list[str]:
    return [title, *(f"  {name:<20} {_pct(t)}" for name, t in rows)]


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def format_report(summary: Summary) -> str:
    run = summary.run
    lines = [
        f"Corpus: {summary.total} messages",
        f"Fully right: {_pct(Tally(summary.total, summary.right))}",
        "",
        *_table("Per field:", summary.fields.items()),
        "",
        *_table("Per intent (fully right):", summary.intents.items()),
        "",
        *_table("Per language (fully right):", summary.languages.items()),
        "",
        f"Batch: {run.seconds:.2f} s wall for {len(run.results)} messages = {run.per_second:.1f} messages/s "
        f"(first answer after {run.first_result_s:.2f} s; then per message p50 "
        f"{_percentile(run.gaps_ms, 50):.1f} ms, p95 {_percentile(run.gaps_ms, 95):.1f} ms)",
    ]
    wrong = summary.wrong
    lines += ["", f"Wrong lines: {len(wrong)}"]
    for outcome in wrong:
        case = outcome.case
        lines.append(f"  line {case.line} [{case.user}] {case.text}")
        for m in outcome.mismatches:
            lines.append(f"      {m.field}: expected {_show(m.expected)}, got {_show(m.got)}")
        reply = str(outcome.result.get("reply") or outcome.result.get("error") or "")
        if reply:
            lines.append(f"      reply: {reply.splitlines()[0][:120]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSON lines corpus file")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary")
    args = parser.parse_args(argv)
    try:
        cases = load_corpus(args.corpus)
        summary = measure(cases)
    except (CorpusError, RunError, OSError) as exc:
        print(f"corpus_accuracy: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_report(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
