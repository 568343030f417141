"""Fixtures for integration tests that need a real IMAP server (Dovecot on 127.0.0.1)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.conftest import unavailable
from tests.support.dovecot import Dovecot, start_dovecot, unavailable_reason


def _no_dovecot(reason: str) -> NoReturn:
    unavailable("IMAP", reason)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    reason = unavailable_reason()
    if reason:
        _no_dovecot(reason)
    try:
        server = start_dovecot(tls=shutil.which("openssl") is not None)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _no_dovecot(f"could not start Dovecot: {exc}")
    yield server
    server.destroy()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's server, running, with empty mailboxes and nobody connected."""
    dovecot_server.reset()
    return dovecot_server
