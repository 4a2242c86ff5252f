"""Helpers of the web tests (importable from test modules, unlike conftest)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

POSTGRES_ENV = "TRAFFICKINGMONITOR_TEST_POSTGRES_URL"
PASSWORDS = {
    "admin": ("admin", "admin-demo-2024"),
    "analyst": ("analyst", "analyst-demo-2024"),
    "municipality": ("amsterdam", "amsterdam-demo-2024"),
}
OWN_GM = "GM0363"
OTHER_GM = "GM0014"


def _postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def fresh_state_url(kind: str, tmp_path: Path) -> str:
    """A new, empty state database of ``kind`` (sqlite, or postgresql in its own schema)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'state-{uuid.uuid4().hex[:8]}.sqlite'}"
    url = _postgres_url()
    if not url:
        pytest.skip(f"PostgreSQL variant: set {POSTGRES_ENV} (e.g. postgresql+psycopg://...)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def make_app(db: Path, state: str, **kw):
    from traffickingmonitor.publish.web import create_app

    kw.setdefault("secure_cookies", False)  # the test client speaks plain HTTP
    kw.setdefault("demo_users", True)
    return create_app(db, state, secret_key="test-secret", **kw)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, role: str) -> None:
    if role == "public":
        return
    username, password = PASSWORDS[role]
    token = csrf(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
