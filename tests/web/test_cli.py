"""``users add/list/disable`` and ``audit verify`` on the command line."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.cli import audit_app, users_app

runner = CliRunner()


def test_users_and_audit_commands(tmp_path):
    db = tmp_path / "monitor.duckdb"  # the state lives beside it; the store itself is not read
    args = ["--db", str(db)]
    r = runner.invoke(
        users_app,
        ["add", "alice", "--role", "municipality", "--municipality", "GM0363", *args],
        input="a long password!\na long password!\n",
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "monitor.state.sqlite").exists()
    r = runner.invoke(users_app, ["list", *args])
    assert "alice\tmunicipality\tGM0363\tactive" in r.output
    r = runner.invoke(users_app, ["disable", "alice", *args])
    assert r.exit_code == 0
    assert "disabled" in runner.invoke(users_app, ["list", *args]).output
    r = runner.invoke(
        users_app, ["add", "bob", "--role", "root", *args], input="x" * 12 + "\n" + "x" * 12 + "\n"
    )
    assert isinstance(r.exception, UserError)
    r = runner.invoke(audit_app, ["verify", *args])
    assert r.exit_code == 0 and "intact: 2 entries" in r.output
    with sqlite3.connect(tmp_path / "monitor.state.sqlite") as con:
        con.execute("UPDATE audit_log SET username = 'mallory' WHERE id = 1")
    r = runner.invoke(audit_app, ["verify", *args])
    assert isinstance(r.exception, UserError)
    assert "broken at entry 1" in str(r.exception)


def test_users_add_oidc_needs_no_password(tmp_path):
    args = ["--db", str(tmp_path / "monitor.duckdb")]
    r = runner.invoke(users_app, ["add", "p.devries", "--role", "analyst", "--oidc", *args])
    assert r.exit_code == 0, r.output
    assert "Password" not in r.output  # not asked
    with sqlite3.connect(tmp_path / "monitor.state.sqlite") as con:
        (hash_,) = con.execute("SELECT password_hash FROM users").fetchone()
    assert hash_ == "!oidc"


def test_serve_called_as_a_function_takes_the_defaults(tmp_path, monkeypatch):
    """``demo --serve`` calls ``serve_command`` with a few arguments; the options it leaves out
    must become their defaults (no proxy trusted, cookies Secure by scheme, 30 min / 8 h)."""
    import uvicorn

    from traffickingmonitor.publish.web import cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    monkeypatch.setattr(cli, "_create", lambda config, **kw: seen.update(config=config))
    store = tmp_path / "monitor.duckdb"
    store.touch()
    cli.serve_command(
        db=store, host="127.0.0.1", port=8001, state=None, threshold=10, demo_users=True
    )
    config = seen["config"]
    assert config["forwarded_allow_ips"] == [] and config["secure_cookies"] is False
    assert (config["session_idle"], config["session_absolute"]) == (1800, 28800)
    assert seen["proxy_headers"] is False
    assert (tmp_path / "monitor.audit.key").stat().st_mode & 0o077 == 0
