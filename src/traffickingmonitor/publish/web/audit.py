"""The audit log: append-only and tamper-evident (each entry hashes the previous one).

Changing or deleting an entry breaks the chain from there on; ``verify`` finds the first
broken link. The application never updates or deletes entries.

Security events (logins, user changes, saved assessments) are written at once (``append``).
The access entry of every request goes through an ``AuditWriter``: queued without waiting and
written by one thread in batches (one transaction for many entries), so a request does not
wait for a database commit. The writer is flushed at shutdown and before the log is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from traffickingmonitor.publish.web.state import AuditEntry, utcnow

GENESIS = "0" * 64
_LOCK = threading.Lock()  # one writer at a time in this process keeps the chain linear


def entry_hash(prev_hash: str, at, username, role, action, target, detail) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), username, role, action, target, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(db: Session) -> None:
    """Several server processes: take the database's write lock before reading the last hash."""
    dialect = db.bind.dialect.name
    if dialect == "postgresql":
        # Serialise on a transaction-scoped advisory lock.
        from sqlalchemy import text

        db.execute(text("SELECT pg_advisory_xact_lock(74617564)"))
    elif dialect == "sqlite":
        # A deferred transaction would read the last hash before taking the write lock, and
        # two processes could then chain to the same entry.
        db.connection().exec_driver_sql("BEGIN IMMEDIATE")


def _write(factory: sessionmaker, entries: list[tuple]) -> None:
    with _LOCK, factory() as db, db.begin():
        _lock_chain(db)
        last = db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        prev = last or GENESIS
        rows = []
        for username, role, action, target, detail in entries:
            at = utcnow()
            h = entry_hash(prev, at, username, role, action, target, detail)
            rows.append(
                {
                    "at": at,
                    "username": username,
                    "role": role,
                    "action": action,
                    "target": target,
                    "detail": detail,
                    "prev_hash": prev,
                    "hash": h,
                }
            )
            prev = h
        # Multi-row INSERTs in the given order (ids follow it): one statement per 500 entries
        # (an executemany would give up and wait for the GIL again at every row).
        for i in range(0, len(rows), 500):
            db.execute(insert(AuditEntry).values(rows[i : i + 500]))


def append(
    factory: sessionmaker, username: str, role: str, action: str, target: str, detail: str = ""
) -> None:
    """Write one entry now (security events)."""
    _write(factory, [(username, role, action, target, detail)])


class AuditWriter:
    """Queues entries and writes them in batches from one thread, in the order submitted.

    ``submit`` only appends to a deque (no lock, no wake-up: cheap on the event loop); the
    writer looks every ``interval`` seconds and writes what has come in, in one transaction.
    """

    def __init__(
        self,
        factory: sessionmaker,
        interval: float = 0.05,
        batch: int = 2000,
        max_backlog: int = 5000,
    ):
        self.factory = factory
        self.max_backlog = max_backlog
        self.interval = interval
        self.batch = batch
        self._pending: deque = deque()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, username: str, role: str, action: str, target: str, detail: str = "") -> None:
        self._pending.append((username, role, action, target, detail))

    @property
    def behind(self) -> bool:
        """More than ``max_backlog`` entries wait: the server should slow down (the log may
        lag a moment behind the requests, never far)."""
        return len(self._pending) > self.max_backlog

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every entry submitted so far is written."""
        done = threading.Event()
        self._pending.append(done)
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            if not self._pending:
                time.sleep(self.interval)
                continue
            entries, events = [], []
            while self._pending and len(entries) < self.batch:
                item = self._pending.popleft()
                (events if isinstance(item, threading.Event) else entries).append(item)
            try:
                if entries:
                    _write(self.factory, entries)
            except Exception:  # the log must not take the server down; say so loudly
                logging.getLogger(__name__).exception("audit entries not written: %s", entries)
            for e in events:
                e.set()


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None  # id of the first entry whose link or hash is wrong
    reason: str = ""


def verify(db: Session) -> Verification:
    prev = GENESIS
    n = 0
    for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        n += 1
        if e.prev_hash != prev:
            return Verification(False, n, e.id, "does not link to the entry before it")
        if e.hash != entry_hash(prev, e.at, e.username, e.role, e.action, e.target, e.detail):
            return Verification(False, n, e.id, "content does not match its hash")
        prev = e.hash
    return Verification(True, n)


def recent(db: Session, limit: int = 200) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
