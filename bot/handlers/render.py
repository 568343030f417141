"""Small formatting helpers shared by handlers: money, kinds, names."""

from __future__ import annotations

from decimal import Decimal

from bot.crm.models import Activity, ThirdParty
from bot.i18n import t
from bot.messages import Choice

UNDO_PREFIX = "undo:"


def money(amount: Decimal | None, currency: str | None, lang: str) -> str:
    value = amount if amount is not None else Decimal(0)
    text = f"{value:,.2f}"
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{text} {currency or 'EUR'}"


def kind_label(kind: str, lang: str) -> str:
    return t(lang, f"kind.{kind}")


def first_line(text: str | None, limit: int = 120) -> str:
    if not text:
        return ""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def thirdparty_ref(tp: ThirdParty | None) -> dict[str, object] | None:
    return {"id": tp.id, "name": tp.name} if tp is not None else None


def attendee_names(activity: Activity) -> list[str]:
    return [a.contact.full_name for a in activity.attendees if a.contact is not None]


def undo_action(ctx: object) -> Choice:
    """The Undo button of a reply: undoes exactly the writes of the message being answered."""
    from bot.handlers.context import HandlerContext

    assert isinstance(ctx, HandlerContext)
    message = ctx.message
    return Choice(t(ctx.lang, "undo.button"), f"{UNDO_PREFIX}{message.channel}:{message.message_id}")
