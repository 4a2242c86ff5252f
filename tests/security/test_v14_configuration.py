"""ASVS 4.0 V14 Configuration: file rights, proxy trust, HTTP headers and methods, the API
documentation under the CSP, bounded caches (``tests/security/README.md``)."""

from __future__ import annotations

import re
import stat

import pytest
from fastapi.testclient import TestClient

from web_helpers import build_demo_db, make_app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory)


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    return make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('v14') / 's.sqlite'}")


# --- finding 12: file rights -------------------------------------------------------------------


def test_v14_state_database_is_readable_by_its_owner_only(tmp_path):
    from traffickingmonitor.publish.web.state import make_engine, session_factory

    url = f"sqlite:///{tmp_path / 'monitor.state.sqlite'}"
    engine = make_engine(url)
    with session_factory(engine)() as db:  # a write makes the WAL files too
        from traffickingmonitor.publish.web import accounts

        accounts.add_user(db, "ann", "a long password!", "analyst")
    for f in tmp_path.glob("monitor.state.sqlite*"):
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f
    # an existing file made open by hand is closed again
    (tmp_path / "monitor.state.sqlite").chmod(0o644)
    make_engine(url)
    assert stat.S_IMODE((tmp_path / "monitor.state.sqlite").stat().st_mode) == 0o600


# --- finding 2: proxy headers only from the proxies named -----------------------------------


def _serve_kwargs(monkeypatch, tmp_path, demo_db, *extra):
    import uvicorn
    from typer.testing import CliRunner

    from traffickingmonitor.cli import app as cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    store = tmp_path / "monitor.duckdb"
    store.write_bytes(demo_db.read_bytes())
    r = CliRunner().invoke(cli, ["serve", "--db", str(store), *extra])
    return r, seen


def test_v14_serve_trusts_no_proxy_by_default(monkeypatch, tmp_path, demo_db):
    r, seen = _serve_kwargs(monkeypatch, tmp_path, demo_db)
    assert r.exit_code == 0, r.output
    assert seen["proxy_headers"] is False  # uvicorn's own would trust 127.0.0.1
    assert seen["server_header"] is False  # V14.3.3: no "server: uvicorn"
    c = TestClient(seen["app"], client=("127.0.0.1", 999))
    c.get("/api/v1/editions", headers={"X-Forwarded-For": "203.0.113.9"})
    with seen["app"].state.db() as db:
        from sqlalchemy import select

        from traffickingmonitor.publish.web.state import AuditEntry

        last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.client == "127.0.0.1"


def test_v14_serve_trusts_the_proxies_it_is_told(monkeypatch, tmp_path, demo_db):
    r, seen = _serve_kwargs(
        monkeypatch, tmp_path, demo_db, "--forwarded-allow-ips", "10.0.0.5,192.168.0.0/24"
    )
    assert r.exit_code == 0, r.output
    proxied = TestClient(seen["app"], client=("192.168.0.7", 999))
    proxied.get("/api/v1/editions", headers={"X-Forwarded-For": "203.0.113.9"})
    stranger = TestClient(seen["app"], client=("10.0.0.6", 999))
    stranger.get("/api/v1/editions", headers={"X-Forwarded-For": "203.0.113.10"})
    with seen["app"].state.db() as db:
        from sqlalchemy import select

        from traffickingmonitor.publish.web.state import AuditEntry

        clients = [e.client for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert clients[-2:] == ["203.0.113.9", "10.0.0.6"]


def test_v14_bad_proxy_address_is_a_clear_error(monkeypatch, tmp_path, demo_db):
    r, _ = _serve_kwargs(monkeypatch, tmp_path, demo_db, "--forwarded-allow-ips", "proxy.local")
    assert r.exit_code != 0 and "not an IP address" in str(r.exception)


# --- headers, methods ---------------------------------------------------------------------------


def test_v14_4_security_headers_on_every_answer(app):
    c = TestClient(app)
    for path in ("/", "/login", "/api/v1/editions", "/nope", "/static/web.css"):
        r = c.get(path)
        h = r.headers
        assert h["x-content-type-options"] == "nosniff", path
        assert (
            h["x-frame-options"] == "DENY"
            and "frame-ancestors 'none'" in h["content-security-policy"]
        )
        assert (
            "script-src" not in h["content-security-policy"]
            or "unsafe-inline"
            not in h["content-security-policy"].split("script-src")[1].split(";")[0]
        )
        assert h["referrer-policy"] == "same-origin"
        assert "charset=utf-8" in h["content-type"] or not h["content-type"].startswith("text/")
        assert "strict-transport-security" not in h  # plain http: HSTS means nothing there


def test_v14_4_5_hsts_over_https(app):
    r = TestClient(app, base_url="https://testserver").get("/")
    assert re.fullmatch(r"max-age=\d{7,}", r.headers["strict-transport-security"])


def test_v14_5_1_head_is_answered_and_other_methods_refused(app):
    c = TestClient(app)
    for path in ("/", "/chapters", "/login", "/api/v1/editions"):
        get, head = c.get(path), c.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    assert c.request("TRACE", "/").status_code == 405
    assert c.put("/login").status_code == 405


def test_v14_5_3_no_cross_origin_grants(app):
    r = TestClient(app).get("/api/v1/editions", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


# --- finding 12: API documentation from the package, under the CSP -----------------------------


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_v14_api_docs_are_served_from_the_package(app, page):
    c = TestClient(app)
    r = c.get(page)
    assert r.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline script
    srcs = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]
    links = re.findall(r'href="([^"]+)"', r.text)
    for url in srcs + links:
        assert url.startswith("/static/"), url  # own origin only
        assert c.get(url).status_code == 200, url
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "cdn" not in r.text.lower()
    assert c.get("/openapi.json").json()["info"]["title"]


def test_v14_vendored_assets_carry_their_licences():
    from pathlib import Path

    import traffickingmonitor.publish.web as web

    vendor = Path(web.__file__).parent / "static" / "vendor"
    for name in ("swagger-ui", "redoc"):
        assert (vendor / name / "LICENSE").stat().st_size > 500, name


# --- finding 8: caches keyed by validated parameters, bounded ---------------------------------


def test_v14_public_page_cache_ignores_unknown_parameters(app):
    c = TestClient(app)
    cache = app.state.data.public_pages
    c.get("/chapters")
    before = len(cache)
    for i in range(60):
        assert c.get(f"/chapters?cb={i}").status_code == 200
        c.get(f"/chapters?edition=nope{i}")  # an unknown edition: 404, nothing kept
    assert len(cache) == before


def test_v14_api_cache_ignores_filter_values_the_table_lacks(app):
    c = TestClient(app)
    edition = app.state.data.latest.edition_id
    base = f"/api/v1/editions/{edition}/tables/sex"
    cache = app.state.data.responses
    c.get(f"{base}?where=sex:female")
    before = len(cache)
    for i in range(40):
        r = c.get(f"{base}?where=sex:x{i}")
        assert r.status_code == 200 and r.json()["rows"] == []
    assert len(cache) == before


def test_v14_caches_are_bounded_in_bytes():
    from traffickingmonitor.publish.web.data import Lru

    cache = Lru(size=10_000, max_bytes=100_000)
    for i in range(1000):
        cache.put(i, b"x" * 1000)
    assert cache.bytes <= 100_000 and len(cache) == 100
