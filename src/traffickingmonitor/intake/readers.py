"""Read a CSV, XLSX or Parquet file into a frame of strings, refusing what is not one.

Everything is read as text: types are the validator's business, so that a bad date is
reported as a bad date, not as a parser crash. A workbook's date cells and serial numbers are
the exception: they become ISO dates here, where the cell's type is still known.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from traffickingmonitor.intake import dialect
from traffickingmonitor.intake.errors import (
    SHOWN_ERRORS,
    CellError,
    FileError,
    InvalidFile,
    RowError,
)
from traffickingmonitor.intake.schema import SCHEMAS, FileSchema, kind_of

_SNIFF = 8192
# A compressed workbook or Parquet file may unpack to far more than its size on disk (a
# "zip bomb"); a million registrations unpack to well under this.
MAX_UNPACKED_BYTES = 4 << 30
_STANDARD_NAMES = {f.name for schema in SCHEMAS.values() for f in schema.fields}


@dataclass(frozen=True)
class RawFile:
    path: Path
    sha256: str
    frame: pd.DataFrame  # all columns str, missing values as ""
    read_as: str | None = None  # how the file was read, for the run summary (CSV dialect)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file in its own folder (a link within the folder is followed)."""
    try:
        real = path.resolve(strict=True)
        if not real.is_relative_to(path.parent.resolve()):
            # checked at discovery too; here again in case the file was swapped for a link since
            raise InvalidFile(
                path.name, [FileError("a symbolic link to a file outside the input folder")]
            )
        # No link followed at the last step, and no wait on a named pipe.
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InvalidFile(path.name, [FileError("not a regular file")])
            return fh.read()
    except OSError as exc:
        raise InvalidFile(path.name, [FileError(f"cannot read the file ({exc.strerror})")]) from exc


def read_table(path: Path, data: bytes | None = None) -> RawFile:
    data = read_bytes(path) if data is None else data
    name = path.name
    if not data.strip():
        raise InvalidFile(name, [FileError("the file is empty")])
    suffix = path.suffix.lower()
    read_as = None
    if suffix == ".csv":
        frame, read_as = _read_csv(name, data)
    elif suffix == ".xlsx":
        kind = kind_of(name)
        frame, read_as = _read_xlsx(name, data, SCHEMAS[kind] if kind else None)
    elif suffix == ".parquet":
        frame = _read_parquet(name, data)
    else:
        raise InvalidFile(name, [FileError(f"unsupported file type {suffix!r}")])
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = _without_trailing_empty_rows(frame)
    if frame.empty:
        raise InvalidFile(name, [FileError("the file has a header but no data rows")])
    return RawFile(path=path, sha256=file_hash(data), frame=frame, read_as=read_as)


