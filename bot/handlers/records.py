"""Creating third parties and contacts from chat ("new company Cyberdyne Systems", "neuer Kontakt ...")."""

from __future__ import annotations

import re

from bot.crm.contacts import create_contact as create_contact_record
from bot.crm.duplicates import likely_duplicate
from bot.crm.errors import NeedsChoice, Option, Refused
from bot.crm.models import CustomerType
from bot.crm.thirdparties import create_thirdparty as create_thirdparty_record
from bot.handlers import queries, resolve
from bot.handlers.context import HandlerContext
from bot.handlers.render import thirdparty_ref, undo_action
from bot.messages import Reply
from bot.normalize import LEGAL_SUFFIXES, fold, normalize_email, website_domain
from bot.parsers.intents import Intent

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+|00)?\d[\d\s/().-]{6,}\d")
_AT_COMPANY = re.compile(
    r"\s+(?:at|from|of|to|bei|von|vom|beim|@)\s+(?:der\s+|dem\s+|the\s+)?(?P<company>.+)$", re.IGNORECASE
)
_TITLE = re.compile(r"^(?:(?:frau|herr|herrn|mr|mrs|ms|dr|prof)\.?\s+)+", re.IGNORECASE)
_KINDS = (
    (re.compile(r"\b(?:prospect|lead|interessent(?:en)?)\b", re.IGNORECASE), CustomerType.PROSPECT),
    (re.compile(r"\b(?:customer|kunden?)\b", re.IGNORECASE), CustomerType.CUSTOMER),
)
_SUPPLIER = re.compile(r"\b(?:supplier|lieferant(?:en)?)\b", re.IGNORECASE)


def _name(text: str) -> str:
    """A name as typed, without a sentence's final full stop ("Virtucon Inc." keeps its own)."""
    text = text.strip(" ,;:")
    if text.endswith(".") and fold(text.rsplit(None, 1)[-1]).replace(" ", "") not in LEGAL_SUFFIXES:
        text = text[:-1].rstrip()
    return text


def _extras(text: str) -> tuple[str, dict[str, str]]:
    """Split "Name, email, website, phone" into the name and the details found after it."""
    head, _, tail = text.partition(",")
    found: dict[str, str] = {}
    rest = tail
    email = _EMAIL.search(text)
    if email and normalize_email(email.group(0)):
        found["email"] = email.group(0)
        rest = rest.replace(email.group(0), " ")
        head = head.replace(email.group(0), " ")
    url = _URL.search(rest)
    if url and website_domain(url.group(0)):
        found["website"] = url.group(0)
        rest = rest.replace(url.group(0), " ")
    phone = _PHONE.search(rest)
    if phone:
        found["phone"] = phone.group(0).strip()
        rest = rest.replace(phone.group(0), " ")
    leftover = rest.strip(" ,;:")
    if leftover and not re.search(r"\b(?:she|he|they|sie|er|ist|is|was|war)\b", leftover, re.IGNORECASE):
        found["rest"] = _name(leftover.split(",")[0])
    return _name(head), found


def create_thirdparty(intent: Intent, ctx: HandlerContext) -> Reply:
    name, extras = _extras(intent.target or "")
    extras.pop("rest", None)
    if not name:
        raise Refused(ctx.t("create.need_name"))
    answer = str(intent.resolved.get("duplicate") or "")
    if answer.startswith("use:"):  # "Use ACME GmbH": the existing one's card instead of a new one
        return queries.show(Intent("show", target=f"#{answer.removeprefix('use:')}"), ctx)
    if answer != "create":
        _warn_if_duplicate(ctx, name, extras.get("email"))
    text = intent.body or ""
    customer_type = next((kind for pattern, kind in _KINDS if pattern.search(text)), CustomerType.PROSPECT)
    tp = create_thirdparty_record(
        ctx.session,
        name=name,
        customer_type=customer_type,
        is_supplier=bool(_SUPPLIER.search(text)),
        created_by=ctx.user,
        **extras,
    )
    if customer_type in (CustomerType.PROSPECT, CustomerType.BOTH):
        kind = ctx.t("card.prospect")
    else:
        kind = ctx.t("card.customer")
    return Reply(
        ctx.t("create.thirdparty_done", kind=kind, name=tp.name),
        lines=tuple(f"{k}: {v}" for k, v in extras.items()),
        actions=(undo_action(ctx),),
        data={"thirdparty": thirdparty_ref(tp), "record": {"type": "thirdparty", "id": tp.id}},
    )


def _warn_if_duplicate(ctx: HandlerContext, name: str, email: str | None) -> None:
    """The same name again is refused; a likely duplicate ("ACME Gmbh" for ACME GmbH, a typo, the same
    email) is asked about: use the existing one, or create anyway."""
    existing = likely_duplicate(
        ctx.session, name, visible=ctx.matcher.visible, email=email, fuzzy=ctx.matcher.fuzzy
    )
    if existing is None:
        return
    if existing.name == name:
        raise Refused(ctx.t("create.exists", name=existing.name))
    raise NeedsChoice(
        "duplicate",
        ctx.t("create.duplicate", name=name, existing=existing.name),
        [
            Option(ctx.t("create.use_existing", name=existing.name), f"use:{existing.id}"),
            Option(ctx.t("create.anyway"), "create"),
        ],
    )


def create_contact(intent: Intent, ctx: HandlerContext) -> Reply:
    text, extras = _extras(intent.target or "")
    company_text = extras.pop("rest", None)
    at = _AT_COMPANY.search(text)
    person = _TITLE.sub("", text[: at.start()].strip() if at else text)
    tp = None
    company = at.group("company").strip() if at else company_text
    if company:
        tp = resolve.thirdparty(ctx, Intent("show", target=company, resolved=intent.resolved))
    elif intent.mentions:
        people = resolve.participants(ctx, intent, required=False)
        tp = people.thirdparty
    words = person.split()
    if not words:
        raise Refused(ctx.t("create.need_name"))
    first, last = (" ".join(words[:-1]) or None), words[-1]
    existing = ctx.matcher.contact_by_name(person, thirdparty_ids=[tp.id] if tp else None).best
    if (
        existing is not None
        and existing.reason == "name"
        and existing.thirdparty_id == (tp.id if tp else None)
    ):
        raise Refused(ctx.t("create.contact_exists", name=existing.label))
    contact = create_contact_record(
        ctx.session,
        firstname=first,
        lastname=last,
        thirdparty=tp,
        created_by=ctx.user,
        **{k: v for k, v in extras.items() if k in ("email", "phone")},
    )
    where = ctx.t("create.at", name=tp.name) if tp else ""
    return Reply(
        ctx.t("create.contact_done", name=contact.full_name, at=where),
        lines=tuple(f"{k}: {v}" for k, v in extras.items() if k in ("email", "phone")),
        actions=(undo_action(ctx),),
        data={
            "thirdparty": thirdparty_ref(tp),
            "contact": {"id": contact.id, "name": contact.full_name},
            "record": {"type": "contact", "id": contact.id},
        },
    )
