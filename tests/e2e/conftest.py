"""The `crmbot` command line as a user runs it: a subprocess with its own data dir and a fixed clock."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]
CRMBOT = [sys.executable, "-m", "bot"]


@pytest.fixture
def crmbot(tmp_path: Path) -> Run:
    """Run `crmbot ARGS` (``input=`` for stdin, ``ok=False`` to allow a failure, extra environment variables
    as keywords); returns the completed process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")}
    env.update(
        {
            "CRMBOT_SMTP_LISTEN": "off",  # tests run in parallel with other servers: no fixed port 8025
            "CRMBOT_HTTP_LISTEN": "off",  # nor 8080
            "CRMBOT_DATA_DIR": str(tmp_path / "data"),
            "CRMBOT_NOW": "2026-11-23T09:00:00+01:00",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )

    def run(
        *args: str, input: str | None = None, ok: bool = True, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*CRMBOT, *args],
            check=False,
            capture_output=True,
            text=True,
            env={**env, **extra},
            input=input,
            cwd=tmp_path,
            timeout=120,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc

    return run


@pytest.fixture
def demo_crmbot(crmbot: Run) -> Run:
    """`crmbot` on the demo data (Anna in Berlin, Bob in New York, their customers and agenda)."""
    crmbot("demo")
    return crmbot