def _without_trailing_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows at the end with every value empty (Excel writes ``;;;;`` for a formatted
    empty row). Rows within the file stay, so row numbers in errors stay true."""
    if frame.empty or len(frame.columns) == 0:
        return frame
    filled = (frame != "").any(axis=1).to_numpy()
    last = len(filled) - int(filled[::-1].argmax()) if filled.any() else 0
    return frame.iloc[:last].reset_index(drop=True) if last < len(frame) else frame


def _read_csv(name: str, data: bytes) -> tuple[pd.DataFrame, str]:
    if b"\x00" in data[:_SNIFF]:
        raise InvalidFile(name, [FileError("this is a binary file, not a CSV text file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidFile(name, [_encoding_error(data, exc.start)]) from exc
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    found = dialect.detect(data, text)
    sep = found.separator
    header = next(csv.reader([dialect.header_line(text)], delimiter=sep), [])
    if not any(h.strip() for h in header):
        raise InvalidFile(name, [FileError("no header row found")])
    duplicated = _duplicated(header)
    if duplicated:
        raise InvalidFile(name, [FileError(f"duplicated column name in the header: {duplicated}")])
    if found.quoted:
        problem = _quote_problem(text, header, sep)
        if problem is not None:
            raise InvalidFile(name, [problem])
    invalid: list[tuple[int | None, int, int]] = []

    def parse(use_threads: bool):
        invalid.clear()
        return pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(block_size=1 << 24, use_threads=use_threads),
            # Rows of the wrong width are collected by number and never shown: their text
            # is what pyarrow would otherwise put in its message (names, ids, dates).
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                newlines_in_values=found.quoted,
                invalid_row_handler=lambda row: (
                    invalid.append((row.number, row.actual_columns, row.expected_columns)) or "skip"
                ),
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = parse(use_threads=True)
        if invalid and any(number is None for number, _, _ in invalid):
            table = parse(use_threads=False)  # only one thread counts the rows
    except pa.ArrowInvalid as exc:
        # Never the parser's message: it quotes the offending row.
        found_row = re.search(r"Row #(\d+)", str(exc))
        error = (
            RowError(int(found_row.group(1)), "not a valid CSV row")
            if found_row
            else FileError("not a valid CSV file (the CSV parser stopped)")
        )
        raise InvalidFile(name, [error]) from None
    if invalid:
        errors = [
            _width_error(n, actual, expected, header, found.separator_name)
            for n, actual, expected in invalid
        ]
        errors.sort(key=lambda e: e.row)
        raise InvalidFile(name, errors[:SHOWN_ERRORS], total=len(errors))
    trimmed = pa.table({c: pc.utf8_trim_whitespace(table[c]) for c in table.column_names})
    return trimmed.to_pandas(), found.describe()


def _duplicated(header: list[str]) -> str:
    """The repeated header names by position; a name only when it is a standard column.

    A file without a header row has a data row in its place: its values are not shown.
    """
    seen: dict[str, int] = {}
    repeats = []
    for i, h in enumerate(header, start=1):
        if h in seen:
            known = f" ({h!r})" if h in _STANDARD_NAMES else ""
            repeats.append(f"columns {seen[h]} and {i}{known}")
        else:
            seen[h] = i
    hint = "" if any("(" in r for r in repeats) else "; is the header row missing?"
    return ", ".join(repeats) + hint if repeats else ""


def _width_error(
    number: int | None, actual: int, expected: int, header: list[str], sep_name: str = "comma"
) -> RowError:
    row = -1 if number is None else int(number)
    if actual > expected:
        rule = (
            f"{actual} values where the header has {expected} columns (a {sep_name} too many, "
            f"or a value with a {sep_name} that is not quoted)"
        )
        return RowError(row, rule)
    rule = (
        f"{actual} values where the header has {expected} columns (a missing value or {sep_name})"
    )
    return RowError(row, rule, header[actual] if actual < len(header) else None)


def _quote_problem(text: str, header: list[str], sep: str = ",") -> RowError | None:
    """The first row whose quoting is broken (a quote never closed, text after a closing
    quote), as pyarrow silently swallows the rest of the file into a never-closed value."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows, next_line = 0, 1
    try:
        for _ in reader:
            rows += 1
            next_line = reader.line_num + 1
    except csv.Error as exc:
        lines = text.splitlines()
        first = lines[next_line - 1] if next_line - 1 < len(lines) else ""
        index, never_closed = _quote_field(first, sep)
        column = header[index] if index is not None and index < len(header) else None
        if "expected after" in str(exc) and not never_closed:
            rule = "text after the closing quote of a quoted value"
        else:
            rule = "a quoted value is never closed (a missing quote)"
        return RowError(rows + 1, rule, column)
    return None


def _quote_field(line: str, sep: str = ",") -> tuple[int | None, bool]:
    """The field of ``line`` whose quoting is broken, and whether it is a quote never closed."""
    field, in_quotes, at_start, i = 0, False, True, 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if line[i + 1 : i + 2] == '"':
                    i += 2
                    continue
                in_quotes = False
                if line[i + 1 : i + 2] not in ("", sep, "\r"):
                    return field, False
        elif ch == '"' and at_start:
            in_quotes = True
        elif ch == sep:
            field, at_start, i = field + 1, True, i + 1
            continue
        at_start = False
        i += 1
    return (field, True) if in_quotes else (None, False)


def _encoding_error(data: bytes, start: int) -> RowError:
    """Where the first byte that is not UTF-8 sits: line and column, never the bytes."""
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    line = data[line_start : len(data) if line_end < 0 else line_end]
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = dialect.sniff_separator(first.rstrip("\r"))
    header = next(csv.reader([first.rstrip("\r")], delimiter=sep), [])
    fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep), [])
    index = next((i for i, f in enumerate(fields) if "\ufffd" in f), None)
    column = header[index] if index is not None and line_start > 0 and index < len(header) else None
    return RowError(
        data.count(b"\n", 0, start) + 1,
        "not UTF-8 text (perhaps Latin-1 or Windows-1252); save the file as UTF-8",
        column,
        unit="line",
    )


