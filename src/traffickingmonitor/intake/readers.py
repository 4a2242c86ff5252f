"""Read a CSV, XLSX or Parquet file into a frame of strings, refusing what is not one.

Everything is read as text: types are the validator's business, so that a bad date is
reported as a bad date, not as a parser crash.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from traffickingmonitor.intake.errors import FileError, InvalidFile

_SNIFF = 8192


@dataclass(frozen=True)
class RawFile:
    path: Path
    sha256: str
    frame: pd.DataFrame  # all columns str, missing values as ""


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidFile(path.name, [FileError(f"cannot read the file ({exc.strerror})")]) from exc


def read_table(path: Path, data: bytes | None = None) -> RawFile:
    data = read_bytes(path) if data is None else data
    name = path.name
    if not data.strip():
        raise InvalidFile(name, [FileError("the file is empty")])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(name, data)
    elif suffix == ".xlsx":
        frame = _read_xlsx(name, data)
    elif suffix == ".parquet":
        frame = _read_parquet(name, data)
    else:
        raise InvalidFile(name, [FileError(f"unsupported file type {suffix!r}")])
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InvalidFile(name, [FileError("the file has a header but no data rows")])
    return RawFile(path=path, sha256=file_hash(data), frame=frame)


def _read_csv(name: str, data: bytes) -> pd.DataFrame:
    if b"\x00" in data[:_SNIFF]:
        raise InvalidFile(name, [FileError("this is a binary file, not a CSV text file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidFile(
            name,
            [
                FileError(
                    f"not UTF-8: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded; "
                    "save the file as UTF-8"
                )
            ],
        ) from exc
    import csv

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), [])
    if not any(h.strip() for h in header):
        raise InvalidFile(name, [FileError("no header row found")])
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InvalidFile(name, [FileError(f"duplicated column(s) in the header: {duplicated}")])
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InvalidFile(name, [FileError(f"not a valid CSV file: {_first_line(exc)}")]) from exc
    trimmed = pa.table({c: pc.utf8_trim_whitespace(table[c]) for c in table.column_names})
    return trimmed.to_pandas()


def _read_xlsx(name: str, data: bytes) -> pd.DataFrame:
    if not data.startswith(b"PK"):
        raise InvalidFile(name, [FileError("not an XLSX workbook (not a zip container)")])
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl", keep_default_na=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise InvalidFile(
            name, [FileError(f"cannot read the workbook: {_first_line(exc)}")]
        ) from exc
    return _as_strings(frame)


def _read_parquet(name: str, data: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidFile(
            name, [FileError(f"not a readable Parquet file: {_first_line(exc)}")]
        ) from exc
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


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: frame[c].astype(object).where(frame[c].notna(), "").astype(str).str.strip()
            for c in frame.columns
        }
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
