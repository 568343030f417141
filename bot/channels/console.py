"""The console channel: chat with the bot in a terminal. Choices are answered by their number.

Knows only bot.messages: it turns typed lines into InboundMessages and renders Replies with rich.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime

from rich.console import Console
from rich.markup import escape

from bot.messages import Choice, InboundMessage, Reply, Sender, item_actions, item_line

CHANNEL = "console"
QUIT_WORDS = frozenset({"quit", "exit", "bye", "tschüss", "ende", ":q"})


def render(reply: Reply, console: Console) -> None:
    """Print a reply: title bold, lines as a list, context dim, choices and actions numbered."""
    if reply.silent:
        return
    if reply.title:
        console.print(f"[bold]{escape(reply.title)}[/bold]")
    if reply.text:
        console.print(escape(reply.text))
    for line in reply.lines:
        console.print(f"  {escape(line)}")
    for index, section in enumerate(reply.sections):
        gap = "\n" if index or reply.title or reply.text or reply.lines else ""
        console.print(f"{gap}[bold]{escape(section.title)}[/bold]")
        for item in section.items:
            console.print(f"  {escape(item_line(item))}")
        if section.more:
            console.print(f"  [dim]{escape(section.more)}[/dim]")
    if reply.context:
        console.print(f"[dim]{escape(reply.context)}[/dim]")
    for number, choice in enumerate(numbered(reply), start=1):
        console.print(f"  [cyan]{number})[/cyan] {escape(choice.label)}")


def numbered(reply: Reply) -> tuple[Choice, ...]:
    return reply.choices + reply.actions + item_actions(reply)


class ConsoleChannel:
    """A REPL against a handler. ``read`` and ``console`` are injectable for tests."""

    def __init__(
        self,
        login: str,
        handle: Callable[[InboundMessage], Reply],
        now: Callable[[], datetime],
        *,
        console: Console | None = None,
        read: Callable[[str], str] = input,
    ) -> None:
        self.login = login
        self.handle = handle
        self.now = now
        self.console = console or Console(highlight=False)
        self.read = read
        self.last_choices: tuple[Choice, ...] = ()

    def message_for(self, line: str) -> InboundMessage:
        choice = None
        stripped = line.strip()
        if stripped.isdecimal() and 1 <= int(stripped) <= len(self.last_choices):
            choice = self.last_choices[int(stripped) - 1].value
        return InboundMessage(
            channel=CHANNEL,
            message_id=uuid.uuid4().hex,
            sender=Sender(CHANNEL, self.login, self.login),
            text=line,
            received_at=self.now(),
            conversation_id=f"console:{self.login}",
            choice=choice,
        )

    async def send(self, login: str, reply: Reply) -> None:
        """A message the bot starts (a reminder): printed here; its buttons answer by number."""
        if login != self.login:
            raise ValueError(f"the console is {self.login}'s, not {login}'s")
        self.last_choices = numbered(reply)
        render(reply, self.console)

    def exchange(self, line: str) -> Reply:
        reply = self.handle(self.message_for(line))
        if numbered(reply):  # like buttons in a chat, earlier ones stay usable until new ones come
            self.last_choices = numbered(reply)
        render(reply, self.console)
        return reply

    async def run(self) -> None:
        self.console.print(
            f"[dim]crmbot console — you are {escape(self.login)}. Type 'help', or 'quit' to leave.[/dim]"
        )
        while True:
            try:
                line = await asyncio.to_thread(self.read, "> ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if line.strip().lower() in QUIT_WORDS:
                return
            if not line.strip():
                continue
            await asyncio.to_thread(self.exchange, line)
