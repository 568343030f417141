"""Answering questions about a third party: card, last contact, history, contacts, open items, help."""

from __future__ import annotations

from bot.crm import history
from bot.crm.errors import NotAllowed
from bot.crm.models import Activity, Contact, CustomerType, ThirdParty, User
from bot.handlers import resolve
from bot.handlers.context import HandlerContext
from bot.handlers.render import attendee_names, first_line, kind_label, money, thirdparty_ref
from bot.i18n import format_ago, format_day
from bot.messages import Choice, Reply
from bot.parsers.intents import Intent

HISTORY_PAGE = 10


def help_(intent: Intent, ctx: HandlerContext) -> Reply:
    return Reply(ctx.t("help.body"), title=ctx.t("help.title"))


def unknown(intent: Intent, ctx: HandlerContext) -> Reply:
    return Reply(ctx.t("unknown.reply"))


def _who(ctx: HandlerContext, activity: Activity) -> str:
    owner: User | None = activity.owner
    return owner.name if owner is not None else "?"


def _activity_kind(activity: Activity, lang: str) -> str:
    return kind_label(history.TYPE_KIND.get(activity.type_code, "note"), lang)


def _summary(activity: Activity) -> str:
    return first_line(activity.body) or first_line(activity.label)


def last_contact(intent: Intent, ctx: HandlerContext) -> Reply:
    tp = resolve.thirdparty(ctx, intent)
    found = history.last_contact(ctx.session, tp.id, now=ctx.now, agenda_of=ctx.scope.own_agenda)
    data = {"thirdparty": thirdparty_ref(tp)}
    latest = found.latest
    if latest is None:
        return Reply(ctx.t("last.none", name=tp.name), data=data)
    names = attendee_names(latest)
    line = ctx.t(
        "last.line",
        when=ctx.when(latest.start_at, all_day=latest.all_day),
        ago=format_ago(latest.start_at, ctx.now, ctx.lang),
        kind=_activity_kind(latest, ctx.lang),
        who=_who(ctx, latest),
        with_whom=ctx.t("last.with", names=", ".join(names)) if names else "",
    )
    summary = _summary(latest)
    text = f"{line} — {summary}" if summary else line
    others = [
        ctx.t(f"last.other.{kind}", when=ctx.when(a.start_at, all_day=a.all_day))
        + (f" ({first_line(a.email_subject or a.label, 60)})" if kind == "email" else "")
        for kind, a in found.others().items()
    ]
    data["record"] = {"type": "activity", "id": latest.id}
    return Reply(text, title=ctx.t("last.title", name=tp.name), lines=tuple(others), data=data)


def _history_line(ctx: HandlerContext, entry: history.TimelineEntry) -> str:
    when = ctx.when(entry.at, all_day=entry.all_day)
    kind = kind_label(entry.kind, ctx.lang)
    detail = entry.title
    if entry.amount is not None:
        detail = f"{detail} ({money(entry.amount, entry.currency, ctx.lang)})"
    body = first_line(entry.detail, 80)
    if body and body != entry.title:
        detail = f"{detail} — {body}"
    return f"{when} · {kind} · {detail}"


def history_(intent: Intent, ctx: HandlerContext) -> Reply:
    tp = resolve.thirdparty(ctx, intent)
    page = history.timeline(
        ctx.session,
        tp.id,
        offset=intent.page * HISTORY_PAGE,
        limit=HISTORY_PAGE,
        agenda_of=ctx.scope.own_agenda,
    )
    data = {"thirdparty": thirdparty_ref(tp)}
    if not page.entries:
        return Reply(ctx.t("history.empty", name=tp.name), data=data)
    lines = tuple(_history_line(ctx, e) for e in page.entries)
    actions: tuple[Choice, ...] = ()
    if page.has_more:
        actions = (Choice(ctx.t("history.older"), f"history #{tp.id} page {intent.page + 2}"),)
    return Reply("", title=ctx.t("history.title", name=tp.name), lines=lines, actions=actions, data=data)


def _contact_line(contact: object) -> str:
    from bot.crm.models import Contact

    assert isinstance(contact, Contact)
    parts = [contact.full_name]
    if contact.job_title:
        parts.append(contact.job_title)
    parts.extend(p for p in (contact.email, contact.phone or contact.phone_mobile) if p)
    return " · ".join(parts)


def _visible_contacts(ctx: HandlerContext, tp: ThirdParty) -> list[Contact]:
    return [c for c in history.contacts_of(ctx.session, tp.id) if ctx.scope.sees_contact(c)]


