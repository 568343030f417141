"""Answers by mail to a reminder or a digest: the first line of the reply says what to do.

To a reminder: "done" / "erledigt", "1h", "tomorrow" / "morgen", "next week" / "nächste Woche",
"cancel" / "löschen". To a digest: the same words with the item's number ("done 2", "2 morgen"). The
reply is matched by its In-Reply-To to the Message-ID the reminder or digest mail was sent with, and only
for the user it was sent to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import zone
from bot.crm import reminders
from bot.crm.activities import Source
from bot.crm.models import Activity, DigestRun, Reminder, ThirdParty, User
from bot.crm.rights import scope_of
from bot.i18n import format_when, t
from bot.normalize import fold

WORDS: dict[str, str] = {
    "done": "done",
    "erledigt": "done",
    "ok": "done",
    "fertig": "done",
    "1h": "snooze:1h",
    "1 h": "snooze:1h",
    "in 1 hour": "snooze:1h",
    "in einer stunde": "snooze:1h",
    "tomorrow": "snooze:tomorrow",
    "morgen": "snooze:tomorrow",
    "next week": "snooze:week",
    "naechste woche": "snooze:week",
    "nachste woche": "snooze:week",
    "week": "snooze:week",
    "cancel": "cancel",
    "loeschen": "cancel",
    "loschen": "cancel",
    "stop": "cancel",
    "remind": "remind",
    "erinnern": "remind",
}
_NUMBER = re.compile(r"^\s*(?:#?(\d{1,3})[.):]?\s+(.+?)|(.+?)\s+#?(\d{1,3}))\s*[.!]?\s*$")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the reply did, in the user's words (the text of the confirmation mail)."""

    subject: str
    text: str


def _action(words: str) -> str | None:
    return WORDS.get(fold(words).strip(" .!:"))


def answer(
    session: Session, user: User, in_reply_to: str | None, first_line: str | None, now: datetime
) -> Answer | None:
    """Act on a reply to one of our reminder or digest mails; None when *in_reply_to* is neither."""
    if not in_reply_to:
        return None
    key = in_reply_to[:998]
    lang, line = user.language, (first_line or "").strip()
    reminder = session.scalar(
        select(Reminder).where(Reminder.mail_message_id == key, Reminder.user_id == user.id)
    )
    if reminder is not None:
        what = reminder.message or (reminder.activity.label if reminder.activity else t(lang, "kind.todo"))
        subject = t(lang, "mail.subject.reply_action", subject=t(lang, "reminder.title") + ": " + what)
        action = _action(line)
        if action is None or action == "remind":
            return Answer(subject, t(lang, "reply.action.unknown", text=line))
        return Answer(subject, _on_reminder(session, user, reminder, action, what, now))
    run = session.scalar(
        select(DigestRun).where(DigestRun.mail_message_id == key, DigestRun.user_id == user.id)
    )
    if run is None:
        return None
    subject = t(
        lang, "mail.subject.reply_action", subject=t(lang, "digest.title", day=run.local_date.isoformat())
    )
    match = _NUMBER.match(line)
    if match is None:
        return Answer(subject, t(lang, "reply.action.unknown", text=line))
    number = match.group(1) or match.group(4)
    action = _action(match.group(2) or match.group(3))
    base = (run.item_actions or {}).get(number)
    if base is None:
        return Answer(subject, t(lang, "reply.action.no_item", number=number))
    if action is None:
        return Answer(subject, t(lang, "reply.action.unknown", text=line))
    return Answer(subject, _on_item(session, user, str(base), action, now) or t(lang, "reminder.gone"))


def _on_reminder(
    session: Session, user: User, reminder: Reminder, action: str, what: str, now: datetime
) -> str:
    lang = user.language
    if action == "done":
        reminders.done(session, reminder, now)
        return t(lang, "reminder.marked_done", what=what)
    if action == "cancel":
        reminders.cancel(session, reminder)
        return t(lang, "reminder.cancelled", what=what)
    until = reminders.snooze_until(action.removeprefix("snooze:"), now=now, tz=zone(user.timezone))
    reminders.snooze(session, reminder, until)
    return t(lang, "reminder.snoozed", what=what, when=_when(until, user, now))


def _on_item(session: Session, user: User, base: str, action: str, now: datetime) -> str | None:
    kind, _, ident = base.partition(":")
    lang = user.language
    if kind == "todo" and ident.isdecimal():
        activity = session.get(Activity, int(ident))
        if activity is None or activity.owner_id != user.id:
            return None
        if action == "done":
            reminders.done_activity(session, activity, now)
            return t(lang, "reminder.marked_done", what=activity.label)
        if action.startswith("snooze:"):
            until = reminders.snooze_until(action.removeprefix("snooze:"), now=now, tz=zone(user.timezone))
            reminders.snooze_activity(session, activity, user, until, now=now)
            return t(lang, "reminder.snoozed", what=activity.label, when=_when(until, user, now))
        return None
    if kind == "stale" and ident.isdecimal() and action in ("remind", "snooze:tomorrow"):
        tp = session.get(ThirdParty, int(ident))
        if tp is None or not scope_of(session, user).sees_thirdparty(tp.id):
            return None
        return _remind_stale(session, user, tp, now)
    return None


def _remind_stale(session: Session, user: User, tp: ThirdParty, now: datetime) -> str:
    label = t(user.language, "digest.stale.todo", name=tp.name)
    todo = reminders.follow_up_tomorrow(session, user, tp, label, now=now, source=Source("email", "digest"))
    return t(user.language, "remind.set", when=_when(todo.start_at, user, now), what=label)


def _when(moment: datetime, user: User, now: datetime) -> str:
    return format_when(moment, zone(user.timezone), user.language, now=now, relative=True)
