"""Editions: immutable, reproducible results of one pipeline run over a set of input files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from traffickingmonitor import store
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.errors import UserError


@dataclass(frozen=True)
class Edition:
    edition_id: str
    created_at: dt.datetime
    code_version: str
    inputs_hash: str
    config: dict
    notes: dict
    inputs: pd.DataFrame  # file_name, kind, file_hash


def inputs_hash(file_hashes: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(file_hashes)).encode()).hexdigest()


def new_edition_id(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> str:
    """``YYYY-MM-DD.N``: readable, sortable, and unique within the store."""
    day = (today or dt.date.today()).isoformat()
    n = con.execute(
        "SELECT count(*) FROM editions WHERE edition_id LIKE ?", [f"{day}.%"]
    ).fetchall()[0][0]
    return f"{day}.{n + 1}"


def record(
    con: duckdb.DuckDBPyConnection,
    edition_id: str,
    inputs: list[tuple[str, str, str]],
    config: dict,
    notes: dict,
) -> None:
    """Insert the edition row and its inputs (call inside the edition's transaction)."""
    con.execute(
        "INSERT INTO editions VALUES (?, ?, ?, ?, ?, ?)",
        [
            edition_id,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            store.code_version(),
            inputs_hash([h for h, _, _ in inputs]),
            json.dumps(config),
            json.dumps(notes),
        ],
    )
    con.executemany(
        "INSERT INTO edition_inputs VALUES (?, ?, ?, ?)",
        [[edition_id, h, name, kind] for h, name, kind in inputs],
    )


def save_tables(
    con: duckdb.DuckDBPyConnection, edition_id: str, tables: list[MonitorTable]
) -> None:
    rows = [[edition_id, t.table_id, *t.to_json()] for t in tables]
    con.executemany("INSERT INTO edition_tables VALUES (?, ?, ?, ?)", rows)


def list_editions(con: duckdb.DuckDBPyConnection) -> list[Edition]:
    rows = con.execute(
        "SELECT edition_id, created_at, code_version, inputs_hash, config, notes FROM editions "
        "ORDER BY created_at, edition_id"
    ).fetchall()
    return [_edition(con, *r) for r in rows]


def _edition(con, edition_id, created_at, code_version, ihash, config, notes) -> Edition:
    inputs = con.execute(
        "SELECT file_name, kind, file_hash FROM edition_inputs WHERE edition_id = ? ORDER BY kind, file_name",
        [edition_id],
    ).df()
    return Edition(
        edition_id, created_at, code_version, ihash, json.loads(config), json.loads(notes), inputs
    )


def get_edition(con: duckdb.DuckDBPyConnection, edition_id: str | None = None) -> Edition:
    """The edition with this id, or the latest one."""
    editions = list_editions(con)
    if not editions:
        raise UserError(
            "the store has no editions yet: run `traffickingmonitor run INPUT_DIR --db FILE`"
        )
    if edition_id is None:
        return editions[-1]
    for e in editions:
        if e.edition_id == edition_id:
            return e
    known = ", ".join(e.edition_id for e in editions[-5:])
    raise UserError(f"no edition {edition_id!r} in the store (latest: {known})")


def editions_before(db, edition_id: str) -> tuple[str, ...]:
    """Ids of the editions in the store (a file or an open connection) made before
    ``edition_id`` (oldest first)."""
    with store.reading(db) as con:
        ids = [e.edition_id for e in list_editions(con)]
    return tuple(ids[: ids.index(edition_id)]) if edition_id in ids else ()


def read_edition(db, edition_id: str | None = None) -> tuple[Edition, dict[str, MonitorTable]]:
    """An edition (the latest by default) and its unprotected tables, from a store file."""
    con = store.connect(db, read_only=True)
    try:
        edition = get_edition(con, edition_id)
        return edition, load_tables(con, edition.edition_id)
    finally:
        con.close()


def load_tables(con: duckdb.DuckDBPyConnection, edition_id: str) -> dict[str, MonitorTable]:
    rows = con.execute(
        "SELECT table_id, meta, data FROM edition_tables WHERE edition_id = ? ORDER BY rowid",
        [edition_id],
    ).fetchall()
    return {tid: MonitorTable.from_json(meta, data) for tid, meta, data in rows}
