"""Importing third parties, one batch at a time: find each row's record, create or update it, tag it.

A row's record is found by its external ref (Dolibarr ``ref_ext``), else its customer code, else its
normalised name (the ThirdPartyKey of kind "name"): "ACME" finds "ACME GmbH", but "ACME Inc" does not
update "ACME GmbH" (both carry a legal form and they differ), and a record whose external ref or customer
code differs from the row's is never taken for it. The records a batch may touch are loaded with a few
IN queries up front; rows created earlier in the same batch are found through the same index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session, selectinload

from bot.crm.import_batch import (
    BatchResult,
    ParentLink,
    Row,
    RowError,
    ThirdPartyRefs,
    blank_values,
    merged_custom_fields,
    number_new_rows,
    pick_one,
    service_session,
    write_rows,
)
from bot.crm.import_fields import CUSTOM_PREFIX, CellError
from bot.crm.models import CustomerType, Tag, TagType, ThirdParty, ThirdPartyKey, ThirdPartyTag
from bot.crm.thirdparties import EDITABLE_FIELDS, create_thirdparty, update_thirdparty
from bot.normalize import fold, name_key

# Fields of a row that are not ThirdParty columns; they are handled here.
_OWN_FIELDS = ("id", "customer", "prospect", "tags", "parent", "parent_id", "company_type")


def legal_form(name: str) -> str:
    """The legal-form words at the end of a name ("gmbh co kg"), folded; "" when there are none."""
    folded = fold(name)
    return folded[len(name_key(name)) :].strip()


def _keeps_legal_form(current: str, new: str) -> bool:
    return bool(legal_form(current)) and not legal_form(new) and name_key(current) == name_key(new)


def customer_type(customer: bool | None, prospect: bool | None, current: int) -> int:
    """Dolibarr ``client`` (0 none, 1 customer, 2 prospect, 3 both) from yes/no columns; None keeps a flag."""
    is_customer = customer if customer is not None else current in (CustomerType.CUSTOMER, CustomerType.BOTH)
    is_prospect = prospect if prospect is not None else current in (CustomerType.PROSPECT, CustomerType.BOTH)
    return (CustomerType.CUSTOMER if is_customer else 0) + (CustomerType.PROSPECT if is_prospect else 0)


class ThirdPartyIndex:
    """The third parties one batch may match, by external ref, customer and supplier code and name key."""

    def __init__(self) -> None:
        self.by_ref: dict[str, list[ThirdParty]] = {}
        self.by_code: dict[str, ThirdParty] = {}
        self.by_supplier_code: dict[str, ThirdParty] = {}
        self.by_key: dict[str, list[ThirdParty]] = {}
        self._filed: dict[int, tuple[str | None, str | None, str | None, str]] = {}

    @classmethod
    def load(cls, session: Session, rows: Sequence[Row]) -> ThirdPartyIndex:
        index = cls()
        refs = {r.values["external_ref"] for r in rows if "external_ref" in r.values}
        codes = {r.values["customer_code"] for r in rows if "customer_code" in r.values}
        supplier_codes = {r.values["supplier_code"] for r in rows if "supplier_code" in r.values}
        keys = {name_key(r.values["name"]) for r in rows}
        queries = [
            select(ThirdPartyKey.thirdparty_id.label("id")).where(
                ThirdPartyKey.kind == "name", ThirdPartyKey.key.in_(keys)
            )
        ]
        for column, wanted in (
            (ThirdParty.external_ref, refs),
            (ThirdParty.customer_code, codes),
            (ThirdParty.supplier_code, supplier_codes),
        ):
            if wanted:
                queries.append(select(ThirdParty.id.label("id")).where(column.in_(wanted)))
        ids = set(session.scalars(union(*queries))) if len(queries) > 1 else set(session.scalars(queries[0]))
        if ids:
            for tp in session.scalars(_with_keys(select(ThirdParty).where(ThirdParty.id.in_(ids)))):
                index.add(tp)
        return index

    def add(self, tp: ThirdParty) -> None:
        """File *tp* under its current ref, codes and name key (again, after a rename or a new code)."""
        old = self._filed.pop(id(tp), None)
        if old is not None:
            ref, code, supplier_code, key = old
            if ref is not None:
                self.by_ref[ref].remove(tp)
            if code is not None and self.by_code.get(code) is tp:
                del self.by_code[code]
            if supplier_code is not None and self.by_supplier_code.get(supplier_code) is tp:
                del self.by_supplier_code[supplier_code]
            self.by_key[key].remove(tp)
        key = name_key(tp.name)
        self._filed[id(tp)] = (tp.external_ref, tp.customer_code, tp.supplier_code, key)
        if tp.external_ref is not None:
            self.by_ref.setdefault(tp.external_ref, []).append(tp)
        if tp.customer_code is not None:
            self.by_code[tp.customer_code] = tp
        if tp.supplier_code is not None:
            self.by_supplier_code[tp.supplier_code] = tp
        self.by_key.setdefault(key, []).append(tp)

    def find(self, values: dict[str, Any]) -> ThirdParty | None:
        """The record this row describes, None for a new one; CellError when it cannot be told apart."""
        name: str = values["name"]
        ref, code, hint = values.get("external_ref"), values.get("customer_code"), values.get("id")

        def conflicts(tp: ThirdParty) -> bool:
            return bool(
                (ref and tp.external_ref and tp.external_ref != ref)
                or (code and tp.customer_code and tp.customer_code != code)
            )

        match = pick_one(self.by_ref.get(ref, []), hint, _ident, f"external ref {ref!r}") if ref else None
        if match is None and code and code in self.by_code and not conflicts(self.by_code[code]):
            match = self.by_code[code]
        if match is None:
            named = [tp for tp in self.by_key.get(name_key(name), []) if not conflicts(tp)]
            same = [tp for tp in named if fold(tp.name) == fold(name)]
            form = legal_form(name)
            named = same or [tp for tp in named if not form or legal_form(tp.name) in ("", form)]
            match = pick_one(named, hint, _ident, f"the name {name!r}")
        for column, owners in (("customer_code", self.by_code), ("supplier_code", self.by_supplier_code)):
            owner = owners.get(values.get(column) or "")
            if owner is not None and owner is not match:
                label = column.replace("_", " ")
                raise CellError(f"{label} {values[column]!r} already belongs to third party {owner.name!r}")
        return match


def _with_keys(stmt: Select[ThirdParty]) -> Select[ThirdParty]:
    """Load the name keys and domains with the third parties: the services rewrite both on update."""
    return stmt.options(selectinload(ThirdParty.keys), selectinload(ThirdParty.domains)).order_by(
        ThirdParty.id
    )


def _ident(tp: ThirdParty) -> int | None:
    return tp.id


class TagBook:
    """Customer tags by label (case-insensitive), created on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session
        stmt = select(Tag).where(Tag.type == TagType.CUSTOMER, Tag.parent_id.is_(None))
        self.ids = {tag.label.casefold(): tag.id for tag in session.scalars(stmt)}

    def ensure(self, labels: Iterable[str]) -> None:
        new: dict[str, str] = {}
        for label in labels:
            new.setdefault(label.casefold(), label)
        tags = [Tag(label=label, type=TagType.CUSTOMER) for key, label in new.items() if key not in self.ids]
        if tags:
            self.session.add_all(tags)
            self.session.flush()
            self.ids.update((tag.label.casefold(), tag.id) for tag in tags)

    def link(self, links: list[tuple[ThirdParty, list[str]]]) -> None:
        """Add the tags to the third parties (after a flush: ids are needed); existing links stay."""
        ids = {tp.id for tp, _ in links}
        stmt = select(ThirdPartyTag.thirdparty_id, ThirdPartyTag.tag_id).where(
            ThirdPartyTag.thirdparty_id.in_(ids)
        )
        have = {(tp_id, tag_id) for tp_id, tag_id in self.session.execute(stmt)}
        for tp, labels in links:
            for label in labels:
                pair = (tp.id, self.ids[label.casefold()])
                if pair not in have:
                    have.add(pair)
                    self.session.add(ThirdPartyTag(thirdparty_id=tp.id, tag_id=pair[1]))


