"""Running code in a fresh interpreter: for what a new process imports, which the test process has long
since imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def run_fresh(code: str) -> dict[str, object]:
    """Run *code* in a new Python process; its last line of output, parsed as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True, text=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
