"""Logging what happened (calls, meetings, notes, emails), with follow-ups, and reminders.

Past or present logs are done (calls and meetings percent 100, notes and emails -1); a call or meeting in
the future is planned (percent 0). A follow-up is a to-do (AC_OTH, percent 0) plus a reminder for the user.
Asked for ("…, send invite", "Einladung senden"), a planned meeting or call is also emailed to its contacts
as a calendar invitation from the user (bot.crm.invitations), queued with the meeting; never unasked.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.crm import invitations
from bot.crm.activities import Source, add_reminder, log_activity
from bot.crm.models import Activity, ActivityType, Percent
from bot.handlers import resolve
from bot.handlers.context import HandlerContext
from bot.handlers.render import thirdparty_ref, undo_action
from bot.messages import Reply
from bot.parsers.intents import Intent

TYPE_OF = {
    "log_call": ActivityType.CALL,
    "log_meeting": ActivityType.MEETING,
    "log_note": ActivityType.NOTE,
    "log_email": ActivityType.EMAIL,
}
KIND_OF = {"log_call": "call", "log_meeting": "meeting", "log_note": "note", "log_email": "email"}
DEFAULT_FOLLOWUP_TIME = time(9, 0)
PLANNED_TOLERANCE = timedelta(minutes=5)


def _local(ctx: HandlerContext, day: datetime, at: time) -> datetime:
    local = day.astimezone(ctx.tz)
    return datetime.combine(local.date(), at, tzinfo=ctx.tz)


def _start(ctx: HandlerContext, intent: Intent) -> tuple[datetime, bool]:
    """When the activity happened or will happen, and whether it is all-day (a planned day without time)."""
    when = intent.when
    if when is None:
        return ctx.now, False
    if intent.when_has_time:
        return when, False
    if when.astimezone(ctx.tz).date() == ctx.now.astimezone(ctx.tz).date():
        return ctx.now, False
    if intent.past or when < ctx.now:
        # "met Max on Friday": that day, at the time of day the user is writing
        return _local(ctx, when, ctx.now.astimezone(ctx.tz).time().replace(second=0, microsecond=0)), False
    return _local(ctx, when, time(0, 0)), True


def _due(ctx: HandlerContext, moment: datetime, has_time: bool) -> datetime:
    return moment if has_time else _local(ctx, moment, DEFAULT_FOLLOWUP_TIME)


def _names(people: resolve.Participants) -> str:
    names = [c.full_name for c in people.contacts]
    if not names and people.thirdparty is not None:
        names = [people.thirdparty.name]
    return ", ".join(names)


def _who_line(people: resolve.Participants) -> str:
    parts = [c.full_name for c in people.contacts]
    if people.thirdparty is not None:
        parts.append(people.thirdparty.name)
    return ", ".join(parts)


def followup_todo(
    ctx: HandlerContext,
    intent: Intent,
    people: resolve.Participants,
    due: datetime,
    label: str,
    body: str | None,
) -> Activity:
    source = Source(ctx.message.channel, ctx.message.message_id)
    todo = log_activity(
        ctx.session,
        type_code=ActivityType.NOTE,
        label=label,
        body=body,
        start_at=due,
        owner=ctx.user,
        thirdparty=people.thirdparty,
        contacts=people.contacts,
        percent=Percent.TODO,
        source=source,
    )
    add_reminder(ctx.session, user=ctx.user, due_at=due, activity=todo, kind="followup", message=label)
    return todo


def log(intent: Intent, ctx: HandlerContext) -> Reply:
    people = resolve.participants(ctx, intent)
    type_code = TYPE_OF[intent.name]
    kind = KIND_OF[intent.name]
    start, all_day = _start(ctx, intent)
    planned = kind in ("call", "meeting") and start > ctx.now + PLANNED_TOLERANCE
    if planned:
        percent = Percent.TODO
    elif kind in ("call", "meeting"):
        percent = Percent.DONE
    else:
        percent = Percent.NOT_APPLICABLE
    names = _names(people)
    label = ctx.t(f"label.{kind}", names=names) if names else ctx.t(f"kind.{kind}").capitalize()
    source = Source(ctx.message.channel, ctx.message.message_id)
    activity = log_activity(
        ctx.session,
        type_code=type_code,
        label=label,
        body=intent.body,
        start_at=start,
        owner=ctx.user,
        thirdparty=people.thirdparty,
        contacts=people.contacts,
        percent=percent,
        all_day=all_day,
        source=source,
        done_at=ctx.now if percent == Percent.DONE else None,
    )
    parts = [_who_line(people), ctx.when(start, all_day=all_day, relative=True)]
    followup_iso = None
    if intent.followup is not None:
        due = _due(ctx, intent.followup, bool(intent.resolved.get("followup_has_time")))
        followup_todo(ctx, intent, people, due, ctx.t("label.followup", names=names or label), intent.body)
        parts.append(ctx.t("log.followup", when=ctx.when(due, relative=True)))
        followup_iso = due.astimezone(ctx.tz).isoformat()
    key = f"log.planned.{kind}" if planned else f"log.done.{kind}"
    lines = []
    if people.other_thirdparties:
        lines.append(
            ctx.t(
                "log.others",
                holder=people.thirdparty.name if people.thirdparty else "",
                others=", ".join(tp.name for tp in people.other_thirdparties),
            )
        )
    if people.new_names:
        lines.append(ctx.t("log.created", names=", ".join(people.new_names)))
    invitation = None
    if intent.resolved.get("invite") and kind in ("call", "meeting"):
        said, invitation = _invitation(ctx, activity, people, planned)
        lines += said
    first = people.contacts[0] if people.contacts else None
    return Reply(
        ctx.t(key) + ": " + " · ".join(p for p in parts if p),
        lines=tuple(lines),
        context=intent.body,
        actions=(undo_action(ctx),),
        data={
            "thirdparty": thirdparty_ref(people.thirdparty),
            "contact": {"id": first.id, "name": first.full_name} if first else None,
            "when": start.astimezone(ctx.tz).isoformat(),
            "followup": followup_iso,
            "record": {"type": "activity", "id": activity.id},
            **({"invitation": invitation} if invitation is not None else {}),
        },
    )


def _invitation(
    ctx: HandlerContext, activity: Activity, people: resolve.Participants, planned: bool
) -> tuple[list[str], dict[str, object]]:
    """Queue the invitation the user asked for (sent after the commit), or say why there is none."""

    def not_sent(reason: str, **params: object) -> tuple[list[str], dict[str, object]]:
        return [ctx.t(f"invite.not_sent.{reason}", **params)], {"to": [], "uid": None, "not_sent": reason}

    if not planned:
        return not_sent("past")
    if not people.contacts:
        return not_sent("no_contact")
    found, missing = invitations.invitees(people.contacts)
    if not found:
        return not_sent("no_email", names=", ".join(c.full_name for c in missing))
    if invitations.organizer_of(ctx.user) is None:
        return not_sent("no_user_email")
    if ctx.mail_from is None:
        return not_sent("no_bot_address")
    invitations.invite(
        ctx.session, activity, organizer=ctx.user, attendees=found, sender=ctx.mail_from, now=ctx.now
    )
    to = [person.header for person in found]
    lines = [ctx.t("invite.queued", to=", ".join(to))]
    if missing:
        lines.append(ctx.t("invite.not_invited", names=", ".join(c.full_name for c in missing)))
    return lines, {"to": to, "uid": activity.ical_uid}


def remind(intent: Intent, ctx: HandlerContext) -> Reply:
    people = resolve.participants(ctx, intent, required=False)
    if intent.followup is None:
        return Reply(ctx.t("remind.when"))
    due = _due(ctx, intent.followup, intent.when_has_time)
    if due < ctx.now - PLANNED_TOLERANCE:
        return Reply(ctx.t("remind.past", when=ctx.when(due, relative=True)))
    what = intent.body or _names(people) or ctx.t("kind.todo")
    todo = followup_todo(ctx, intent, people, due, what[:255], intent.body)
    about = f" ({_who_line(people)})" if not people.empty else ""
    return Reply(
        ctx.t("remind.set", when=ctx.when(due, relative=True), what=what) + about,
        actions=(undo_action(ctx),),
        data={
            "thirdparty": thirdparty_ref(people.thirdparty),
            "contact": {"id": people.contacts[0].id, "name": people.contacts[0].full_name}
            if people.contacts
            else None,
            "followup": due.astimezone(ctx.tz).isoformat(),
            "record": {"type": "activity", "id": todo.id},
        },
    )
