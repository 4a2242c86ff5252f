"""The chapters of an edition, built once and kept in the store.

Building an edition's chapters (text, tables, and charts drawn to SVG) takes seconds per
language on the demo edition; ``serve`` did it at start-up in every worker, and ``report``
again. An edition and its protection never change, so ``run`` builds the chapters once per
language and stores them, and ``report`` and ``serve`` read them (:func:`edition_chapters`):
the report and the dashboard show the same blocks, made by one computation.

An entry is keyed by edition, the disclosure rule (the chapters are built from the protected
tables of that rule) and language, and records the code version that built it
(:func:`code_version`: the protection's version plus a digest of the package's sources
outside the web server and of its code lists). An entry of another version is built again,
and replaced when the store is writable, with a one-line message. It is stored as versioned
JSON (zlib), not a pickle: reading a store never runs code from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path

import duckdb

from traffickingmonitor.disclosure.api import PrimaryRule, ProtectedTable
from traffickingmonitor.progress import say_once
from traffickingmonitor.publish import i18n
from traffickingmonitor.publish.chapters import (
    Block,
    ChapterContent,
    ChapterContext,
    edition_years,
)

__all__ = [
    "FORMAT",
    "LANGS",
    "TABLE",
    "build",
    "build_from",
    "code_version",
    "decode",
    "edition_chapters",
    "encode",
    "is_stored",
    "store_inputs",
]

log = logging.getLogger(__name__)

#: version of the payload layout; a payload of another format is built again, never guessed at
FORMAT = 1
#: the store's table of built chapters
TABLE = "edition_chapter_blocks"
#: the languages ``run`` builds: those of the report's words
LANGS = i18n.LANGS

_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    edition_id VARCHAR NOT NULL,
    rule_key VARCHAR NOT NULL,
    lang VARCHAR NOT NULL,
    code_version VARCHAR NOT NULL,
    payload BLOB NOT NULL,
    seconds DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (edition_id, rule_key, lang)
)
"""


@functools.cache
def code_version() -> str:
    """The protection's code version plus a digest of what builds a chapter.

    A chapter reads analyses, codes, labels and formats from all over the package, so the
    digest covers every module but the web server's (which only shows chapters) and the code
    lists' data: a change anywhere else builds the chapters again rather than show old words.
    """
    from traffickingmonitor.disclosure.stored import code_version as protection_version

    digest = hashlib.sha256()
    package = Path(str(resources.files("traffickingmonitor")))
    web = package / "publish" / "web"
    try:
        files = sorted(
            f
            for f in [
                *package.rglob("*.py"),
                *package.rglob("*.po"),  # the words (publish/locale)
                *(package / "codes" / "data").rglob("*"),
            ]
            if f.is_file() and web not in f.parents
        )
        for f in files:
            digest.update(str(f.relative_to(package)).encode() + b"\0" + f.read_bytes())
    except OSError:  # sources not readable (a frozen build): the protection's version must do
        return protection_version()
    digest.update(f"format {FORMAT}".encode())
    return f"{protection_version()}+{digest.hexdigest()[:12]}"


# --- the payload -------------------------------------------------------------------------

_CLASSES = {"block": Block, "chapter": ChapterContent}


def _encode(x):
    """JSON of a chapter's content; tuples, dicts and the two dataclasses are tagged so that
    what is read back equals what was built."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, list):
        return [_encode(v) for v in x]
    if isinstance(x, tuple):
        return {"tuple": [_encode(v) for v in x]}
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise TypeError("a chapter's dict has a key that is not text")
        return {"dict": {k: _encode(v) for k, v in x.items()}}
    for tag, cls in _CLASSES.items():
        if type(x) is cls:
            return {tag: {f.name: _encode(getattr(x, f.name)) for f in dataclasses.fields(cls)}}
    raise TypeError(f"cannot store a {type(x).__name__} in a chapter")


def _decode(x):
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    ((tag, value),) = x.items()
    if tag == "tuple":
        return tuple(_decode(v) for v in value)
    if tag == "dict":
        return {k: _decode(v) for k, v in value.items()}
    if tag in _CLASSES:
        return _CLASSES[tag](**{k: _decode(v) for k, v in value.items()})
    raise ValueError(f"unknown entry {tag!r}")


def encode(chapters: list[dict]) -> bytes:
    """The stored form of ``build_chapters``' result."""
    doc = {
        "format": FORMAT,
        "chapters": [{"id": c["id"], "content": _encode(c["content"])} for c in chapters],
    }
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), 6)


