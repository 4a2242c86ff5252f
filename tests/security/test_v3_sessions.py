"""ASVS 4.0 V3 Session management: server-side sessions that end at logout, time out, rotate at
login and on a role change, can be listed and revoked; cookie flags by scheme
(``tests/security/README.md``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from web_helpers import OTHER_GM, build_demo_db, csrf, login, make_app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory)


@pytest.fixture
def app(demo_db, tmp_path):
    return make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")


def _is_admin(c: TestClient) -> bool:
    return c.get("/admin/users", follow_redirects=False).status_code == 200


def _rows(app):
    from traffickingmonitor.publish.web.state import WebSession

    with app.state.db() as db:
        return list(db.scalars(select(WebSession).order_by(WebSession.id)))


# --- finding 4: logout ends the session on the server ---------------------------------------


def test_v3_3_1_a_saved_cookie_is_dead_after_logout(app):
    c = TestClient(app)
    login(c, "admin")
    saved = dict(c.cookies)
    assert _is_admin(c)
    r = c.post("/logout", data={"csrf_token": csrf(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303
    replay = TestClient(app, cookies=saved)  # the cookie as it was before the logout
    r = replay.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert _rows(app)[-1].end_reason == "logout"


def test_v3_2_1_a_new_session_token_at_every_login(app):
    c = TestClient(app)
    planted = csrf(c.get("/login").text)  # the pre-login session (and its CSRF token)
    cookie_before = c.cookies.get("tm_session")
    login(c, "analyst")
    assert c.cookies.get("tm_session") != cookie_before
    html = c.get(f"/municipalities/{OTHER_GM}/assessment").text
    assert csrf(html) != planted  # a CSRF token from before the login is worth nothing after
    first = _rows(app)[-1]
    login(c, "analyst")  # logging in again replaces the session
    rows = _rows(app)
    assert rows[-1].token_hash != first.token_hash
    assert [r.end_reason for r in rows if r.id == first.id] == ["replaced by a login"]


def test_v3_2_2_tokens_are_random_and_stored_only_as_a_hash(app):
    import base64
    import json

    c = TestClient(app)
    login(c, "analyst")
    # Starlette's cookie: base64(JSON payload).timestamp.signature
    payload = c.cookies["tm_session"].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    token = data["sid"]
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 32  # 256 bits
    row = _rows(app)[-1]
    assert row.token_hash != token and len(row.token_hash) == 64
    assert "uid" not in data  # the cookie names a session, not a user


def test_v3_1_1_the_token_is_never_in_a_url_or_page(app):
    import base64
    import json

    c = TestClient(app)
    token = csrf(c.get("/login").text)
    r = c.post(
        "/login",
        data={"username": "admin", "password": "admin-demo-2024", "csrf_token": token},
        follow_redirects=False,
    )
    payload = c.cookies["tm_session"].split(".")[0]
    sid = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["sid"]
    assert sid not in r.headers["location"]
    for path in ("/", "/admin/sessions", "/admin/audit", "/admin/users"):
        assert sid not in c.get(path).text, path


def test_v3_5_3_a_tampered_cookie_is_ignored(app):
    c = TestClient(app)
    login(c, "admin")
    value = c.cookies["tm_session"]
    forged = TestClient(
        app, cookies={"tm_session": value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")}
    )
    assert forged.get("/admin/users", follow_redirects=False).status_code == 303


def _age(app, **delta) -> None:
    from traffickingmonitor.publish.web.state import WebSession

    with app.state.db() as db:
        last = db.scalars(select(WebSession).order_by(WebSession.id.desc())).first()
        db.execute(
            update(WebSession)
            .where(WebSession.id == last.id)
            .values(
                created_at=last.created_at - dt.timedelta(**delta.get("created", {})),
                last_seen=last.last_seen - dt.timedelta(**delta.get("seen", {})),
            )
        )
        db.commit()


def test_v3_3_2_idle_timeout(app):
    c = TestClient(app)
    login(c, "admin")
    _age(app, seen={"minutes": 29})
    assert _is_admin(c)  # within the 30 minutes (and this request counts as activity)
    _age(app, seen={"minutes": 31})
    assert not _is_admin(c)
    assert _rows(app)[-1].end_reason == "idle timeout"


def test_v3_3_2_absolute_timeout(app):
    c = TestClient(app)
    login(c, "admin")
    _age(app, created={"hours": 8, "minutes": 1})
    assert not _is_admin(c)  # active just now, but logged in more than 8 hours ago
    assert _rows(app)[-1].end_reason == "absolute timeout"


def test_v3_3_a_role_change_ends_the_session(app):
    from traffickingmonitor.publish.web.state import User

    c = TestClient(app)
    login(c, "admin")
    assert _is_admin(c)
    with app.state.db() as db:
        db.execute(update(User).where(User.username == "admin").values(role="analyst"))
        db.commit()
    assert not _is_admin(c)
    assert (
        c.get(f"/municipalities/{OTHER_GM}/assessment", follow_redirects=False).status_code == 303
    )
    assert _rows(app)[-1].end_reason == "role changed"


def test_v3_3_disabling_a_user_ends_the_sessions(app):
    from traffickingmonitor.publish.web import accounts

    c = TestClient(app)
    login(c, "analyst")
    with app.state.db() as db:
        accounts.set_active(db, "analyst", False)
    assert _rows(app)[-1].end_reason == "user disabled"
    r = c.get(f"/municipalities/{OTHER_GM}/assessment", follow_redirects=False)
    assert r.status_code == 303


def test_v3_3_4_admin_lists_and_revokes_sessions(app):
    analyst, admin = TestClient(app), TestClient(app)
    login(analyst, "analyst")
    login(admin, "admin")
    page = admin.get("/admin/sessions")
    assert page.status_code == 200 and "analyst" in page.text
    analyst_row = next(r for r in _rows(app) if r.role == "analyst" and r.ended_at is None)
    assert f"/admin/sessions/{analyst_row.id}/revoke" in page.text
    r = admin.post(
        f"/admin/sessions/{analyst_row.id}/revoke",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        analyst.get(f"/municipalities/{OTHER_GM}/assessment", follow_redirects=False).status_code
        == 303
    )
    # the token is never shown on the page
    assert not re.search(r"[0-9a-f]{64}", admin.get("/admin/sessions").text)


def test_v3_3_4_cli_lists_and_revokes_sessions(demo_db, tmp_path):
    from typer.testing import CliRunner

    from traffickingmonitor.publish.web.cli import sessions_app

    store = tmp_path / "monitor.duckdb"
    store.write_bytes(demo_db.read_bytes())
    app = make_app(store, f"sqlite:///{tmp_path / 'monitor.state.sqlite'}")
    c = TestClient(app)
    login(c, "analyst")
    runner = CliRunner()
    out = runner.invoke(sessions_app, ["list", "--db", str(store)])
    assert out.exit_code == 0 and "\tanalyst\tanalyst\t" in out.output
    sid = out.output.split("\t")[0]
    out = runner.invoke(sessions_app, ["revoke", sid, "--db", str(store)])
    assert out.exit_code == 0, out.output
    assert (
        c.get(f"/municipalities/{OTHER_GM}/assessment", follow_redirects=False).status_code == 303
    )
    out = runner.invoke(sessions_app, ["revoke", "--db", str(store)])
    assert out.exit_code != 0 and "session number or --user" in str(out.exception)


# --- finding 5: cookie flags and HSTS follow the scheme -------------------------------------


def _cookie(r) -> str:
    return r.headers.get("set-cookie", "").lower()


def test_v3_4_cookie_flags_over_https(app):
    r = TestClient(app, base_url="https://testserver").get("/login")
    cookie = _cookie(r)
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "path=/" in cookie and "domain=" not in cookie
    assert cookie.startswith("__host-tm_session=")  # 3.4.4: the __Host- prefix
    r = TestClient(app).get("/login")  # plain http on loopback: not Secure (else never sent)
    assert "secure" not in _cookie(r) and "httponly" in _cookie(r)


def test_v3_4_1_secure_cookie_behind_a_trusted_tls_proxy(demo_db, tmp_path):
    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}", forwarded_allow_ips=["10.0.0.5"])
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    proxy = TestClient(app, client=("10.0.0.5", 1234))
    r = proxy.get("/login", headers=https)
    assert "secure" in _cookie(r)
    assert r.headers["strict-transport-security"].startswith("max-age=")
    # anyone else saying https is not believed
    other = TestClient(app, client=("10.0.0.6", 1234))
    r = other.get("/login", headers=https)
    assert "secure" not in _cookie(r) and "strict-transport-security" not in r.headers


def test_v3_4_1_cookie_secure_switch(demo_db, tmp_path):
    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}", secure_cookies=True)
    cookie = _cookie(TestClient(app).get("/login"))
    assert "secure" in cookie and cookie.startswith("__host-")


def test_v3_4_a_login_over_https_works_with_the_prefixed_cookie(app):
    c = TestClient(app, base_url="https://testserver")
    login(c, "admin")
    assert "__Host-tm_session" in c.cookies and _is_admin(c)


def test_v3_3_3_a_password_change_ends_the_other_sessions(app):
    laptop, phone = TestClient(app), TestClient(app)
    login(laptop, "analyst")
    login(phone, "analyst")
    token = csrf(laptop.get("/account").text)
    r = laptop.post(
        "/account/password",
        data={
            "current": "analyst-demo-2024",
            "new": "a brand new password",
            "repeat": "a brand new password",
            "csrf_token": token,
        },
    )
    assert r.status_code == 200
    assert laptop.get("/account", follow_redirects=False).status_code == 200  # this one stays
    assert phone.get("/account", follow_redirects=False).status_code == 303  # the other ended


def test_v3_3_4_users_see_and_end_their_own_sessions(app):
    laptop, phone, admin = TestClient(app), TestClient(app), TestClient(app)
    login(laptop, "analyst")
    login(phone, "analyst")
    login(admin, "admin")
    page = laptop.get("/account").text
    assert page.count('<tr><th scope="row">') == 2  # the analyst's two, not the admin's
    r = laptop.post(
        "/account/sessions/end-others", data={"csrf_token": csrf(page)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert laptop.get("/account", follow_redirects=False).status_code == 200
    assert phone.get("/account", follow_redirects=False).status_code == 303
    assert _is_admin(admin)  # another user's session is untouched
