"""ASVS 4.0 V7 Error handling and logging: the keyed audit chain and its signed checkpoint,
what an entry records (client address, no secrets from URLs), no lost entry on a crash
(``tests/security/README.md``)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from traffickingmonitor.publish.web import audit
from traffickingmonitor.publish.web.state import AuditEntry, make_engine, session_factory
from web_helpers import build_demo_db, csrf, login, make_app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory)


@pytest.fixture
def chain(tmp_path):
    factory = session_factory(make_engine(f"sqlite:///{tmp_path / 's.sqlite'}"))
    return audit.AuditChain.open(factory, tmp_path / "audit.key", tmp_path / "audit.checkpoint")


def _fill(chain, n=30):
    for i in range(n):
        action = "login failed" if i % 3 == 0 else "http GET"
        audit.append(chain, "u", "public", action, f"/p/{i}", "200", "10.0.0.1")


# --- finding 7: a keyed chain with a checkpoint outside the database ------------------------


def test_v7_3_3_cutting_entries_off_the_end_is_detected(chain):
    _fill(chain)
    assert audit.verify(chain).ok
    with chain.factory() as db:
        db.execute(text("DELETE FROM audit_log WHERE id > 20"))
        db.commit()
    result = audit.verify(chain)
    assert not result.ok and "cut" in result.reason


def _rechain(chain, key: bytes | None) -> None:
    """What an intruder with the database (not the key) does: delete the failed logins and
    recompute every link with the package's own functions."""
    with chain.factory() as db:
        db.execute(text("DELETE FROM audit_log WHERE action = 'login failed'"))
        prev = audit.GENESIS
        for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            fields = (e.at, e.username, e.role, e.action, e.target, e.detail)
            if key is None:
                e.keyed = False
                h = audit.legacy_hash(prev, *fields)
            else:
                h = audit.entry_hash(key, prev, *fields, e.client)
            e.prev_hash, e.hash, prev = prev, h, h
        db.commit()


@pytest.mark.parametrize("key", [None, b"k" * 32], ids=["unkeyed", "guessed-key"])
def test_v7_3_3_rewriting_and_rechaining_is_detected(chain, key):
    _fill(chain)
    _rechain(chain, key)
    assert not audit.verify(chain).ok


def test_v7_3_3_a_forged_or_missing_checkpoint_is_detected(chain):
    _fill(chain)
    record = json.loads(chain.checkpoint.read_text())
    record["last_id"] -= 5  # would hide the last five entries' removal
    chain.checkpoint.write_text(json.dumps(record))
    assert "signature" in audit.verify(chain).reason
    chain.checkpoint.unlink()
    assert not audit.verify(chain).ok


def test_v7_3_3_key_and_checkpoint_files_are_private(chain):
    _fill(chain, 2)
    for f in (chain.checkpoint, chain.checkpoint.with_name("audit.key")):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_v7_3_3_audit_verify_command_reports_a_cut(tmp_path):
    from typer.testing import CliRunner

    from traffickingmonitor.publish.web.cli import audit_app, users_app

    args = ["--db", str(tmp_path / "monitor.duckdb")]
    runner = CliRunner()
    for name in ("ann", "bob", "cas"):
        r = runner.invoke(
            users_app, ["add", name, "--role", "analyst", "--password", "a long password!", *args]
        )
        assert r.exit_code == 0, r.output
    assert "intact: 3 entries" in runner.invoke(audit_app, ["verify", *args]).output
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.state.sqlite'}")
    with engine.begin() as con:
        con.execute(text("DELETE FROM audit_log WHERE id = 3"))
    r = runner.invoke(audit_app, ["verify", *args])
    assert r.exit_code != 0 and "cut" in str(r.exception)


def test_v7_legacy_entries_stay_verifiable_before_keyed_ones(chain):
    """A log from before the key (plain SHA-256 links) goes on with keyed entries."""
    with chain.factory() as db:
        prev = audit.GENESIS
        for i in range(3):
            at = audit.utcnow()
            h = audit.legacy_hash(prev, at, "u", "public", "x", f"/{i}", "")
            db.add(
                AuditEntry(
                    at=at,
                    username="u",
                    role="public",
                    action="x",
                    target=f"/{i}",
                    detail="",
                    client="",
                    keyed=False,
                    prev_hash=prev,
                    hash=h,
                )
            )
            prev = h
        db.commit()
    audit.append(chain, "u", "public", "y", "/3")
    assert audit.verify(chain).ok