def decode(payload: bytes) -> list[dict]:
    doc = json.loads(zlib.decompress(payload).decode("utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"payload format {doc.get('format')!r}, this code reads {FORMAT}")
    return [{"id": c["id"], "content": _decode(c["content"])} for c in doc["chapters"]]


# --- building and the store --------------------------------------------------------------


def build(
    db: Path | duckdb.DuckDBPyConnection,
    edition,
    rule: PrimaryRule,
    lang: str,
    protected: dict[str, ProtectedTable],
) -> list[dict]:
    """Build the chapters: every chapter reads the protected tables, the quality the store
    records and the editions before this one (named in the summary, never their counts)."""
    if not edition_years(protected):
        return []
    return build_from(edition, rule, lang, protected, *store_inputs(db, edition))


def store_inputs(db: Path | duckdb.DuckDBPyConnection, edition) -> tuple:
    """What the chapters read from the store besides the protected tables: the edition's
    quality and the editions before it (:func:`build_from` takes them)."""
    from traffickingmonitor import editions
    from traffickingmonitor.publish.quality import read_quality

    return read_quality(db, edition.edition_id), editions.editions_before(db, edition.edition_id)


def build_from(
    edition,
    rule: PrimaryRule,
    lang: str,
    protected: dict[str, ProtectedTable],
    quality,
    editions_before: tuple[str, ...] | None,
    *,
    only: Collection[str] | None = None,
    given: Mapping[str, ChapterContent | None] | None = None,
) -> list[dict]:
    """:func:`build` on what it read from the store (:func:`store_inputs`): a worker
    process that cannot open the store (``run`` holds it) builds with this. ``only`` and
    ``given``: as ``build_chapters`` takes them."""
    from traffickingmonitor.publish.chapters import build_chapters
    from traffickingmonitor.publish.labels import TEXT

    years = edition_years(protected)
    if not years:
        return []
    ctx = ChapterContext(
        protected,
        edition,
        rule,
        lang,
        TEXT[lang],
        years,
        quality=quality,
        editions_before=editions_before,
    )
    return build_chapters(ctx, only=only, given=given)


def edition_chapters(
    db: Path | duckdb.DuckDBPyConnection,
    edition,
    rule: PrimaryRule,
    lang: str,
    protected: dict[str, ProtectedTable],
    *,
    read_only: bool,
    built: tuple[list[dict], float] | None = None,
) -> list[dict]:
    """The chapters of an edition in ``lang`` under ``rule``: stored, or built (and then
    stored unless ``read_only``; a store another process holds open is only read).

    ``protected`` are the edition's tables protected under ``rule`` (used only to build);
    ``built``: the chapters this code has just built from them and the seconds that took,
    taken instead of building again when the store has none of this code version.
    """
    from traffickingmonitor import store
    from traffickingmonitor.disclosure.stored import rule_key
    from traffickingmonitor.errors import UserError

    key, version = rule_key(rule), code_version()
    with store.reading(db) as con:
        found, stale = _lookup(con, edition.edition_id, key, lang, version)
    if found is not None:
        return found
    if built is None:
        t0 = time.perf_counter()
        chapters = build(db, edition, rule, lang, protected)
        built = chapters, time.perf_counter() - t0
    chapters, seconds = built
    what = f"the chapters of edition {edition.edition_id} ({lang})"
    if read_only:
        why = f"{stale}: built again" if stale else "are not stored: built"
        say_once(
            log,
            ("chapters", str(db), edition.edition_id, key, lang),
            f"{what} {why} ({seconds:.1f} s); `traffickingmonitor run` or `report` on a "
            "writable store would store them",
        )
        return chapters
    try:
        if isinstance(db, duckdb.DuckDBPyConnection):
            _write(db, edition.edition_id, key, lang, version, chapters, seconds)
        else:
            con = store.connect(Path(db))
            try:
                _write(con, edition.edition_id, key, lang, version, chapters, seconds)
            finally:
                con.close()
    except (UserError, duckdb.Error, TypeError, ValueError) as exc:  # never lose the result
        log.warning("%s could not be stored (%s): built each time", what, str(exc).splitlines()[0])
        return chapters
    if stale:
        log.warning("%s %s: built again (%.1f s) and replaced", what, stale, seconds)
    return chapters


def is_stored(db: Path | duckdb.DuckDBPyConnection, edition, rule: PrimaryRule, lang: str) -> bool:
    """Whether the store holds these chapters by this code version (read without decoding
    them: :func:`edition_chapters` decodes them once, and builds them if they are unreadable)."""
    from traffickingmonitor import store
    from traffickingmonitor.disclosure.stored import rule_key

    with store.reading(db) as con:
        row = _stored_row(con, edition.edition_id, rule_key(rule), lang, "code_version")
    return row is not None and row[0] == code_version()


def _stored_row(con, edition_id, key, lang, columns: str) -> tuple | None:
    """The stored chapters' row (these columns), None without one."""
    try:
        return con.execute(
            f"SELECT {columns} FROM {TABLE} WHERE edition_id = ? AND rule_key = ? AND lang = ?",
            [edition_id, key, lang],
        ).fetchone()
    except duckdb.CatalogException:  # a store from before chapters were stored
        return None


def _lookup(con, edition_id, key, lang, version) -> tuple[list[dict] | None, str | None]:
    """The stored chapters, or None and why a stored entry is not used (None: no entry)."""
    row = _stored_row(con, edition_id, key, lang, "code_version, payload")
    if row is None:
        return None, None
    stored_version, payload = row
    if stored_version != version:
        return None, f"were stored by code version {stored_version}, this is {version}"
    try:
        return decode(payload), None
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        return None, f"cannot be read ({exc})"


def _write(con, edition_id, key, lang, version, chapters, seconds) -> None:
    payload = encode(chapters)
    # what is read back must show exactly what was built, or it is not stored
    if decode(payload) != chapters:
        raise ValueError("the stored form does not read back identically")
    from traffickingmonitor import store

    con.execute(_DDL)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction(con):
        con.execute(
            f"DELETE FROM {TABLE} WHERE edition_id = ? AND rule_key = ? AND lang = ?",
            [edition_id, key, lang],
        )
        con.execute(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [edition_id, key, lang, version, payload, float(seconds), now],
        )
