"""Start-up to ready, and memory, of the chat engine on a generated database.

    python -m benchmarks.startup --db sqlite:///bench/crm.sqlite3 [--runs 5] [--json]

Each run is a fresh process: import, settings, database, engine with its warm-up, then one answered
message ("last contact <company>") — that is "ready". It then answers 200 more messages and reports the
peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from benchmarks import harness

CHILD = r"""
import sys, time, tempfile
from pathlib import Path
from datetime import UTC, datetime, timedelta
start = float(sys.argv[2])
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.engine import Engine
from bot.messages import InboundMessage, Sender
now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
app = build_app(load_settings(database_url=sys.argv[1], data_dir=Path(tempfile.mkdtemp()), now=now))
engine = Engine(app)
first = InboundMessage("console", "s0", Sender("console", "user1"), "last contact Hooli", now, "c")
reply = engine.handle(first)
ready = time.time() - start
for i in range(200):
    text = "history Nordlicht" if i % 2 else "Anruf mit Max Weber: Preise"
    when = now + timedelta(seconds=i)
    engine.handle(InboundMessage("console", f"s{i+1}", Sender("console", "user1"), text, when, "c"))
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(f"{ready} {int(status['VmHWM'].split()[0]) / 1024} {int(status['VmRSS'].split()[0]) / 1024}")
"""


def run(db: str, runs: int) -> dict[str, float]:
    ready, peak, rss = [], [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, db, str(time.time())], check=True, capture_output=True, text=True
        ).stdout.split()
        ready.append(float(out[0]))
        peak.append(float(out[1]))
        rss.append(float(out[2]))
    return {
        "runs": runs,
        "ready_median_s": round(statistics.median(ready), 3),
        "ready_max_s": round(max(ready), 3),
        "peak_rss_mb": round(max(peak), 1),
        "rss_after_200_msgs_mb": round(statistics.median(rss), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with harness.database(args, harness.generated(harness.size_of(args), args.seed)) as url:
        result = run(url, args.runs)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>22}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
