"""What keeps the dashboard fast stays correct: the public's page copies, cached API bodies,
several server processes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from web_helpers import OWN_GM, login, make_app


def test_public_pages_are_kept_but_never_shown_to_a_user(demo_db, tmp_path):
    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")
    public, analyst = TestClient(app), TestClient(app)
    login(analyst, "analyst")
    cache = app.state.data.public_pages
    for path in ("/", f"/municipalities/{OWN_GM}", "/chapters/registered?lang=en"):
        first = public.get(path)
        assert first.status_code == 200
        assert "set-cookie" not in first.headers  # no form, no session, nothing per visitor
        lang = "en" if "lang=en" in path else "nl"
        assert cache.peek((lang, path.partition("?")[0], app.state.data.latest.edition_id))
        again = public.get(path)
        assert again.text == first.text
        assert again.headers["cache-control"] == "no-store"
        assert again.headers["x-frame-options"] == "DENY"
        mine = analyst.get(path).text
        assert "analyst" in mine and 'name="csrf_token"' in mine  # rendered for the user
        assert "analyst" not in public.get(path).text
    # the language is part of the key
    assert public.get("/", cookies={"lang": "en"}).text != public.get("/").text
    # a page with a form (the token is per session) is not kept
    assert 'name="csrf_token"' in public.get("/login").text
    assert not any(k[1] == "/login" for k in cache._items)


def test_api_bodies_are_cached_per_filter(app, clients, edition_id):
    base = f"/api/v1/editions/{edition_id}/tables/sex"
    a = clients["public"].get(f"{base}?year=2020").json()
    b = clients["public"].get(f"{base}?year=2019").json()
    assert a["filters"] == {"year": "2020"} and b["filters"] == {"year": "2019"}
    assert {r["year"] for r in a["rows"]} == {2020}
    assert clients["analyst"].get(f"{base}?year=2020").json() == a
    assert clients["public"].get(f"{base}?where=nope:1").status_code == 400


def test_worker_app_is_built_from_the_environment(demo_db, tmp_path, monkeypatch):
    import json

    from traffickingmonitor.publish.web import cli

    config = {
        "db": str(demo_db),
        "state": f"sqlite:///{tmp_path / 's.sqlite'}",
        "secure_cookies": False,
        "threshold": 10,
    }
    monkeypatch.setenv(cli._WORKER_ENV, json.dumps(config))
    monkeypatch.setenv("TRAFFICKINGMONITOR_SECRET_KEY", "one key for every worker")
    a, b = cli.worker_app(), cli.worker_app()
    # a session cookie made by one worker is good at the other
    from traffickingmonitor.publish.web import accounts

    with a.state.db() as db:
        accounts.add_user(db, "ana", "a long password!", "analyst")
    ca = TestClient(a)
    from web_helpers import csrf

    r = ca.post(
        "/login",
        data={
            "username": "ana",
            "password": "a long password!",
            "csrf_token": csrf(ca.get("/login").text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    cb = TestClient(b, cookies=ca.cookies)
    assert cb.get(f"/municipalities/{OWN_GM}/assessment").status_code == 200
