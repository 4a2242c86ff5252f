"""The audit log: append-only and tamper-evident.

Each entry carries an HMAC-SHA256 over its fields and the previous entry's HMAC, with a key
kept outside the database (a file, mode 0600): changing, deleting or re-chaining entries
needs the key. After every write a **signed checkpoint** (last id and HMAC, and where the
chain starts) replaces a file outside the database: cutting entries off the end, or
re-chaining the whole log with another key, no longer matches it. ``verify`` checks both.

Every entry is committed before the request it records is answered (group commit: one
writer thread writes what has come in since its last transaction, in one transaction), so a
crash of the server loses no entry of an answered request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import AuditEntry, private_file, utcnow

GENESIS = "0" * 64
_LOCK = threading.Lock()  # one writer at a time in this process keeps the chain linear
KEY_ENV = "TRAFFICKINGMONITOR_AUDIT_KEY_FILE"
CHECKPOINT_ENV = "TRAFFICKINGMONITOR_AUDIT_CHECKPOINT"


def default_paths(db: Path) -> tuple[Path, Path]:
    """Key and checkpoint files beside the store: ``monitor.audit.key``, ``.audit.checkpoint``
    (``TRAFFICKINGMONITOR_AUDIT_KEY_FILE`` and ``_CHECKPOINT`` put them elsewhere)."""
    db = Path(db).resolve()
    key = os.environ.get(KEY_ENV) or db.with_suffix(".audit.key")
    checkpoint = os.environ.get(CHECKPOINT_ENV) or db.with_suffix(".audit.checkpoint")
    return Path(key), Path(checkpoint)


def load_key(path: Path, create: bool = True) -> bytes:
    """The chain's key from ``path`` (64 hex digits); made (0600) when missing and ``create``."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise UserError(f"no audit key at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another worker made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
    private_file(path)
    raw = path.read_text().strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise UserError(f"the audit key {path} is not 64 hex digits")
    return key


@dataclass(frozen=True)
class AuditChain:
    """Where the log lives (``factory``), its key and its checkpoint file."""

    factory: sessionmaker
    key: bytes
    checkpoint: Path

    @classmethod
    def open(cls, factory: sessionmaker, key_file: Path, checkpoint: Path, create: bool = True):
        return cls(factory, load_key(key_file, create), Path(checkpoint))


def _payload(prev_hash, at, username, role, action, target, detail) -> list:
    return [
        prev_hash,
        at.isoformat(timespec="microseconds"),
        username,
        role,
        action,
        target,
        detail,
    ]


