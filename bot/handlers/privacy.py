"""Data protection in chat: consent per contact ("Max Mustermann opted out of marketing" / "… will keine
Werbung") and the never-log list ("never log max@example.com", "log example.com again", "never log list")."""

from __future__ import annotations

from bot.crm import consent as consent_records
from bot.crm import gdpr
from bot.crm.errors import NeedsChoice, NotAllowed, Option, Refused
from bot.crm.models import Contact
from bot.handlers.context import HandlerContext
from bot.handlers.render import thirdparty_ref
from bot.messages import Reply
from bot.parsers.intents import Intent

CHOICES = 5


def _contact(ctx: HandlerContext, intent: Intent) -> Contact:
    """The one contact the target names (a name or an address); asks when several fit."""
    chosen = intent.resolved.get("contact")
    if chosen is not None:
        picked = ctx.session.get(Contact, int(chosen))
        if picked is not None and ctx.scope.sees_contact(picked):
            return picked
    text = (intent.target or "").strip()
    result = ctx.matcher.contact_by_email(text) if "@" in text else ctx.matcher.contact_by_name(text)
    best = result.best
    if best is not None and best.reason != "fuzzy":
        found = ctx.session.get(Contact, best.id)
        if found is not None and ctx.scope.sees_contact(found):
            return found
    candidates = result.top if result.ambiguous else result.candidates
    if candidates:
        raise NeedsChoice(
            "contact",
            ctx.t("consent.which", query=text),
            [Option(c.label, c.id) for c in candidates[:CHOICES]],
        )
    raise Refused(ctx.t("consent.unknown", name=text), reason="unknown_contact")


def consent(intent: Intent, ctx: HandlerContext) -> Reply:
    wanted = intent.resolved["consent"]
    purpose, status = wanted["purpose"], wanted["status"]
    person = _contact(ctx, intent)
    msg = ctx.message
    row = consent_records.record(
        ctx.session,
        person,
        purpose,
        status,
        at=ctx.now,
        source=f"{msg.channel} message {msg.message_id} by {ctx.user.login}",
        user_id=ctx.user.id,
    )
    data = {
        "contact": {"id": person.id, "name": person.full_name},
        "thirdparty": thirdparty_ref(person.thirdparty) if person.thirdparty is not None else None,
        "record": {"type": "consent", "id": row.id, "purpose": purpose, "status": status},
    }
    text = ctx.t(
        f"consent.{status}",
        name=person.full_name,
        purpose=ctx.t(f"consent.purpose.{purpose}"),
        when=ctx.when(ctx.now),
    )
    return Reply(text, data=data)


def never_log(intent: Intent, ctx: HandlerContext) -> Reply:
    """Anyone who may write may add an entry (it only keeps mail out) and sees their own entries; taking
    one off, and seeing everyone's, needs ``admin``."""
    action = intent.resolved["never_log"]
    if action == "list":  # a colleague's private addresses are theirs: admins see every entry
        rows = gdpr.never_log_list(ctx.session, created_by=None if ctx.scope.may("admin") else ctx.user.id)
        if not rows:
            return Reply(ctx.t("never_log.empty"))
        return Reply(
            "",
            title=ctx.t("never_log.title"),
            lines=tuple(f"{r.pattern}" + (f" — {r.reason}" if r.reason else "") for r in rows),
        )
    pattern = intent.target or ""
    if action == "remove":
        if not ctx.scope.may("admin"):
            raise NotAllowed("admin")
        removed = gdpr.never_log_remove(ctx.session, pattern)
        return Reply(ctx.t("never_log.removed" if removed else "never_log.not_listed", pattern=pattern))
    if not ctx.scope.may("thirdparty.write"):
        raise NotAllowed("thirdparty.write")
    try:
        row = gdpr.never_log_add(
            ctx.session, pattern, reason=f"from chat by {ctx.user.login}", user_id=ctx.user.id
        )
    except gdpr.GdprError:
        raise Refused(ctx.t("never_log.bad", pattern=pattern), reason="bad_pattern") from None
    return Reply(ctx.t(f"never_log.added_{row.kind}", pattern=row.pattern))
