"""A request to email the contact a calendar invitation, in English and German.

"meeting with Max tomorrow 2pm, send invite", "… and send an invitation", "invite Max to a meeting on Friday
10am", "Termin mit Max morgen 14 Uhr, Einladung senden", "… mit Einladung". :func:`cut` finds the request
and returns the message without it, so the rest parses as it would without the request; the parser then
sets ``resolved["invite"]`` on a planned meeting or call. Nothing else ever sends an invitation.
"""

from __future__ import annotations

import re

_SEP = r"(?:^|[\s,;]+|\s+[-–—]+\s+)"  # what stands before the request: it goes with it
_AND = r"(?:(?:and|&|\+|und)\s+)?"
_PLEASE = r"(?:(?:please|pls|bitte)\s+)?"
_A = r"(?:(?:an?|the|eine|die)\s+)?"
_NOUN_EN = r"(?:calendar\s+|meeting\s+)?(?:invite|invitation)"
_NOUN_DE = r"(?:kalender|termin)?einladung"
_REQUEST = re.compile(
    _SEP
    + _AND
    + _PLEASE
    + r"(?:"
    # send (him) an invite (please)
    + rf"send\s+(?:(?:him|her|them)\s+)?{_A}{_NOUN_EN}(?:\s+(?:please|pls))?"
    # … with an invitation / incl. invite
    + rf"|(?:with|incl\.?|including|plus)\s+{_A}{_NOUN_EN}"
    # … and invite him
    + r"|invite\s+(?:him|her|them)"
    # Einladung (bitte) senden / schicken / verschicken
    + rf"|{_A}{_NOUN_DE}\s+(?:bitte\s+)?(?:raus|ver)?(?:senden|schicken|versenden)"
    # sende / schick (ihm) (bitte) eine Einladung
    + rf"|(?:ver)?(?:sende|schicke?)\s+(?:(?:ihm|ihr|ihnen)\s+)?(?:bitte\s+)?{_A}{_NOUN_DE}"
    # mit Einladung / inkl. Einladung
    + rf"|(?:mit|inkl\.?|inklusive|samt)\s+{_A}{_NOUN_DE}"
    + r")(?=$|[,;.!?]|\s+[-–—]|\s+(?:and|und|&|to|an|for|für|please|bitte)\b)[.!]*",
    re.IGNORECASE,
)
# "invite Max to a meeting on Friday 10am" -> "meeting with Max on Friday 10am"
_INVITE_TO = re.compile(
    r"^\s*(?:please\s+|pls\s+)?(?:send\s+(?:an?\s+)?(?:invite|invitation)\s+to|invite)\s+(?P<who>.+?)\s+"
    r"(?:to|for)\s+(?:an?\s+|the\s+|our\s+)?(?P<what>(?:video\s+|phone\s+|online\s+)?(?:meeting|call)|"
    r"lunch|coffee|demo|workshop)\b",
    re.IGNORECASE,
)


def cut(text: str) -> tuple[str, bool]:
    """*text* without the invitation request, and whether there was one."""
    lead = _INVITE_TO.match(text)
    if lead:
        return f"{lead.group('what')} with {lead.group('who')}{text[lead.end() :]}", True
    found = _REQUEST.search(text)
    if found is None:
        return text, False
    rest = text[: found.start()] + (" " if found.start() and found.end() < len(text) else "")
    rest += text[found.end() :].lstrip(" ,;")
    return rest.strip(), True
