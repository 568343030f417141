"""Expected outcomes (ambiguous, unknown, not allowed) as replies in the user's language."""

from __future__ import annotations

from bot.crm.errors import AmbiguousMatch, CrmOutcome, NotAllowed, Refused, UnknownThirdParty
from bot.handlers.context import HandlerContext
from bot.messages import Choice, Reply
from bot.parsers.intents import Intent

_COMMAND_WORD = {
    "last_contact": "last contact",
    "history": "history",
    "contacts": "contacts at",
    "open_items": "open",
    "show": "show",
}


def render(outcome: CrmOutcome, intent: Intent, ctx: HandlerContext) -> Reply:
    if isinstance(outcome, AmbiguousMatch):
        key = "match.ambiguous_contact" if outcome.kind == "contact" else "match.ambiguous_thirdparty"
        command = _COMMAND_WORD.get(intent.name, "show")
        choices = tuple(Choice(c.label, f"{command} #{c.thirdparty_id or c.id}") for c in outcome.candidates)
        return Reply(
            ctx.t(key, query=outcome.query),
            choices=choices,
            data={"needs_clarification": True, "choices": [c.label for c in choices]},
        )
    if isinstance(outcome, UnknownThirdParty):
        lines = []
        if outcome.suggestions:
            names = ", ".join(c.name for c in outcome.suggestions[:3])
            lines.append(ctx.t("match.did_you_mean", names=names))
        lines.append(ctx.t("match.offer_create", query=outcome.query))
        choices = tuple(
            Choice(c.name, f"{_COMMAND_WORD.get(intent.name, 'show')} #{c.id}")
            for c in outcome.suggestions[:3]
        )
        return Reply(
            ctx.t("match.unknown_thirdparty", query=outcome.query), lines=tuple(lines), choices=choices
        )
    if isinstance(outcome, Refused):
        return Reply(
            outcome.message, lines=outcome.lines, data={"refused": outcome.reason} if outcome.reason else {}
        )
    if isinstance(outcome, NotAllowed):
        return Reply(ctx.t("error.not_allowed", right=outcome.right))
    raise TypeError(f"unhandled outcome {type(outcome).__name__}")
