"""Handlers decide: one function per intent, ``(intent, ctx) -> Reply``, inside the message's unit of work."""

from __future__ import annotations

from collections.abc import Callable

from bot.handlers import admin, agenda, logs, privacy, queries, records, undo
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
    "consent": privacy.consent,
    "never_log": privacy.never_log,
    "changes": admin.changes,
    "admin": admin.admin,
}


# The right an intent needs besides seeing its third party (DESIGN.md §6; bot.crm.rights). Reading needs
# none: what a user may not see is simply not found.
RIGHT_NEEDED: dict[str, str] = {
    "log_call": "thirdparty.write",
    "log_meeting": "thirdparty.write",
    "log_note": "thirdparty.write",
    "log_email": "thirdparty.write",
    "remind": "thirdparty.write",
    "create_thirdparty": "thirdparty.write",
    "create_contact": "thirdparty.write",
    "undo": "thirdparty.write",
    "consent": "thirdparty.write",
}


def right_needed(intent: Intent) -> str | None:
    return RIGHT_NEEDED.get(intent.name)


def handler_for(intent: Intent) -> Handler:
    return HANDLERS.get(intent.name, queries.unknown)


__all__ = ["HANDLERS", "RIGHT_NEEDED", "Handler", "HandlerContext", "handler_for", "right_needed"]
