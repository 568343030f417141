"""Forwarded mail: the original sender, recipients, date and subject from the quoted header block.

Formats: Gmail ("---------- Forwarded message ---------" / "---------- Weitergeleitete Nachricht ---------"),
Thunderbird ("-------- Forwarded Message --------" / "-------- Weitergeleitete Nachricht --------"), Apple
Mail ("Begin forwarded message:" / "Anfang der weitergeleiteten Nachricht:"), and Outlook's bare header block
("From:/Sent:/To:/Cc:/Subject:", "Von:/Gesendet:/An:/Cc:/Betreff:", after "-----Original Message-----" or a
rule of underscores). Outlook writes the same block for replies, so it counts as a forward only when the
subject says so (Fwd:, FW:, WG:, …). The first quote header of any kind decides: a reply that quotes a forward
is a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, tzinfo

from bot.parsers.email import headers, loose_date, reply
from bot.parsers.email.model import Address, Forwarded

# Fwd:, Fw:, WG: (Weitergeleitet), TR: (transféré), RV: (reenviado), VS: (välitetty), Doorst:, I: (inoltrato)
_FORWARD_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:(?:re|aw|sv|antw)\s*:\s*)*(?:fwd?|wg|tr|rv|vs|doorst|enc|i)\s*:", re.IGNORECASE
)
_EXPLICIT_MARKER = re.compile(
    r"^[\s>]*(?:-{3,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Forwarded Message)\s*-{3,}"
    r"|(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht)\s*:)\s*$",
    re.IGNORECASE,
)
_FIELD = re.compile(
    r"^[\s>]*\*?(?P<label>From|Von|Sent|Gesendet|Date|Datum|To|An|Cc|Kopie|Bcc|Subject|Betreff|Reply-To|"
    r"Antwort an|Importance|Wichtigkeit|Priority|Priorität|Attachments|Anlagen)\*?"
    r"\s*:[ \t]*\*?[ \t]*(?P<value>.*)$",
    re.IGNORECASE,
)
_LABELS = {
    "from": "from",
    "von": "from",
    "sent": "date",
    "gesendet": "date",
    "date": "date",
    "datum": "date",
    "to": "to",
    "an": "to",
    "cc": "cc",
    "kopie": "cc",
    "subject": "subject",
    "betreff": "subject",
}
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)
_ANGLED = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+?)\s*>")
_BARE = re.compile(r"[^\s<>()\[\]\"',;:*]+@[^\s<>()\[\]\"',;:*]+\.[^\s<>()\[\]\"',;:*]+")


@dataclass(frozen=True, slots=True)
class Split:
    """A forward cut in two: the forwarder's note above the block and the original message below it."""

    forwarded: Forwarded
    note: str
    body: str


def is_forward_subject(subject: str) -> bool:
    return bool(_FORWARD_SUBJECT.match(subject))


def find(text: str, subject: str, default_tz: tzinfo = UTC) -> Split | None:
    """The forwarded message quoted in *text*, or None when the first quote header is not a forward."""
    lines = text.split("\n")
    index = reply.first_quote_header(text, lines)
    if index is None:
        return None
    line = lines[index]
    explicit = bool(_EXPLICIT_MARKER.match(line))
    if explicit:
        start = index + 1
    elif _FIELD.match(line):  # an Outlook block without a separator line
        start = index
    elif line.lstrip(" \t>*")[:1] in "-_":  # -----Original Message----- or a rule of underscores
        start = index + 1
    else:  # "On … wrote:": a reply
        return None
    if not explicit and not is_forward_subject(subject):
        return None
    fields, end = _block(lines, start)
    note = "\n".join(lines[:index])
    if "from" not in fields and "subject" not in fields:
        if explicit:  # a marker with no readable block: still a forward
            return Split(Forwarded(sender=None), note, "\n".join(lines[start:]))
        return None
    return Split(_forwarded(fields, default_tz), note, "\n".join(lines[end:]))


def _block(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """The header fields from *start* (blank lines before the block skipped) and the index after the block."""
    fields: dict[str, str] = {}
    index, count = start, len(lines)
    while index < count and not lines[index].strip() and index < start + 3:
        index += 1
    last: str | None = None
    while index < count:
        line = lines[index]
        if not line.strip():
            following = index + 1
            if fields and following < count and _new_field(lines[following], fields):
                index += 1
                continue
            break
        match = _FIELD.match(line)
        if match:
            key = _LABELS.get(match["label"].lower(), "other")
            if key in fields and key != "other":
                break
            fields[key] = match["value"].strip()
            last = key
        elif last is not None and _continues(last, fields[last], line):
            fields[last] = f"{fields[last]} {line.strip()}"
        else:
            break
        index += 1
    fields.pop("other", None)
    return fields, index


def _continues(key: str, value: str, line: str) -> bool:
    """Is *line* the continuation of a wrapped To, Cc or Subject value?"""
    if key not in ("to", "cc", "subject"):
        return False
    if line[:1] in " \t" or value.endswith((",", ";")):
        return True
    return key != "subject" and "@" in line and ":" not in line


def _new_field(line: str, fields: dict[str, str]) -> bool:
    match = _FIELD.match(line)
    return bool(match) and _LABELS.get(match["label"].lower() if match else "", "other") not in fields


def _forwarded(fields: dict[str, str], default_tz: tzinfo) -> Forwarded:
    senders = parse_addresses(fields.get("from", ""))
    date = loose_date.parse(_unstar(fields["date"]), default_tz) if "date" in fields else None
    subject = headers.decode_words(fields["subject"]).strip() if "subject" in fields else None
    return Forwarded(
        sender=senders[0] if senders else None,
        to=parse_addresses(fields.get("to", "")),
        cc=parse_addresses(fields.get("cc", "")),
        date=date,
        subject=subject,
    )


def _unstar(value: str) -> str:
    return value.replace("*", "").strip()


def parse_addresses(value: str) -> tuple[Address, ...]:
    """Addresses as clients print them: "Name <a@b>", "Name [mailto:a@b]", "a@b", "Last, First <a@b>; …"."""
    value = _MAILTO.sub(r"<\1>", _unstar(headers.decode_words(value)))
    found: list[Address] = []
    seen: set[str] = set()

    def add(addr: str, name: str | None) -> None:
        address = headers.make_address(addr, name)
        if address is not None and address.email not in seen:
            seen.add(address.email)
            found.append(address)

    if "<" in value:
        pos = 0
        for match in _ANGLED.finditer(value):
            name = value[pos : match.start()].strip().strip(",;").strip()
            for bare in _BARE.findall(name):  # "a@b, Name <c@d>": bare addresses before the name
                add(bare, None)
                name = name.replace(bare, "").strip().strip(",;").strip()
            add(match[1], name or None)
            pos = match.end()
        for bare in _BARE.findall(value[pos:]):
            add(bare, None)
    else:
        for bare in _BARE.findall(value):
            add(bare, None)
    return tuple(found)
