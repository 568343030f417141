"""Rights, audit and data protection in chat, in English and German:

* consent: "Max Mustermann opted out of marketing", "Max Mustermann will keine Werbung",
  "max@acme.example agreed to marketing", "Max widerspricht der Datenverarbeitung";
* the never-log list: "never log max@example.com", "nie archivieren example.com", "log example.com again",
  "never log list";
* the audit: "who changed ACME?", "wer hat ACME geändert?", "changes ACME", "Änderungen ACME";
* admin commands in the CLI's words: "grant carla thirdparty.read_all", "revoke carla admin",
  "salesrep assign carla ACME", "group member Sales carla", "rights carla" (German: "gewähre", "entziehe",
  "rechte").

Pure functions of the text, tried before natural phrasing like the other explicit commands.
"""

from __future__ import annotations

import re

from bot.parsers.intents import Intent

_END = r"\s*[?.!]*\s*$"
_QUOTES = " \"'“”„"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern + _END, re.IGNORECASE)


# -- consent ------------------------------------------------------------------------------------------------

_MARKETING = r"(?:marketing|advertising|newsletters?|mailings?|promotions?|werbung|werbemails?)"
_PROCESSING = r"(?:(?:data\s+)?processing|(?:daten)?verarbeitung|datenverarbeitung)"

# (purpose, status, pattern with the person first)
_CONSENT: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "marketing",
        "withdrawn",
        _rx(
            rf"(?P<target>.+?)\s+(?:has\s+)?(?:opted[\s-]+out\s+(?:of|from)|unsubscribed\s+from"
            rf"|does\s+not\s+want|doesn(?:'|’)?t\s+want|wants\s+no|withdr[ae]w\s+(?:consent\s+(?:to|for)\s+)?"
            rf"|objects\s+to|said\s+no\s+to)\s+(?:any\s+|our\s+)?{_MARKETING}"
        ),
    ),
    (
        "marketing",
        "withdrawn",
        _rx(
            rf"(?P<target>.+?)\s+(?:will|möchte|moechte|wünscht|wuenscht)\s+(?:keine|keinen)\s+(?:\w+\s+)?"
            rf"{_MARKETING}(?:\s+(?:mehr|erhalten|bekommen))*"
        ),
    ),
    (
        "marketing",
        "withdrawn",
        _rx(rf"(?P<target>.+?)\s+(?:hat\s+)?(?:der\s+|die\s+)?{_MARKETING}\s+(?:abbestellt|widersprochen)"),
    ),
    (
        "marketing",
        "granted",
        _rx(
            rf"(?P<target>.+?)\s+(?:has\s+)?(?:opted[\s-]+in\s+(?:to|for)|agreed\s+to|consented\s+to"
            rf"|subscribed\s+to|wants)\s+(?:our\s+)?{_MARKETING}"
        ),
    ),
    (
        "marketing",
        "granted",
        _rx(
            rf"(?P<target>.+?)\s+(?:ist\s+mit\s+(?:der\s+)?{_MARKETING}\s+einverstanden"
            rf"|(?:will|möchte|moechte)\s+(?:die\s+|den\s+)?{_MARKETING}(?:\s+(?:erhalten|bekommen))?"
            rf"|(?:hat\s+)?(?:in\s+die\s+|der\s+|den\s+)?{_MARKETING}\s+(?:eingewilligt|zugestimmt))"
        ),
    ),
    (
        "processing",
        "withdrawn",
        _rx(
            rf"(?P<target>.+?)\s+(?:objects\s+to|withdr[ae]w\s+consent\s+(?:to|for)|opted[\s-]+out\s+of)\s+"
            rf"{_PROCESSING}"
        ),
    ),
    (
        "processing",
        "withdrawn",
        _rx(rf"(?P<target>.+?)\s+(?:widerspricht|hat\s+widersprochen)\s+(?:der\s+)?{_PROCESSING}"),
    ),
    (
        "processing",
        "granted",
        _rx(rf"(?P<target>.+?)\s+(?:agreed\s+to|consented\s+to)\s+{_PROCESSING}"),
    ),
    (
        "processing",
        "granted",
        _rx(
            rf"(?P<target>.+?)\s+(?:hat\s+)?(?:in\s+die\s+|der\s+)?{_PROCESSING}\s+(?:eingewilligt|zugestimmt)"
        ),
    ),
)

# -- never-log ----------------------------------------------------------------------------------------------

