"""text/calendar parts (iTIP: REQUEST, CANCEL, REPLY, PUBLISH …) as CalendarInvite, read with icalendar.

icalendar is thorough and slow (some 40 µs a content line), so it gets only what an invite needs: METHOD, the
events' own properties without the parameters nobody reads, and a VTIMEZONE only for a zone id that is neither
an IANA name nor one of Outlook's Windows names ("W. Europe Standard Time", which icalendar maps to
Europe/Berlin). Times become aware UTC datetimes; floating times are read as UTC (with a defect). All-day
events (VALUE=DATE) start and end at 00:00 UTC of their dates, the end exclusive as in RFC 5545. A calendar
that cannot be read is a defect, never an exception."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.parsers.email import charset, headers
from bot.parsers.email.model import Address, CalendarInvite


def parse(
    data: bytes, label: str | None, method_param: str | None, defects: list[str]
) -> list[CalendarInvite]:
    """The events of one calendar part. *method_param* is the Content-Type's ``method=``, used when the
    calendar itself has no METHOD."""
    text, problems = charset.decode(data, label or "utf-8")
    defects.extend(problems)
    if "BEGIN:VEVENT" not in text.upper():
        defects.append("calendar: no event")
        return []
    try:
        invites = _events(text, method_param, defects)
    except Exception as exc:  # a third-party parser on hostile input: a defect, never a crash
        defects.append(f"calendar: unreadable ({type(exc).__name__})")
        return []
    if not invites:
        defects.append("calendar: unreadable")
    return invites


def _events(text: str, method_param: str | None, defects: list[str]) -> list[CalendarInvite]:
    import icalendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. icalendar's guesses for vendor-prefixed TZIDs
        calendars = icalendar.Calendar.from_ical(reduced(text), multiple=True)
    invites: list[CalendarInvite] = []
    for cal in calendars:
        method = str(cal.get("METHOD") or method_param or "PUBLISH").strip().upper()
        events = list(cal.walk("VEVENT"))
        masters = {str(ev.get("UID", "")) for ev in events if ev.get("RECURRENCE-ID") is None}
        for event in events:
            uid = str(event.get("UID", "")).strip()
            if event.get("RECURRENCE-ID") is not None and uid in masters:
                continue  # an exception to a recurring series whose master is here too
            invites.append(_invite(event, method, uid, defects))
    return invites


_FOLD = re.compile(r"\r?\n[ \t]")
_TZID = re.compile(r';TZID="?([^";:]+)"?', re.IGNORECASE)
_EVENT_PROPERTIES = frozenset(
    {
        "UID",
        "SEQUENCE",
        "SUMMARY",
        "DTSTART",
        "DTEND",
        "DURATION",
        "LOCATION",
        "DESCRIPTION",
        "ORGANIZER",
        "ATTENDEE",
        "STATUS",
        "RECURRENCE-ID",
    }
)
_PARAM_VALUE = r'(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*'
_CONTENT_LINE = re.compile(rf"^([^;:]+)((?:;[^=;:]+={_PARAM_VALUE})*):(.*)$", re.DOTALL)
_PARAM = re.compile(rf";([^=;:]+)=({_PARAM_VALUE})")
_PARAMS = frozenset({"CN", "TZID", "VALUE", "EMAIL"})
_KEPT = frozenset({"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"})


def reduced(text: str) -> str:
    """*text* with only what an invite needs: METHOD, the events' own properties, and a VTIMEZONE only where
    its TZID is neither an IANA nor a Windows zone name. icalendar reads every line at some 40 µs; Outlook
    sends fifty, most of them alarms and X- properties."""
    lines = _FOLD.sub("", text).splitlines()
    kept: list[str] = []
    zones: dict[str, list[str]] = {}
    stack: list[str] = []
    zone: list[str] | None = None
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        if name in ("BEGIN", "END"):
            component = line.partition(":")[2].strip().upper()
            if name == "BEGIN":
                stack.append(component)
            elif stack:
                stack.pop()
            if not all(c in _KEPT for c in (*stack, component)):
                continue
            if component == "VTIMEZONE" and name == "BEGIN":
                zone = []
            if zone is not None:
                zone.append(line)
                if component == "VTIMEZONE" and name == "END":
                    tzid = next(
                        (z.partition(":")[2].strip() for z in zone if z.upper().startswith("TZID")), ""
                    )
                    zones[tzid] = zone
                    zone = None
                continue
            kept.append(line)
        elif not stack or not all(c in _KEPT for c in stack):
            continue
        elif zone is not None:
            zone.append(line)
        elif stack[-1] == "VEVENT" and name in _EVENT_PROPERTIES:
            kept.append(_lean(line))
        elif stack[-1] == "VCALENDAR" and name == "METHOD":
            kept.append(line)
    needed = {tzid.strip() for line in kept for tzid in _TZID.findall(line)}
    extra = [line for tzid in needed if not _known_zone(tzid) for line in zones.get(tzid, ())]
    if extra and kept and kept[0].upper().startswith("BEGIN:VCALENDAR"):
        kept[1:1] = extra
    return "\r\n".join(kept) + "\r\n"


def _lean(line: str) -> str:
    """A property line without the parameters an invite does not read (ROLE, PARTSTAT, RSVP, LANGUAGE …)."""
    match = _CONTENT_LINE.match(line)
    if match is None or not match.group(2):
        return line
    params = "".join(p.group(0) for p in _PARAM.finditer(match.group(2)) if p.group(1).upper() in _PARAMS)
    return f"{match.group(1)}{params}:{match.group(3)}"


@lru_cache(maxsize=128)
def _known_zone(tzid: str) -> bool:
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    if tzid in WINDOWS_TO_OLSON:
        return True
    try:
        ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _invite(event: Any, method: str, uid: str, defects: list[str]) -> CalendarInvite:
    start, all_day = _when(event, "DTSTART", defects)
    end, _ = _when(event, "DTEND", defects)
    if end is None and start is not None:
        end = _end_from_duration(event, start, all_day, defects)
    status = _text(event, "STATUS")
    return CalendarInvite(
        method=method,
        uid=uid,
        sequence=_sequence(event),
        summary=_text(event, "SUMMARY") or "",
        start=start,
        end=end,
        all_day=all_day,
        location=_text(event, "LOCATION"),
        description=_text(event, "DESCRIPTION"),
        organizer=_address(event.get("ORGANIZER")),
        attendees=_attendees(event.get("ATTENDEE")),
        status=status.upper() if status else None,
    )


def _when(event: Any, name: str, defects: list[str]) -> tuple[datetime | None, bool]:
    if event.get(name) is None:
        return None, False
    try:
        value = event.decoded(name)
    except Exception as exc:  # icalendar raises many types for bad values
        defects.append(f"calendar: bad {name} ({type(exc).__name__})")
        return None, False
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            defects.append(f"calendar: floating {name} read as UTC")
            return value.replace(tzinfo=UTC), False
        return value.astimezone(UTC), False
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC), True
    defects.append(f"calendar: bad {name}")
    return None, False


def _end_from_duration(event: Any, start: datetime, all_day: bool, defects: list[str]) -> datetime | None:
    if event.get("DURATION") is None:
        return start + timedelta(days=1) if all_day else None
    try:
        duration = event.decoded("DURATION")
    except Exception:  # as above
        defects.append("calendar: bad DURATION")
        return None
    return start + duration if isinstance(duration, timedelta) else None


def _text(event: Any, name: str) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else ""
    text = str(value).strip()
    return text or None


def _sequence(event: Any) -> int:
    value = event.get("SEQUENCE")
    try:
        return int(str(value).strip()) if value is not None else 0
    except ValueError:
        return 0


def _address(value: Any) -> Address | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    params = getattr(value, "params", {}) or {}
    name = params.get("CN")
    addr = str(value).strip()
    if ":" in addr and not addr.lower().startswith("mailto:") and "@" not in addr.split(":", 1)[0]:
        addr = addr.split(":", 1)[1]
    if "@" not in addr and params.get("EMAIL"):
        addr = str(params.get("EMAIL"))
    return headers.make_address(addr, str(name).strip() if name else None)


def _attendees(value: Any) -> tuple[Address, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found: list[Address] = []
    seen: set[str] = set()
    for item in items:
        address = _address(item)
        if address is not None and address.email not in seen:
            seen.add(address.email)
            found.append(address)
    return tuple(found)
