"""Routing: which third party (and contacts) a mail belongs to, in DESIGN.md §4 order, with the reason.

explicit target (plus-address, ``[ref:X]`` in the subject, a first-line keyword) → thread (In-Reply-To,
then References, against archived mail) → exact contact address → exact third-party address → the
third party's email domain (never a free-mail domain) → unresolved. The first rule that finds anything
decides; when it finds several third parties, that is ambiguity, which goes to the user — never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crm.mail.participants import Envelope, MailSettings, Parties
from bot.crm.matching import Candidate, Matcher
from bot.crm.models import Contact, EmailMessage, EmailStatus, ThirdParty, ThirdPartyDomain
from bot.normalize import email_domain, fold, is_freemail
from bot.parsers.email import Address, ParsedEmail

_REF_TAG = re.compile(r"\[ref:\s*([^\]]+)\]", re.IGNORECASE)
_KEYWORD_LINE = re.compile(
    r"^\s*(?:(?:kunde|customer|firma|company|account|crm|für|for|re)\s*[:=]\s*)?(?P<name>[^:]{2,80}?)\s*$",
    re.IGNORECASE,
)
_STRICT = frozenset({"email", "exact name", "name", "alias"})


@dataclass
class Route:
    # plus_address, ref_tag, keyword, thread, contact_email, thirdparty_email, domain, chosen, unresolved
    rule: str
    reason: str  # what decided, in words (stored, logged): "exact address max@acme.example"
    detail: str = ""  # the address, domain, subject or words behind the rule (for the user's receipt)
    thirdparty_id: int | None = None
    contact_ids: list[int] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)  # ambiguous or unresolved: the choices
    unknown_people: list[Address] = field(default_factory=list)  # on the third party's domain, no contact yet

    @property
    def decided(self) -> bool:
        return self.thirdparty_id is not None


def _explicit_tokens(
    parsed: ParsedEmail, envelope: Envelope, settings: MailSettings
) -> list[tuple[str, str]]:
    """(rule, words) naming the third party on purpose: crm+acme@…, [ref:ACME], a first line "ACME"."""
    tokens: list[tuple[str, str]] = []
    recipients = [*envelope.delivered_to, *(a.email for a in (*parsed.to, *parsed.cc))]
    for address in recipients:
        local, _, _domain = address.partition("@")
        if "+" in local and settings.is_bot(address):
            tokens.append(("plus_address", re.sub(r"[-_.]+", " ", local.split("+", 1)[1])))
    tag = _REF_TAG.search(parsed.subject or "")
    if tag:
        tokens.append(("ref_tag", tag.group(1).strip()))
    line = _KEYWORD_LINE.match(parsed.first_line or "")
    if line and len(line.group("name").split()) <= 6:
        tokens.append(("keyword", line.group("name")))
    return tokens


class Router:
    def __init__(self, session: Session, matcher: Matcher, settings: MailSettings) -> None:
        self.session = session
        self.matcher = matcher
        self.settings = settings
        self._contacts_of_address: dict[str, tuple[Candidate, ...]] = {}

    def _contacts_of(self, address: str) -> tuple[Candidate, ...]:
        """The contacts with *address* (asked once per route: the rules and the decision all need them)."""
        if address not in self._contacts_of_address:
            self._contacts_of_address[address] = self.matcher.contact_by_email(address).candidates
        return self._contacts_of_address[address]

    def _visible(self, tp_id: int | None) -> bool:
        if tp_id is None:
            return False
        if self.matcher.visible is not None and not self.matcher.visible(tp_id):
            self.matcher.hidden = True
            return False
        return True

    def route(self, parsed: ParsedEmail, envelope: Envelope, found: Parties) -> Route:
        self.matcher.hidden = False
        self._contacts_of_address.clear()
        route = self._route(parsed, envelope, found)
        if not route.decided and self.matcher.hidden:
            # Stored for the admin; the user's notice shows only candidates they may see.
            route.reason = f"{route.reason}; it matches a third party the sender may not see"
        return route

    def _route(self, parsed: ParsedEmail, envelope: Envelope, found: Parties) -> Route:
        for rule, words in _explicit_tokens(parsed, envelope, self.settings):
            result = self.matcher.thirdparty_by_name(words)
            best = result.best
            if best is not None and (best.reason in _STRICT or rule != "keyword"):
                return self._decided(rule, _explicit_reason(rule, words, best.name), best.id, found, words)
        thread = self._thread(parsed)
        if thread is not None:
            tp_id, subject = thread
            return self._decided("thread", f"same thread as “{subject or '…'}”", tp_id, found, subject or "")
        # Each rule looks at the primary people first (To of a sent mail, the sender of a received one): when
        # they point at one company, a colleague from another company in Cc does not make it ambiguous.
        for rule, lookup in (
            ("contact_email", self._by_contacts),
            ("thirdparty_email", self._by_thirdparty_email),
            ("domain", self._by_domain),
        ):
            primary = lookup(found.primary) if found.primary else {}
            if len(primary) == 1:
                return self._choose(rule, primary, found)
            everyone = lookup(found.people)
            if everyone:
                return self._choose(rule, everyone, found)
        return Route("unresolved", "no known address or domain", candidates=self._suggestions(found.people))

    # -- rules ------------------------------------------------------------------------------------------

    def _thread(self, parsed: ParsedEmail) -> tuple[int, str | None] | None:
        ids = [i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i]
        for message_id in dict.fromkeys(ids):
            row = self.session.execute(
                select(EmailMessage.thirdparty_id, EmailMessage.subject)
                .where(
                    EmailMessage.message_id == message_id,
                    EmailMessage.status == EmailStatus.ARCHIVED,
                    EmailMessage.thirdparty_id.is_not(None),
                )
                .order_by(EmailMessage.id.desc())
                .limit(1)
            ).first()
            if row is not None and row[0] is not None and self._visible(row[0]):
                return int(row[0]), row[1]
        return None

    def _by_contacts(self, people: Sequence[Address]) -> dict[int, str]:
        found: dict[int, str] = {}
        for person in people:
            for candidate in self._contacts_of(person.email):
                if candidate.thirdparty_id is not None and self._visible(candidate.thirdparty_id):
                    found.setdefault(candidate.thirdparty_id, person.email)
        return found

    def _by_thirdparty_email(self, people: Sequence[Address]) -> dict[int, str]:
        found: dict[int, str] = {}
        for person in people:
            ids = self.session.scalars(select(ThirdParty.id).where(ThirdParty.email_lower == person.email))
            for tp_id in ids:
                if self._visible(tp_id):
                    found.setdefault(tp_id, person.email)
        return found

    def _by_domain(self, people: Sequence[Address]) -> dict[int, str]:
        found: dict[int, str] = {}
        for person in people:
            domain = email_domain(person.email)
            if not domain or is_freemail(domain):
                continue
            stmt = select(ThirdPartyDomain.thirdparty_id).where(ThirdPartyDomain.domain == domain)
            for tp_id in self.session.scalars(stmt):
                if self._visible(tp_id):
                    found.setdefault(tp_id, domain)
        return found

    # -- decisions --------------------------------------------------------------------------------------

    def _choose(self, rule: str, found: dict[int, str], parties: Parties) -> Route:
        words = {"contact_email": "exact address", "thirdparty_email": "company address", "domain": "domain"}[
            rule
        ]
        if len(found) == 1:
            ((tp_id, detail),) = found.items()
            return self._decided(rule, f"{words} {detail}", tp_id, parties, detail)
        stmt = select(ThirdParty.id, ThirdParty.name).where(ThirdParty.id.in_(found))
        names: dict[int, str] = {}
        for tp_id, name in self.session.execute(stmt):
            names[tp_id] = name
        candidates = [
            Candidate("thirdparty", i, names.get(i, "?"), 1.0, f"{words} {d}") for i, d in found.items()
        ]
        candidates.sort(key=lambda c: c.name.casefold())
        detail = ", ".join(dict.fromkeys(found.values()))
        return Route(rule, f"several third parties by {words} {detail}", detail=detail, candidates=candidates)

    def decided(self, rule: str, reason: str, tp_id: int, parties: Parties, detail: str = "") -> Route:
        """The route to *tp_id*, with the participants who are its contacts (and new people on its domain)."""
        return self._decided(rule, reason, tp_id, parties, detail)

    def _decided(self, rule: str, reason: str, tp_id: int, parties: Parties, detail: str = "") -> Route:
        contact_ids: list[int] = []
        unknown: list[Address] = []
        stmt = select(ThirdPartyDomain.domain).where(ThirdPartyDomain.thirdparty_id == tp_id)
        domains = set(self.session.scalars(stmt))
        for person in parties.people:
            contacts = [c for c in self._contacts_of(person.email) if c.thirdparty_id == tp_id]
            if contacts:
                contact_ids.extend(c.id for c in contacts if c.id not in contact_ids)
            elif email_domain(person.email) in domains:
                unknown.append(person)
        return Route(rule, reason, detail, tp_id, contact_ids, unknown_people=unknown)

    def _suggestions(self, people: Sequence[Address]) -> list[Candidate]:
        """For unresolved mail: companies close to a participant's name or domain, best first."""
        seen: dict[int, Candidate] = {}
        for person in people:
            domain = (email_domain(person.email) or "").split(".")[0]
            for words in (person.name, None if is_freemail(email_domain(person.email)) else domain):
                if not words or len(fold(words)) < 3:
                    continue
                for candidate in self.matcher.thirdparty_by_name(words).candidates[:3]:
                    seen.setdefault(candidate.id, candidate)
        return sorted(seen.values(), key=lambda c: -c.score)[:3]


def _explicit_reason(rule: str, words: str, name: str) -> str:
    return {
        "plus_address": f"plus-address “{words}”",
        "ref_tag": f"[ref:{words}] in the subject",
        "keyword": f"first line “{words}”",
    }.get(rule, name)


def contacts_named(session: Session, ids: Sequence[int]) -> list[Contact]:
    return list(session.scalars(select(Contact).where(Contact.id.in_(ids)))) if ids else []
