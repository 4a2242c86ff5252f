"""Server-side sessions: a login is a row in the state database, the cookie only names it.

The signed cookie (Starlette's ``SessionMiddleware``) carries a random token (and the CSRF
token); the table keeps the token's SHA-256, so a copy of the database holds no usable
cookie. A session ends at logout, when an administrator revokes it (``/admin/sessions``,
``traffickingmonitor sessions revoke``), after ``idle`` seconds without a request, ``absolute``
seconds after the login, when the user's role or municipality changes, or when the user is
disabled; an ended session is kept (with the reason) for the record, never reopened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traffickingmonitor.publish.web.state import User, WebSession, utcnow


@dataclass(frozen=True)
class SessionPolicy:
    idle: float = 30 * 60  # seconds without a request
    absolute: float = 8 * 3600  # seconds after the login, however active
    # ``last_seen`` is written at most this often: not a database write per request.
    touch_every: float = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(db: Session, user: User, client: str, method: str = "password") -> str:
    """A new session for ``user``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            role=user.role,
            municipality=user.municipality,
            created_at=now,
            last_seen=now,
            client=client[:64],
            method=method,
        )
    )
    db.commit()
    return token


def resolve(
    db: Session, token: str, policy: SessionPolicy, now: dt.datetime | None = None
) -> tuple[User, WebSession] | None:
    """The user and session of ``token`` if the session is open; an expired one is ended."""
    now = now or utcnow()
    row = db.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None:
        return None
    user = db.get(User, row.user_id)
    reason = None
    if user is None or not user.active:
        reason = "user disabled"
    elif (user.role, user.municipality) != (row.role, row.municipality):
        reason = "role changed"
    elif (now - row.created_at).total_seconds() > policy.absolute:
        reason = "absolute timeout"
    elif (now - row.last_seen).total_seconds() > policy.idle:
        reason = "idle timeout"
    if reason is not None:
        _end(db, [row.id], reason, now)
        db.commit()
        return None
    if (now - row.last_seen).total_seconds() >= policy.touch_every:
        row.last_seen = now
        db.commit()
    return user, row


def _end(db: Session, ids: list[int], reason: str, now: dt.datetime | None = None) -> int:
    if not ids:
        return 0
    result = db.execute(
        update(WebSession)
        .where(WebSession.id.in_(ids), WebSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
    )
    return result.rowcount or 0


def end(db: Session, token: str, reason: str = "logout") -> None:
    row = db.scalar(select(WebSession.id).where(WebSession.token_hash == _digest(token)))
    if row is not None:
        _end(db, [row], reason)
        db.commit()


def end_by_id(db: Session, session_id: int, reason: str = "revoked") -> bool:
    """End one session by its number (what the admin page and the CLI show); True if it was
    open."""
    n = _end(db, [session_id], reason)
    db.commit()
    return n > 0


def end_all(
    db: Session, user_id: int, reason: str, *, commit: bool = True, keep: int | None = None
) -> int:
    """End the user's open sessions (all but ``keep``); the number ended."""
    ids = [
        i
        for i in db.scalars(
            select(WebSession.id).where(
                WebSession.user_id == user_id, WebSession.ended_at.is_(None)
            )
        )
        if i != keep
    ]
    n = _end(db, ids, reason)
    if commit:
        db.commit()
    return n


@dataclass(frozen=True)
class OpenSession:
    id: int
    username: str
    role: str
    client: str
    method: str
    created_at: dt.datetime
    last_seen: dt.datetime


def open_sessions(
    db: Session, policy: SessionPolicy, now: dt.datetime | None = None, user_id: int | None = None
) -> list:
    """Sessions not ended and not yet expired (of one user, or all), newest first."""
    now = now or utcnow()
    idle_cut = now - dt.timedelta(seconds=policy.idle)
    abs_cut = now - dt.timedelta(seconds=policy.absolute)
    rows = db.execute(
        select(WebSession, User.username)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.ended_at.is_(None),
            WebSession.last_seen >= idle_cut,
            WebSession.created_at >= abs_cut,
            *([WebSession.user_id == user_id] if user_id is not None else []),
        )
        .order_by(WebSession.created_at.desc())
    ).all()
    return [
        OpenSession(s.id, name, s.role, s.client, s.method, s.created_at, s.last_seen)
        for s, name in rows
    ]
