"""Turning the names in a message into the CRM records they mean, asking when it cannot tell.

Every question is a :class:`NeedsChoice` with a slot; the answer comes back in ``intent.resolved[slot]`` and
the handler runs again, so each question is asked once and answers accumulate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.crm.errors import AmbiguousMatch, NeedsChoice, Option, UnknownThirdParty
from bot.crm.models import Contact, ThirdParty, ThirdPartyStatus
from bot.handlers.context import HandlerContext
from bot.parsers.gazetteer import Entry
from bot.parsers.intents import Intent, Mention

_ID_REF = re.compile(r"^#(\d{1,12})$")


def _visible(ctx: HandlerContext, tp_id: int) -> bool:
    return ctx.matcher.visible is None or ctx.matcher.visible(tp_id)


def thirdparty(ctx: HandlerContext, intent: Intent) -> ThirdParty:
    """The one third party the intent's target names; ``#12`` is an id (what choice buttons send back)."""
    chosen = intent.resolved.get("thirdparty")
    if chosen is not None:
        tp = ctx.session.get(ThirdParty, int(chosen))
        if tp is not None and _visible(ctx, tp.id):
            return tp
    text = (intent.target or "").strip()
    ref = _ID_REF.match(text)
    if ref:
        tp = ctx.session.get(ThirdParty, int(ref.group(1)))
        if tp is None or not _visible(ctx, tp.id):
            raise UnknownThirdParty(text)
        return tp
    result = ctx.matcher.thirdparty_by_name(text)
    best = result.best
    if best is None and not result.found:
        # "Max Mustermann" as a target: the company of that contact
        person = ctx.matcher.contact_by_name(text).best
        if person is not None and person.reason != "fuzzy" and person.thirdparty_id is not None:
            best_tp = ctx.session.get(ThirdParty, person.thirdparty_id)
            if best_tp is not None:
                return best_tp
    if best is not None and best.reason != "fuzzy":
        found = ctx.session.get(ThirdParty, best.id)
        assert found is not None
        return found
    if result.ambiguous and result.top[0].reason != "fuzzy":
        raise AmbiguousMatch(text, result.top)
    raise UnknownThirdParty(text, result.candidates)


def is_active(tp: ThirdParty) -> bool:
    return tp.status == ThirdPartyStatus.ACTIVE


@dataclass
class Participants:
    """Who a log is about: the third party that holds it, the contacts, and other companies named."""

    thirdparty: ThirdParty | None = None
    contacts: list[Contact] = field(default_factory=list)
    other_thirdparties: list[ThirdParty] = field(default_factory=list)
    new_names: list[str] = field(default_factory=list)  # created on the user's request while resolving

    @property
    def empty(self) -> bool:
        return self.thirdparty is None and not self.contacts


def _option_value(entry: Entry) -> str:
    return f"{'c' if entry.kind == 'thirdparty' else 'p'}:{entry.id}"


def _option_label(entry: Entry) -> str:
    if entry.kind == "contact" and entry.thirdparty_label:
        return f"{entry.label} ({entry.thirdparty_label})"
    return entry.label


def _pick(ctx: HandlerContext, intent: Intent, slot: str, mention: Mention, entries: list[Entry]) -> Entry:
    chosen = intent.resolved.get(slot)
    if chosen is not None:
        for entry in entries:
            if _option_value(entry) == chosen:
                return entry
    unique = {(_option_value(e)): e for e in entries}
    if len(unique) == 1:
        return next(iter(unique.values()))
    # "Köhler" = Köhler Maschinenbau and its contact Jürgen Köhler: all point to one company: that one.
    companies = {e.id for e in unique.values() if e.kind == "thirdparty"}
    implied = companies | {e.thirdparty_id for e in unique.values() if e.kind == "contact"}
    if len(companies) == 1 and len(implied) == 1:
        return next(e for e in unique.values() if e.kind == "thirdparty")
    people = [e for e in unique.values() if e.kind == "contact"]
    key = "match.ambiguous_contact" if len(people) == len(unique) else "match.ambiguous_thirdparty"
    options = [Option(_option_label(e), _option_value(e)) for e in unique.values()]
    options.sort(key=lambda o: o.label.casefold())
    raise NeedsChoice(slot, ctx.t(key, query=mention.text), options[:10])


