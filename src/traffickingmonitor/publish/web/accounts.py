"""Users: argon2 password hashes, roles, the demo users, and login throttling.

OIDC login (optional) lives in ``oidc.py``; its users are ``User`` rows without a password
(``add_user(..., oidc=True)``), logged in through a server-side session like everyone else.

Hashing runs in a small thread pool of its own (``HASH_POOL``), never on the event loop: an
argon2 verification takes a large fraction of a second of CPU and would hold up every other
request meanwhile. The pool is bounded, so a flood of logins queues there and cannot take
more cores than it has threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import ROLES, User

_HASHER = PasswordHasher()
# A hash (same parameters) to verify against when the account has no password hash to check:
# unknown, OIDC-only or broken. Every login then costs one full argon2 verification and the
# time of the answer does not tell which kind of account a username is.
_DUMMY_HASH = _HASHER.hash("not a password")


def _lower_priority() -> None:
    """Hashing threads run at a lower CPU priority (nice +10; argon2's own lane threads
    inherit it): under a flood of logins the pages keep the CPU and the logins wait."""
    # Not on this platform: the same priority as the pages.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# Half the cores (at most 4): a flood of logins leaves the other half to the pages.
HASH_POOL = ThreadPoolExecutor(
    max_workers=max(1, min(4, (os.cpu_count() or 2) // 2)),
    thread_name_prefix="tm-hash",
    initializer=_lower_priority,
)
MAX_PASSWORD = 1024  # characters; longer ones are refused, never cut
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

# Seeded by ``create_app(..., demo_users=True)`` (demo only; never in production).
DEMO_USERS = (
    ("admin", "admin-demo-2024", "admin", None),
    ("analyst", "analyst-demo-2024", "analyst", None),
    ("amsterdam", "amsterdam-demo-2024", "municipality", "GM0363"),
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _verifiable(user: User | None) -> str:
    h = user.password_hash if user is not None else ""
    return h if h.startswith("$argon2") else _DUMMY_HASH


def check_password(user: User | None, password: str) -> bool:
    """True for an active user with this password. Always one argon2 verification, whatever
    the account (unknown, OIDC-only, disabled, with a password)."""
    target = _verifiable(user)
    try:
        ok = _HASHER.verify(target, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and target is not _DUMMY_HASH and bool(user and user.active)


async def check_password_async(user: User | None, password: str) -> bool:
    """``check_password`` in the hashing pool, the event loop free meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(HASH_POOL, check_password, user, password)


async def hash_password_async(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(HASH_POOL, hash_password, password)


def add_user(
    db: Session,
    username: str,
    password: str | None,
    role: str,
    municipality: str | None = None,
    *,
    oidc: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user; raises ``UserError`` on a bad name, role, municipality or password.

    ``oidc=True``: a user who logs in with OpenID Connect only (no password; linked to the
    provider's identity at the first login, see ``oidc.resolve_user``). ``password_hash``:
    the hash made beforehand (the web hashes in ``HASH_POOL``); the password is still checked.
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
    if not oidc and not 12 <= len(password or "") <= MAX_PASSWORD:
        raise UserError(f"the password must have 12 to {MAX_PASSWORD} characters")
    if db.scalar(select(User).where(User.username == username)):
        raise UserError(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=NO_PASSWORD if oidc else (password_hash or hash_password(password)),
        role=role,
        municipality=municipality if role == "municipality" else None,
        active=True,
    )
    db.add(user)
    db.commit()
    return user


def set_active(db: Session, username: str, active: bool) -> User:
    """Enable or disable a user; disabling ends the user's sessions."""
    from traffickingmonitor.publish.web import sessions

    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.active = active
    if not active:
        sessions.end_all(db, user.id, "user disabled", commit=False)
    db.commit()
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def seed_demo_users(db: Session) -> None:
    for username, password, role, gm in DEMO_USERS:
        if not db.scalar(select(User).where(User.username == username)):
            add_user(db, username, password, role, gm)


class LoginThrottle:
    """Throttles password guessing without locking the real user out.

    Failed logins are counted (in ``window`` seconds) per client address, per pair of
    address and username, and per username:

    - an **address** or an **address and username** with more than ``free`` failures is
      refused (429) for a time that doubles with every further failure (1 s, 2 s, 4 s, ...,
      at most ``max_lockout``);
    - a **username** with more than ``free`` failures from anywhere is *delayed*, never
      refused: every attempt on it waits ``delay(...)`` seconds (doubling, at most
      ``max_delay``) before the password is checked. The right password from an address
      that has not failed still gets in.

    A success clears the pair and the username. In memory, per process (``serve --workers N``
    counts per worker); at most ``max_keys`` keys are kept (least recently used out), so
    anonymous requests cannot grow it without bound.
    """

    def __init__(
        self,
        free: int = 5,
        window: float = 900.0,
        max_lockout: float = 900.0,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_keys: int = 100_000,
        clock=time.monotonic,
    ):
        self.free = free
        self.window = window
        self.max_lockout = max_lockout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _count(self, key: str, now: float) -> tuple[int, float]:
        """Failures of ``key`` in the window and the time of the last one."""
        times = self._failures.get(key)
        if not times:
            return 0, -math.inf
        times[:] = [t for t in times if t > now - self.window]
        return len(times), (times[-1] if times else -math.inf)

    @staticmethod
    def keys(address: str, username: str) -> tuple[str, str, str]:
        return f"ip:{address}", f"pair:{address}|{username}", f"user:{username}"

    def retry_after(self, address: str, username: str) -> float:
        """Seconds until this address may try this username again (0: now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in self.keys(address, username)[:2]:
                n, last = self._count(key, now)
                if n >= self.free:
                    lockout = min(self.max_lockout, 2.0 ** (n - self.free))
                    wait = max(wait, last + lockout - now)
        return max(0.0, wait)

    def delay(self, username: str) -> float:
        """Seconds every attempt on ``username`` waits (failures from any address)."""
        now = self.clock()
        with self._lock:
            n, _ = self._count(f"user:{username}", now)
        if n < self.free:
            return 0.0
        return min(self.max_delay, self.base_delay * 2.0 ** (n - self.free))

    def fail(self, address: str, username: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self.keys(address, username):
                times = self._failures.pop(key, [])
                # A key's list is bounded too: more than this says nothing new.
                self._failures[key] = [*times[-63:], now]
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeed(self, address: str, username: str) -> None:
        with self._lock:
            for key in self.keys(address, username)[1:]:
                self._failures.pop(key, None)