def entry_hash(key: bytes, prev_hash: str, at, username, role, action, target, detail, client):
    payload = json.dumps(
        [*_payload(prev_hash, at, username, role, action, target, detail), client],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def legacy_hash(prev_hash, at, username, role, action, target, detail) -> str:
    """The unkeyed SHA-256 of entries written before the chain had a key."""
    payload = json.dumps(
        _payload(prev_hash, at, username, role, action, target, detail),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Query parameters whose values the log keeps (short, never secret); of any other only the
# name is kept: a token sent in a URL must not end up in the log, nor megabytes of query.
_KEPT_PARAMS = {"edition", "lang", "year", "format", "where", "code", "saved"}


def access_target(path: str, query: str) -> str:
    """What the log records of a request URL: the path and the safe part of the query."""
    parts = []
    for name, value in parse_qsl(query, keep_blank_values=True)[:10]:
        name = quote(name[:40], safe="")
        parts.append(f"{name}={quote(value[:100], safe=':/')}" if name in _KEPT_PARAMS else name)
    target = quote(path[:300], safe="/:@-._~!$&'()*+,;=")
    return target + ("?" + "&".join(parts) if parts else "")


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


def _checkpoint_body(last_id: int, last_hash: str, first_id: int, first_prev: str) -> dict:
    return {
        "last_id": last_id,
        "last_hash": last_hash,
        "first_id": first_id,
        "first_prev": first_prev,
    }


def _sign(key: bytes, body: dict) -> str:
    text = "audit checkpoint " + json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


_CHECKPOINT_LOCK = threading.Lock()


def write_checkpoint(chain: AuditChain, body: dict) -> None:
    """Replace the checkpoint file at once (a reader sees the old or the new one, whole).

    The temporary file is this call's own: the writer thread and a direct ``append`` of one
    process may write checkpoints at the same time (a name per process only let one of them
    move the other's file away).
    """
    record = {**body, "at": utcnow().isoformat(timespec="seconds"), "sig": _sign(chain.key, body)}
    tmp = chain.checkpoint.with_name(f"{chain.checkpoint.name}.{uuid.uuid4().hex}.tmp")
    with _CHECKPOINT_LOCK:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        os.replace(tmp, chain.checkpoint)


def read_checkpoint(chain: AuditChain) -> dict | None:
    try:
        record = json.loads(chain.checkpoint.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UserError(f"the audit checkpoint {chain.checkpoint} is unreadable") from exc
    return record


def _commit(chain: AuditChain, entries: list[tuple]) -> dict:
    """Chain and commit ``entries``; returns the checkpoint to write."""
    with _LOCK, chain.factory() as db:
        _lock_chain(db)
        last = db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        prev = last or GENESIS
        rows = []
        for username, role, action, target, detail, client in entries:
            at = utcnow()
            h = entry_hash(chain.key, prev, at, username, role, action, target, detail, client)
            rows.append(
                {
                    "at": at,
                    "username": username,
                    "role": role,
                    "action": action,
                    "target": target,
                    "detail": detail,
                    "client": client,
                    "keyed": True,
                    "prev_hash": prev,
                    "hash": h,
                }
            )
            prev = h
        # One statement compiled once (cached) and run for every row, in order (ids follow
        # it); a multi-row VALUES of varying length would be compiled anew for each batch.
        db.execute(insert(AuditEntry.__table__), rows)
        last_id = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        first = db.execute(
            select(AuditEntry.id, AuditEntry.prev_hash).order_by(AuditEntry.id).limit(1)
        ).one()
        db.commit()
    return _checkpoint_body(last_id, prev, first.id, first.prev_hash)


def _write(chain: AuditChain, entries: list[tuple]) -> None:
    # The checkpoint after the commit: a crash in between leaves it behind the log (still
    # consistent), never ahead of it. Another process may overwrite it with an older one a
    # moment later; that one is consistent too.
    write_checkpoint(chain, _commit(chain, entries))


def append(
    chain: AuditChain,
    username: str,
    role: str,
    action: str,
    target: str,
    detail: str = "",
    client: str = "",
) -> None:
    """Write one entry now (security events; off the event loop)."""
    _write(chain, [(username, role, action, target, detail, client)])


class AuditWriter:
    """Writes entries from one thread, in the order submitted, many per transaction.

    ``record`` (async) returns once its entry is committed: the request it records is
    answered only then. While one transaction is written the next entries gather, so under
    load a transaction carries many entries (group commit) and costs each request little.
    """

    def __init__(self, chain: AuditChain, batch: int = 2000):
        self.chain = chain
        self.batch = batch
        self._pending: deque = deque()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(
        self,
        username: str,
        role: str,
        action: str,
        target: str,
        detail: str = "",
        client: str = "",
        done=None,
    ) -> None:
        self._pending.append(((username, role, action, target, detail, client), done))
        self._wake.set()

    async def record(self, username, role, action, target, detail="", client="") -> None:
        """Submit an entry and wait (without blocking the event loop) until it is committed;
        raises if it could not be written."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.submit(username, role, action, target, detail, client, done=(loop, future))
        await future

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every entry submitted so far is written."""
        done = threading.Event()
        self._pending.append((None, done))
        self._wake.set()
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._pending:
                entries, waiting = [], []
                while self._pending and len(entries) < self.batch:
                    entry, done = self._pending.popleft()
                    if entry is not None:
                        entries.append(entry)
                    if done is not None:
                        waiting.append(done)
                error = checkpoint = None
                try:
                    if entries:
                        checkpoint = _commit(self.chain, entries)
                except Exception as exc:  # the requests waiting for it fail, the server goes on
                    logging.getLogger(__name__).exception("audit entries not written")
                    error = exc
                # The answers wait for the commit only; the checkpoint follows at once.
                _release(waiting, error)
                if checkpoint is not None:
                    try:
                        write_checkpoint(self.chain, checkpoint)
                    except OSError:
                        logging.getLogger(__name__).exception("audit checkpoint not written")


def _release(waiting: list, error: Exception | None) -> None:
    by_loop: dict = {}
    for done in waiting:
        if isinstance(done, threading.Event):
            done.set()
        else:
            loop, future = done
            by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that event loop has closed (client gone)
            loop.call_soon_threadsafe(_settle, futures, error)


def _settle(futures: list, error: Exception | None) -> None:
    for f in futures:
        if not f.done():
            if error is None:
                f.set_result(None)
            else:
                f.set_exception(RuntimeError("the audit log could not be written"))


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None  # id of the first entry whose link or hash is wrong
    reason: str = ""


def verify(chain: AuditChain) -> Verification:
    """Check every entry's link and HMAC, then the log against the signed checkpoint."""
    checkpoint = read_checkpoint(chain)
    if checkpoint is not None:
        body = {k: checkpoint.get(k) for k in ("last_id", "last_hash", "first_id", "first_prev")}
        if not hmac.compare_digest(str(checkpoint.get("sig", "")), _sign(chain.key, body)):
            return Verification(False, 0, None, "the checkpoint's signature is wrong")
    prev = checkpoint["first_prev"] if checkpoint else GENESIS
    n = 0
    seen_keyed = seen_checkpoint = False
    with chain.factory() as db:
        for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
            n += 1
            if n == 1 and checkpoint and e.id != checkpoint["first_id"]:
                return Verification(False, n, e.id, "the log does not start where it started")
            if e.prev_hash != prev:
                return Verification(False, n, e.id, "does not link to the entry before it")
            fields = (e.at, e.username, e.role, e.action, e.target, e.detail)
            if e.keyed:
                seen_keyed = True
                expected = entry_hash(chain.key, prev, *fields, e.client)
            elif seen_keyed:
                return Verification(False, n, e.id, "an unkeyed entry after keyed ones")
            else:
                expected = legacy_hash(prev, *fields)
            if not hmac.compare_digest(e.hash, expected):
                return Verification(False, n, e.id, "content does not match its HMAC")
            if checkpoint and e.id == checkpoint["last_id"]:
                if e.hash != checkpoint["last_hash"]:
                    return Verification(False, n, e.id, "differs from the signed checkpoint")
                seen_checkpoint = True
            prev = e.hash
    if checkpoint is None:
        if seen_keyed:
            return Verification(False, n, None, f"no checkpoint file at {chain.checkpoint}")
    elif not seen_checkpoint:
        return Verification(
            False,
            n,
            None,
            f"entries up to #{checkpoint['last_id']} (signed checkpoint) are missing: "
            "the log was cut",
        )
    return Verification(True, n)


def rotate(chain: AuditChain, key_file: Path, archive: Path) -> tuple[Path, int]:
    """Move the whole log into ``archive`` and go on under a new key (the server stopped).

    The archive folder gets the entries (``audit-<time>.jsonl``), a copy of the old key and
    the old checkpoint, each 0600: ``verify_archive`` checks them later. The live log starts
    again with one ``audit rotated`` entry whose link is the last archived HMAC, signed with
    the new key (written to ``key_file``), and a new checkpoint. Returns the archive file and
    the number of entries moved.
    """
    result = verify(chain)
    if not result.ok:
        raise UserError(f"the audit log is broken ({result.reason}); it is not rotated")
    archive = Path(archive)
    archive.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    out = archive / f"audit-{stamp}.jsonl"
    new_key = secrets.token_hex(32)
    with _LOCK, chain.factory() as db:
        _lock_chain(db)
        fd = os.open(out, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        n, last = 0, GENESIS
        with os.fdopen(fd, "w") as f:
            for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
                row = {c: getattr(e, c) for c in _COLUMNS}
                row["at"] = e.at.isoformat(timespec="microseconds")
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n, last = n + 1, e.hash
        for src, name in (
            (key_file, f"audit-{stamp}.key"),
            (chain.checkpoint, f"audit-{stamp}.checkpoint"),
        ):
            if Path(src).exists():
                fd = os.open(archive / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(Path(src).read_text())
        db.execute(AuditEntry.__table__.delete())
        rotated = AuditChain(chain.factory, bytes.fromhex(new_key), chain.checkpoint)
        at = utcnow()
        detail = f"{n} entries to {out.name}"
        h = entry_hash(rotated.key, last, at, "cli", "admin", "audit rotated", str(out), detail, "")
        db.add(
            AuditEntry(
                at=at,
                username="cli",
                role="admin",
                action="audit rotated",
                target=str(out),
                detail=detail,
                client="",
                keyed=True,
                prev_hash=last,
                hash=h,
            )
        )
        db.flush()
        first_id = db.scalar(select(AuditEntry.id))
        # The new key replaces the old one before the commit: a crash in between leaves the
        # old log under the new key, which ``verify`` reports (the archive has it all).
        tmp = Path(key_file).with_name(Path(key_file).name + ".new")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key + "\n")
        os.replace(tmp, key_file)
        db.commit()
    write_checkpoint(rotated, _checkpoint_body(first_id, h, first_id, last))
    return out, n


_COLUMNS = (
    "id",
    "at",
    "username",
    "role",
    "action",
    "target",
    "detail",
    "client",
    "keyed",
    "prev_hash",
    "hash",
)


def verify_archive(entries: Path, key_file: Path) -> Verification:
    """Check an archive written by ``rotate`` with its key (``audit-<time>.key``) and its
    checkpoint (``audit-<time>.checkpoint`` beside it)."""
    import datetime as dt

    entries = Path(entries)
    key = load_key(key_file, create=False)
    chain = AuditChain(None, key, entries.with_suffix(".checkpoint"))  # type: ignore[arg-type]
    checkpoint = read_checkpoint(chain)
    prev, n, last_id = (checkpoint or {}).get("first_prev", GENESIS), 0, None
    with entries.open(encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            n += 1
            at = dt.datetime.fromisoformat(e["at"])
            fields = (at, e["username"], e["role"], e["action"], e["target"], e["detail"])
            expected = (
                entry_hash(key, prev, *fields, e["client"])
                if e["keyed"]
                else legacy_hash(prev, *fields)
            )
            if e["prev_hash"] != prev or not hmac.compare_digest(e["hash"], expected):
                return Verification(False, n, e["id"], "does not match its HMAC or link")
            prev, last_id = e["hash"], e["id"]
    if checkpoint is not None:
        body = {k: checkpoint.get(k) for k in ("last_id", "last_hash", "first_id", "first_prev")}
        if not hmac.compare_digest(str(checkpoint.get("sig", "")), _sign(key, body)):
            return Verification(False, n, None, "the checkpoint's signature is wrong")
        if (last_id, prev) != (checkpoint["last_id"], checkpoint["last_hash"]):
            return Verification(False, n, None, "the archive ends before its checkpoint")
    return Verification(True, n)


def recent(db: Session, limit: int = 200) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
