"""Cell text -> field values for imports: yes/no words, numbers, dates, emails, countries, Dolibarr codes.

Every converter takes the trimmed, non-empty text of a cell and returns the value, or raises
:class:`CellError` whose message is the row's error reason ("unknown country 'Narnia'").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String

from bot.crm.countries import country_code
from bot.crm.dolibarr_fields import INDIVIDUAL_COMPANY_TYPES, PROSPECT_STATUS_CODES
from bot.crm.models import ProspectLevel, UTCDateTime
from bot.crm.models.contact import CIVILITIES
from bot.normalize import fold, normalize_email

Converter = Callable[[str], Any]
TAG_LABEL_MAX = 180  # Tag.label


class CellError(ValueError):
    """A cell cannot be used; the message is the reason reported for its row."""


TRUE_WORDS = frozenset({"1", "yes", "y", "true", "x", "ja", "j", "wahr", "on", "oui"})
FALSE_WORDS = frozenset({"0", "no", "n", "false", "nein", "falsch", "off", "non", "-"})


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"not a yes/no value: {text!r}")


def parse_int(text: str, what: str = "number", low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        span = f" ({low}-{high})" if low is not None and high is not None else ""
        raise CellError(f"bad number for {what}: {text!r}{span}")
    return value


_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` (Dolibarr's format, a time part is dropped) or ``DD.MM.YYYY``."""
    value = text.strip()
    try:
        german = _GERMAN_DATE.match(value)
        if german:
            return date(int(german.group(3)), int(german.group(2)), int(german.group(1)))
        return date.fromisoformat(value[:10])
    except ValueError:
        raise CellError(f"bad date {text!r} (use YYYY-MM-DD)") from None


def parse_datetime(text: str) -> datetime:
    """ISO 8601; a value without offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CellError(f"bad date and time {text!r} (use ISO 8601)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_email(text: str) -> str:
    value = text.strip()
    normalized = normalize_email(value)
    if normalized is None:
        raise CellError(f"invalid email {text!r}")
    return value if value.lower() == normalized else normalized  # unwrap "<...>" and "mailto:"


def split_list(text: str) -> list[str]:
    """``a; b, c`` -> ``["a", "b", "c"]``, without blanks and repeats."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[;,]", text) if part.strip()))


def parse_tags(text: str) -> list[str]:
    tags = split_list(text)
    long = [tag for tag in tags if len(tag) > TAG_LABEL_MAX]
    if long:
        raise CellError(f"tag {long[0][:40]!r}... is too long (at most {TAG_LABEL_MAX} characters)")
    return tags


def parse_emails(text: str) -> list[str]:
    return [parse_email(one) for one in split_list(text)]


def parse_domains(text: str) -> list[str]:
    domains = [d.lower().lstrip("@") for d in split_list(text.replace(" ", ";"))]
    bad = [d for d in domains if "." not in d or "@" in d]
    if bad:
        raise CellError(f"invalid email domain {bad[0]!r}")
    return domains


def parse_country(text: str) -> str:
    code = country_code(text)
    if code is None:
        raise CellError(f"unknown country {text!r}")
    return code


def parse_customer_type(text: str) -> int:
    return parse_int(text, "customer type", 0, 3)


def parse_prospect_status(text: str) -> int:
    code = PROSPECT_STATUS_CODES.get(text.strip().lower())
    return code if code is not None else parse_int(text, "prospect status", -1, 3)


def parse_prospect_level(text: str) -> str:
    word = text.strip().upper()
    word = word if word.startswith("PL_") else f"PL_{word}"
    if word not in {level.value for level in ProspectLevel}:
        raise CellError(f"unknown prospect level {text!r} (PL_NONE, PL_LOW, PL_MEDIUM, PL_HIGH)")
    return word


_STATUS_WORDS = {"active": 1, "open": 1, "aktiv": 1, "offen": 1, "closed": 0, "inactive": 0, "geschlossen": 0}


def parse_status(text: str) -> int:
    word = text.strip().lower()
    return _STATUS_WORDS[word] if word in _STATUS_WORDS else parse_int(text, "status", 0, 1)


def parse_company_type(text: str) -> bool:
    """Dolibarr ``fk_typent``: TE_PRIVATE (id 8) is an individual; any other type is a company."""
    return text.strip().lower() in INDIVIDUAL_COMPANY_TYPES


_CIVILITY_WORDS = {
    "mr": "MR", "mister": "MR", "herr": "MR", "hr": "MR", "monsieur": "MR", "m": "MR",
    "mrs": "MRS", "ms": "MME", "frau": "MME", "fr": "MME", "madame": "MME", "miss": "MLE", "mlle": "MLE",
    "doctor": "DR", "doktor": "DR", "professor": "PROF", "maitre": "MTRE",
}  # fmt: skip


def parse_civility(text: str) -> str:
    word = fold(text).replace(" ", "")
    if word.upper() in CIVILITIES:
        return word.upper()
    if word in _CIVILITY_WORDS:
        return _CIVILITY_WORDS[word]
    raise CellError(f"unknown civility {text!r}")


def parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise CellError(f"not a JSON object: {text[:40]!r}")
    return value


def parse_id(text: str) -> int:
    return parse_int(text, "id", 1, None)


def text_of(limit: int | None, name: str) -> Converter:
    def convert(text: str) -> str:
        if limit is not None and len(text) > limit:
            raise CellError(f"{name} is too long ({len(text)} characters, at most {limit})")
        return text

    return convert


def column_converter(model: type[Any], name: str) -> Converter:
    """The converter a model column's type implies (booleans, numbers, dates, sized text, JSON)."""
    column_type = model.__table__.columns[name].type
    if isinstance(column_type, UTCDateTime):
        return parse_datetime
    if isinstance(column_type, Boolean):
        return parse_bool
    if isinstance(column_type, Integer):
        return lambda text: parse_int(text, name)
    if isinstance(column_type, Date):
        return parse_date
    if isinstance(column_type, JSON):
        return parse_json_object
    if isinstance(column_type, String):
        return text_of(column_type.length, name)
    return text_of(None, name)