class ThirdPartyImporter:
    def __init__(self, import_key: str, file_fields: Iterable[str]) -> None:
        self.import_key = import_key
        fields = set(file_fields)
        if fields & {"customer", "prospect"}:
            fields.add("customer_type")
        if "company_type" in fields:
            fields.add("is_individual")
        if any(name.startswith(CUSTOM_PREFIX) for name in fields):
            fields.add("custom_fields")
        # name and alias are left out: setting them runs the name-key validator again.
        self.blank = blank_values(ThirdParty, (fields & EDITABLE_FIELDS) - {"name", "alias"})

    def check(self, line: int, values: dict[str, Any]) -> Row:
        if not values.get("name"):
            raise CellError("missing mandatory name")
        return Row(line, values)

    def fields(self, row: Row, target: ThirdParty | None) -> dict[str, Any]:
        """The service's keyword arguments for *row*: flags combined, custom fields and domains merged."""
        values = dict(row.values)
        own = {name: values.pop(name) for name in _OWN_FIELDS if name in values}
        if "company_type" in own:
            values.setdefault("is_individual", own["company_type"])
        if "customer" in own or "prospect" in own:
            current = values.get("customer_type", target.customer_type if target else CustomerType.NONE)
            values["customer_type"] = customer_type(own.get("customer"), own.get("prospect"), current)
        if target is not None and _keeps_legal_form(target.name, values["name"]):
            del values["name"]  # "ACME" in the file leaves "ACME GmbH" as it is
        merged_custom_fields(values, target.custom_fields if target else None)
        if "email_domains" in values and target is not None:
            values["email_domains"] = target.email_domains + values["email_domains"]
        values["import_key"] = self.import_key
        return values if target is not None else {**self.blank, **values}

    def apply(self, session: Session, rows: Sequence[Row], *, careful: bool) -> BatchResult:
        result = BatchResult()
        index = ThirdPartyIndex.load(session, rows)
        tags = TagBook(session)
        tags.ensure(label for row in rows for label in row.values.get("tags", ()))
        services = service_session(session, careful=careful)
        links: list[tuple[ThirdParty, list[str]]] = []
        parents: list[tuple[int, ThirdParty, str | None, int | None]] = []
        for row, tp in write_rows(
            session,
            rows,
            result,
            careful=careful,
            find=lambda row: index.find(row.values),
            build=self.fields,
            write=lambda target, fields: self._write(services, target, fields),
        ):
            index.add(tp)
            if row.values.get("tags"):
                links.append((tp, row.values["tags"]))
            if row.values.get("parent") or row.values.get("parent_id"):
                parents.append((row.line, tp, row.values.get("parent"), row.values.get("parent_id")))
        number_new_rows(session)
        session.flush()
        tags.link(links)
        result.parents = [ParentLink(line, tp.id, text, hint) for line, tp, text, hint in parents]
        return result

    @staticmethod
    def _write(session: Session, target: ThirdParty | None, fields: dict[str, Any]) -> ThirdParty:
        if target is None:
            return create_thirdparty(session, **fields)
        return update_thirdparty(session, target, **fields)


def link_parents(session: Session, links: Sequence[ParentLink], refs: ThirdPartyRefs) -> list[RowError]:
    """Set the parents collected during the import; a parent that cannot be found is the row's error."""
    errors: list[RowError] = []
    wanted: list[tuple[ParentLink, int]] = []
    for link in links:
        try:
            parent_id = refs.resolve(session, link.text, link.hint)
        except CellError as exc:
            errors.append(RowError(link.line, f"{exc}; imported without parent"))
            continue
        if parent_id == link.thirdparty_id:
            errors.append(
                RowError(link.line, "a third party cannot be its own parent; imported without parent")
            )
            continue
        wanted.append((link, parent_id))
    children = {
        tp.id: tp
        for tp in session.scalars(
            _with_keys(
                select(ThirdParty).where(ThirdParty.id.in_({link.thirdparty_id for link, _ in wanted}))
            )
        )
    }
    services = service_session(session, careful=False)
    for link, parent_id in wanted:
        update_thirdparty(services, children[link.thirdparty_id], parent_id=parent_id)
    session.flush()
    return errors
