"""The analytic store: one DuckDB file per monitor.

Imported files are kept by content hash; an edition names the files it was computed from,
so every edition stays reproducible after later imports and revisions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from traffickingmonitor.errors import UserError

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS store_meta (
    name VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS import_files (
    file_hash VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    n_rows BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    code_version VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS registrations (
    file_hash VARCHAR NOT NULL,
    registration_id VARCHAR NOT NULL,
    registered_on DATE NOT NULL,
    reporting_org VARCHAR NOT NULL,
    nid_token VARCHAR,
    family_token VARCHAR,
    given_token VARCHAR,
    name_token VARCHAR,
    family_phonetic_token VARCHAR,
    given_phonetic_token VARCHAR,
    birth_date_token VARCHAR,
    birth_date_swapped_token VARCHAR,
    birth_monthday_token VARCHAR,
    birth_month_token VARCHAR,
    name_word_tokens VARCHAR[],
    family_variant_tokens VARCHAR[],
    given_variant_tokens VARCHAR[],
    birth_year INTEGER,
    age_at_registration INTEGER,
    sex VARCHAR,
    nationality VARCHAR,
    exploitation_forms VARCHAR[],
    sector VARCHAR,
    exploitation_country VARCHAR,
    exploitation_municipality VARCHAR,
    residence_municipality VARCHAR,
    exploitation_start DATE,
    residence_status VARCHAR,
    shelter_referral DATE
);
CREATE TABLE IF NOT EXISTS events (
    file_hash VARCHAR NOT NULL,
    registration_id VARCHAR,
    nid_token VARCHAR,
    family_token VARCHAR,
    given_token VARCHAR,
    name_token VARCHAR,
    family_phonetic_token VARCHAR,
    given_phonetic_token VARCHAR,
    birth_date_token VARCHAR,
    birth_date_swapped_token VARCHAR,
    birth_monthday_token VARCHAR,
    birth_month_token VARCHAR,
    name_word_tokens VARCHAR[],
    family_variant_tokens VARCHAR[],
    given_variant_tokens VARCHAR[],
    birth_year INTEGER,
    event_date DATE NOT NULL,
    event_type VARCHAR NOT NULL,
    offence_group VARCHAR,
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS municipal_assessments (
    file_hash VARCHAR NOT NULL,
    municipality VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    criterion VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    note VARCHAR
);
CREATE TABLE IF NOT EXISTS programme_indicators (
    file_hash VARCHAR NOT NULL,
    action_line INTEGER NOT NULL,
    indicator VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    baseline DOUBLE,
    target DOUBLE,
    value DOUBLE
);
CREATE TABLE IF NOT EXISTS perpetrator_chain (
    file_hash VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    exploitation_form VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    count BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS editions (
    edition_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    code_version VARCHAR NOT NULL,
    inputs_hash VARCHAR NOT NULL,
    config JSON NOT NULL,
    notes JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS edition_inputs (
    edition_id VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS edition_persons (
    edition_id VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    registration_id VARCHAR NOT NULL,
    person_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS edition_tables (
    edition_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    meta JSON NOT NULL,
    data JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS edition_linkage (
    edition_id VARCHAR PRIMARY KEY,
    model JSON,
    notes JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS edition_links (
    edition_id VARCHAR NOT NULL,
    registration_id_l VARCHAR NOT NULL,
    registration_id_r VARCHAR NOT NULL,
    match_probability DOUBLE NOT NULL,
    match_weight DOUBLE NOT NULL,
    weights DOUBLE[],
    shared_probability DOUBLE
);
CREATE TABLE IF NOT EXISTS edition_episodes (
    edition_id VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    registration_id VARCHAR NOT NULL,
    person_id BIGINT NOT NULL,
    episode_no INTEGER NOT NULL,
    episode_start DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS linkage_reviews (
    registration_id_l VARCHAR NOT NULL,
    registration_id_r VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    reviewed_at TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL
);
"""

# Stores made before a column existed get it (empty for the rows already there), so that an
# old store keeps loading and linking.
_MIGRATIONS = (
    *(
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}"
        for table in ("registrations", "events")
        for column, kind in (
            ("birth_date_swapped_token", "VARCHAR"),
            ("birth_monthday_token", "VARCHAR"),
            ("birth_month_token", "VARCHAR"),
            ("name_word_tokens", "VARCHAR[]"),
            ("family_variant_tokens", "VARCHAR[]"),
            ("given_variant_tokens", "VARCHAR[]"),
        )
    ),
    # filled in once per edition when the store is next opened for writing
    "ALTER TABLE edition_links ADD COLUMN IF NOT EXISTS shared_probability DOUBLE",
)

DATA_TABLES = (
    "registrations",
    "events",
    "municipal_assessments",
    "programme_indicators",
    "perpetrator_chain",
)


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, creating its tables on first use."""
    if read_only and not db.exists():
        raise UserError(f"no store at {db}: run `traffickingmonitor run INPUT_DIR --db {db}` first")
    try:
        if not read_only:
            db.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        raise UserError(f"cannot open store {db}: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise UserError(
            f"{db} is not a traffickingmonitor store: {str(exc).splitlines()[0]}"
        ) from exc
    if not read_only:
        con.execute(_DDL)
        for sql in _MIGRATIONS:
            con.execute(sql)
        _fill_shared_probabilities(con)
        con.execute(
            "INSERT INTO store_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [str(SCHEMA_VERSION)],
        )
    else:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'editions'"
        ).fetchall()[0][0]
        if not found:
            con.close()
            raise UserError(f"{db} is not a traffickingmonitor store (no editions table)")
    return con


def _fill_shared_probabilities(con: duckdb.DuckDBPyConnection) -> None:
    """Links stored before clustering's probability was kept with them get it, once."""
    older = con.execute(
        "SELECT DISTINCT edition_id FROM edition_links WHERE shared_probability IS NULL"
    ).fetchall()
    if older:
        from traffickingmonitor.linkage.store_io import store_shared_probabilities

        for (edition_id,) in older:
            store_shared_probabilities(con, edition_id)


@contextmanager
def reading(db: Path | duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to read from: ``db`` itself when it is one (left open: ``run`` reads what
    it has just written), else the store file opened read-only and closed afterwards."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        yield db
        return
    con = connect(Path(db), read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure or a kill before COMMIT leaves the store as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def meta(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    rows = con.execute("SELECT value FROM store_meta WHERE name = ?", [name]).fetchall()
    return rows[0][0] if rows else None


def code_version() -> str:
    from traffickingmonitor import __version__

    return __version__
