"""Writing the data-standard files: UTF-8 CSV (pyarrow, unquoted, empty = missing) or Parquet.

Every column is a string column. In CSV a missing value is an empty field; in Parquet it is the
empty string (not null), so both formats read back identically. Values never contain commas,
quotes or line breaks (the writer refuses them), so the CSV needs no quoting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NODATE = np.iinfo(np.int32).min


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """int days since 1970-01-01 to YYYY-MM-DD strings (NODATE or ``missing`` -> null)."""
    days = np.asarray(days)
    mask = days == NODATE if missing is None else missing | (days == NODATE)
    arr = pa.array(np.where(mask, 0, days).astype(np.int32), type=pa.int32(), mask=mask)
    return arr.cast(pa.date32()).cast(pa.string())


def codes(index: np.ndarray, table, missing: np.ndarray | None = None) -> pa.Array:
    """Look up ``table[index]``; index < 0 (or ``missing``) gives null."""
    index = np.asarray(index)
    mask = index < 0 if missing is None else missing | (index < 0)
    idx = pa.array(np.where(mask, 0, index).astype(np.int32), type=pa.int32(), mask=mask)
    if not isinstance(table, pa.Array):
        table = pa.array(list(table), type=pa.string())
    return table.take(idx)


def integers(values: np.ndarray, missing: np.ndarray, width: int = 0) -> pa.Array:
    arr = pa.array(np.where(missing, 0, values), type=pa.int64(), mask=missing).cast(pa.string())
    if width:
        import pyarrow.compute as pc

        arr = pc.utf8_lpad(arr, width=width, padding="0")
    return arr


def strings(values) -> pa.Array:
    return pa.array(values, type=pa.string())


def constant(value: str | None, n: int) -> pa.Array:
    return pa.nulls(n, pa.string()) if value is None else pa.array([value] * n, pa.string())


def write_table(out_dir: Path, name: str, columns: dict[str, pa.Array], fmt: str) -> Path:
    return write_batches(out_dir, name, [columns], fmt)


def write_batches(out_dir: Path, name: str, batches, fmt: str) -> Path:
    """Write an iterable of column dicts (same columns each) as one file."""
    if fmt == "parquet":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = out_dir / f"{name}.parquet"
        pw = None
        try:
            for columns in batches:
                table = pa.table(
                    {c: pc.fill_null(v.cast(pa.string()), "") for c, v in columns.items()}
                )
                if pw is None:
                    pw = pq.ParquetWriter(path, table.schema, compression="zstd")
                pw.write_table(table)
        finally:
            if pw is not None:
                pw.close()
        return path
    path = out_dir / f"{name}.csv"
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65536)
    with path.open("wb") as fh:
        header = False
        for columns in batches:
            table = pa.table(columns)
            if not header:
                fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
                header = True
            if table.num_rows:
                pacsv.write_csv(table, fh, write_options=options)
    return path


def chunks(n: int, size: int = 2_000_000):
    """Row ranges of at most ``size`` rows covering range(n) (at least one, possibly empty)."""
    if n == 0:
        yield np.arange(0)
    for start in range(0, n, size):
        yield np.arange(start, min(n, start + size))
