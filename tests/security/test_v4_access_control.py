"""ASVS 4.0 V4 Access control. The full route-by-role matrix (every route as every role) is
``tests/web/test_access.py``; here what it does not cover (``tests/security/README.md``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web_helpers import OTHER_GM, OWN_GM, build_demo_db, csrf, login, make_app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory)


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    return make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('v4') / 's.sqlite'}")


def test_v4_1_5_access_is_denied_by_default(app):
    """A route the app does not know answers 404 to everyone, even an admin, and an unknown
    admin route is not open to the public."""
    admin = TestClient(app)
    login(admin, "admin")
    for c in (TestClient(app), admin):
        assert c.get("/admin/nothing-here", follow_redirects=False).status_code == 404


def test_v4_2_1_a_municipality_cannot_save_another_municipality(app):
    c = TestClient(app)
    login(c, "municipality")
    token = csrf(c.get(f"/municipalities/{OWN_GM}/assessment").text)
    r = c.post(
        f"/municipalities/{OTHER_GM}/assessment",
        data={"csrf_token": token, "year": "2024", "value_policy_document": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_v4_2_2_state_changing_requests_need_the_csrf_token(app):
    admin = TestClient(app)
    login(admin, "admin")
    for path in ("/admin/users", "/admin/sessions/1/revoke", "/logout"):
        r = admin.post(path, data={"username": "x"}, follow_redirects=False)
        assert r.status_code == 403, path
    assert admin.get("/admin/users", follow_redirects=False).status_code == 200  # still in


def test_v4_3_2_no_directory_listing_and_no_metadata_files(app):
    c = TestClient(app)
    for path in ("/static/", "/static/vendor/", "/.git/config", "/static/../app.py"):
        assert c.get(path).status_code == 404, path


def test_v4_session_revocation_is_for_admins_only(app):
    analyst = TestClient(app)
    login(analyst, "analyst")
    token = csrf(analyst.get(f"/municipalities/{OWN_GM}/assessment").text)
    r = analyst.post("/admin/sessions/1/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403
    assert analyst.get("/admin/sessions", follow_redirects=False).status_code == 403