def contacts(intent: Intent, ctx: HandlerContext) -> Reply:
    tp = resolve.thirdparty(ctx, intent)
    people = _visible_contacts(ctx, tp)
    data = {"thirdparty": thirdparty_ref(tp)}
    if not ctx.scope.may("contact.read"):
        raise NotAllowed("contact.read")
    if not people:
        return Reply(ctx.t("contacts.none", name=tp.name), data=data)
    return Reply(
        "",
        title=ctx.t("contacts.title", name=tp.name),
        lines=tuple(_contact_line(c) for c in people),
        data=data,
    )


def _open_lines(ctx: HandlerContext, tp: ThirdParty) -> list[str]:
    items = history.open_items(ctx.session, tp.id, now=ctx.now, agenda_of=ctx.scope.own_agenda)
    lines = []
    for q in items.quotes:
        lines.append(
            ctx.t(
                "open.quote",
                ref=q.ref,
                amount=money(q.total_ttc, q.currency, ctx.lang),
                date=format_day(q.date, ctx.lang),
            )
        )
    for inv in items.invoices:
        key = "open.invoice_overdue" if inv.id in items.overdue_invoice_ids else "open.invoice"
        due = format_day(inv.due_date or inv.date, ctx.lang)
        lines.append(ctx.t(key, ref=inv.ref, amount=money(inv.total_ttc, inv.currency, ctx.lang), date=due))
    for ticket in items.tickets:
        lines.append(ctx.t("open.ticket", ref=ticket.ref, subject=ticket.subject))
    for task in items.tasks:
        lines.append(ctx.t("open.task", label=task.label))
    for todo in items.followups:
        lines.append(
            ctx.t("open.followup", label=todo.label, when=ctx.when(todo.start_at, all_day=todo.all_day))
        )
    return lines


def open_items(intent: Intent, ctx: HandlerContext) -> Reply:
    tp = resolve.thirdparty(ctx, intent)
    lines = _open_lines(ctx, tp)
    data = {"thirdparty": thirdparty_ref(tp)}
    if not lines:
        return Reply(ctx.t("open.none", name=tp.name), data=data)
    return Reply("", title=ctx.t("open.title", name=tp.name), lines=tuple(lines), data=data)


def _relation(ctx: HandlerContext, tp: ThirdParty) -> str:
    parts = []
    if tp.customer_type == CustomerType.BOTH:
        parts.append(ctx.t("card.customer_prospect"))
    elif tp.customer_type == CustomerType.CUSTOMER:
        parts.append(ctx.t("card.customer"))
    elif tp.customer_type == CustomerType.PROSPECT:
        parts.append(ctx.t("card.prospect"))
    if tp.is_supplier:
        parts.append(ctx.t("card.supplier"))
    if not resolve.is_active(tp):
        parts.append(ctx.t("card.closed"))
    place = ", ".join(p for p in (tp.town, tp.country_code) if p)
    if place:
        parts.append(place)
    return " · ".join(parts)


def show(intent: Intent, ctx: HandlerContext) -> Reply:
    tp = resolve.thirdparty(ctx, intent)
    lines = [" · ".join(p for p in (tp.phone, tp.email, tp.website) if p)]
    people = _visible_contacts(ctx, tp)
    if people:
        names = ", ".join(c.full_name for c in people[:6]) + (" …" if len(people) > 6 else "")
        lines.append(ctx.t("card.contacts", names=names))
    else:
        lines.append(ctx.t("card.no_contacts"))
    latest = history.last_contact(ctx.session, tp.id, now=ctx.now, agenda_of=ctx.scope.own_agenda).latest
    if latest is not None:
        lines.append(
            ctx.t(
                "card.last_contact",
                when=ctx.when(latest.start_at, all_day=latest.all_day),
                ago=format_ago(latest.start_at, ctx.now, ctx.lang),
                kind=_activity_kind(latest, ctx.lang),
            )
        )
    else:
        lines.append(ctx.t("card.never_contacted"))
    open_lines = _open_lines(ctx, tp)
    if open_lines:
        lines.append(
            ctx.t("card.open", items="; ".join(open_lines[:3]) + (" …" if len(open_lines) > 3 else ""))
        )
    return Reply(
        _relation(ctx, tp),
        title=tp.name,
        lines=tuple(line for line in lines if line),
        data={"thirdparty": thirdparty_ref(tp)},
    )