# --- what an entry records -------------------------------------------------------------------


@pytest.fixture
def app(demo_db, tmp_path):
    return make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")


def _entries(app) -> list[AuditEntry]:
    with app.state.db() as db:
        return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_v7_1_1_no_secrets_from_urls_and_the_client_address(app):
    c = TestClient(app, client=("192.0.2.44", 5000))
    c.get("/?lang=en&csrf_token=SECRET-TOKEN-123&edition=x" + "&cb=" + "y" * 5000)
    e = _entries(app)[-1]
    assert "SECRET-TOKEN-123" not in e.target and "csrf_token" in e.target
    assert "lang=en" in e.target and "yyyy" not in e.target
    assert e.client == "192.0.2.44"


def test_v7_1_1_passwords_are_never_logged(app):
    c = TestClient(app)
    token = csrf(c.get("/login").text)
    c.post(
        "/login", data={"username": "analyst", "password": "Hunter2-secret!", "csrf_token": token}
    )
    login(c, "analyst")
    rows = [json.dumps([e.target, e.detail, e.username]) for e in _entries(app)]
    assert not any("Hunter2" in r or "analyst-demo-2024" in r for r in rows)


def test_v7_long_query_strings_do_not_grow_the_log(app):
    c = TestClient(app)
    for i in range(20):
        c.get(f"/api/v1/editions?{'a' * 3000}{i}=1&b={'x' * 3000}")
    assert max(len(e.target) for e in _entries(app)) < 500


def test_v7_2_1_security_events_are_logged_with_who_and_where(app):
    c = TestClient(app, client=("198.51.100.3", 4000))
    token = csrf(c.get("/login").text)
    c.post("/login", data={"username": "admin", "password": "nope nope nope", "csrf_token": token})
    login(c, "admin")
    c.post("/logout", data={"csrf_token": csrf(c.get("/").text)})
    events = [
        (e.action, e.username, e.client) for e in _entries(app) if not e.action.startswith("http")
    ]
    for action in ("login failed", "login", "logout"):
        assert (action, "admin", "198.51.100.3") in events, events


def test_v7_2_2_access_control_failures_are_logged(app):
    c = TestClient(app, client=("192.0.2.9", 1))
    login(c, "analyst")
    assert c.get("/admin/users", follow_redirects=False).status_code == 403
    e = _entries(app)[-1]
    assert (e.username, e.target, e.detail, e.client) == (
        "analyst",
        "/admin/users",
        "403",
        "192.0.2.9",
    )


def test_v7_3_1_log_entries_cannot_be_forged_with_line_breaks(app):
    c = TestClient(app)
    c.get("/chapters/x%0d%0a2026-01-01 admin login ok")
    e = _entries(app)[-1]
    assert "\n" not in e.target and "\r" not in e.target and "%0D%0A" in e.target


def test_v7_4_3_an_unexpected_error_gives_a_generic_answer(app, monkeypatch):
    from traffickingmonitor.publish.web import pages

    def boom(*_a, **_k):
        raise RuntimeError("internal detail /etc/secret")

    monkeypatch.setattr(pages, "safe_next", boom)
    r = TestClient(app, raise_server_exceptions=False).get("/login")
    assert r.status_code == 500
    assert "internal detail" not in r.text and "Traceback" not in r.text
    assert _entries(app)[-1].detail == "500"


def test_v7_4_1_errors_are_generic(app):
    c = TestClient(app)
    r = c.get("/api/v1/editions/x/tables/y?year=notanumber")
    assert r.status_code in (404, 422) and "Traceback" not in r.text
    r = c.get("/chapters/%00%ff")
    assert r.status_code == 404 and "Traceback" not in r.text


