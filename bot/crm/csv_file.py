"""Reading a CSV file as spreadsheets and Dolibarr write it: encoding, delimiter, records with line numbers.

- Encoding: UTF-8 with or without BOM, else Windows-1252 (what Excel on Windows saves as "CSV").
- Delimiter: ``,``, ``;`` or a tab, sniffed from a sample (``csv.Sniffer`` restricted to those), checked
  against the header line and otherwise decided by counting; Excel's ``sep=;`` first line is honoured.
- Quoted fields may contain delimiters and newlines; every record keeps the physical line it starts on
  (the header is line 1), so errors can point into the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = ",;\t"  # and Excel's "Text (tab-delimited)"
SNIFF_SAMPLE_CHARS = 64 * 1024
_EXCEL_SEP_LINE = re.compile(r"^sep=([,;])\s*$", re.IGNORECASE)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported: unreadable, empty, not CSV, or without a needed column."""


class ImportLimitError(ImportFileError):
    """The file is over a configured limit: *limit* says which ("bytes" or "rows")."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True, slots=True)
class CsvRecord:
    line: int  # physical line where the record starts; the header is line 1
    cells: list[str]


@dataclass(frozen=True, slots=True)
class CsvTable:
    header: list[str]
    records: list[CsvRecord]
    encoding: str  # "utf-8" | "cp1252"
    delimiter: str


def decode(data: bytes) -> tuple[str, str]:
    """The text of *data* and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252."""
    if b"\x00" in data[:8192]:
        raise ImportFileError("not a CSV file: it contains binary data (save the sheet as CSV)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError("the file is neither UTF-8 nor Windows-1252 text") from exc


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """``,``, ``;`` or a tab: the sniffer's choice when the header line agrees, else the one the header
    uses most."""
    header_line = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(header_line, d) for d in DELIMITERS}
    try:
        sniffed: str | None = csv.Sniffer().sniff(text[:SNIFF_SAMPLE_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in counts and (counts[sniffed] > 0 or not any(counts.values())):
        return sniffed
    return max(DELIMITERS, key=lambda d: counts[d])  # ties (no delimiter at all) -> ","


def parse(text: str, *, max_rows: int | None = None) -> tuple[list[str], list[CsvRecord], str]:
    """Header, records and delimiter of CSV *text*; blank records are dropped, line numbers kept.
    More than *max_rows* records: :class:`ImportLimitError`."""
    offset = 0
    first, _, rest = text.partition("\n")
    explicit = _EXCEL_SEP_LINE.match(first.strip("\r"))
    if explicit:
        text, offset = rest, 1
    if not text.strip():
        raise ImportFileError("the file is empty")
    delimiter = explicit.group(1) if explicit else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    records: list[CsvRecord] = []
    header: list[str] | None = None
    consumed = 0
    try:
        for cells in reader:
            start = consumed + 1 + offset
            consumed = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
            else:
                if max_rows is not None and len(records) >= max_rows:
                    raise ImportLimitError(
                        f"the file has more than {max_rows:,} rows (line {start}), the most one import takes",
                        "rows",
                    )
                records.append(CsvRecord(start, cells))
    except csv.Error as exc:
        raise ImportFileError(f"not a readable CSV file (line {consumed + 1 + offset}): {exc}") from exc
    if header is None:
        raise ImportFileError("the file is empty")
    return header, records, delimiter


def read_csv(path: Path, *, max_bytes: int | None = None, max_rows: int | None = None) -> CsvTable:
    """Read and split *path*; :class:`ImportFileError` when it cannot be read as CSV at all,
    :class:`ImportLimitError` when it is over *max_bytes* or has more than *max_rows* records."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ImportLimitError(
                f"the file is too large ({size:,} bytes; one import takes at most {max_bytes:,})", "bytes"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text, encoding = decode(data)
    header, records, delimiter = parse(text, max_rows=max_rows)
    return CsvTable(header=header, records=records, encoding=encoding, delimiter=delimiter)
