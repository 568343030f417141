"""The MIME tree sorted out: which parts are the body, which are attachments, invites or attached messages.

multipart/alternative: the text/plain alternative is the body (HTML only when there is no plain text), but
every branch is searched for attachments and invites (Apple Mail hides attachments in the HTML branch).
multipart/related: the parts after the root are inline resources. multipart/report: the human-readable part
is the body; delivery-status and the returned message are machinery. multipart/signed: the signature is
dropped. A multipart whose boundary never appears is repaired when a boundary line can be found in it, else
it is read as text.

Each part's MIME headers are read once into a PartInfo (the email package would rescan the headers on every
``get_param``), with the stdlib's RFC 2231 decoding used only for parameters that need it.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser

from bot.parsers.email import headers

MAX_DEPTH = 24
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
_SIGNATURES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-encrypted",
    }
)
_REPORT_MACHINERY = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "text/rfc822-headers",
        "message/rfc822",
        "message/global",
        "message/disposition-notification",
        "message/global-headers",
        "message/global-disposition-notification",
    }
)
_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-id"})
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200})[ \t]*\r?\n(?=[A-Za-z-]+:)", re.MULTILINE)
_COMPAT32 = email.policy.compat32


@dataclass(frozen=True, slots=True)
class PartInfo:
    """A part's MIME headers, read once."""

    mime_type: str
    params: dict[str, str]  # Content-Type parameters, lower-cased names, unquoted values
    disposition: str | None
    filename: str | None
    content_id: str | None

    @property
    def subtype(self) -> str:
        return self.mime_type.partition("/")[2]

    @property
    def charset(self) -> str | None:
        return self.params.get("charset")


@dataclass(slots=True)
class Leaf:
    """A part that may become an attachment or an inline image."""

    part: Message
    info: PartInfo
    in_related: bool


@dataclass(slots=True)
class Walk:
    bodies: list[tuple[Message, PartInfo]] = field(default_factory=list)  # text/plain or text/html, in order
    leaves: list[Leaf] = field(default_factory=list)
    calendars: list[Leaf] = field(default_factory=list)
    messages: list[tuple[Message, Leaf]] = field(default_factory=list)  # attached messages: (inner, part)
    html_parts: list[Message] = field(default_factory=list)  # every HTML part, for cid: references
    parts: list[Message] = field(default_factory=list)  # every part visited, for the parser's defects
    report_type: str | None = None
    defects: list[str] = field(default_factory=list)


def parse_bytes(data: bytes, defects: list[str]) -> Message:
    """The compat32 parse of *data*; a message nested past the interpreter's recursion limit keeps its
    headers and loses its body (with a defect) instead of raising."""
    try:
        return email.message_from_bytes(data, policy=_COMPAT32)
    except RecursionError:
        defects.append("mime: nesting too deep")
        message = BytesHeaderParser(policy=_COMPAT32).parsebytes(data)
        message.set_payload("")
        return message


def serialise(message: Message, defects: list[str]) -> bytes:
    """*message* as bytes again (for an attached message/rfc822), never raising."""
    try:
        return message.as_bytes()
    except RecursionError:
        defects.append("mime: nesting too deep")
    except (ValueError, TypeError, LookupError, UnicodeError, AttributeError) as exc:
        defects.append(f"mime: attached message not re-serialisable ({type(exc).__name__})")
    try:
        return message.as_string().encode("utf-8", "surrogateescape")
    except (RecursionError, ValueError, TypeError, LookupError, UnicodeError, AttributeError):
        return b""


def walk(message: Message) -> Walk:
    result = Walk()
    _visit(message, result, depth=0, body_ok=True, in_related=False, in_report=False)
    return result


def part_info(part: Message) -> PartInfo:
    raw: dict[str, str] = {}
    for name, value in part.raw_items():
        key = name.lower()
        if key in _MIME_HEADERS and key not in raw and isinstance(value, str):
            raw[key] = value
    content_type = headers.raw_text(raw.get("content-type", ""))
    value, _, rest = content_type.partition(";")
    mime_type = value.strip().lower()
    if mime_type.count("/") != 1 or " " in mime_type:
        mime_type = part.get_default_type()
    params = _params(rest)
    disposition_raw = headers.raw_text(raw.get("content-disposition", ""))
    disposition, _, disposition_rest = disposition_raw.partition(";")
    disposition_params = _params(disposition_rest)
    if any("*" in key for key in params) or any("*" in key for key in disposition_params):
        filename = _stdlib_filename(part)  # RFC 2231: filename*=UTF-8''Angebot%20Q1.pdf, continuations
    else:
        filename = disposition_params.get("filename") or params.get("name")
    cid = headers.raw_text(raw["content-id"]).strip().strip("<>").strip() if "content-id" in raw else ""
    return PartInfo(
        mime_type=mime_type,
        params=params,
        disposition=disposition.strip().lower() or None,
        filename=_clean_filename(filename) if filename else None,
        content_id=cid or None,
    )


