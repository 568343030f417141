"""Columns of an import file -> fields, and cell text -> field values, for third parties and contacts.

A header is matched in three ways, per column: a Dolibarr template header (``Name* (s.nom)``), a bare Dolibarr
code (``s.nom``), or a plain name (``name``, ``country``, any editable model field), case-insensitive and
trimmed. Cells are converted by field: booleans accept yes/no/1/0/true/false/x/ja/nein, countries go through
:mod:`bot.crm.countries`, other model columns by their column type. An empty cell means "no value": it never
clears what a record already holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String

from bot.crm import contacts, thirdparties
from bot.crm.countries import country_code
from bot.crm.csv_file import ImportFileError
from bot.crm.dolibarr_fields import (
    CONTACT_CODES,
    CUSTOM_PREFIX,
    INDIVIDUAL_COMPANY_TYPES,
    PROSPECT_STATUS_CODES,
    THIRDPARTY_CODES,
    HeaderStyle,
    code_target,
    dolibarr_code,
)
from bot.crm.models import Contact, ProspectLevel, ThirdParty, UTCDateTime
from bot.crm.models.contact import CIVILITIES
from bot.normalize import fold, normalize_email

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOM_PREFIX",
    "THIRDPARTY_FIELDS",
    "CellError",
    "ColumnMap",
    "EntityFields",
    "map_columns",
]

Converter = Callable[[str], Any]
TAG_LABEL_MAX = 180  # Tag.label


class CellError(ValueError):
    """A cell cannot be used; the message is the reason reported for its row."""


# -- converters ------------------------------------------------------------------------------------------

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


def _text(limit: int | None, name: str) -> Converter:
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
        return _text(column_type.length, name)
    return _text(None, name)


# -- entities ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityFields:
    """What an import of one entity understands: Dolibarr codes, plain names and their converters."""

    label: str
    model: type[Any]
    editable: frozenset[str]
    codes: Mapping[str, str]
    aliases: Mapping[str, str]
    extra: Mapping[str, Converter]  # the import's own fields (not model columns) and special converters
    name_fields: tuple[str, ...]  # the file needs at least one of these columns
    ignored: frozenset[str] = frozenset({"import_key", "created_at", "updated_at"})
    _converters: dict[str, Converter] = field(default_factory=dict, compare=False, repr=False)

    def target(self, plain: str) -> str | None:
        name = self.aliases.get(plain, plain)
        if name in self.ignored:
            return None
        if name in self.extra or name in self.editable:
            return name
        return None

    def converter(self, target: str) -> Converter:
        if target.startswith(CUSTOM_PREFIX):
            return str
        if target not in self._converters:
            special = self.extra.get(target)
            self._converters[target] = special or column_converter(self.model, target)
        return self._converters[target]


def _aliases(*groups: tuple[str, str]) -> dict[str, str]:
    """``("email", "e_mail mail")`` -> ``{"e_mail": "email", "mail": "email"}``: plain names by target."""
    return {alias: target for target, names in groups for alias in names.split()}


_COMMON_ALIASES = _aliases(
    ("email", "e_mail mail"),
    ("phone", "telephone telefon tel"),
    ("phone_mobile", "mobile mobil handy"),
    ("address", "street strasse straße adresse"),
    ("zip", "postcode postal_code zip_code plz"),
    ("town", "city ort stadt"),
    ("country_code", "country land"),
    ("external_ref", "ref_ext"),
    ("custom_fields", "extrafields"),
)
_COMMON_EXTRA: dict[str, Converter] = {
    "id": parse_id,
    "email": parse_email,
    "country_code": parse_country,
}

THIRDPARTY_FIELDS = EntityFields(
    label="third party",
    model=ThirdParty,
    editable=thirdparties.EDITABLE_FIELDS - {"parent_id"},
    codes=THIRDPARTY_CODES,
    aliases={
        **_COMMON_ALIASES,
        **_aliases(
            ("name", "company company_name firma firmenname"),
            ("alias", "name_alias"),
            ("customer", "kunde"),
            ("prospect", "interessent"),
            ("is_supplier", "supplier lieferant"),
            ("is_individual", "individual"),
            ("website", "url web homepage webseite"),
            ("vat_number", "vat vat_id ust_idnr ustid"),
            ("tags", "categories category kategorien"),
            ("parent", "parent_company muttergesellschaft"),
        ),
    },
    extra={
        **_COMMON_EXTRA,
        "customer": parse_bool,
        "prospect": parse_bool,
        "customer_type": parse_customer_type,
        "prospect_status": parse_prospect_status,
        "prospect_level": parse_prospect_level,
        "status": parse_status,
        "company_type": parse_company_type,
        "email_domains": parse_domains,
        "tags": parse_tags,
        "parent": _text(255, "parent"),
        "parent_id": parse_id,
    },
    name_fields=("name",),
)

CONTACT_FIELDS = EntityFields(
    label="contact",
    model=Contact,
    editable=contacts.EDITABLE_FIELDS - {"thirdparty_id"},
    codes=CONTACT_CODES,
    aliases={
        **_COMMON_ALIASES,
        **_aliases(
            ("firstname", "first_name given_name vorname"),
            ("lastname", "last_name surname family_name nachname"),
            ("thirdparty", "third_party company organization organisation firma"),
            ("job_title", "position role funktion"),
            ("civility", "salutation anrede"),
            ("birthday", "date_of_birth geburtstag"),
            ("is_private", "private"),
            ("is_active", "active"),
            ("phone_private", "phone_perso"),
            ("extra_emails", "emails"),
        ),
    },
    extra={
        **_COMMON_EXTRA,
        "thirdparty": _text(255, "thirdparty"),
        "thirdparty_id": parse_id,
        "civility": parse_civility,
        "extra_emails": parse_emails,
    },
    name_fields=("lastname", "firstname"),
)


# -- columns ---------------------------------------------------------------------------------------------


def plain_key(header: str) -> str:
    """``" E-Mail "`` -> ``e_mail``; ``Job Title`` -> ``job_title``."""
    return re.sub(r"[\s\-./]+", "_", header.strip().lower()).strip("_")


def _clean(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass(frozen=True)
class ColumnMap:
    """Which field each column of a file fills, and how to read a record's cells into field values."""

    fields: EntityFields
    targets: tuple[str | None, ...]
    style: HeaderStyle
    ignored: tuple[str, ...]

    def read(self, cells: list[str]) -> dict[str, Any]:
        """Converted values by field for one record; :class:`CellError` lists every bad cell."""
        extra = [c for c in cells[len(self.targets) :] if c.strip()]
        if extra:
            raise CellError(
                f"the record has {len(cells)} cells but the header only {len(self.targets)} columns"
            )
        values: dict[str, Any] = {}
        problems: list[str] = []
        for target, cell in zip(self.targets, cells, strict=False):
            text = _clean(cell)
            if target is None or not text:
                continue
            try:
                values[target] = self.fields.converter(target)(text)
            except CellError as exc:
                problems.append(str(exc))
        if problems:
            raise CellError("; ".join(problems))
        return values


