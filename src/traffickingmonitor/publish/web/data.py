"""Protected data of the editions, as the web serves them.

The web sees the store only through ``disclosure.stored`` and ``publish.stored_chapters``:
the protected tables and the chapters ``run`` stored (computed here, without writing, when
the store has none for the rule) are read once per edition (and language) and kept in memory:
an edition is immutable. Each edition is served under its own disclosure rule
(:meth:`EditionData.rule`), the one it was protected and reported with.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

from traffickingmonitor.disclosure.api import (
    DisclosureRule,
    ProtectedTable,
    require_protected,
    rule_from_config,
)
from traffickingmonitor.disclosure.stored import protected_tables

_SHARED: dict[tuple, EditionData] = {}
_SHARED_LOCK = threading.Lock()


def shared(db: Path, threshold: int | None = None) -> EditionData:
    """One ``EditionData`` per store file (and its state on disk) and threshold in this process.

    Several apps over the same store (workers of a test session, a restart of the factory)
    then build the chapters' charts once.
    """
    db = Path(db).resolve()
    stat = db.stat()
    key = (str(db), stat.st_mtime_ns, stat.st_size, threshold)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = EditionData(db, threshold)
        return _SHARED[key]


class Lru:
    """A bounded cache (least recently used out) for results keyed by request parameters:
    at most ``size`` entries and ``max_bytes`` bytes of ``str``/``bytes`` values."""

    def __init__(self, size: int = 4096, max_bytes: int = 64 << 20):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _store(self, key, value) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= _size(old)
        self._items[key] = value
        self.bytes += _size(value)
        while self._items and (len(self._items) > self.size or self.bytes > self.max_bytes):
            _, dropped = self._items.popitem(last=False)
            self.bytes -= _size(dropped)

    def peek(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._store(key, value)

    def get(self, key, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()  # outside the lock: two first requests may both build, that is all
        with self._lock:
            self._store(key, value)
        return value


def _size(value) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 0


class EditionData:
    """Read-only view of the store: editions, their protected tables and chapters."""

    def __init__(self, db: Path, threshold: int | None = None):
        self.db = Path(db)
        self.threshold = threshold  # None: each edition's own
        self._rules: dict[str | None, DisclosureRule] = {}
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, ProtectedTable]] = {}
        self._chapters: dict[tuple[str, str], list[dict]] = {}
        self._csv: dict[tuple[str, str], Path] = {}
        self._memo: dict[tuple, object] = {}
        self.responses = Lru()  # API bodies by edition, table, format, filters
        self.public_pages = Lru(2048, 128 << 20)  # HTML of pages as the public sees them
        self._tmp = tempfile.TemporaryDirectory(prefix="tm-web-")

    @cached_property
    def editions(self) -> list:
        """All editions, oldest first (read once: a running server serves a fixed store)."""
        from traffickingmonitor import editions, store

        con = store.connect(self.db, read_only=True)
        try:
            return editions.list_editions(con)
        finally:
            con.close()

    @property
    def latest(self):
        return self.editions[-1] if self.editions else None

    def edition(self, edition_id: str | None):
        if edition_id is None:
            return self.latest
        for e in self.editions:
            if e.edition_id == edition_id:
                return e
        return None

    def previous(self, edition_id: str):
        ids = [e.edition_id for e in self.editions]
        i = ids.index(edition_id)
        return self.editions[i - 1] if i > 0 else None

    def tables(self, edition_id: str) -> dict[str, ProtectedTable]:
        # Built ones without the lock: a build of another edition holds it for seconds.
        done = self._tables.get(edition_id)
        if done is not None:
            return done
        with self._lock:
            if edition_id not in self._tables:
                from traffickingmonitor import editions, store

                # the server opens the store read-only: it reads what `run` stored, and only
                # loads and protects the tables itself when the store has none for its rule
                con = store.connect(self.db, read_only=True)
                try:
                    protected = protected_tables(
                        con,
                        edition_id,
                        lambda: editions.load_tables(con, edition_id),
                        self.rule(edition_id),
                        read_only=True,
                    )
                finally:
                    con.close()
                for table in protected.values():
                    require_protected(table)
                self._tables[edition_id] = protected
            return self._tables[edition_id]

    def rule(self, edition_id: str | None = None) -> DisclosureRule:
        """The disclosure rule of an edition (default: the latest): its own, from its
        configuration, as ``run`` protected it and ``report`` writes it (method, threshold,
        ``against_microdata`` and the rest), the server's ``threshold`` in place of its own
        when one is given. Never a default rule: an edition protected against the
        microdata, or by rounding, is served as it was protected."""
        edition = self.edition(edition_id)
        key = edition.edition_id if edition is not None else None
        # every page asks (its footer names the rule): read the configuration once per edition
        rule = self._rules.get(key)
        if rule is None:
            config = edition.config.get("disclosure") if edition is not None else None
            rule = self._rules[key] = rule_from_config(config, threshold=self.threshold)
        return rule

    def years(self, edition_id: str) -> list[int]:
        from traffickingmonitor.publish.chapters import edition_years

        return edition_years(self.tables(edition_id))

    def chapters(self, edition_id: str, lang: str) -> list[dict]:
        """``[{"id", "content"}]`` of every chapter with something to show, in report order:
        the ones ``run`` stored (built here, without writing, when the store has none)."""
        from traffickingmonitor.publish.stored_chapters import edition_chapters

        key = (edition_id, lang)
        done = self._chapters.get(key)
        if done is not None:
            return done
        with self._lock:
            if key not in self._chapters:
                self._chapters[key] = edition_chapters(
                    self.db,
                    self.edition(edition_id),
                    self.rule(edition_id),
                    lang,
                    self.tables(edition_id),
                    read_only=True,
                )
            return self._chapters[key]

    def ready(self, edition_id: str, lang: str) -> bool:
        """Tables and chapters of the edition in ``lang`` are built (no work left)."""
        return (edition_id, lang) in self._chapters

    def tables_ready(self, edition_id: str) -> bool:
        return edition_id in self._tables

    def has_memo(self, key: tuple) -> bool:
        return key in self._memo

    def warm(self, langs=("nl", "en")) -> None:
        """Build the latest edition's tables and chapters (``serve`` does it at start-up)."""
        if self.latest is not None:
            for lang in langs:
                self.chapters(self.latest.edition_id, lang)

    def memo(self, key: tuple, build):
        """``build()`` once per key: derived views of an immutable edition never change."""
        if key in self._memo:
            return self._memo[key]
        with self._lock:
            if key not in self._memo:
                self._memo[key] = build()
            return self._memo[key]

    def csv_folder(self, edition_id: str, lang: str, draft: bool = False) -> Path:
        """The open-data folder of the edition (CSV + metadata.json), written once per status:
        a draft's metadata says so (its status comes from the state, not from the store)."""
        from traffickingmonitor.publish.report import write_tables

        key = (edition_id, lang, draft)
        with self._lock:
            if key not in self._csv:
                folder = Path(self._tmp.name) / edition_id / lang / ("draft" if draft else "final")
                write_tables(
                    self.tables(edition_id), self.edition(edition_id), folder, lang, draft=draft
                )
                self._csv[key] = folder
            return self._csv[key]
