"""Understanding messages: text -> Intent. Pure: no clock, database or network inside."""

from __future__ import annotations

from bot.parsers.commands import parse_command
from bot.parsers.intents import INTENT_NAMES, Intent


def parse(text: str) -> Intent:
    """Explicit commands first; anything else may be a bare company name (shown as its card)."""
    command = parse_command(text)
    if command is not None:
        return command
    stripped = text.strip()
    if stripped and len(stripped) <= 80 and "\n" not in stripped:
        return Intent("show", target=stripped)
    return Intent("unknown")


__all__ = ["INTENT_NAMES", "Intent", "parse"]