def participants(ctx: HandlerContext, intent: Intent, *, required: bool = True) -> Participants:
    """Resolve every mention of the intent; ask about ambiguous ones; offer to create unknown names."""
    result = Participants()
    companies: list[ThirdParty] = []
    chosen: list[tuple[int, Mention, Entry]] = []
    # Companies first: a named company narrows which "Max" is meant.
    for index, mention in enumerate(intent.mentions):
        entries = list(mention.entries)
        if entries and all(e.kind == "thirdparty" for e in entries):
            entry = _pick(ctx, intent, f"mention:{index}", mention, entries)
            chosen.append((index, mention, entry))
    company_ids = {e.id for _, _, e in chosen}
    for index, mention in enumerate(intent.mentions):
        entries = list(mention.entries)
        if not entries or all(e.kind == "thirdparty" for e in entries):
            continue
        in_named = [e for e in entries if e.kind == "contact" and e.thirdparty_id in company_ids]
        if in_named:
            entries = in_named
        entry = _pick(ctx, intent, f"mention:{index}", mention, entries)
        chosen.append((index, mention, entry))
    chosen.sort(key=lambda item: item[0])
    for _, _, entry in chosen:
        if entry.kind == "thirdparty":
            tp = ctx.session.get(ThirdParty, entry.id)
            if tp is not None and tp not in companies:
                companies.append(tp)
        else:
            contact = ctx.session.get(Contact, entry.id)
            if contact is not None and contact not in result.contacts:
                result.contacts.append(contact)
    _create_requested(ctx, intent, result, companies)
    if companies:
        result.thirdparty = companies[0]
        result.other_thirdparties = companies[1:]
    elif result.contacts:
        result.thirdparty = next((c.thirdparty for c in result.contacts if c.thirdparty is not None), None)
    if result.thirdparty is not None:
        for contact in result.contacts:
            if contact.thirdparty is not None and contact.thirdparty not in (
                result.thirdparty,
                *result.other_thirdparties,
            ):
                result.other_thirdparties.append(contact.thirdparty)
    if required and result.empty:
        _ask_about_unknown(ctx, intent)
    return result


def _create_requested(
    ctx: HandlerContext, intent: Intent, result: Participants, companies: list[ThirdParty]
) -> None:
    """Apply an earlier "create it" answer: a new company or contact for an unknown name."""
    from bot.crm.contacts import create_contact
    from bot.crm.thirdparties import create_thirdparty

    answer = intent.resolved.get("unknown")
    if not isinstance(answer, str) or ":" not in answer:
        return
    kind, name = answer.split(":", 1)
    if kind == "c":
        tp = ctx.session.get(ThirdParty, int(name))
        if tp is not None and _visible(ctx, tp.id) and tp not in companies:
            companies.append(tp)
    elif kind == "new_company":
        companies.append(create_thirdparty(ctx.session, name=name, customer_type=2, created_by=ctx.user))
        result.new_names.append(name)
    elif kind == "new_contact":
        first, _, last = name.rpartition(" ")
        tp = companies[0] if companies else None
        result.contacts.append(
            create_contact(
                ctx.session, firstname=first or None, lastname=last, thirdparty=tp, created_by=ctx.user
            )
        )
        result.new_names.append(name)


def _ask_about_unknown(ctx: HandlerContext, intent: Intent) -> None:
    from bot.crm.errors import Refused

    if intent.unknown_names:
        name = intent.unknown_names[0]
        options = [
            Option(ctx.t("create.option_company", name=name), f"new_company:{name}"),
            Option(ctx.t("create.option_contact", name=name), f"new_contact:{name}"),
        ]
        suggestions = ctx.matcher.thirdparty_by_name(name).candidates[:3]
        options[:0] = [Option(c.name, f"c:{c.id}") for c in suggestions]
        raise NeedsChoice("unknown", ctx.t("match.unknown_name", name=name), options)
    raise Refused(ctx.t("log.who"), reason="who")
