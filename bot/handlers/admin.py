"""Administration in chat, for users with the ``admin`` right, in the CLI's own words ("grant carla
thirdparty.read_all", "salesrep assign carla ACME"), and "who changed ACME?" for anyone who may see ACME."""

from __future__ import annotations

from sqlalchemy import select

from bot.crm import audit, groups, users
from bot.crm.errors import NotAllowed, Refused
from bot.crm.models import Activity, AuditLog, Contact, Group, User
from bot.crm.rights import RIGHTS, check_right, effective_rights, events_of
from bot.crm.thirdparties import assign_salesrep
from bot.handlers import resolve
from bot.handlers.context import HandlerContext
from bot.handlers.render import thirdparty_ref
from bot.messages import Reply
from bot.parsers.intents import Intent

CHANGES_SHOWN = 10
# (granting?, changed?) -> the reply
_RIGHT_CHANGE = {
    (True, True): "admin.granted",
    (True, False): "admin.had",
    (False, True): "admin.revoked",
    (False, False): "admin.not_had",
}


def _user(ctx: HandlerContext, login: str) -> User:
    found = users.get_by_login(ctx.session, login)
    if found is None:
        raise Refused(ctx.t("admin.unknown_user", login=login), reason="unknown_user")
    return found


def _right(ctx: HandlerContext, right: str) -> str:
    if right not in RIGHTS:
        known = ", ".join(sorted(RIGHTS))
        raise Refused(ctx.t("admin.unknown_right", right=right, rights=known), reason="unknown_right")
    return check_right(right)


def _group(ctx: HandlerContext, name: str) -> Group:
    found = groups.find_group(ctx.session, name)
    if found is None:
        raise Refused(ctx.t("admin.unknown_group", group=name), reason="unknown_group")
    return found


def admin(intent: Intent, ctx: HandlerContext) -> Reply:
    """Checked here rather than by RIGHT_NEEDED so that a non-admin learns nothing about logins or groups."""
    if not ctx.scope.may("admin"):
        raise NotAllowed("admin")
    command = intent.resolved["admin"]
    login = intent.resolved.get("login", "")
    if command in ("grant", "revoke"):
        user, right = _user(ctx, login), _right(ctx, intent.resolved["right"])
        give = command == "grant"
        changed = (users.grant if give else users.revoke)(ctx.session, user, right)
        return Reply(ctx.t(_RIGHT_CHANGE[give, changed], login=user.login, right=right))
    if command in ("group_grant", "group_revoke"):
        group, right = _group(ctx, intent.resolved["group"]), _right(ctx, intent.resolved["right"])
        give = command == "group_grant"
        changed = (groups.grant if give else groups.revoke)(ctx.session, group, right)
        return Reply(ctx.t(_RIGHT_CHANGE[give, changed], login=group.name, right=right))
    if command == "group_member":
        group, user = _group(ctx, intent.resolved["group"]), _user(ctx, login)
        if intent.resolved.get("remove"):
            removed = groups.remove_member(ctx.session, group, user)
            key = "admin.member_removed" if removed else "admin.member_not"
        else:
            added = groups.add_member(ctx.session, group, user)
            key = "admin.member_added" if added else "admin.member_already"
        return Reply(ctx.t(key, login=user.login, group=group.name))
    if command == "salesrep":
        user = _user(ctx, login)
        tp = resolve.thirdparty(ctx, intent)
        added = assign_salesrep(ctx.session, user, tp)
        key = "admin.salesrep" if added else "admin.salesrep_already"
        return Reply(ctx.t(key, login=user.login, name=tp.name), data={"thirdparty": thirdparty_ref(tp)})
    user = _user(ctx, login)  # "rights carla"
    held = "admin (all)" if user.is_admin else ", ".join(sorted(effective_rights(ctx.session, user))) or "—"
    return Reply(ctx.t("admin.rights", login=user.login, rights=held))


def _visible_entries(ctx: HandlerContext, entries: list[AuditLog]) -> list[AuditLog]:
    """The entries the user may see: a private contact of someone else, or (without ``agenda.read_all``)
    an event that is not the user's own or attended (the rule of ``rights.events_of``), stays hidden even
    in the history of a visible company. Two queries, whatever the number of entries."""
    hidden: set[tuple[str, int]] = set()
    contact_ids = {e.object_id for e in entries if e.object_type == "contacts"}
    if contact_ids:
        contacts = ctx.session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))
        hidden |= {("contacts", c.id) for c in contacts if not ctx.scope.sees_contact(c)}
    event_ids = {e.object_id for e in entries if e.object_type == "activities"}
    own = ctx.scope.own_agenda
    if own is not None and event_ids:
        shown = set(
            ctx.session.scalars(select(Activity.id).where(Activity.id.in_(event_ids), events_of(own)))
        )
        hidden |= {("activities", i) for i in event_ids - shown}
    return [e for e in entries if (e.object_type, e.object_id) not in hidden]


def changes(intent: Intent, ctx: HandlerContext) -> Reply:
    """ "who changed ACME?": the latest audit entries about the third party and what is filed under it."""
    tp = resolve.thirdparty(ctx, intent)
    entries = _visible_entries(ctx, audit.history(ctx.session, thirdparty_id=tp.id, limit=200))
    data = {"thirdparty": thirdparty_ref(tp)}
    if not entries:
        return Reply(ctx.t("changes.none", name=tp.name), data=data)
    names = dict(
        ctx.session.execute(
            select(User.id, User.name).where(User.id.in_({e.user_id for e in entries if e.user_id}))
        ).all()
    )
    system = ctx.t("changes.system")
    lines = []
    for entry in entries[:CHANGES_SHOWN]:
        params = {
            "when": ctx.when(entry.at),
            "who": names.get(entry.user_id, system) if entry.user_id else system,
            "channel": entry.channel,
            "action": ctx.t(f"changes.action.{entry.action}") if entry.action in _ACTIONS else entry.action,
            "object": ctx.t(f"changes.object.{entry.object_type}")
            if entry.object_type in _OBJECTS
            else entry.object_type,
            "label": entry.summary or f"#{entry.object_id}",
        }
        if entry.action == "update" and entry.before and entry.after:  # what changed; a create or
            what = audit.describe_changes(entry.before, entry.after, fields=3)  # delete is its label
            lines.append(ctx.t("changes.line_changed", what=what, **params))
        else:
            lines.append(ctx.t("changes.line", **params))
    more = len(entries) - CHANGES_SHOWN
    if more > 0:
        lines.append(ctx.t("changes.more", n=more))
    return Reply("", title=ctx.t("changes.title", name=tp.name), lines=tuple(lines), data=data)


_ACTIONS = frozenset({"create", "update", "delete"})
_OBJECTS = frozenset(
    {
        "thirdparties",
        "contacts",
        "activities",
        "email_messages",
        "documents",
        "consents",
        "quotes",
        "orders",
        "invoices",
        "tickets",
        "projects",
        "reminders",
    }
)
