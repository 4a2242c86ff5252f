"""Helpers of the web tests (importable from test modules, unlike conftest)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from traffickingmonitor.publish.web.channel_check import csrf_token as csrf  # noqa: F401
from traffickingmonitor.publish.web.channel_check import log_in

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


def build_demo_db(tmp_path_factory) -> Path:
    """``monitor.duckdb`` of the synthetic demo edition (seed 1), built once per test run and
    shared by the xdist workers (``TRAFFICKINGMONITOR_TEST_WEB_DB``: one built beforehand)."""
    import fcntl

    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    given = os.environ.get("TRAFFICKINGMONITOR_TEST_WEB_DB")
    if given:
        return Path(given)
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "web_demo"
    root.mkdir(exist_ok=True)
    db = root / "monitor.duckdb"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            write_synthetic_edition(root / "in", seed=1)
            # Fewer bootstrap replicates: the web tests need the tables, not tight intervals.
            pipeline.run(root / "in", db, Key(b"x" * 32), config={"hidden_number": {"n_boot": 200}})
            (root / "done").touch()
    return db


def make_app(db: Path, state: str, *, approve: bool = True, **kw):
    """The app over ``db`` with a fresh state; its editions approved (public) unless
    ``approve`` is false (then every edition is a draft)."""
    from traffickingmonitor.publish.web import create_app

    kw.setdefault("secure_cookies", False)  # the test client speaks plain HTTP
    kw.setdefault("demo_users", True)
    # The audit key and checkpoint per app (beside a SQLite state, else in a new folder), not
    # beside the store every test shares.
    if state.startswith("sqlite:///"):
        folder, stem = Path(state.removeprefix("sqlite:///")).parent, Path(state).stem
    else:
        import tempfile

        folder, stem = Path(tempfile.mkdtemp(prefix="tm-audit-")), "state"
    kw.setdefault("audit_key_file", folder / f"{stem}.audit.key")
    kw.setdefault("audit_checkpoint", folder / f"{stem}.audit.checkpoint")
    app = create_app(db, state, secret_key="test-secret", **kw)
    if approve:
        approve_all(app)
    return app


def approve_all(app, by: str = "test") -> None:
    """Approve every edition of the app's store (as the demo does for its own edition)."""
    from traffickingmonitor.publish.web import approvals

    with app.state.db() as db:
        public = approvals.approved_ids(db)
        for e in app.state.data.editions:
            if e.edition_id not in public:
                approvals.approve(db, e.edition_id, by, "admin", source="test")


def login(client, role: str) -> None:
    """Log ``client`` in as the demo user of ``role`` (``public``: stay logged out)."""
    if role != "public":
        log_in(client, *PASSWORDS[role])


def serve_in_thread(app):
    """Serve ``app`` on a free port in a thread (for the browser); yields its base URL.

    The start is waited for generously: the app builds its pages first, and the machine may
    be busy with the rest of the suite.
    """
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def protected_demo(tmp_path_factory):
    """The demo edition (seed 1) as the chapters see it: its store, edition, rule, tables,
    protected tables, years, the editions before it and its quality record."""
    from types import SimpleNamespace

    from traffickingmonitor import editions
    from traffickingmonitor.disclosure.api import protect_edition, rule_from_config
    from traffickingmonitor.publish.quality import read_quality

    db = build_demo_db(tmp_path_factory)
    edition, tables = editions.read_edition(db)
    rule = rule_from_config(edition.config.get("disclosure"))
    protected = protect_edition(tables, rule)
    return SimpleNamespace(
        db=db,
        edition=edition,
        tables=tables,
        rule=rule,
        protected=protected,
        years=sorted(int(y) for y in protected["totals"].frame["year"].unique()),
        before=editions.editions_before(db, edition.edition_id),
        quality=read_quality(db, edition.edition_id),
    )


def demo_context(demo, lang: str):
    """The chapters' context of :func:`protected_demo` in ``lang``."""
    from traffickingmonitor.publish.chapters.base import ChapterContext
    from traffickingmonitor.publish.labels import TEXT

    return ChapterContext(
        demo.protected,
        demo.edition,
        demo.rule,
        lang,
        TEXT[lang],
        demo.years,
        editions_before=demo.before,
        quality=demo.quality,
    )
