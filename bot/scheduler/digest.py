"""The daily digest tick: find users whose local digest time has come, claim their digest for that local
date, render it in their language and deliver it on their preferred channel (email as the fallback).

The same rendering serves ``crmbot digest --as LOGIN`` (printed, or sent with ``--send``).
"""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.bootstrap import App
from bot.clock import zone
from bot.crm import digest as digests
from bot.crm.models import DigestRun, User
from bot.delivery import Delivery, DeliveryFailed
from bot.handlers.items import mail_value, stale_value, todo_value
from bot.i18n import format_day, format_when, t
from bot.messages import Choice, Reply, ReplyItem, ReplySection
from bot.scheduler.reminders import worker_id

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 8  # digests on their way at once (chat APIs and SMTP answer in tens of milliseconds)
MARK_BATCH = 50


def settings_of(app: App) -> digests.DigestSettings:
    s = app.settings
    return digests.DigestSettings(
        stale_customer_days=s.digest_stale_customer_days,
        stale_prospect_days=s.digest_stale_prospect_days,
        catch_up_hours=s.digest_catch_up_hours,
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    reply: Reply
    subject: str
    text: str  # the mail's plain text (with how to answer by reply)
    html: str
    actions: dict[str, str]  # item number -> what it is ("todo:17"), for replies to the digest mail


def _item_text(item: digests.Item, lang: str, now: datetime, digest: digests.Digest) -> str:
    tz = digest.tz
    if item.kind == "stale":
        kind = t(lang, f"digest.kind.{item.detail}")
        if item.days is None:
            return t(lang, "digest.stale.never", name=item.label, kind=kind)
        return t(lang, "digest.stale.days", name=item.label, kind=kind, days=item.days)
    parts = []
    if item.when is not None:
        if item.kind == "mail":
            parts.append(format_when(item.when, tz, lang, now=now, relative=True))
        elif item.when.astimezone(tz).date() == digest.local_date and not item.all_day:
            parts.append(item.when.astimezone(tz).strftime("%H:%M"))
        else:
            parts.append(format_when(item.when, tz, lang, now=now, all_day=item.all_day, relative=True))
    label = item.label
    if item.thirdparty and item.thirdparty not in label:
        label = f"{label} ({item.thirdparty})"
    parts.append(label)
    if item.detail:
        parts.append(item.detail)
    return " · ".join(parts)


def _item_actions(item: digests.Item, section: str, lang: str) -> tuple[tuple[Choice, ...], str | None]:
    """The buttons of an item and the base of its value (for "done 2" in a mail reply)."""
    if section in ("due", "overdue") and item.activity_id is not None:
        base = f"todo:{item.activity_id}"
        return (
            Choice(t(lang, "reminder.done"), todo_value(item.activity_id, "done")),
            Choice(t(lang, "reminder.snooze.tomorrow"), todo_value(item.activity_id, "snooze:tomorrow")),
            Choice(t(lang, "reminder.snooze.week"), todo_value(item.activity_id, "snooze:week")),
        ), base
    if section == "unfiled" and item.email_id is not None:
        return (Choice(t(lang, "digest.action.file"), mail_value(item.email_id, "file")),), None
    if section == "stale" and item.thirdparty_id is not None:
        return (Choice(t(lang, "digest.action.remind"), stale_value(item.thirdparty_id)),), (
            f"stale:{item.thirdparty_id}"
        )
    return (), None


def render(digest: digests.Digest, user: User, now: datetime) -> Rendered:
    lang = user.language
    day = format_day(digest.local_date, lang)
    title = t(lang, "digest.title", day=day)
    sections: list[ReplySection] = []
    actions: dict[str, str] = {}
    number = 0
    for name, section in digest.sections():
        if not section.total:
            continue
        items = []
        for item in section.items:
            number += 1
            buttons, base = _item_actions(item, name, lang)
            if base:
                actions[str(number)] = base
            items.append(ReplyItem(_item_text(item, lang, now, digest), number, buttons))
        hidden = section.total - len(section.items)
        more = t(lang, "digest.more", count=hidden) if hidden > 0 else None
        sections.append(ReplySection(t(lang, f"digest.section.{name}"), tuple(items), more))
    one = ".one" if digest.count == 1 else ""
    text = t(lang, "digest.empty") if digest.empty else t(lang, f"digest.intro{one}", count=digest.count)
    reply = Reply(
        text,
        title=title,
        sections=tuple(sections),
        data={"digest": {"date": digest.local_date.isoformat(), "items": digest.count}},
        lang=lang,
        tz=user.timezone,
    )
    how = t(lang, "digest.mail.how") if actions else ""
    return Rendered(
        reply=reply,
        subject=t(lang, f"digest.subject{one}", day=day, count=digest.count),
        text=reply.plain() + (f"\n\n{how}" if how else ""),
        html=_html(reply, how),
        actions=actions,
    )


def _html(reply: Reply, how: str) -> str:
    e = html.escape
    out = [
        '<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#222">',
        f'<h2 style="font-size:18px">{e(reply.title or "")}</h2>',
        f"<p>{e(reply.text)}</p>",
    ]
    for section in reply.sections:
        out.append(f'<h3 style="font-size:15px;margin:12px 0 4px">{e(section.title)}</h3><ol>')
        for item in section.items:
            out.append(f'<li value="{item.number}">{e(item.text)}</li>')
        out.append("</ol>")
        if section.more:
            out.append(f'<p style="color:#666">{e(section.more)}</p>')
    if how:
        out.append(f'<p style="color:#666;font-size:12px">{e(how)}</p>')
    out.append("</body></html>")
    return "\n".join(out)


def build(app: App, user: User, now: datetime) -> Rendered:
    """The digest *user* gets at *now* (``crmbot digest``), rendered."""
    with app.uow(read_only=True) as uow:
        found = uow.session.get(User, user.id) or user
        digest = digests.for_user(uow.session, found, now=now, settings=settings_of(app))
        return render(digest, found, now)


class DigestSender:
    def __init__(self, app: App, delivery: Delivery, worker: str | None = None) -> None:
        self.app = app
        self.delivery = delivery
        self.worker = worker or worker_id()
        self.settings = settings_of(app)

    async def tick(self, now: datetime | None = None) -> int:
        """Send every digest due at *now* (and retries whose time has come); returns how many went out."""
        moment = now or self.app.clock.now()
        runs = await asyncio.to_thread(self._claim, moment)
        return len(await self._send(runs, moment))

    async def send_now(self, user_id: int, now: datetime) -> str | None:
        """Send *user_id* their digest for the local date at *now*, unless it went out already (then None);
        ``crmbot digest --send``. Returns the channel that took it; raises DeliveryFailed."""
        runs = await asyncio.to_thread(self._claim_one, user_id, now)
        if not runs:
            return None
        sent = await self._send(runs, now)
        if not sent:
            raise DeliveryFailed(await asyncio.to_thread(self._error_of, runs[0]))
        return sent[0]

    async def _send(self, runs: list[int], moment: datetime) -> list[str]:
        """Deliver the claimed runs; returns the channels that took them. Rendered a chunk of users at a
        time, delivered SEND_CONCURRENCY at once, marked in one transaction per MARK_BATCH (a crash
        between a send and its mark re-sends at most that many, after the stale-claim time)."""
        gate = asyncio.Semaphore(SEND_CONCURRENCY)

        async def deliver(run_id: int, ready: _Ready) -> _Done:
            async with gate:
                try:
                    used, message_id = await self.delivery.deliver(
                        ready.user_id, ready.reply, subject=ready.subject, text=ready.text, html=ready.html
                    )
                except DeliveryFailed as exc:
                    log.warning("digest %s not delivered: %s", run_id, exc)
                    return _Done(run_id, ready, None, None, str(exc))
                return _Done(run_id, ready, used, message_id, None)

        channels: list[str] = []
        for start in range(0, len(runs), digests.CHUNK):
            rendered = await asyncio.to_thread(self._render, runs[start : start + digests.CHUNK], moment)
            for first in range(0, len(rendered), MARK_BATCH):
                batch = rendered[first : first + MARK_BATCH]
                done = await asyncio.gather(*(deliver(run_id, ready) for run_id, ready in batch))
                await asyncio.to_thread(self._mark, done, moment)
                channels.extend(d.channel for d in done if d.channel is not None)
        if channels:
            log.info("%d digests sent", len(channels))
        return channels

    def _claim_one(self, user_id: int, now: datetime) -> list[int]:
        with self.app.uow() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                return []
            local_date = now.astimezone(zone(user.timezone)).date()
            won = digests.claim(uow.session, [(user_id, local_date)], now=now, worker=self.worker)
            uow.commit()
            return won

    def _error_of(self, run_id: int) -> str:
        with self.app.uow(read_only=True) as uow:
            run = uow.session.get(DigestRun, run_id)
            return (run.last_error if run is not None else None) or "not delivered"

    def _claim(self, now: datetime) -> list[int]:
        with self.app.uow() as uow:
            due = digests.due_users(uow.session, now, self.settings)
            won = digests.claim(uow.session, due, now=now, worker=self.worker)
            won.extend(digests.claim_retries(uow.session, now=now, worker=self.worker))
            uow.commit()
            return won

    def _render(self, run_ids: list[int], now: datetime) -> list[tuple[int, _Ready]]:
        if not run_ids:
            return []
        with self.app.uow(read_only=True) as uow:
            runs = list(uow.session.scalars(select(DigestRun).where(DigestRun.id.in_(run_ids))))
            ids = [run.user_id for run in runs]
            users = {u.id: u for u in uow.session.scalars(select(User).where(User.id.in_(ids)))}
            who = [
                digests.Who(run.user_id, run.local_date, zone(users[run.user_id].timezone))
                for run in runs
                if run.user_id in users
            ]
            collected = digests.collect(uow.session, who, now=now, settings=self.settings)
            out = []
            for run in runs:
                if run.user_id not in users:
                    continue
                digest = collected[run.user_id]
                rendered = render(digest, users[run.user_id], now)
                out.append(
                    (
                        run.id,
                        _Ready(
                            run.user_id,
                            rendered.reply,
                            rendered.subject,
                            rendered.text,
                            rendered.html,
                            digest.count,
                            rendered.actions,
                        ),
                    )
                )
            return out

    def _mark(self, done: list[_Done], now: datetime) -> None:
        with self.app.uow() as uow:
            sent = [
                digests.Sent(d.run_id, d.channel, d.ready.items, d.ready.actions, d.message_id)
                for d in done
                if d.channel is not None
            ]
            digests.mark_sent(uow.session, sent, now=now, worker=self.worker)
            for d in done:
                if d.channel is None:
                    digests.mark_failed(uow.session, d.run_id, now=now, error=d.error or "not delivered")
            uow.commit()


@dataclass(frozen=True, slots=True)
class _Ready:
    user_id: int
    reply: Reply
    subject: str
    text: str
    html: str
    items: int
    actions: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Done:
    run_id: int
    ready: _Ready
    channel: str | None  # None: not delivered
    message_id: str | None
    error: str | None
