"""Dolibarr import field codes (``import_fields_array`` of modSociete) and the fields they fill here.

Dolibarr names a column by ``alias.field``: ``s.nom`` is ``llx_societe.nom``; its import templates write it
after a translated label, ``Third-party name* (s.nom)`` (``*`` marks a mandatory field). Extra fields are
``extra.<name>`` and land in ``custom_fields``. Codes of fields we do not model (accounting codes, staff
range, bar code ...) map to nothing and are reported as ignored columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

HeaderStyle = Literal["dolibarr-template", "dolibarr-codes", "plain"]

_TEMPLATE_HEADER = re.compile(r"\(\s*([A-Za-z_]+\.[A-Za-z0-9_]+)\s*\)\s*$")
_CODE_HEADER = re.compile(r"^[A-Za-z_]+\.[A-Za-z0-9_]+$")
CUSTOM_PREFIX = "custom:"

# llx_societe (dataset company_1). Targets are ThirdParty columns or the import's own fields (see
# bot.crm.import_fields): customer_type, is_supplier, company_type, parent, id.
THIRDPARTY_CODES: dict[str, str] = {
    "s.rowid": "id",
    "s.nom": "name",
    "s.name": "name",
    "s.name_alias": "alias",
    "s.parent": "parent",
    "s.status": "status",
    "s.code_client": "customer_code",
    "s.code_fournisseur": "supplier_code",
    "s.address": "address",
    "s.zip": "zip",
    "s.town": "town",
    "s.fk_departement": "state",
    "s.fk_pays": "country_code",
    "s.phone": "phone",
    "s.phone_mobile": "phone_mobile",
    "s.fax": "fax",
    "s.url": "website",
    "s.email": "email",
    "s.fk_typent": "company_type",
    "s.siren": "prof_id1",
    "s.siret": "prof_id2",
    "s.ape": "prof_id3",
    "s.idprof1": "prof_id1",
    "s.idprof2": "prof_id2",
    "s.idprof3": "prof_id3",
    "s.idprof4": "prof_id4",
    "s.idprof5": "prof_id5",
    "s.idprof6": "prof_id6",
    "s.tva_intra": "vat_number",
    "s.capital": "capital",
    "s.fk_stcomm": "prospect_status",
    "s.note_private": "note_private",
    "s.note_public": "note_public",
    "s.client": "customer_type",
    "s.fournisseur": "is_supplier",
    "s.fk_prospectlevel": "prospect_level",
    "s.mode_reglement": "payment_mode",
    "s.cond_reglement": "payment_terms",
    "s.default_lang": "default_language",
    "s.ref_ext": "external_ref",
}

# llx_socpeople (dataset company_2).
CONTACT_CODES: dict[str, str] = {
    "s.rowid": "id",
    "s.fk_soc": "thirdparty",
    "s.civility": "civility",
    "s.lastname": "lastname",
    "s.firstname": "firstname",
    "s.address": "address",
    "s.zip": "zip",
    "s.town": "town",
    "s.fk_pays": "country_code",
    "s.birthday": "birthday",
    "s.poste": "job_title",
    "s.phone": "phone",
    "s.phone_perso": "phone_private",
    "s.phone_mobile": "phone_mobile",
    "s.fax": "fax",
    "s.email": "email",
    "s.note_private": "note_private",
    "s.note_public": "note_public",
    "s.priv": "is_private",
    "s.statut": "is_active",
    "s.no_email": "no_marketing",
    "s.default_lang": "language",
    "s.ref_ext": "external_ref",
}

# Dolibarr llx_c_typent: the company type that marks an individual (a private person) rather than a company.
INDIVIDUAL_COMPANY_TYPES = frozenset({"8", "te_private"})

# Dolibarr llx_c_stcomm codes for the prospect status (fk_stcomm), besides the ids -1..3.
PROSPECT_STATUS_CODES = {"st_no": -1, "st_never": 0, "st_todo": 1, "st_pend": 2, "st_done": 3}


def dolibarr_code(header: str) -> tuple[str, HeaderStyle] | None:
    """The field code in a Dolibarr header (``Name* (s.nom)`` or ``s.nom``), lower-cased, and the style."""
    text = header.strip()
    template = _TEMPLATE_HEADER.search(text)
    if template:
        return template.group(1).lower(), "dolibarr-template"
    if _CODE_HEADER.match(text):
        return text.lower(), "dolibarr-codes"
    return None


def code_target(code: str, table: Mapping[str, str]) -> str | None:
    """What a Dolibarr code fills here: a field name, ``custom:<name>`` for extra fields, or None."""
    if code.startswith("extra."):
        name = code.removeprefix("extra.")
        return f"{CUSTOM_PREFIX}{name}" if name else None
    return table.get(code)
