"""A real SMTP server on 127.0.0.1 (aiosmtpd's Controller, in its own thread) that records what it gets:
the far end of outbound mail in tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.postgres import free_port


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, _class=EmailMessage, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler: accepts every mail and keeps it."""

    delivered: list[Delivered] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append(
            Delivered(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    recorder: Recorder = field(default_factory=Recorder)
    _controller: Controller | None = None

    @property
    def delivered(self) -> list[Delivered]:
        return self.recorder.delivered

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_sink(*, started: bool = True) -> Iterator[SmtpSink]:
    """A sink on a free port; with *started* False nothing listens there until ``start()``."""
    sink = SmtpSink()
    if started:
        sink.start()
    try:
        yield sink
    finally:
        sink.stop()
