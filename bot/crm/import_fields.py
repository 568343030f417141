"""Columns of an import file -> fields, for third parties and contacts.

A header is matched in three ways, per column: a Dolibarr template header (``Name* (s.nom)``), a bare Dolibarr
code (``s.nom``), or a plain name (``name``, ``country``, any editable model field), case-insensitive and
trimmed. Cells are converted by field (:mod:`bot.crm.import_values`). An empty cell means "no value": it
never clears what a record already holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.crm import contacts, thirdparties
from bot.crm.csv_file import ImportFileError
from bot.crm.dolibarr_fields import (
    CONTACT_CODES,
    CUSTOM_PREFIX,
    THIRDPARTY_CODES,
    HeaderStyle,
    code_target,
    dolibarr_code,
)
from bot.crm.import_values import (
    CellError,
    Converter,
    column_converter,
    parse_bool,
    parse_civility,
    parse_company_type,
    parse_country,
    parse_customer_type,
    parse_domains,
    parse_email,
    parse_emails,
    parse_id,
    parse_prospect_level,
    parse_prospect_status,
    parse_status,
    parse_tags,
    text_of,
)
from bot.crm.models import Contact, ThirdParty

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOM_PREFIX",
    "THIRDPARTY_FIELDS",
    "CellError",
    "ColumnMap",
    "EntityFields",
    "map_columns",
]


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
        "parent": text_of(255, "parent"),
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
        "thirdparty": text_of(255, "thirdparty"),
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
