"""Web tests: one synthetic demo edition for the whole session, clients per role.

The edition is built once and shared by the xdist workers (a file lock decides who builds);
application state is a fresh SQLite file per app, or PostgreSQL when
``TRAFFICKINGMONITOR_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from web_helpers import build_demo_db, fresh_state_url, login, make_app


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """``monitor.duckdb`` of the synthetic demo edition (seed 1), built once per run."""
    return build_demo_db(tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path) -> str:
    return fresh_state_url(request.param, tmp_path)


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    return make_app(demo_db, fresh_state_url("sqlite", tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="module")
def clients(app):
    """A logged-in test client per role (``public``: none)."""
    from fastapi.testclient import TestClient

    out = {}
    for role in ("public", "municipality", "analyst", "admin"):
        c = TestClient(app)
        login(c, role)
        out[role] = c
    return out


@pytest.fixture(scope="module")
def edition_id(app) -> str:
    return app.state.data.latest.edition_id
