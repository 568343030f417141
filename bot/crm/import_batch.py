"""What the third-party and contact imports share: rows, batch results, the batch session, references.

A batch is written in one of two modes. *Fast*: the services get a view of the session whose ``flush()``
waits for the end of the batch, so a thousand rows cost one flush (the services flush after every call,
which costs about 2.5 ms per row against 1 ms batched). *Careful*: every row in its own savepoint with the
real session, so a row the database refuses is reported and the others are kept. A batch runs fast first
and careful only when the database refused something.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnDefault, Integer, func, inspect, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Mapper, Session

from bot.crm.contacts import ContactError
from bot.crm.import_fields import CUSTOM_PREFIX, CellError
from bot.crm.matching import FuzzyNames, Matcher
from bot.crm.models import ThirdParty
from bot.crm.thirdparties import ThirdPartyError

# What a careful batch reports as the row's error instead of failing the batch.
ROW_FAILURES: tuple[type[Exception], ...] = (IntegrityError, DataError, ThirdPartyError, ContactError)


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class Row:
    """One record of the file, read and converted: field values by name (see bot.crm.import_fields)."""

    line: int
    values: dict[str, Any]
    thirdparty_id: int | None = None  # contacts: the resolved third party


@dataclass
class ParentLink:
    """A third party's parent, resolved after the whole file is in (the parent may come later)."""

    line: int
    thirdparty_id: int
    text: str | None
    hint: int | None


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    parents: list[ParentLink] = field(default_factory=list)


class Importer(Protocol):
    def check(self, line: int, values: dict[str, Any]) -> Row:
        """Row-level checks that need no database (mandatory name); raises CellError."""
        ...

    def apply(self, session: Session, rows: Sequence[Row], *, careful: bool) -> BatchResult:
        """Write one batch; the caller commits."""
        ...


class _DeferredFlushSession:
    """The session as the services see it in a fast batch: everything passes through but ``flush()``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Deferred: the batch flushes once, at its end."""


def service_session(session: Session, *, careful: bool) -> Session:
    return session if careful else cast(Session, _DeferredFlushSession(session))


def blank_values(model: type[Any], names: Iterable[str]) -> dict[str, Any]:
    """The columns *names* of *model* at their defaults (None where there is none), for new rows.

    A new record gets every column its file can fill, empty cells included, so that all new rows of a
    batch insert the same columns and the ORM can send them in one executemany instead of one INSERT per
    run of rows that happen to leave the same cells empty.
    """
    blank: dict[str, Any] = {}
    columns = model.__table__.columns
    for name in names:
        if name not in columns:
            continue
        default = columns[name].default
        if default is None:
            blank[name] = None
        elif isinstance(default, ColumnDefault) and default.is_scalar:
            blank[name] = default.arg
        elif isinstance(default, ColumnDefault) and default.is_callable and name == "custom_fields":
            blank[name] = {}
    return blank


