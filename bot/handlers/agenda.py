"""The user's own agenda: what is due today and overdue ("Was steht heute an?", "my follow-ups")."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.crm.models import Activity, ActivityType, Percent
from bot.handlers.context import HandlerContext
from bot.handlers.render import first_line, kind_label
from bot.messages import Reply
from bot.parsers.intents import Intent


def followups(intent: Intent, ctx: HandlerContext) -> Reply:
    day = (intent.when or ctx.now).astimezone(ctx.tz).date()
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ctx.tz)
    start_of_day = datetime.combine(day, time(0, 0), tzinfo=ctx.tz)
    rows = list(
        ctx.session.scalars(
            select(Activity)
            .where(
                Activity.owner_id == ctx.user.id,
                Activity.percent >= 0,
                Activity.percent < Percent.DONE,
                Activity.start_at < end,
            )
            .order_by(Activity.start_at, Activity.id)
            .limit(50)
        )
    )
    overdue = [a for a in rows if a.start_at < start_of_day]
    due = [a for a in rows if a.start_at >= start_of_day]
    data = {"when": start_of_day.isoformat()}
    if not rows:
        text = ctx.t("agenda.nothing", day=ctx.when(start_of_day, all_day=True, relative=True))
        return Reply(text[:1].upper() + text[1:], data=data)

    def line(a: Activity) -> str:
        kind = kind_label("todo" if a.type_code == ActivityType.NOTE else _kind(a.type_code), ctx.lang)
        where = (
            f" ({a.thirdparty.name})" if a.thirdparty is not None and a.thirdparty.name not in a.label else ""
        )
        detail = first_line(a.body, 60)
        return f"{ctx.when(a.start_at, all_day=a.all_day, relative=True)} · {kind} · {a.label}{where}" + (
            f" — {detail}" if detail and detail != a.label else ""
        )

    lines = [line(a) for a in due]
    if overdue:
        lines.append(ctx.t("agenda.overdue", count=len(overdue)))
        lines.extend(line(a) for a in overdue)
    return Reply(
        "",
        title=ctx.t("agenda.title", day=ctx.when(start_of_day, all_day=True, relative=True)),
        lines=tuple(lines),
        data={"when": start_of_day.isoformat()},
    )


def _kind(type_code: str) -> str:
    return {"AC_TEL": "call", "AC_RDV": "meeting", "AC_EMAIL": "email", "AC_EMAIL_IN": "email"}.get(
        type_code, "note"
    )