def map_columns(header: list[str], fields: EntityFields) -> ColumnMap:
    """Match *header* to fields; :class:`ImportFileError` without a name column or when two fill one field."""
    targets: list[str | None] = []
    ignored: list[str] = []
    styles: list[HeaderStyle] = []
    seen: dict[str, str] = {}
    for raw in header:
        text = raw.strip()
        code = dolibarr_code(text)
        if code is not None:
            styles.append(code[1])
            target = code_target(code[0], fields.codes)
        else:
            if text:
                styles.append("plain")
            target = fields.target(plain_key(text)) if text else None
        if target is not None and target in seen:
            raise ImportFileError(f"columns {seen[target]!r} and {text!r} both fill the field {target!r}")
        if target is None and text:
            ignored.append(text)
        if target is not None:
            seen[target] = text
        targets.append(target)
    if not any(name in seen for name in fields.name_fields):
        wanted = " or ".join(
            f"{name} ({next((c for c, t in fields.codes.items() if t == name), name)})"
            for name in fields.name_fields
        )
        raise ImportFileError(f"no {fields.label} name column: the header needs {wanted}")
    style: HeaderStyle = max(("dolibarr-template", "dolibarr-codes", "plain"), key=styles.count)
    return ColumnMap(fields=fields, targets=tuple(targets), style=style, ignored=tuple(ignored))