def number_new_rows(session: Session) -> None:
    """On SQLite, give pending rows with an integer autoincrement key their ids before the flush.

    SQLite cannot hand back generated keys of a multi-row INSERT in a guaranteed order, so the ORM inserts
    such rows one statement each (about half the cost of a large import). With the keys already set, it
    sends one executemany per table. The ids are what SQLite would pick (the tables have no AUTOINCREMENT:
    max + 1), and they are safe to take because a unit of work holds SQLite's write lock from its first
    statement (BEGIN IMMEDIATE, see storage.engine). Other databases number rows themselves.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    pending: dict[type[Any], list[Any]] = {}
    for obj in session.new:
        pending.setdefault(type(obj), []).append(obj)
    with session.no_autoflush:
        for cls, objects in pending.items():
            mapper: Mapper[Any] = inspect(cls)
            keys = mapper.primary_key
            if len(keys) != 1 or not isinstance(keys[0].type, Integer) or not keys[0].autoincrement:
                continue
            attribute = mapper.get_property_by_column(keys[0]).key
            unnumbered = [obj for obj in objects if getattr(obj, attribute) is None]
            if not unnumbered:
                continue
            highest = session.scalar(select(func.max(keys[0]))) or 0
            for number, obj in enumerate(unnumbered, start=highest + 1):
                setattr(obj, attribute, number)


@contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while a bulk import allocates ORM objects.

    Every ORM object is a small reference cycle (object <-> instance state), so at the default threshold
    (700 allocations) the collector runs thousands of times per batch of a large import and scans the
    batch's live objects each time; that was about a quarter of the CPU time of a 50k-row import. The
    previous thresholds are restored afterwards; garbage is still collected, just in larger steps.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], threshold), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


Record = TypeVar("Record")


def write_rows(
    session: Session,
    rows: Sequence[Row],
    result: BatchResult,
    *,
    careful: bool,
    find: Callable[[Row], Record | None],
    build: Callable[[Row, Record | None], dict[str, Any]],
    write: Callable[[Record | None, dict[str, Any]], Record],
) -> Iterator[tuple[Row, Record]]:
    """Create or update one record per row, counting into *result*; yields each row with its record.

    A row whose cells are bad is reported and skipped. A row the database refuses is reported when
    *careful* (each row then runs in its own savepoint); in a fast batch it aborts the batch, which the
    caller then redoes carefully, row by row.
    """
    for row in rows:
        try:
            target = find(row)
            fields = build(row, target)
            if careful:
                with session.begin_nested():
                    record = write(target, fields)
            else:
                record = write(target, fields)
        except CellError as exc:
            result.errors.append(RowError(row.line, str(exc)))
            continue
        except ROW_FAILURES as exc:
            if not careful:
                raise
            result.errors.append(RowError(row.line, db_reason(exc)))
            continue
        if target is None:
            result.created += 1
        else:
            result.updated += 1
        yield row, record


def db_reason(exc: Exception) -> str:
    """A row error's reason for an exception the database or a service raised."""
    if isinstance(exc, IntegrityError | DataError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"refused by the database: {detail}"
    return str(exc)


T = TypeVar("T")


def pick_one(
    candidates: Sequence[T], hint: int | None, ident: Callable[[T], int | None], what: str
) -> T | None:
    """The single candidate, or the one whose id is *hint*; several without a decisive hint is an error."""
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    chosen = [c for c in candidates if hint is not None and ident(c) == hint]
    if len(chosen) == 1:
        return chosen[0]
    ids = ", ".join(str(ident(c)) for c in candidates[:5])
    raise CellError(f"{what} fits several existing records (ids {ids}); add an id or external_ref column")


def merged_custom_fields(values: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Fold ``custom:<name>`` cells and a ``custom_fields`` JSON cell into one ``custom_fields`` value."""
    custom = {
        key.removeprefix(CUSTOM_PREFIX): values.pop(key)
        for key in list(values)
        if key.startswith(CUSTOM_PREFIX)
    }
    if not custom and "custom_fields" not in values:
        return
    merged = dict(current or {})
    merged.update(values.get("custom_fields", {}))
    merged.update(custom)
    values["custom_fields"] = merged


class ThirdPartyRefs:
    """A third party named in a cell (a contact's company, a parent): one that is certain, or a CellError.

    Tried in order: the exact name or an alias (Matcher tiers "exact name", "name", "alias"), the customer
    code, then the start of a name ("name prefix"). A word inside a name, a fuzzy match and anything
    ambiguous are refused: an import must not guess. *hint* (a third-party id from the same file) decides
    between equal candidates. Results are cached for the run.
    """

    EXACT = frozenset({"exact name", "name", "alias"})

    def __init__(self, fuzzy: FuzzyNames | None = None) -> None:
        self.fuzzy = fuzzy or FuzzyNames()
        self._cache: dict[tuple[str | None, int | None], int | str] = {}

    def resolve(self, session: Session, text: str | None, hint: int | None) -> int:
        key = (text, hint)
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(session, text, hint)
            except CellError as exc:
                self._cache[key] = str(exc)
        found = self._cache[key]
        if isinstance(found, str):
            raise CellError(found)
        return found

    def _resolve(self, session: Session, text: str | None, hint: int | None) -> int:
        if not text:
            if hint is not None and session.get(ThirdParty, hint) is not None:
                return hint
            raise CellError(f"unknown third party id {hint}")
        result = Matcher(session, self.fuzzy, include_closed=True).thirdparty_by_name(text)
        top = result.top
        if top and top[0].reason in self.EXACT:
            return self._pick(text, [c.id for c in top], hint)
        by_code = session.scalar(select(ThirdParty.id).where(ThirdParty.customer_code == text))
        if by_code is not None:
            return by_code
        if top and top[0].reason == "name prefix":
            return self._pick(text, [c.id for c in top], hint)
        guess = f" (did you mean {top[0].name!r}?)" if top else ""
        raise CellError(f"unknown third party {text!r}{guess}")

    @staticmethod
    def _pick(text: str, ids: list[int], hint: int | None) -> int:
        if len(ids) == 1:
            return ids[0]
        if hint in ids:
            return hint
        listed = ", ".join(str(i) for i in ids[:5])
        raise CellError(f"ambiguous third party {text!r}: fits {len(ids)} third parties (ids {listed})")
