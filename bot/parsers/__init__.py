"""Understanding messages: text -> Intent. Pure: no clock, database or network inside (the gazetteer is
the one lookup, passed in)."""

from __future__ import annotations

from bot.parsers.intents import INTENT_NAMES, LOG_INTENTS, Intent, Mention
from bot.parsers.understand import parse


def warm_up() -> None:
    """Load the tokenizers and date grammar now, so the first message is as fast as the rest."""
    from bot.parsers import dates, nlp

    dates.warm_up()
    for lang in ("en", "de"):
        nlp.tokenize("warm up", lang)


__all__ = ["INTENT_NAMES", "LOG_INTENTS", "Intent", "Mention", "parse", "warm_up"]
