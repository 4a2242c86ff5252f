"""Authorisation matrix: every route as every role, allowed or denied; login and CSRF."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web_helpers import OTHER_GM, OWN_GM, csrf, make_app

ROLES = ("public", "municipality", "analyst", "admin")
ALL = set(ROLES)
STAFF = {"analyst", "admin"}

# (method, route pattern, concrete path, roles allowed). Every route of the app is here:
# ``test_matrix_covers_every_route`` fails when a new route is added without its row.
MATRIX = [
    ("GET", "/", "/", ALL),
    ("GET", "/chapters", "/chapters", ALL),
    ("GET", "/chapters/{chapter_id}", "/chapters/registered", ALL),
    ("GET", "/municipalities", "/municipalities", ALL),
    ("GET", "/municipalities/{code}", f"/municipalities/{OWN_GM}", ALL),
    (
        "GET",
        "/municipalities/{code}/assessment",
        f"/municipalities/{OWN_GM}/assessment",
        {"municipality", *STAFF},
    ),
    ("GET", "/municipalities/{code}/assessment", f"/municipalities/{OTHER_GM}/assessment", STAFF),
    (
        "POST",
        "/municipalities/{code}/assessment",
        f"/municipalities/{OWN_GM}/assessment",
        {"municipality", "admin"},
    ),
    (
        "POST",
        "/municipalities/{code}/assessment",
        f"/municipalities/{OTHER_GM}/assessment",
        {"admin"},
    ),
    ("GET", "/downloads", "/downloads", ALL),
    ("GET", "/downloads/{edition_id}/{file_name}", "/downloads/{edition}/totals.csv", ALL),
    (
        "GET",
        "/factsheets/{edition_id}/{level}/{file_name}",
        "/factsheets/{edition}/province/PV27.html",
        ALL,
    ),
    ("GET", "/method", "/method", ALL),
    ("GET", "/lang/{code}", "/lang/en?next=/", ALL),
    ("GET", "/login", "/login", ALL),
    ("POST", "/login", None, ALL),  # covered by the login tests below
    ("POST", "/logout", None, ALL),  # covered by the login tests below
    ("GET", "/account", "/account", {"municipality", *STAFF}),
    ("POST", "/account/password", "/account/password", {"municipality", *STAFF}),
    (
        "POST",
        "/account/sessions/end-others",
        "/account/sessions/end-others",
        {"municipality", *STAFF},
    ),
    ("GET", "/admin/users", "/admin/users", {"admin"}),
    ("POST", "/admin/users", "/admin/users", {"admin"}),
    ("POST", "/admin/users/{username}/active", "/admin/users/nobody/active", {"admin"}),
    ("GET", "/admin/audit", "/admin/audit", {"admin"}),
    ("GET", "/admin/sessions", "/admin/sessions", {"admin"}),
    (
        "POST",
        "/admin/sessions/{session_id}/revoke",
        "/admin/sessions/999999/revoke",
        {"admin"},
    ),
    ("GET", "/admin/editions", "/admin/editions", STAFF),
    # A made-up edition: the shared app's own edition stays approved for the other tests.
    ("POST", "/admin/editions/{edition_id}/approve", "/admin/editions/none/approve", STAFF),
    ("POST", "/admin/editions/{edition_id}/withdraw", "/admin/editions/none/withdraw", {"admin"}),
    ("GET", "/review", "/review", STAFF),
    ("GET", "/review/{n}", "/review/1", STAFF),
    ("POST", "/review/{n}", "/review/1", STAFF),
    ("GET", "/workspace", "/workspace", STAFF),
    ("GET", "/workspace/compare", "/workspace/compare", STAFF),
    ("GET", "/workspace/quality", "/workspace/quality", STAFF),
    ("GET", "/workspace/linkage", "/workspace/linkage", STAFF),
    ("GET", "/workspace/hidden", "/workspace/hidden", STAFF),
    ("GET", "/workspace/downloads", "/workspace/downloads", STAFF),
    (
        "GET",
        "/workspace/downloads/{edition_id}.zip",
        "/workspace/downloads/{edition}.zip",
        STAFF,
    ),
    ("GET", "/api/docs", "/api/docs", ALL),
    ("GET", "/api/redoc", "/api/redoc", ALL),
    ("GET", "/api/v1/editions", "/api/v1/editions", ALL),
    ("GET", "/api/v1/editions/{edition_id}/tables", "/api/v1/editions/{edition}/tables", ALL),
    (
        "GET",
        "/api/v1/editions/{edition_id}/tables/{table_id}",
        "/api/v1/editions/{edition}/tables/sex",
        ALL,
    ),
]


def _routes(app):
    """(method, path) of every route, included routers unfolded."""
    for r in app.routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:  # newer FastAPI keeps included routers as one entry
            for rr in inner.routes:
                for m in rr.methods:
                    yield m, rr.path
        elif getattr(r, "methods", None):
            for m in r.methods:
                yield m, r.path


def test_matrix_covers_every_route(app):
    routes = {
        (m, p)
        for m, p in _routes(app)
        if m in ("GET", "POST") and not p.startswith(("/static", "/openapi"))
    }
    assert routes == {(m, p) for m, p, _, _ in MATRIX}


def _denied(response) -> bool:
    if response.status_code == 403:
        return True
    return response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method,path,allowed",
    [(m, path, a) for m, _, path, a in MATRIX if path],
    ids=[f"{m} {path}" for m, _, path, _ in MATRIX if path],
)
def test_authorisation_matrix(clients, edition_id, role, method, path, allowed):
    client = clients[role]
    path = path.replace("{edition}", edition_id)
    if method == "GET":
        r = client.get(path, follow_redirects=False)
    else:
        token = csrf(client.get("/login").text)
        r = client.post(path, data={"csrf_token": token, "year": "2024"}, follow_redirects=False)
    if role in allowed:
        assert not _denied(r), (role, path, r.status_code)
        assert r.status_code < 500
    else:
        assert _denied(r), (role, path, r.status_code)


def test_post_without_csrf_token_is_refused(clients):
    r = clients["municipality"].post(
        f"/municipalities/{OWN_GM}/assessment", data={"year": "2024"}, follow_redirects=False
    )
    assert r.status_code == 403


def test_login_failure_logout_and_rate_limit(demo_db, tmp_path):
    from traffickingmonitor.publish.web.accounts import LoginThrottle

    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")
    # A stopped clock: the first lockout lasts 1 s, less than a busy machine may take to hash
    # the next password.
    app.state.throttle = LoginThrottle(free=3, clock=lambda: 1000.0)
    c = TestClient(app)
    token = csrf(c.get("/login").text)
    for _ in range(3):
        r = c.post("/login", data={"username": "admin", "password": "nope", "csrf_token": token})
        assert r.status_code == 401
    r = c.post(
        "/login", data={"username": "admin", "password": "admin-demo-2024", "csrf_token": token}
    )
    assert r.status_code == 429  # blocked, even with the right password
    # another user from another client is not blocked by this one's failures
    c2 = TestClient(app, client=("10.0.0.2", 1234))
    token2 = csrf(c2.get("/login").text)
    r = c2.post(
        "/login",
        data={"username": "analyst", "password": "analyst-demo-2024", "csrf_token": token2},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert c2.get("/admin/users", follow_redirects=False).status_code == 403
    r = c2.post("/logout", data={"csrf_token": csrf(c2.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303
    assert c2.get("/admin/users", follow_redirects=False).headers["location"].startswith("/login")


def test_session_cookie_is_secure_by_default(demo_db, tmp_path):
    from traffickingmonitor.publish.web import create_app

    app = create_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}", demo_users=True)
    r = TestClient(app, base_url="https://testserver").get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_disabled_user_is_logged_out(demo_db, tmp_path):
    from traffickingmonitor.publish.web import accounts
    from web_helpers import login

    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")
    c = TestClient(app)
    login(c, "analyst")
    assert c.get(f"/municipalities/{OTHER_GM}/assessment").status_code == 200
    with app.state.db() as db:
        accounts.set_active(db, "analyst", False)
    r = c.get(f"/municipalities/{OTHER_GM}/assessment", follow_redirects=False)
    assert r.status_code == 303


def test_open_redirects_are_refused(clients):
    for bad in ("//evil.example", "https://evil.example", "/\\evil"):
        r = clients["public"].get(f"/lang/nl?next={bad}", follow_redirects=False)
        assert r.headers["location"] == "/"


def test_every_request_is_audited(app, clients):
    from traffickingmonitor.publish.web import audit

    clients["analyst"].get("/api/v1/editions")
    # no flush: an answered request has its entry already
    from sqlalchemy import select

    from traffickingmonitor.publish.web.state import AuditEntry

    with app.state.db() as db:
        entries = list(db.scalars(select(AuditEntry)))
    assert audit.verify(app.state.chain).ok
    assert any(e.username == "analyst" and e.target == "/api/v1/editions" for e in entries)
    assert any(e.action == "login" and e.username == "admin" for e in entries)
