"""Handlers decide: one function per intent, ``(intent, ctx) -> Reply``, inside the message's unit of work."""

from __future__ import annotations

from collections.abc import Callable

from bot.handlers import agenda, logs, queries, records, undo
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
    "log_call": logs.log,
    "log_meeting": logs.log,
    "log_note": logs.log,
    "log_email": logs.log,
    "remind": logs.remind,
    "followups": agenda.followups,
    "create_thirdparty": records.create_thirdparty,
    "create_contact": records.create_contact,
    "undo": undo.undo,
}


def handler_for(intent: Intent) -> Handler:
    return HANDLERS.get(intent.name, queries.unknown)


__all__ = ["HANDLERS", "Handler", "HandlerContext", "handler_for"]