_PATTERN = r"(?P<target>@?[\w.+-]+@[\w.-]+\.\w+|@?[\w-]+(?:\.[\w-]+)+)"
_NEVER_LOG: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("list", _rx(r"/?(?:never[\s-]?log|nie\s+archivieren)\s+(?:list|liste)|/?never[\s-]?log")),
    ("remove", _rx(rf"/?(?:log|archive)\s+(?:mails?\s+(?:from|with)\s+)?{_PATTERN}\s+again")),
    ("remove", _rx(rf"{_PATTERN}\s+wieder\s+(?:archivieren|ablegen|protokollieren)")),
    (
        "add",
        _rx(
            rf"/?(?:never[\s-]?log(?:\s+add)?|never\s+(?:archive|file)|don(?:'|’)?t\s+(?:log|archive|file)"
            rf"|do\s+not\s+(?:log|archive|file)|nie(?:mals)?\s+(?:archivieren|ablegen|protokollieren)"
            rf"|nicht\s+(?:archivieren|ablegen|protokollieren))\s+(?:mails?\s+(?:from|with|von|mit)\s+)?"
            rf"(?:anyone\s+at\s+|alle\s+von\s+)?{_PATTERN}"
        ),
    ),
    (
        "add",
        _rx(rf"{_PATTERN}\s+(?:nie(?:mals)?|nicht)\s+(?:archivieren|ablegen|protokollieren)"),
    ),
    ("add", _rx(r"/?never[\s-]?log(?:\s+add)?\s+(?P<target>\S+)")),  # anything else: a clear error
)
# "never log remove X": the remove words come first, the pattern after them.
_NEVER_LOG_REMOVE_FIRST = _rx(rf"/?never[\s-]?log\s+remove\s+{_PATTERN}")

# -- audit --------------------------------------------------------------------------------------------------

_CHANGES: tuple[re.Pattern[str], ...] = (
    _rx(
        r"/?(?:who\s+(?:has\s+)?(?:changed|edited|modified|updated)(?:\s+(?:something|anything)\s+(?:at|on|in))?"
        r"|/changes|audit(?:\s+(?:log|trail))?(?:\s+(?:of|for))?|change\s?log(?:\s+(?:of|for))?"
        r"|änderungsprotokoll(?:\s+(?:von|für))?|wer\s+hat\s+(?:was\s+|etwas\s+)?(?:an|bei))"
        r"\s+(?P<target>.+?)(?:\s+(?:was|etwas))?(?:\s+(?:geändert|geaendert|bearbeitet|verändert))?"
    ),
    _rx(r"wer\s+hat\s+(?P<target>.+?)\s+(?:geändert|geaendert|bearbeitet|verändert)"),
)

# -- admin --------------------------------------------------------------------------------------------------

_LOGIN = r"(?P<login>[\w.@+-]+)"
_RIGHT = r"(?P<right>[a-z_]+(?:\.[a-z_]+)?)"
_ADMIN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("grant", _rx(rf"/?(?:grant|gewähre|gewaehre)\s+{_LOGIN}\s+{_RIGHT}")),
    ("revoke", _rx(rf"/?(?:revoke|entziehe)\s+{_LOGIN}\s+{_RIGHT}")),
    ("salesrep", _rx(rf"/?(?:salesrep\s+assign|vertriebler\s+zuweisen)\s+{_LOGIN}\s+(?P<target>.+?)")),
    ("salesrep", _rx(rf"/?assign\s+{_LOGIN}\s+(?:as\s+sales\s*rep\s+)?(?:to|for)\s+(?P<target>.+?)")),
    (
        "group_member",
        _rx(rf"/?(?:group\s+member|gruppe\s+mitglied)\s+(?P<group>\S+)\s+{_LOGIN}(?P<remove>\s+--remove)?"),
    ),
    ("group_grant", _rx(rf"/?group\s+grant\s+(?P<group>\S+)\s+{_RIGHT}")),
    ("group_revoke", _rx(rf"/?group\s+revoke\s+(?P<group>\S+)\s+{_RIGHT}")),
    ("rights", _rx(rf"/?(?:rights|rechte)(?:\s+(?:of|for|von))?\s+{_LOGIN}")),
)


def parse_governance(text: str) -> Intent | None:
    """The consent, never-log, audit or admin intent of *text*, or None."""
    stripped = " ".join(text.split())
    for command, pattern in _ADMIN:
        match = pattern.match(stripped)
        if match:
            groups = {k: v for k, v in match.groupdict().items() if v}
            target = groups.pop("target", None)
            resolved: dict[str, object] = {"admin": command, **groups}
            if "remove" in groups:
                resolved["remove"] = True
            return Intent("admin", target=target.strip(_QUOTES) if target else None, resolved=resolved)
    first = _NEVER_LOG_REMOVE_FIRST.match(stripped)
    if first:
        return Intent("never_log", target=first.group("target").lstrip("@"), resolved={"never_log": "remove"})
    for action, pattern in _NEVER_LOG:
        match = pattern.match(stripped)
        if match:
            target = match.groupdict().get("target")
            return Intent(
                "never_log", target=target.lstrip("@") if target else None, resolved={"never_log": action}
            )
    for pattern in _CHANGES:
        match = pattern.match(stripped)
        if match:
            return Intent("changes", target=match.group("target").strip(_QUOTES))
    for purpose, status, pattern in _CONSENT:
        match = pattern.match(stripped)
        # A name or an address, not a log that mentions advertising ("Anruf mit Max: will keine Werbung").
        if match and len(match.group("target").split()) <= 5 and not set(match.group("target")) & set(":;,"):
            return Intent(
                "consent",
                target=match.group("target").strip(_QUOTES),
                resolved={"consent": {"purpose": purpose, "status": status}},
            )
    return None