def _params(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if not text:
        return found
    for match in _PARAM.finditer(";" + text if not text.startswith(";") else text):
        key = match.group(1).lower()
        value = match.group(2).strip()
        if value.startswith('"'):
            value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
            value = value.replace('\\"', '"').replace("\\\\", "\\")
        found.setdefault(key, value)
    return found


def _stdlib_filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except (ValueError, LookupError, TypeError, UnicodeError):
        return None


def _clean_filename(raw: str) -> str | None:
    """A file name for people: RFC 2047 words decoded, no path, no control characters."""
    name = headers.text(raw)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # C:\fakepath\Angebot.pdf
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name or None


def _visit(
    part: Message,
    out: Walk,
    *,
    depth: int,
    body_ok: bool,
    in_related: bool,
    in_report: bool,
    info: PartInfo | None = None,
) -> None:
    if depth > MAX_DEPTH:
        out.defects.append("mime: nesting too deep")
        return
    out.parts.append(part)
    info = info or part_info(part)
    mime_type = info.mime_type
    if mime_type.startswith("multipart/"):
        children = part.get_payload()
        if not isinstance(children, list):
            _broken_multipart(part, info, out, depth=depth, body_ok=body_ok, in_related=in_related)
            return
        messages = [child for child in children if isinstance(child, Message)]
        _visit_multipart(
            info, messages, out, depth=depth, body_ok=body_ok, in_related=in_related, in_report=in_report
        )
        return
    if (in_report and mime_type in _REPORT_MACHINERY) or mime_type in _SIGNATURES:
        return
    leaf = Leaf(part, info, in_related)
    if mime_type in CALENDAR_TYPES:
        out.calendars.append(leaf)
        return
    if mime_type in ("message/rfc822", "message/global"):
        inner = attached_message(part)
        if inner is not None:
            out.messages.append((inner, leaf))
        else:
            out.leaves.append(leaf)
        return
    if mime_type == "text/html":
        out.html_parts.append(part)
    if mime_type in ("text/plain", "text/html") and info.disposition != "attachment" and not info.filename:
        if body_ok:
            out.bodies.append((part, info))
        return  # else: another rendering of the body (the HTML alternative), not an attachment
    out.leaves.append(leaf)


def _visit_multipart(
    info: PartInfo,
    children: list[Message],
    out: Walk,
    *,
    depth: int,
    body_ok: bool,
    in_related: bool,
    in_report: bool,
) -> None:
    subtype = info.subtype
    infos = [part_info(child) for child in children]
    best = _best_alternative(infos) if subtype == "alternative" else -1
    root = _related_root(info, infos) if subtype == "related" else -1
    for index, child in enumerate(children):
        child_body_ok, child_related, child_report = body_ok, in_related, in_report
        if subtype == "alternative":
            child_body_ok = body_ok and index == best
        elif subtype == "related":
            child_body_ok = body_ok and index == root
            child_related = in_related or index != root
        elif subtype == "report":
            if depth == 0 and index == 0:
                out.report_type = info.params.get("report-type", "unknown").lower()
            child_body_ok, child_report = body_ok and index == 0, True
        elif subtype == "signed" and index > 0:
            break
        _visit(
            child,
            out,
            depth=depth + 1,
            body_ok=child_body_ok,
            in_related=child_related,
            in_report=child_report,
            info=infos[index],
        )


def _best_alternative(infos: list[PartInfo]) -> int:
    """text/plain first, then a multipart (it may hold text/plain or HTML with images), then HTML."""
    best, best_score = -1, 0
    for index, info in enumerate(infos):
        if info.disposition == "attachment":
            continue
        mime_type = info.mime_type
        if mime_type == "text/plain":
            score = 3
        elif mime_type.startswith("multipart/"):
            score = 2
        else:
            score = 1 if mime_type == "text/html" else 0
        if score > best_score:
            best, best_score = index, score
    return best


def _related_root(info: PartInfo, infos: list[PartInfo]) -> int:
    wanted = info.params.get("start", "").strip().strip("<>")
    if wanted:
        for index, child in enumerate(infos):
            if child.content_id == wanted:
                return index
    return 0


def _broken_multipart(
    part: Message, info: PartInfo, out: Walk, *, depth: int, body_ok: bool, in_related: bool
) -> None:
    """A multipart the parser could not split: find the boundary the parts really use, or read it as text."""
    data = _raw_payload(part)
    match = _BOUNDARY_LINE.search(data)
    if match and depth < MAX_DEPTH:
        boundary = match.group(1).decode("ascii", "replace")
        head = f'Content-Type: multipart/{info.subtype}; boundary="{boundary}"\n\n'.encode()
        repaired = parse_bytes(head + data, out.defects)
        if repaired.is_multipart():
            out.defects.append("mime: boundary repaired")
            _visit(repaired, out, depth=depth + 1, body_ok=body_ok, in_related=in_related, in_report=False)
            return
    out.defects.append("mime: multipart read as text")
    if body_ok and data.strip():
        plain = Message(policy=_COMPAT32)
        plain.set_payload(data.decode("ascii", "surrogateescape"))
        plain_info = PartInfo(
            "text/plain", {"charset": info.charset} if info.charset else {}, None, None, None
        )
        out.bodies.append((plain, plain_info))


def _raw_payload(part: Message) -> bytes:
    """A leaf's payload as the bytes that were on the wire (no transfer decoding, no charset guessing)."""
    if part.is_multipart():
        return b"".join(serialise(p, []) for p in part.get_payload() if isinstance(p, Message))
    data = part.get_payload(decode=True)  # 7bit/8bit: the bytes as they were; base64 would be nonsense here
    return data if isinstance(data, bytes) else b""


def attached_message(part: Message) -> Message | None:
    """The message inside a message/rfc822 part (also when it was wrongly base64- or QP-encoded)."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding in ("base64", "quoted-printable"):
        data = serialise(inner, []) if isinstance(inner, Message) else _raw_payload(part)
        try:
            decoded = base64.b64decode(data) if encoding == "base64" else binascii.a2b_qp(data)
        except (binascii.Error, ValueError):
            return inner if isinstance(inner, Message) else None
        return parse_bytes(decoded, [])
    if isinstance(inner, Message):
        return inner
    data = _raw_payload(part)
    return parse_bytes(data, []) if data.strip() else None
