"""The audit log: append-only and tamper-evident (each entry hashes the previous one).

Changing or deleting an entry breaks the chain from there on; ``verify`` finds the first
broken link. The application never updates or deletes entries.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from sqlalchemy import select
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


def append(
    factory: sessionmaker, username: str, role: str, action: str, target: str, detail: str = ""
) -> None:
    with _LOCK, factory() as db, db.begin():
        if db.bind.dialect.name == "postgresql":
            # Several server processes: serialise on a transaction-scoped advisory lock.
            from sqlalchemy import text

            db.execute(text("SELECT pg_advisory_xact_lock(74617564)"))
        last = db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        prev = last or GENESIS
        at = utcnow()
        db.add(
            AuditEntry(
                at=at,
                username=username,
                role=role,
                action=action,
                target=target,
                detail=detail,
                prev_hash=prev,
                hash=entry_hash(prev, at, username, role, action, target, detail),
            )
        )


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
