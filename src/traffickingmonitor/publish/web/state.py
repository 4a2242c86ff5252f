"""Application state: users, sessions, self-assessments, approvals of editions and the audit
log (SQLAlchemy).

SQLite by default (a file beside the DuckDB store, mode 0600: it holds password hashes),
PostgreSQL in production. The analytic store stays read-only; everything a person changes
lives here.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

ROLES = ("admin", "analyst", "municipality")  # "public" is the absence of a login


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str | None] = mapped_column(String(6), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OIDCIdentity(Base):
    """A person at an OpenID provider (issuer + subject), linked to one user."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    """A login: the cookie carries a random token, the table its SHA-256 (a stolen copy of the
    database gives no usable cookie). Ended by logout, revocation, the idle or the absolute
    timeout, a change of the user's role, or disabling the user."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The role and municipality the session was opened with: another role needs a new login.
    role: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str | None] = mapped_column(String(6), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    client: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(20), default="password")
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Assessment(Base):
    """One saved answer; a new save adds rows, so the history is the table itself."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only, chained: each entry's HMAC (``audit.py``) covers its fields and the
    previous entry's. ``keyed`` is false only for entries written before the chain had a key
    (they may only precede the keyed ones)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    keyed: Mapped[bool] = mapped_column(Boolean, default=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class EditionApproval(Base):
    """One person's approval of an edition (``approvals.py``). An edition without a complete,
    standing approval is a draft: only analysts and administrators see it.

    ``complete`` says this approval made the edition public (the second one under four eyes,
    the only one otherwise): a later change of the four-eyes setting leaves it so.
    ``withdrawn_at`` ends every approval of the edition at once (an administrator's act).
    """

    __tablename__ = "edition_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(40), index=True)
    username: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # web, cli, demo
    reason: Mapped[str] = mapped_column(Text, default="")
    needed: Mapped[int] = mapped_column(Integer, default=1)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Setting(Base):
    """Settings that every face of the monitor (``serve``, the CLI) must respect alike."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(80), default="")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def default_state_url(db: Path) -> str:
    """A SQLite file beside the DuckDB store: ``monitor.duckdb`` -> ``monitor.state.sqlite``."""
    return f"sqlite:///{db.with_suffix('.state.sqlite').resolve()}"


def private_file(path: Path) -> None:
    """Create ``path`` (empty) readable by its owner only, or take the group's and others'
    rights away from an existing one."""
    path = Path(path)
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def make_engine(url: str) -> Engine:
    """Engine for ``url``; creates the tables if they are missing (and the SQLite file, 0600:
    SQLite gives its -wal and -shm files the rights of the database file)."""
    kwargs: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        file = _sqlite_file(url)
        if file is not None:
            private_file(file)
            for extra in ("-wal", "-shm"):
                if Path(f"{file}{extra}").exists():
                    private_file(Path(f"{file}{extra}"))
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con, _record):
            # WAL lets page reads go on while the audit log is written.
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: durable at checkpoints, no fsync per audit entry.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    from traffickingmonitor.publish.web import review_state  # noqa: F401  (its table)

    Base.metadata.create_all(engine)
    _migrate(engine)
    return engine


def _migrate(engine: Engine) -> None:
    """Columns added since the first release (``create_all`` adds tables, not columns)."""
    have = {c["name"] for c in inspect(engine).get_columns("audit_log")}
    added = {
        "client": "VARCHAR(64) NOT NULL DEFAULT ''",
        # Entries from before the key: unkeyed SHA-256 links (see ``audit.verify``).
        "keyed": "BOOLEAN NOT NULL DEFAULT FALSE",
    }
    missing = [(name, ddl) for name, ddl in added.items() if name not in have]
    if missing:
        with engine.begin() as con:
            for name, ddl in missing:
                con.execute(text(f"ALTER TABLE audit_log ADD COLUMN {name} {ddl}"))


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
