"""Undo from chat: "undo" / "rückgängig" (the user's last writing message) or an Undo button (that one)."""

from __future__ import annotations

import logging

from bot.crm import undo as undo_service
from bot.handlers.context import HandlerContext
from bot.messages import Reply
from bot.parsers.intents import Intent

log = logging.getLogger(__name__)


def undo(intent: Intent, ctx: HandlerContext) -> Reply:
    if intent.target and ":" in intent.target:
        channel, message_id = intent.target.split(":", 1)
    else:
        last = undo_service.last_undoable(ctx.session, ctx.user.id)
        if last is None:
            return Reply(ctx.t("undo.nothing"))
        channel, message_id = last
    done = undo_service.undo_message(ctx.session, ctx.user.id, channel, message_id, ctx.now)
    if not done.entries:
        log.info("undo of %s/%s by user %s: no writes left to undo", channel, message_id, ctx.user.id)
        return Reply(ctx.t("undo.nothing"))
    what = "; ".join(done.summaries) or ctx.t("undo.changes", count=len(done.entries))
    lines = tuple(
        ctx.t("invite.cancel_queued" if w.cancel_queued else "invite.withdrawn", to=", ".join(w.to))
        for w in done.invitations
    )
    return Reply(ctx.t("undo.done", what=what), lines=lines, data={"record": None})
