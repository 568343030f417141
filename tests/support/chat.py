"""Transcript-style conversations with the engine (cf. Zulip bots' verify_dialog)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from bot.bootstrap import App
from bot.engine import Engine
from bot.messages import InboundMessage, Reply, Sender

_ids = itertools.count(1)


@dataclass
class Conversation:
    app: App
    login: str
    channel: str = "console"
    engine: Engine = field(init=False)
    last: Reply | None = None

    def __post_init__(self) -> None:
        self.engine = Engine(self.app)

    def message(
        self,
        text: str,
        *,
        choice: str | None = None,
        message_id: str | None = None,
        now: datetime | None = None,
    ) -> InboundMessage:
        return InboundMessage(
            channel=self.channel,
            message_id=message_id or f"m{next(_ids)}",
            sender=Sender(self.channel, self.login),
            text=text,
            received_at=now or self.app.clock.now(),
            conversation_id=f"{self.channel}:{self.login}",
            choice=choice,
        )

    def send(self, text: str, **kw: object) -> Reply:
        self.last = self.engine.handle(self.message(text, **kw))  # type: ignore[arg-type]
        return self.last

    def pick(self, number: int) -> Reply:
        assert self.last is not None
        options = self.last.choices + self.last.actions
        return self.send(str(number), choice=options[number - 1].value)

    def say(self, text: str) -> str:
        return self.send(text).plain()
