"""Buttons on the items of a digest (and on reminders): ``todo:<id>:done``, ``todo:<id>:snooze:tomorrow``,
``mail:<id>:file`` / ``mail:<id>:to:<third party id>``, ``stale:<third party id>:remind``, and the
reminder buttons of bot.handlers.reminders. A button press is not text: it never goes through the parser.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.crm import reminders
from bot.crm.activities import Source
from bot.crm.models import Activity, EmailMessage, EmailStatus, Percent, ThirdParty
from bot.handlers.context import HandlerContext
from bot.handlers.reminders import PREFIX as REMINDER_PREFIX
from bot.handlers.reminders import reminder_action
from bot.handlers.render import thirdparty_ref, undo_action
from bot.messages import Choice, Reply

SNOOZE_CHOICES = ("tomorrow", "week")


def todo_value(activity_id: int, action: str) -> str:
    return f"todo:{activity_id}:{action}"


def mail_value(email_id: int, action: str) -> str:
    return f"mail:{email_id}:{action}"


def stale_value(thirdparty_id: int) -> str:
    return f"stale:{thirdparty_id}:remind"


def todo_action(value: str, ctx: HandlerContext) -> Reply:
    _, ident, action = value.split(":", 2)
    activity = ctx.session.get(Activity, int(ident)) if ident.isdecimal() else None
    if activity is None or activity.owner_id != ctx.user.id or activity.percent == Percent.NOT_APPLICABLE:
        return Reply(ctx.t("reminder.gone"))
    data = {
        "record": {"type": "activity", "id": activity.id},
        "thirdparty": thirdparty_ref(activity.thirdparty),
    }
    if action == "done":
        reminders.done_activity(ctx.session, activity, ctx.now)
        return Reply(
            ctx.t("reminder.marked_done", what=activity.label), actions=(undo_action(ctx),), data=data
        )
    choice = action.removeprefix("snooze:")
    if action.startswith("snooze:") and choice in reminders.SNOOZES:
        until = reminders.snooze_until(choice, now=ctx.now, tz=ctx.tz)
        reminders.snooze_activity(ctx.session, activity, ctx.user, until, now=ctx.now)
        return Reply(
            ctx.t("reminder.snoozed", what=activity.label, when=ctx.when(until, relative=True)),
            actions=(undo_action(ctx),),
            data={**data, "followup": until.astimezone(ctx.tz).isoformat()},
        )
    return Reply(ctx.t("reminder.gone"))


def mail_action(value: str, ctx: HandlerContext) -> Reply:
    """File a mail the bot could not place: first the candidates as buttons, then the filing."""
    _, ident, action = value.split(":", 2)
    row = ctx.session.get(EmailMessage, int(ident)) if ident.isdecimal() else None
    if row is None or row.submitted_by_id != ctx.user.id:
        return Reply(ctx.t("reminder.gone"))
    subject = row.subject or "…"
    if row.status != EmailStatus.UNRESOLVED:
        return Reply(ctx.t("digest.mail.done_already", subject=subject))
    visible = ctx.matcher.visible
    if action == "file":
        candidates = [c for c in row.candidates or [] if visible is None or visible(int(c["id"]))]
        choices = tuple(Choice(str(c["name"]), mail_value(row.id, f"to:{c['id']}")) for c in candidates[:5])
        if not choices:
            return Reply(ctx.t("digest.mail.no_candidates", subject=subject))
        return Reply(ctx.t("digest.mail.which", subject=subject), choices=choices)
    target = action.removeprefix("to:")
    tp = ctx.session.get(ThirdParty, int(target)) if action.startswith("to:") and target.isdecimal() else None
    if tp is None or (visible is not None and not visible(tp.id)) or ctx.mail is None:
        return Reply(ctx.t("reminder.gone"))
    outcome = ctx.mail.assign(ctx.session, row.id, tp.id, ctx.now)
    return Reply(
        ctx.t("digest.mail.filed", subject=subject, thirdparty=tp.name),
        actions=(undo_action(ctx),),
        data={
            "thirdparty": thirdparty_ref(tp),
            "record": {"type": "activity", "id": outcome.activity_id} if outcome.activity_id else None,
        },
    )


def stale_action(value: str, ctx: HandlerContext) -> Reply:
    """ "Remind me tomorrow" on a customer gone quiet: a follow-up to-do tomorrow 09:00."""
    _, ident, _action = value.split(":", 2)
    tp = ctx.session.get(ThirdParty, int(ident)) if ident.isdecimal() else None
    visible = ctx.matcher.visible
    if tp is None or (visible is not None and not visible(tp.id)):
        return Reply(ctx.t("reminder.gone"))
    label = ctx.t("digest.stale.todo", name=tp.name)
    source = Source(ctx.message.channel, ctx.message.message_id)
    todo = reminders.follow_up_tomorrow(ctx.session, ctx.user, tp, label, now=ctx.now, source=source)
    due = todo.start_at
    return Reply(
        ctx.t("remind.set", when=ctx.when(due, relative=True), what=label),
        actions=(undo_action(ctx),),
        data={
            "thirdparty": thirdparty_ref(tp),
            "followup": due.astimezone(ctx.tz).isoformat(),
            "record": {"type": "activity", "id": todo.id},
        },
    )


ACTIONS: dict[str, Callable[[str, HandlerContext], Reply]] = {
    REMINDER_PREFIX: reminder_action,
    "todo:": todo_action,
    "mail:": mail_action,
    "stale:": stale_action,
}


def item_handler(value: str | None) -> Callable[[str, HandlerContext], Reply] | None:
    """The handler of a button on a reminder or a digest item, or None for any other value."""
    if not value:
        return None
    return next((handler for prefix, handler in ACTIONS.items() if value.startswith(prefix)), None)
