"""CSV import of third parties and contacts (``crmbot import thirdparties|contacts FILE``).

The file is read whole (:mod:`bot.crm.csv_file`; a file over *max_bytes* or *max_rows* is refused with
:class:`ImportLimitError` before anything is written), its header matched to fields
(:mod:`bot.crm.import_fields`: Dolibarr template headers, bare Dolibarr codes or plain names), and its
records written in batches, one unit of work and one commit per batch. A bad row is reported with its
line and reason and skipped; the good rows are imported. Re-importing a file updates the records it
created instead of duplicating them; every created or updated record gets this run's ``import_key``
(Dolibarr style: a timestamp, plus a random suffix so that two runs in one second differ).

An import adds and overwrites; it never deletes: an empty cell leaves the field as it is, tags and email
domains are added to those a record has.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

from sqlalchemy.orm import Session

from bot.crm.audit import current_actor
from bot.crm.contact_import import ContactImporter
from bot.crm.csv_file import CsvRecord, CsvTable, ImportFileError, ImportLimitError, read_csv
from bot.crm.dolibarr_fields import HeaderStyle
from bot.crm.import_batch import (
    ROW_FAILURES,
    BatchResult,
    Importer,
    ParentLink,
    Row,
    RowError,
    ThirdPartyRefs,
    fewer_collections,
)
from bot.crm.import_fields import (
    CONTACT_FIELDS,
    THIRDPARTY_FIELDS,
    CellError,
    ColumnMap,
    EntityFields,
    map_columns,
)
from bot.crm.thirdparty_import import ThirdPartyImporter, link_parents

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "ImportLimitError",
    "ImportReport",
    "RowError",
    "import_contacts",
    "import_thirdparties",
]

log = logging.getLogger(__name__)


class UnitOfWork(Protocol):
    """What an import needs of a unit of work (storage.UnitOfWork): a session, commit, rollback on exit."""

    session: Session

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
MAX_BYTES = 200 * 1024 * 1024  # the defaults of CRMBOT_IMPORT_MAX_BYTES and CRMBOT_IMPORT_MAX_ROWS
MAX_ROWS = 1_000_000
Progress = Callable[[int, int], None]  # (rows done, rows in the file)


@dataclass
class ImportReport:
    """What an import did. ``created + updated + skipped == total`` (records, blank lines not counted).

    ``errors`` has one entry per skipped row, sorted by line; a third party whose parent could not be
    found is imported and also gets an entry.
    """

    total: int
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    header_style: HeaderStyle = "plain"
    import_key: str = ""  # set on every record this run created or updated
    ignored_columns: list[str] = field(default_factory=list)  # header cells that fill no field


def import_thirdparties(
    uow_factory: UnitOfWorkFactory,
    path: Path,
    *,
    progress: Progress | None = None,
    batch_size: int = 1000,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ImportReport:
    """Import third parties from the CSV file *path*; see the module docstring."""
    refs = ThirdPartyRefs()
    table = read_csv(path, max_bytes=max_bytes, max_rows=max_rows)
    report, parents = _run(uow_factory, table, THIRDPARTY_FIELDS, ThirdPartyImporter, progress, batch_size)
    for start in range(0, len(parents), batch_size):
        with uow_factory() as uow:
            report.errors.extend(link_parents(uow.session, parents[start : start + batch_size], refs))
            uow.commit()
    report.errors.sort(key=lambda error: error.line)
    return report


def import_contacts(
    uow_factory: UnitOfWorkFactory,
    path: Path,
    *,
    progress: Progress | None = None,
    batch_size: int = 1000,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ImportReport:
    """Import contacts from the CSV file *path*, linked to third parties by name, alias or customer code."""
    refs = ThirdPartyRefs()
    report, _ = _run(
        uow_factory,
        read_csv(path, max_bytes=max_bytes, max_rows=max_rows),
        CONTACT_FIELDS,
        lambda key, file_fields: ContactImporter(key, file_fields, refs),
        progress,
        batch_size,
    )
    return report


def _run(
    uow_factory: UnitOfWorkFactory,
    table: CsvTable,
    fields: EntityFields,
    make_importer: Callable[[str, frozenset[str]], Importer],
    progress: Progress | None,
    batch_size: int,
) -> tuple[ImportReport, list[ParentLink]]:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    columns = map_columns(table.header, fields)
    with uow_factory() as uow:
        now = current_actor(uow.session).now()
    key = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    importer = make_importer(key, frozenset(t for t in columns.targets if t is not None))
    report = ImportReport(
        total=len(table.records),
        header_style=columns.style,
        import_key=key,
        ignored_columns=list(columns.ignored),
    )
    parents: list[ParentLink] = []
    if progress is not None:
        progress(0, report.total)
    with fewer_collections():
        for start in range(0, len(table.records), batch_size):
            chunk = table.records[start : start + batch_size]
            rows = _read_batch(chunk, columns, importer, report)
            result = _write_batch(uow_factory, importer, rows)
            report.created += result.created
            report.updated += result.updated
            report.errors.extend(result.errors)
            parents.extend(result.parents)
            if progress is not None:
                progress(start + len(chunk), report.total)
    report.skipped = report.total - report.created - report.updated
    report.errors.sort(key=lambda error: error.line)
    log.info(
        "import %s (%s): %d rows, %d created, %d updated, %d skipped",
        fields.label, key, report.total, report.created, report.updated, report.skipped,
    )  # fmt: skip
    return report, parents


def _read_batch(
    records: Sequence[CsvRecord], columns: ColumnMap, importer: Importer, report: ImportReport
) -> list[Row]:
    """The records' rows, converted and checked; a record that fails goes to the report's errors."""
    rows: list[Row] = []
    for record in records:
        try:
            rows.append(importer.check(record.line, columns.read(record.cells)))
        except CellError as exc:
            report.errors.append(RowError(record.line, str(exc)))
    return rows


def _write_batch(uow_factory: UnitOfWorkFactory, importer: Importer, rows: Sequence[Row]) -> BatchResult:
    """Write *rows* in one unit of work: all at once, or row by row when the database refused something."""
    if not rows:
        return BatchResult()
    try:
        with uow_factory() as uow:
            result = importer.apply(uow.session, rows, careful=False)
            uow.commit()
        return result
    except ROW_FAILURES as exc:
        log.info(
            "import batch from line %d refused (%s); retrying row by row", rows[0].line, type(exc).__name__
        )
    with uow_factory() as uow:
        result = importer.apply(uow.session, rows, careful=True)
        uow.commit()
    return result
