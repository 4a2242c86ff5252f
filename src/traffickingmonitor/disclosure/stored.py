"""The protected tables of an edition, computed once and kept in the store.

Protecting an edition (secondary suppression over all its tables) takes seconds on the demo
and much longer on a large edition; every channel (report, factsheets, dashboard, API,
``disclosure-check``, ``revictimisation``) used to do it again, and every ``serve`` worker at
start. An edition is immutable, so its protection under one rule never changes: ``run``
stores it, and every channel reads it through :func:`protected_tables` (or
:func:`stored_protection` when it needs the details).

What is stored is exactly what a :class:`ProtectedTable` holds (the shown frame with its
symbols, the suppression mask and the kind of every hidden cell, the accuracy of noisy
counts, the table's declaration without a number), never the unprotected counts or the
members behind them. It is a versioned JSON document per table (zlib-compressed), not a
pickle: reading a store never runs code from it.

An entry is keyed by edition and the rule's full description (``DisclosureRule.to_dict()``),
and records the code version that wrote it (:func:`code_version`: the package version plus a
digest of the disclosure engine's sources, so that a changed engine never serves an old
pattern). An entry of another code version is recomputed and replaced (or only recomputed,
on a store opened read-only), with a one-line message.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import zlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.edition import EditionProtection, protect_edition_details
from traffickingmonitor.disclosure.primary import ProtectedTable, _make
from traffickingmonitor.disclosure.rule import DisclosureRule
from traffickingmonitor.progress import say_once

__all__ = [
    "FORMAT",
    "TABLE",
    "code_version",
    "compute_protection",
    "decode_table",
    "encode_table",
    "protected_tables",
    "rule_key",
    "store_protection",
    "stored_protection",
]

log = logging.getLogger(__name__)

#: version of the payload layout; a payload of another format is recomputed, never guessed at
FORMAT = 1
#: the store's table of protected tables
TABLE = "edition_protected"

_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    edition_id VARCHAR NOT NULL,
    rule_key VARCHAR NOT NULL,
    code_version VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    payload BLOB NOT NULL,
    seconds DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (edition_id, rule_key, table_id)
)
"""


Tables = dict[str, MonitorTable] | Callable[[], dict[str, MonitorTable]]


# --- keys and versions -------------------------------------------------------------------


def rule_key(rule: DisclosureRule) -> str:
    """The rule's full description (method, threshold, every parameter) as the entry's key."""
    return json.dumps(rule.to_dict(), sort_keys=True, separators=(",", ":"))


#: modules of ``disclosure`` that do not take part in protecting (the check, the CLI, the
#: public face): editing them leaves stored protections valid. The attackers do: the one from
#: the microdata protects with ``against_microdata``.
NOT_ENGINE = ("__init__.py", "api.py", "check.py", "cli.py")
#: modules outside ``disclosure`` whose code decides a protection: the table declaration, and
#: the members the attacker from the microdata reads (``against_microdata``)
ENGINE_ELSEWHERE = (
    ("analysis", "tables.py"),
    ("analysis", "members.py"),
    ("analysis", "microdata.py"),
)


@functools.cache
def code_version() -> str:
    """The package version plus a digest of the protection engine's sources.

    The package version alone rarely changes while the engine does (a new weight, a new
    rule for x): a pattern stored by another engine must not be served as this one's. The
    digest covers the modules of ``disclosure`` that protect (all but ``NOT_ENGINE``) and
    those of ``ENGINE_ELSEWHERE``.
    """
    from traffickingmonitor import store

    digest = hashlib.sha256()
    try:
        package = resources.files("traffickingmonitor")
        engine = sorted(
            (
                f
                for f in package.joinpath("disclosure").iterdir()
                if f.name.endswith(".py") and f.name not in NOT_ENGINE
            ),
            key=lambda f: f.name,
        )
        for f in [*engine, *(package.joinpath(*path) for path in ENGINE_ELSEWHERE)]:
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    except OSError:  # sources not readable (a frozen build): the package version must do
        return store.code_version()
    digest.update(f"format {FORMAT}".encode())
    return f"{store.code_version()}+{digest.hexdigest()[:12]}"


# --- the payload: one ProtectedTable as versioned JSON -----------------------------------