# --- no acknowledged entry lost when the server is killed -------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_v7_answered_requests_keep_their_entries_after_kill_9(demo_db, tmp_path):
    import httpx

    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    key, checkpoint = tmp_path / "audit.key", tmp_path / "audit.checkpoint"
    port = _free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "traffickingmonitor", "serve", "--db", str(demo_db)),
            *("--state", state, "--port", str(port)),
            *("--audit-key-file", str(key), "--audit-checkpoint", str(checkpoint)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:  # the server builds the edition first; it says when it is up
            assert server.poll() is None, "serve ended before it answered"
            try:
                if httpx.get(f"{base}/api/v1/editions", timeout=None).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        paths = ["/api/v1/editions", "/", "/chapters", "/method", "/municipalities"]
        acked: Counter = Counter()
        lock = threading.Lock()
        stop = threading.Event()

        def user(k):
            with httpx.Client(base_url=base, timeout=None) as c:
                i = k
                while not stop.is_set():
                    path = paths[i % len(paths)]
                    i += 1
                    try:
                        r = c.get(path)
                    except httpx.TransportError:
                        return
                    if 200 <= r.status_code < 300:
                        with lock:
                            acked[path] += 1

        threads = [threading.Thread(target=user, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        while sum(acked.values()) < 300:  # under way, then killed mid-stream
            time.sleep(0.05)
        os.kill(server.pid, 9)
        server.wait()
        stop.set()
        for t in threads:
            t.join()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    with make_engine(state).connect() as con:
        logged = Counter(
            dict(
                con.execute(
                    text(
                        "SELECT target, count(*) FROM audit_log WHERE action = 'http GET' "
                        "AND detail LIKE '2%' GROUP BY target"
                    )
                ).all()
            )
        )
    for path in paths:
        assert logged[path] >= acked[path], (path, logged[path], acked[path])
    factory = session_factory(make_engine(state))
    assert audit.verify(audit.AuditChain.open(factory, key, checkpoint, create=False)).ok


def test_v7_entries_are_written_before_the_answer(app, monkeypatch):
    """The entry of a request is in the database when its answer arrives (no queue left to
    flush), and a request whose entry cannot be written is not answered with success."""
    c = TestClient(app)
    c.get("/api/v1/editions?lang=nl&marker=1")
    assert _entries(app)[-1].target == "/api/v1/editions?lang=nl&marker"

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "_commit", broken)
    with pytest.raises(RuntimeError):
        c.get("/api/v1/editions")


def test_v7_hash_of_an_entry_depends_on_the_key():
    at = audit.utcnow()
    a = audit.entry_hash(b"a" * 32, audit.GENESIS, at, "u", "r", "x", "/", "", "1.2.3.4")
    b = audit.entry_hash(b"b" * 32, audit.GENESIS, at, "u", "r", "x", "/", "", "1.2.3.4")
    plain = hashlib.sha256(b"").hexdigest()
    assert a != b and plain not in (a, b)


def test_v7_rotation_archives_the_log_and_goes_on_under_a_new_key(tmp_path):
    from typer.testing import CliRunner

    from traffickingmonitor.publish.web.cli import audit_app, users_app

    args = ["--db", str(tmp_path / "monitor.duckdb")]
    runner = CliRunner()
    for name in ("ann", "bob"):
        runner.invoke(
            users_app, ["add", name, "--role", "analyst", "--password", "a long password!", *args]
        )
    old_key = (tmp_path / "monitor.audit.key").read_text()
    r = runner.invoke(audit_app, ["rotate", "--archive", str(tmp_path / "archive"), *args])
    assert r.exit_code == 0 and "archived 2 entries" in r.output, r.output
    assert (tmp_path / "monitor.audit.key").read_text() != old_key
    (archived,) = (tmp_path / "archive").glob("audit-*.jsonl")
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert "intact: 2 entries" in runner.invoke(audit_app, ["verify-archive", str(archived)]).output
    runner.invoke(
        users_app, ["add", "cas", "--role", "analyst", "--password", "a long password!", *args]
    )
    assert (
        "intact: 2 entries" in runner.invoke(audit_app, ["verify", *args]).output
    )  # rotated + cas
    # the new log's first entry links to the archive's last
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.state.sqlite'}")
    with engine.connect() as con:
        first_prev = con.execute(
            text("SELECT prev_hash FROM audit_log ORDER BY id LIMIT 1")
        ).scalar()
    assert first_prev == json.loads(archived.read_text().splitlines()[-1])["hash"]
    # a changed archive is found out
    lines = archived.read_text().splitlines()
    lines[0] = lines[0].replace('"ann"', '"eve"')
    archived.write_text("\n".join(lines) + "\n")
    r = runner.invoke(audit_app, ["verify-archive", str(archived)])
    assert r.exit_code != 0 and "broken at entry 1" in str(r.exception)
