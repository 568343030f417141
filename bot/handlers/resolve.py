"""Turning the words of a message into the third party they name, or an expected outcome."""

from __future__ import annotations

import re

from bot.crm.errors import AmbiguousMatch, UnknownThirdParty
from bot.crm.models import ThirdParty, ThirdPartyStatus
from bot.handlers.context import HandlerContext

_ID_REF = re.compile(r"^#(\d{1,12})$")


def thirdparty(ctx: HandlerContext, text: str | None) -> ThirdParty:
    """The one third party *text* names; ``#12`` is an id (what choice buttons send back)."""
    text = (text or "").strip()
    ref = _ID_REF.match(text)
    if ref:
        tp = ctx.session.get(ThirdParty, int(ref.group(1)))
        visible = ctx.matcher.visible
        if tp is None or (visible is not None and not visible(tp.id)):
            raise UnknownThirdParty(text)
        return tp
    result = ctx.matcher.thirdparty_by_name(text)
    best = result.best
    if best is not None and best.reason != "fuzzy":
        found = ctx.session.get(ThirdParty, best.id)
        assert found is not None
        return found
    if result.ambiguous and result.top[0].reason != "fuzzy":
        raise AmbiguousMatch(text, result.top)
    raise UnknownThirdParty(text, result.candidates)


def is_active(tp: ThirdParty) -> bool:
    return tp.status == ThirdPartyStatus.ACTIVE