def _encode_value(v):
    """One cell of an object column; JSON keeps int, float, bool, str and None apart."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if v is pd.NA:
        return {"na": 1}
    if v is pd.NaT:
        return {"nat": 1}
    if isinstance(v, pd.Timestamp):
        return {"ts": v.isoformat()}
    if isinstance(v, dt.date):
        return {"date": v.isoformat()}
    if hasattr(v, "item") and not isinstance(v, (list, dict)):  # a numpy scalar
        v = v.item()
        if isinstance(v, (bool, str)):
            return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if v == v else {"nan": 1}
    raise TypeError(f"cannot store a cell of type {type(v).__name__}")


def _decode_value(v):
    if not isinstance(v, dict):
        return v
    if "na" in v:
        return pd.NA
    if "nat" in v:
        return pd.NaT
    if "nan" in v:
        return float("nan")
    if "ts" in v:
        return pd.Timestamp(v["ts"])
    if "date" in v:
        return dt.date.fromisoformat(v["date"])
    raise ValueError(f"unknown cell {v!r}")


def _encode_series(s: pd.Series) -> dict:
    dtype = str(s.dtype)
    if s.dtype.kind in "iubf":
        values = s.tolist()  # NaN and inf go as JSON's NaN/Infinity (Python reads them back)
    elif s.dtype.kind == "M":
        values = [None if pd.isna(v) else v.isoformat() for v in s]
    elif dtype == "object":
        values = [_encode_value(v) for v in s.tolist()]
    elif dtype in ("str", "string"):
        values = [None if pd.isna(v) else str(v) for v in s.tolist()]
    else:
        raise TypeError(f"cannot store a column of dtype {dtype}")
    return {"dtype": dtype, "values": values}


def _decode_series(enc: dict) -> pd.Series:
    dtype = enc["dtype"]
    if dtype == "object":
        return pd.Series([_decode_value(v) for v in enc["values"]], dtype=object)
    if dtype.startswith("datetime64"):
        return pd.Series(pd.to_datetime(enc["values"])).astype(dtype)
    return pd.Series(enc["values"], dtype=dtype)


def _encode_frame(frame: pd.DataFrame | None) -> dict | None:
    if frame is None:
        return None
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        idx = {"range": [index.start, index.stop, index.step]}
    else:
        idx = {"values": _encode_series(index.to_series(index=None))}
    names = list(frame.columns)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"cannot store a column named {n!r}")
    return {
        "index": idx,
        "columns": names,
        "columns_dtype": str(frame.columns.dtype),
        "data": [_encode_series(frame.iloc[:, i]) for i in range(frame.shape[1])],
    }


def _decode_frame(enc: dict | None) -> pd.DataFrame | None:
    if enc is None:
        return None
    if "range" in enc["index"]:
        index = pd.RangeIndex(*enc["index"]["range"])
    else:
        index = pd.Index(_decode_series(enc["index"]["values"]))
    columns = []
    for col in enc["data"]:
        s = _decode_series(col)
        s.index = index
        columns.append(s)
    frame = pd.concat(columns, axis=1) if columns else pd.DataFrame(index=index)
    frame.columns = pd.Index(enc["columns"], dtype=enc["columns_dtype"])
    return frame


def encode_table(table: ProtectedTable) -> bytes:
    """The stored form of ``table``: everything it holds, nothing more (no raw count)."""
    doc = {
        "format": FORMAT,
        "table_id": table.table_id,
        "meta": table.spec.meta(),
        "spec_frame": _encode_frame(table.spec.frame),  # empty: the columns and their dtypes
        "frame": _encode_frame(table.frame),
        "suppressed": _encode_frame(table.suppressed),
        "status": _encode_frame(table.status),
        "accuracy": _encode_frame(table.accuracy),
    }
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), 6)


def decode_table(payload: bytes, rule: DisclosureRule) -> ProtectedTable:
    """The :class:`ProtectedTable` back from :func:`encode_table` (under ``rule``, the rule
    of the entry's key)."""
    doc = json.loads(zlib.decompress(payload).decode("utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"payload format {doc.get('format')!r}, this code reads {FORMAT}")
    m = doc["meta"]
    spec = MonitorTable(
        table_id=m["table_id"],
        title_nl=m["title_nl"],
        title_en=m["title_en"],
        frame=_decode_frame(doc["spec_frame"]),
        dimensions=tuple(m["dimensions"]),
        counts=tuple(m["counts"]),
        estimates=tuple(m["estimates"]),
        unit=m["unit"],
        overlapping=m["overlapping"],
        note_nl=m["note_nl"],
        note_en=m["note_en"],
        extra=m["extra"],
        margin_of=m["margin_of"],
        margin_columns=m["margin_columns"],
        total_categories=m["total_categories"],
        additive_counts=tuple(m["additive_counts"]),
    )
    return _make(
        spec,
        _decode_frame(doc["frame"]),
        _decode_frame(doc["suppressed"]),
        rule,
        _decode_frame(doc["status"]),
        _decode_frame(doc["accuracy"]),
    )


def same_table(a: ProtectedTable, b: ProtectedTable) -> bool:
    """Whether two protected tables publish exactly alike (values, symbols, hidden kinds,
    accuracy, declaration)."""
    if a.spec.meta() != b.spec.meta():
        return False
    for x, y in (
        (a.spec.frame, b.spec.frame),
        (a.frame, b.frame),
        (a.suppressed, b.suppressed),
        (a.status, b.status),
        (a.accuracy, b.accuracy),
    ):
        if x is None or y is None:
            if x is not y:
                return False
            continue
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        except AssertionError:
            return False
    return True


# --- the store ---------------------------------------------------------------------------


def _read(con: duckdb.DuckDBPyConnection, edition_id: str, key: str) -> list[tuple] | None:
    """``(table_id, code_version, payload, seconds)`` rows of the entry, in order; None when
    the store has no such table (a store from before this existed)."""
    try:
        return con.execute(
            f"SELECT table_id, code_version, payload, seconds FROM {TABLE} "
            "WHERE edition_id = ? AND rule_key = ? ORDER BY position",
            [edition_id, key],
        ).fetchall()
    except duckdb.CatalogException:
        return None


def store_protection(
    con: duckdb.DuckDBPyConnection,
    edition_id: str,
    rule: DisclosureRule,
    protected: dict[str, ProtectedTable],
    seconds: float,
) -> None:
    """Store (or replace) the entry of ``edition_id`` under ``rule``, in one transaction: a
    failure leaves the store as it was (no half-written entry)."""
    con.execute(_DDL)
    key = rule_key(rule)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    version = code_version()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {TABLE} WHERE edition_id = ? AND rule_key = ?", [edition_id, key])
        for position, (tid, table) in enumerate(protected.items()):
            payload = encode_table(table)
            # what is read back must publish exactly what was computed, or it is not stored
            if not same_table(decode_table(payload, rule), table):
                raise ValueError(f"{tid}: the stored form does not read back identically")
            con.execute(
                f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [edition_id, key, version, tid, position, payload, float(seconds), now],
            )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def stored_protection(
    db: Path | duckdb.DuckDBPyConnection,
    edition_id: str,
    tables: Tables,
    rule: DisclosureRule,
    *,
    read_only: bool,
    strict: bool = False,
) -> EditionProtection:
    """The protection of an edition under ``rule``: stored, or computed (and then stored).

    Parameters
    ----------
    db
        The store file, or an open connection to it (``run`` passes its own).
    edition_id
        The edition whose ``tables`` these are.
    tables
        The edition's unprotected tables, or a function that loads them (only called when
        the protection must be computed).
    rule
        The disclosure rule (the edition's, or a command's override: its own entry).
    read_only
        Compute without writing (``serve`` opens the store read-only). A writable store
        that another process holds open is read only, too.
    strict
        Raise when the computed protection cannot be stored (``run`` reports it); by default
        a failure to store is a one-line warning and the computed tables are returned.

    Returns
    -------
    EditionProtection
        ``stored`` says whether the tables were read from the store; read ones carry the
        seconds their computation took, and no model or solver result.
    """
    if isinstance(db, duckdb.DuckDBPyConnection):
        name = db.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
        name = str(name[0][0]) if name else "store"
        found, stale = _lookup(db, edition_id, tables, rule)
        if found is not None:
            return found
        protection = compute_protection(tables, rule, db, edition_id)
        if not read_only:
            _store(db, edition_id, rule, protection, stale, strict)
        else:
            _say_read_only(name, edition_id, rule, protection, stale)
        return protection
    from traffickingmonitor import store
    from traffickingmonitor.errors import UserError

    # Read with a read-only connection and write with a short writable one after computing:
    # a server reading the same store is never locked out for the seconds protection takes.
    con = store.connect(Path(db), read_only=True)
    try:
        found, stale = _lookup(con, edition_id, tables, rule)
    finally:
        con.close()
    if found is not None:
        return found
    protection = compute_protection(tables, rule, Path(db), edition_id)
    if not read_only:
        try:
            con = store.connect(Path(db))
        except UserError as exc:  # held by another process (a running server)
            if strict:
                raise
            log.warning(
                "%s not stored (%s): computed each time",
                _what(edition_id, rule),
                str(exc).splitlines()[0],
            )
            return protection
        try:
            _store(con, edition_id, rule, protection, stale, strict)
        finally:
            con.close()
    else:
        _say_read_only(str(db), edition_id, rule, protection, stale)
    return protection


def _what(edition_id: str, rule: DisclosureRule) -> str:
    return (
        f"the protected tables of edition {edition_id} ({rule.method}, threshold {rule.threshold})"
    )


def _lookup(con, edition_id, tables, rule) -> tuple[EditionProtection | None, str | None]:
    """The stored protection, or None and why a stored entry is not used (None: no entry)."""
    version = code_version()
    rows = _read(con, edition_id, rule_key(rule)) or []
    if not rows:
        return None, None
    versions = {r[1] for r in rows}
    if not callable(tables) and [r[0] for r in rows] != list(tables):
        return None, "do not match the edition's tables"
    if versions != {version}:
        return None, f"were stored by code version {', '.join(sorted(versions))}, this is {version}"
    try:
        protected = {tid: decode_table(payload, rule) for tid, _, payload, _ in rows}
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        return None, f"cannot be read ({exc})"
    return EditionProtection(protected, rule, rows[0][3], stored=True), None


def compute_protection(
    tables: Tables, rule: DisclosureRule, db, edition_id: str
) -> EditionProtection:
    """The protection of an edition as ``run`` computes it before storing it: suppression
    in rounds against the figures its microdata repeat under another name (or against its
    atoms, ``against_microdata``), rounding or noise as they are. ``db``: the store (a file
    or an open connection), for the microdata."""
    raw = tables() if callable(tables) else tables
    if rule.method != "suppression":
        return protect_edition_details(raw, rule)
    from traffickingmonitor.analysis.microdata import stored_members
    from traffickingmonitor.disclosure import against_atoms

    if not rule.against_microdata:
        return against_atoms.protect_with_repeats(raw, rule, _members_once(db, edition_id, raw))
    found = stored_members(db, edition_id, raw)
    return against_atoms.protect_against_atoms(raw, rule, found.members, found.missing).protection


def _members_once(db, edition_id: str, tables: dict[str, MonitorTable]) -> Callable:
    """``members_of(table ids)``: per table id, its members from the microdata (those it has),
    each made once: the rounds of a protection ask for mostly the same tables (a small
    edition: four rounds, 23 tables and then 18 three times)."""
    from traffickingmonitor.analysis.microdata import stored_members

    members: dict = {}
    asked: set[str] = set()

    def members_of(tids) -> dict:
        new = {t: tables[t] for t in tids if t not in asked}
        if new:
            members.update(stored_members(db, edition_id, new).members)
            asked.update(new)
        return {t: members[t] for t in tids if t in members}

    return members_of


def _store(con, edition_id, rule, protection, stale, strict) -> None:
    what = _what(edition_id, rule)
    try:
        store_protection(con, edition_id, rule, protection.tables, protection.seconds)
    except Exception as exc:  # never lose the result over its cache
        if strict:
            raise
        log.warning("%s could not be stored (%s): computed each time", what, exc)
        return
    if stale:
        log.warning("%s %s: computed again (%.1f s) and replaced", what, stale, protection.seconds)


def _say_read_only(db_name, edition_id, rule, protection, stale) -> None:
    what, seconds = _what(edition_id, rule), protection.seconds
    if stale:
        message = (
            f"{what} {stale}: computed again ({seconds:.1f} s), not replaced (store opened "
            "read-only)"
        )
    else:
        message = (
            f"{what} are not stored: computed ({seconds:.1f} s); `traffickingmonitor run` or "
            "`report` on a writable store would store them"
        )
    # once per store, edition and rule, not per message: it names the seconds it took
    say_once(log, ("protection", db_name, edition_id, rule_key(rule)), message)


def protected_tables(
    db: Path | duckdb.DuckDBPyConnection,
    edition_id: str,
    tables: Tables,
    rule: DisclosureRule,
    *,
    read_only: bool,
) -> dict[str, ProtectedTable]:
    """The protected tables of an edition under ``rule``: what every channel publishes.

    The one call instead of ``protect_edition``: it reads the stored protection, or computes
    it and stores it when the store is writable (see :func:`stored_protection`).
    """
    return stored_protection(db, edition_id, tables, rule, read_only=read_only).tables
