"""Load a validated, pseudonymised file into the store: idempotent and all or nothing."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from traffickingmonitor import store
from traffickingmonitor.errors import UserError
from traffickingmonitor.intake import checks, pseudonymise, readers
from traffickingmonitor.intake.schema import SCHEMAS, kind_of

# Fault injection for the crash test: pause inside the open transaction so a test can kill us.
_PAUSE_ENV = "TRAFFICKINGMONITOR_FAULT_PAUSE"


@dataclass(frozen=True)
class ImportResult:
    path: Path
    kind: str
    file_hash: str
    rows: int
    status: str  # "imported" | "unchanged"
    read_as: str | None = None  # how the file was read (CSV dialect, sheet), when it was read


@dataclass(frozen=True)
class PreparedFile:
    path: Path
    kind: str
    file_hash: str
    frame: pd.DataFrame | None  # None when the store already has this file
    read_as: str | None = None


def prepare(
    path: Path, con: duckdb.DuckDBPyConnection | None, key: pseudonymise.Key
) -> PreparedFile:
    """Read, validate and pseudonymise one file; touch nothing in the store."""
    kind = kind_of(path.name)
    if kind is None:
        raise UserError(
            f"{path.name}: not a data standard v1 file name (expected e.g. registrations_*.csv)"
        )
    data = readers.read_bytes(path)
    digest = readers.file_hash(data)
    if con is not None and _known(con, digest):
        return PreparedFile(path, kind, digest, None)
    raw = readers.read_table(path, data)
    typed = checks.validate(raw, SCHEMAS[kind])
    if kind in ("registrations", "events"):
        typed = pseudonymise.pseudonymise(typed, key)
    return PreparedFile(path, kind, digest, typed, raw.read_as)


def _known(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    return con.execute("SELECT 1 FROM import_files WHERE file_hash = ?", [digest]).fetchall() != []


def check_key(con: duckdb.DuckDBPyConnection, key: pseudonymise.Key) -> None:
    """Refuse a key other than the one the store's tokens were made with."""
    known = store.meta(con, "key_fingerprint")
    if known is None:
        con.execute("INSERT INTO store_meta VALUES ('key_fingerprint', ?)", [key.fingerprint])
    elif known != key.fingerprint:
        raise UserError(
            "this key differs from the one the store was made with: its tokens would never "
            "link; use the original key"
        )


def load(con: duckdb.DuckDBPyConnection, prepared: PreparedFile) -> ImportResult:
    """Write one prepared file in one transaction (a no-op if its hash is known)."""
    if prepared.frame is None or _known(con, prepared.file_hash):
        return ImportResult(prepared.path, prepared.kind, prepared.file_hash, 0, "unchanged")
    frame = prepared.frame
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [prepared.kind],
        ).fetchall()
    ]
    select = []
    for col in columns:
        if col == "file_hash":
            select.append("? AS file_hash")
        elif col == "exploitation_forms":
            select.append("string_split(exploitation_form, ';') AS exploitation_forms")
        elif col in frame:
            select.append(f'"{col}"')
        else:
            select.append(f'NULL AS "{col}"')
    with store.transaction(con):
        con.register("incoming", frame)
        try:
            con.execute(
                f"INSERT INTO {prepared.kind} SELECT {', '.join(select)} FROM incoming",
                [prepared.file_hash],
            )
        finally:
            con.unregister("incoming")
        con.execute(
            "INSERT INTO import_files VALUES (?, ?, ?, ?, ?, ?)",
            [
                prepared.file_hash,
                prepared.kind,
                prepared.path.name,
                len(frame),
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                store.code_version(),
            ],
        )
        pause = os.environ.get(_PAUSE_ENV)
        if pause:
            print(
                f"fault-injection: paused inside transaction for {prepared.path.name}",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(float(pause))
    return ImportResult(
        prepared.path,
        prepared.kind,
        prepared.file_hash,
        len(frame),
        "imported",
        prepared.read_as,
    )
