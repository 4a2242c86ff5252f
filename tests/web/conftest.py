"""Web tests: one synthetic demo edition for the whole session, clients per role.

The edition is built once and shared by the xdist workers (a file lock decides who builds);
application state is a fresh SQLite file per app, or PostgreSQL when
``TRAFFICKINGMONITOR_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from web_helpers import fresh_state_url, login, make_app


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """``monitor.duckdb`` of the synthetic demo edition (seed 1), built once per run."""
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    given = os.environ.get("TRAFFICKINGMONITOR_TEST_WEB_DB")
    if given:  # a store built beforehand (quicker when iterating on the web tests)
        return Path(given)
    base = tmp_path_factory.getbasetemp()
    # xdist workers share the parent of their own base folder: the edition is built once.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "web_demo"
    root.mkdir(exist_ok=True)
    db = root / "monitor.duckdb"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            write_synthetic_edition(root / "in", seed=1)
            # Fewer bootstrap replicates: the web tests need the tables, not tight intervals.
            config = {"hidden_number": {"n_boot": 200}}
            pipeline.run(root / "in", db, Key(b"x" * 32), config=config)
            (root / "done").touch()
    return db


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
