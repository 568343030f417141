"""Done / Snooze / Cancel on a reminder, from its buttons (``reminder:<id>:done``,
``reminder:<id>:snooze:1h`` …)."""

from __future__ import annotations

from bot.crm import reminders
from bot.crm.models import Reminder
from bot.handlers.context import HandlerContext
from bot.handlers.render import undo_action
from bot.messages import Reply

PREFIX = "reminder:"


def action_value(reminder_id: int, action: str) -> str:
    return f"{PREFIX}{reminder_id}:{action}"


def is_reminder_action(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def reminder_action(value: str, ctx: HandlerContext) -> Reply:
    reminder_id, _, action = value[len(PREFIX) :].partition(":")
    reminder = ctx.session.get(Reminder, int(reminder_id)) if reminder_id.isdecimal() else None
    if reminder is None or reminder.user_id != ctx.user.id:
        return Reply(ctx.t("reminder.gone"))
    what = reminder.message or (reminder.activity.label if reminder.activity else ctx.t("kind.todo"))
    data = {"record": {"type": "reminder", "id": reminder.id}}
    if action == "done":
        reminders.done(ctx.session, reminder, ctx.now)
        return Reply(ctx.t("reminder.marked_done", what=what), actions=(undo_action(ctx),), data=data)
    if action == "cancel":
        reminders.cancel(ctx.session, reminder)
        return Reply(ctx.t("reminder.cancelled", what=what), actions=(undo_action(ctx),), data=data)
    choice = action.removeprefix("snooze:")
    if action.startswith("snooze:") and choice in reminders.SNOOZES:
        until = reminders.snooze_until(choice, now=ctx.now, tz=ctx.tz)
        reminders.snooze(ctx.session, reminder, until)
        return Reply(
            ctx.t("reminder.snoozed", what=what, when=ctx.when(until, relative=True)),
            actions=(undo_action(ctx),),
            data={**data, "followup": until.astimezone(ctx.tz).isoformat()},
        )
    return Reply(ctx.t("reminder.gone"))
