"""The user's own agenda: what is due today and overdue ("Was steht heute an?", "my follow-ups")."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.crm import reminders
from bot.crm.models import Activity, ActivityType, Percent
from bot.handlers.context import HandlerContext
from bot.handlers.reminders import action_value
from bot.handlers.render import first_line, kind_label
from bot.messages import Choice, Reply, ReplyItem, ReplySection
from bot.parsers.intents import Intent

LIST_LIMIT = 15


def followups(intent: Intent, ctx: HandlerContext) -> Reply:
    if intent.resolved.get("list") == "reminders":
        return my_reminders(ctx)
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


def my_reminders(ctx: HandlerContext) -> Reply:
    """ "my reminders" / "meine Erinnerungen": what is still to come, each with Cancel and Done."""
    coming = reminders.upcoming(ctx.session, ctx.user.id, limit=LIST_LIMIT + 1)
    if not coming:
        return Reply(ctx.t("reminders.none"), data={"reminders": []})
    items = []
    for number, reminder in enumerate(coming[:LIST_LIMIT], start=1):
        activity = reminder.activity
        what = reminder.message or (activity.label if activity is not None else ctx.t("kind.todo"))
        if activity is not None and activity.thirdparty is not None and activity.thirdparty.name not in what:
            what = f"{what} ({activity.thirdparty.name})"
        items.append(
            ReplyItem(
                f"{ctx.when(reminder.due_at, relative=True)} · {what}",
                number,
                (
                    Choice(ctx.t("reminders.cancel"), action_value(reminder.id, "cancel")),
                    Choice(ctx.t("reminder.done"), action_value(reminder.id, "done")),
                ),
            )
        )
    more = ctx.t("digest.more", count=len(coming) - LIST_LIMIT) if len(coming) > LIST_LIMIT else None
    return Reply(
        "",
        sections=(ReplySection(ctx.t("reminders.title"), tuple(items), more),),
        data={"reminders": [r.id for r in coming[:LIST_LIMIT]]},
    )