def _read_xlsx(name: str, data: bytes, schema: FileSchema | None) -> tuple[pd.DataFrame, str]:
    """The first sheet; date cells and serial numbers in date fields become ISO dates."""
    if not data.startswith(b"PK"):
        raise InvalidFile(name, [FileError("not an XLSX workbook (not a zip container)")])
    try:
        # zipfile never unpacks a member beyond the size its directory states
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError):
        unpacked = 0  # damaged: the workbook reader says so below
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidFile(name, [FileError(_too_large(unpacked))])
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # fail closed: without it openpyxl expands XML entities
        raise InvalidFile(
            name, [FileError("reading XLSX needs the defusedxml package; deliver CSV instead")]
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            title, epoch = sheet.title, book.epoch
            rows = list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        # Not the exception's text: it may quote a cell.
        raise InvalidFile(
            name, [FileError("cannot read the workbook (damaged, or not an XLSX file)")]
        ) from None
    if not rows or not any(_cell_filled(v) for v in rows[0]):
        raise InvalidFile(name, [FileError("no header row found in the first sheet")])
    header = _xlsx_header(name, rows)
    types = {f.name: f.type for f in schema.fields} if schema is not None else {}
    columns: dict[str, list[str]] = {h: [] for h in header.values()}
    errors: list[CellError] = []
    total = 0
    for r, values in enumerate(rows[1:], start=2):
        for i, h in header.items():
            value = values[i] if i < len(values) else None
            try:
                columns[h].append(_cell_text(value, types.get(h), epoch))
            except ValueError as exc:
                total += 1
                if len(errors) < SHOWN_ERRORS:
                    # never the value: the column may hold an identifier (birth_date)
                    cell = f"{_column_letter(i)}{r}"
                    errors.append(CellError(r, h, None, f"{exc} (cell {cell})"))
                columns[h].append("")
    if errors:
        raise InvalidFile(name, errors, total=total)
    system = ", 1904 date system" if epoch == CALENDAR_MAC_1904 else ""
    return pd.DataFrame(columns, dtype=object), f"sheet {title!r}{system}"


def _xlsx_header(name: str, rows: list[tuple]) -> dict[int, str]:
    """The named columns of the header row by position; a value under a column without a
    name is an error (an empty column without a name is not)."""
    first = rows[0]
    named = {i: _header_text(v) for i, v in enumerate(first) if _cell_filled(v)}
    width = max(len(r) for r in rows)
    for i in range(width):
        if i in named:
            continue
        below = next(
            (r for r, row in enumerate(rows[1:], start=2) if i < len(row) and _cell_filled(row[i])),
            None,
        )
        if below is not None:
            rule = f"a value in column {i + 1}, which has no name in the header row"
            raise InvalidFile(name, [RowError(below, rule)])
    # by position, an unnamed column as a name that repeats nothing (numbers stay true)
    duplicated = _duplicated([named.get(i, f"\0{i}") for i in range(max(named) + 1)])
    if duplicated:
        raise InvalidFile(name, [FileError(f"duplicated column name in the header: {duplicated}")])
    return named


def _header_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _cell_filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cell_text(value, field_type: str | None, epoch) -> str:
    """A cell as the text the validator expects; ValueError (the rule) for a cell that no
    text could stand for."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if field_type == "date":
        if isinstance(value, int | float):
            # A date cell without a date format shows Excel's serial number of the day.
            from openpyxl.utils.datetime import from_excel

            try:
                value = from_excel(value, epoch)
            except (ValueError, OverflowError, TypeError):
                raise ValueError(f"the number {value:g} is not an Excel date") from None
            if not isinstance(value, dt.datetime):
                raise ValueError("a number that is not an Excel date")
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0):
                raise ValueError("a date with a time of day; enter the date only")
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        raise ValueError("a time or duration, not a date")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2019, not 2019.0: Excel stores every number as a float
    return str(value)


def _read_parquet(name: str, data: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > MAX_UNPACKED_BYTES:
            raise InvalidFile(name, [FileError(_too_large(unpacked))])
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        raise InvalidFile(
            name, [FileError("not a readable Parquet file (damaged, or not Parquet)")]
        ) from None
    for i, field in enumerate(table.schema):
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            table = table.set_column(i, field.name, _binary_as_text(name, field.name, table[i]))
    frame = table.to_pandas()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(frame[col]):
            # 1990.0 written by a float column is the year 1990, not a decimal
            as_int = frame[col].dropna()
            if (as_int == as_int.round()).all():
                frame[col] = frame[col].astype("Int64")
    return _as_strings(frame)


def _binary_as_text(name: str, column: str, values):
    """A binary column as UTF-8 text; the first row that is not UTF-8 is an error."""
    import pyarrow as pa

    for row, value in enumerate(values.to_pylist(), start=2):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidFile(
                    name,
                    [RowError(row, "not UTF-8 text; write the column as UTF-8 strings", column)],
                ) from None
    return values.cast(pa.string())


def _too_large(unpacked: int) -> str:
    return (
        f"unpacks to {unpacked / 2**30:.1f} GiB, more than the "
        f"{MAX_UNPACKED_BYTES / 2**30:.0f} GiB allowed; split it into several files"
    )


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: frame[c].astype(object).where(frame[c].notna(), "").astype(str).str.strip()
            for c in frame.columns
        }
    )
