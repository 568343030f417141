"""Bulk loading for the benchmark data: rows into one table as fast as the backend takes them.

SQLAlchemy Core's ``executemany`` spends most of its time converting parameters one value at a time (the
UTC datetime type above all). Here each column gets one converter, chosen once from its type, and the
rows go to the driver directly: ``COPY … FROM STDIN`` on PostgreSQL, the driver's ``executemany`` on
SQLite with durability off while loading (no journal, no fsync: a load that is interrupted leaves a file
to throw away anyway; WAL and ``synchronous=NORMAL`` are back afterwards). The stored values are the ones
SQLAlchemy would store: SQLite gets the UTC wall time in SQLAlchemy's text format, PostgreSQL the aware
datetime. Columns missing from the rows get their plain-value defaults; a missing column whose default
is computed (``utcnow``) is an error, so nothing depends on the clock.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Engine, Table, Time

from bot.crm.models.base import UTCDateTime

Row = dict[str, Any]
Converter = Callable[[Any], Any]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: pass a timezone-aware value")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format: the UTC wall time, microseconds always written
    return _utc(value).isoformat(" ", "microseconds")[:26]


def _sqlite_time(value: dtime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"


def _sqlite_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def converter(column_type: Any, dialect: str) -> Converter | None:
    """How a Python value of a column of this type is handed to the driver (None: as it is)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime if dialect == "sqlite" else _utc
    if isinstance(column_type, JSON):
        return json.dumps
    if dialect == "sqlite":
        if isinstance(column_type, Time):
            return _sqlite_time
        if isinstance(column_type, Date):
            return _sqlite_date
        if isinstance(column_type, Boolean):
            return int
    return None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class RowShape:
    """The column list of an INSERT and how one row dict becomes the driver's tuple."""

    def __init__(self, table: Table, first: Row, dialect: str) -> None:
        self.keys = list(first)
        unknown = set(self.keys) - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name}: no such columns {sorted(unknown)}")
        extra: list[str] = []
        defaults: list[Any] = []
        for column in table.columns:
            if column.name in first or column.default is None:
                continue  # given, or NULL / the server's default
            if not column.default.is_scalar:
                raise ValueError(f"{table.name}.{column.name}: give a value (its default is computed)")
            extra.append(column.name)
            defaults.append(_plain(column.default.arg))  # type: ignore[attr-defined]
        self.columns = self.keys + extra
        convert = [converter(table.columns[name].type, dialect) for name in self.columns]
        self.defaults = [
            v if v is None or f is None else f(v)
            for v, f in zip(defaults, convert[len(self.keys) :], strict=True)
        ]
        self.converters = [(i, f) for i, f in enumerate(convert[: len(self.keys)]) if f is not None]
        self._get: Callable[[Row], Any] = itemgetter(*self.keys)
        self._width = len(self.keys)

    def values(self, row: Row) -> list[Any]:
        if len(row) != self._width:
            raise ValueError(f"row with columns {sorted(row)} does not have the first row's {self.keys}")
        got = self._get(row)
        values = list(got) if self._width > 1 else [got]
        for i, convert in self.converters:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        return values + self.defaults


def bulk_load(engine: Engine, table: Table, chunks: Iterable[Sequence[Row]]) -> Iterator[int]:
    """Insert every row of *chunks* into *table* in one transaction; yields the size of each chunk done."""
    dialect = engine.dialect.name
    quote = engine.dialect.identifier_preparer.quote
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        chunks = iter(chunks)
        first_chunk = next(chunks, None)
        if not first_chunk:
            return
        shape = RowShape(table, first_chunk[0], dialect)
        columns = ", ".join(quote(c) for c in shape.columns)
        name = quote(table.name)
        if dialect == "postgresql":
            with driver.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for chunk in _prepend(first_chunk, chunks):
                    for row in chunk:
                        copy.write_row(shape.values(row))
                    yield len(chunk)
            driver.commit()
        elif dialect == "sqlite":
            marks = ", ".join("?" for _ in shape.columns)
            statement = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
            _sqlite_fast(driver)
            driver.execute("BEGIN IMMEDIATE")
            try:
                for chunk in _prepend(first_chunk, chunks):
                    driver.executemany(statement, [shape.values(row) for row in chunk])
                    yield len(chunk)
                driver.execute("COMMIT")
            except BaseException:
                driver.execute("ROLLBACK")
                raise
            finally:
                _sqlite_safe(driver)
        else:
            raise ValueError(f"bulk loading is not written for {dialect}")
    finally:
        raw.close()


def _prepend(first: Sequence[Row], rest: Iterator[Sequence[Row]]) -> Iterator[Sequence[Row]]:
    yield first
    yield from rest


def _sqlite_fast(driver: Any) -> None:
    driver.execute("PRAGMA journal_mode=OFF")  # stays WAL when another connection holds the file open
    driver.execute("PRAGMA synchronous=OFF")
    driver.execute("PRAGMA cache_size=-262144")  # 256 MB: the secondary indexes are inserted in random order
    driver.execute("PRAGMA temp_store=MEMORY")


def _sqlite_safe(driver: Any) -> None:
    driver.execute("PRAGMA journal_mode=WAL")
    driver.execute("PRAGMA synchronous=NORMAL")
    driver.execute("PRAGMA cache_size=-2000")


@contextlib.contextmanager
def deferred_indexes(engine: Engine, tables: Sequence[Table]) -> Iterator[None]:
    """Drop the secondary indexes of *tables* while their rows are loaded and build them once afterwards
    (sorting once is cheaper than inserting millions of keys in random order). Not rebuilt when the load
    fails: the database is to be thrown away then."""
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: str(i.name))]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    yield
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
