"""Handlers decide: one function per intent, ``(intent, ctx) -> Reply``, inside the message's unit of work."""

from __future__ import annotations

from collections.abc import Callable

from bot.handlers import queries
from bot.handlers.context import HandlerContext
from bot.messages import Reply
from bot.parsers.intents import Intent

Handler = Callable[[Intent, HandlerContext], Reply]

HANDLERS: dict[str, Handler] = {
    "help": queries.help_,
    "unknown": queries.unknown,
    "last_contact": queries.last_contact,
    "history": queries.history_,
    "contacts": queries.contacts,
    "open_items": queries.open_items,
    "show": queries.show,
}


def handler_for(intent: Intent) -> Handler:
    return HANDLERS.get(intent.name, queries.unknown)


__all__ = ["HANDLERS", "Handler", "HandlerContext", "handler_for"]
