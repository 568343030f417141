"""Taking one person out of free text, JSON and stored mail (for bot.crm.anonymize).

A :class:`Redactor` knows what identifies the person: *strong* identifiers (the full name, every email
address, phone numbers, the street address) are precise enough to replace wherever they occur; *weak* ones
(the first or last name alone) only in records that are the person's own (their events, their mail), where
"Max" means them and not another Max.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

ANONYMOUS_DOMAIN = "anonymized.invalid"  # RFC 2606: never a real domain
REDACTED_HEADER = "X-Crmbot-Redacted"
PHONE_REMOVED = "[phone removed]"
ADDRESS_REMOVED = "[address removed]"
# Headers a redacted mail keeps: who (rewritten), when, what about (rewritten) and the threading ids.
_KEPT_HEADERS = (
    "From", "Sender", "Reply-To", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "References",
)  # fmt: skip
ADDRESS_HEADERS = frozenset({"From", "Sender", "Reply-To", "To", "Cc"})
_PHONE_SEPARATORS = r"[\s\-/().]*"


def _word_pattern(text: str) -> re.Pattern[str]:
    """*text* as a case-insensitive pattern that does not match inside a longer word ("_" separates words
    here, as in file names: Angebot_Mustermann.pdf)."""
    left = r"(?<![^\W_])" if text[:1].isalnum() else ""
    right = r"(?![^\W_])" if text[-1:].isalnum() else ""
    return re.compile(left + re.escape(text) + right, re.IGNORECASE)


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number ending in the same (up to) eight digits, whatever separators and prefix are written
    ("030 1234567", "+49 (30) 123-4567" for +49 30 1234567)."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    tail = _PHONE_SEPARATORS.join(digits[-8:])
    return re.compile(r"(?<![\d+])(?:[+(]?\d[\d\s\-/().]*?)?" + tail + r"(?!\d)")


@dataclass
class Redactor:
    """What identifies one person, and what to put in its place."""

    token: str  # "anonymous-17": the person's name from now on
    names: list[str] = field(default_factory=list)  # strong: "Max Mustermann", "Mustermann, Max"
    addresses: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)  # "Mustermann", "Max"

    @property
    def token_address(self) -> str:
        return f"{self.token}@{ANONYMOUS_DOMAIN}"

    @classmethod
    def for_person(
        cls,
        token: str,
        *,
        firstname: str | None,
        lastname: str | None,
        addresses: Iterable[str] = (),
        phones: Iterable[str | None] = (),
        streets: Iterable[str | None] = (),
        keep: Iterable[str] = (),
    ) -> Redactor:
        """*keep*: names that must survive, such as the person's company ("Müller" in "Müller Bau GmbH"
        is not replaced on its own)."""
        first, last = (firstname or "").strip(), (lastname or "").strip()
        names = [f"{first} {last}", f"{last}, {first}", f"{last} {first}"] if first and last else []
        kept = [k for k in keep if k]
        weak = [
            n
            for n in (last, first)
            if len(n) >= 2 and n != token and not any(_word_pattern(n).search(k) for k in kept)
        ]
        return cls(
            token=token,
            names=names,
            addresses=sorted({a.strip().lower() for a in addresses if a and a.strip()}),
            phones=[p for p in phones if p and _phone_pattern(p) is not None],
            streets=[s.strip() for s in streets if s and len(s.strip()) >= 4],
            weak=weak,
        )

    @property
    def empty(self) -> bool:
        return not (self.names or self.addresses or self.phones or self.streets or self.weak)

    def strong_terms(self) -> list[str]:
        """Plain strings to look for in the database (LIKE), the precise identifiers only."""
        return [*self.names, *self.addresses, *self.streets]

    def _rules(self, weak: bool) -> list[tuple[re.Pattern[str], str]]:
        rules: list[tuple[re.Pattern[str], str]] = []
        for address in self.addresses:
            rules.append((_word_pattern(address), self.token_address))
        for name in sorted(self.names, key=len, reverse=True):
            rules.append((_word_pattern(name), self.token))
        for street in self.streets:
            rules.append((_word_pattern(street), ADDRESS_REMOVED))
        for phone in self.phones:
            pattern = _phone_pattern(phone)
            if pattern is not None:
                rules.append((pattern, PHONE_REMOVED))
        if weak:
            for name in sorted(self.weak, key=len, reverse=True):
                rules.append((_word_pattern(name), self.token))
        return rules

    def text(self, value: str, *, weak: bool = False) -> str:
        """*value* with the person replaced (names by the token, addresses by the token address)."""
        if not value:
            return value
        for pattern, replacement in self._rules(weak):
            value = pattern.sub(replacement, value)
        return value

    def header(self, value: str, *, weak: bool = False) -> str:
        """An address list ("Weiss, J" <jw@x.de>, a@b.c): the person's entries become the token with the
        token address, whatever display name they had; the rest is redacted as text."""
        if not value or not self.addresses:
            return self.text(value, weak=weak)
        pairs = getaddresses([value])
        if not any(addr.lower() in self.addresses for _, addr in pairs):
            return self.text(value, weak=weak)
        out = []
        for name, addr in pairs:
            if not addr:
                continue
            mine = addr.lower() in self.addresses
            shown = (self.token if mine else self.text(name, weak=weak)) if name else ""
            try:
                out.append(str(Address(display_name=shown, addr_spec=self.token_address if mine else addr)))
            except (ValueError, IndexError):
                out.append(self.text(addr, weak=weak))
        return ", ".join(out)

    def json(self, value: Any, *, weak: bool = False) -> Any:
        """The same for every string inside a JSON-like value (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value, weak=weak)
        if isinstance(value, list):
            return [self.json(v, weak=weak) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v, weak=weak) for k, v in value.items()}
        return value


def like_terms(terms: Iterable[str]) -> list[str]:
    """Lower-case search strings for *terms*, also as JSON spells them with ``ensure_ascii`` ("M\\u00fcller"),
    so JSON columns cast to text are found too."""
    out: set[str] = set()
    for term in terms:
        lowered = term.lower()
        out.add(lowered)
        out.add(json.dumps(lowered)[1:-1])
    return sorted(out)


def redact_mail(raw: bytes, redactor: Redactor, *, now: datetime) -> bytes | None:
    """A stand-in for a stored mail: the person replaced in the kept headers, the body and every attachment
    removed. None when *raw* was redacted before (the marker header), so a second run changes nothing."""
    source = message_from_bytes(raw, policy=policy.default)
    if source.get(REDACTED_HEADER) is not None:
        return None
    out = EmailMessage()
    for name in _KEPT_HEADERS:
        rewrite = redactor.header if name in ADDRESS_HEADERS else redactor.text
        try:
            values = [rewrite(str(v), weak=True) for v in source.get_all(name) or []]
            for value in values:
                out[name] = value
        except (ValueError, TypeError, IndexError, AttributeError):
            continue  # a header too broken to parse is left out
    out[REDACTED_HEADER] = now.isoformat()
    out.set_content(f"[The content of this message was removed on {now:%Y-%m-%d} (GDPR anonymisation).]\n")
    return bytes(out)
