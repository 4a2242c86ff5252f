"""Users: argon2 password hashes, roles, the demo users, and login rate limiting.

OIDC login (optional) lives in ``oidc.py``; its users are ``User`` rows without a password
(``add_user(..., oidc=True)``), logged in through ``session["uid"]`` like everyone else.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import ROLES, User

_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist, so the answer takes as long
# either way and does not tell which usernames exist.
_DUMMY_HASH = _HASHER.hash("not a password")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

# Seeded by ``create_app(..., demo_users=True)`` (demo only; never in production).
DEMO_USERS = (
    ("admin", "admin-demo-2024", "admin", None),
    ("analyst", "analyst-demo-2024", "analyst", None),
    ("amsterdam", "amsterdam-demo-2024", "municipality", "GM0363"),
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(
            user and user.active
        )
    except (VerificationError, InvalidHashError):
        return False


def add_user(
    db: Session,
    username: str,
    password: str | None,
    role: str,
    municipality: str | None = None,
    *,
    oidc: bool = False,
) -> User:
    """Create a user; raises ``UserError`` on a bad name, role, municipality or password.

    ``oidc=True``: a user who logs in with OpenID Connect only (no password; linked to the
    provider's identity at the first login, see ``oidc.resolve_user``).
    """
    from traffickingmonitor.codes.api import municipality_codes
    from traffickingmonitor.publish.web.oidc import NO_PASSWORD

    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise UserError(
            f"bad username {username!r}: 2-80 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "municipality":
        if municipality not in municipality_codes():
            raise UserError(f"a municipality user needs a CBS code GM#### (got {municipality!r})")
    elif municipality:
        raise UserError("only a municipality user is bound to a municipality")
    if not oidc and len(password or "") < 12:
        raise UserError("the password must have at least 12 characters")
    if db.scalar(select(User).where(User.username == username)):
        raise UserError(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=NO_PASSWORD if oidc else hash_password(password),
        role=role,
        municipality=municipality if role == "municipality" else None,
        active=True,
    )
    db.add(user)
    db.commit()
    return user


def set_active(db: Session, username: str, active: bool) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.active = active
    db.commit()
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def seed_demo_users(db: Session) -> None:
    for username, password, role, gm in DEMO_USERS:
        if not db.scalar(select(User).where(User.username == username)):
            add_user(db, username, password, role, gm)


class LoginLimiter:
    """At most ``attempts`` failed logins per key (client address, username) per ``window`` s.

    In memory, per process: enough for one server; several workers would need a shared store.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0):
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
