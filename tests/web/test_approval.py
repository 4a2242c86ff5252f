"""Approval gate (issue 16.5): a new edition is a draft, invisible to the public on every
route, until an analyst or administrator approves it (two persons with four eyes on)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from web_helpers import OWN_GM, csrf, login, make_app

# A value for each path parameter of the app's routes (the edition's is the draft's id).
PARAMS = {
    "chapter_id": "registered",
    "code": OWN_GM,
    "level": "province",
    "file_name": "totals.csv",
    "table_id": "sex",
    "username": "admin",
    "session_id": "1",
    "n": "1",
}


def _get_routes(app):
    """Every GET route of the app, included routers unfolded (a new route is covered)."""
    for r in app.routes:
        inner = getattr(r, "original_router", None)
        for rr in inner.routes if inner is not None else [r]:
            if "GET" in (getattr(rr, "methods", None) or ()) and not rr.path.startswith("/static"):
                yield rr.path


def _url(path: str, edition_id: str) -> str:
    names = re.findall(r"{(\w+)}", path)
    for name in names:
        path = path.replace(f"{{{name}}}", edition_id if name == "edition_id" else PARAMS[name])
    return path


@pytest.fixture
def draft_app(demo_db, tmp_path):
    """The demo store under a fresh state: its edition is a draft."""
    return make_app(demo_db, f"sqlite:///{tmp_path / 'state.sqlite'}", approve=False)


def _client(app, role):
    c = TestClient(app)
    login(c, role)
    return c


def _audit(app, action):
    from traffickingmonitor.publish.web.state import AuditEntry

    app.state.audit.flush()
    with app.state.db() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


#: pages only analysts and administrators may open (a role refusal, not about the edition)
STAFF_ONLY = ("/admin", "/review", "/workspace")


@pytest.mark.parametrize("role", ["public", "municipality"])
def test_a_draft_is_invisible_on_every_route(draft_app, role):
    edition_id = draft_app.state.data.latest.edition_id
    c = _client(draft_app, role)
    paths = sorted(set(_get_routes(draft_app)))
    assert "/api/v1/editions/{edition_id}/tables/{table_id}" in paths  # the API is enumerated
    for path in paths:
        url = _url(path, edition_id)
        for asked in (url, f"{url}?edition={edition_id}", f"{url}?edition={edition_id}&format=csv"):
            r = c.get(asked, follow_redirects=False)
            # the page's links repeat the path asked for (language switch, login): not data
            body = r.text.replace(url, "")
            assert edition_id not in body, (role, asked, r.status_code)
            assert r.status_code < 500, asked
            if path.startswith(STAFF_ONLY):
                # refused by role, whatever the edition: the same answer for one that is not
                made_up = c.get(asked.replace(edition_id, "1999-01-01.1"), follow_redirects=False)
                assert r.status_code == made_up.status_code, asked
            elif "{edition_id}" in path:
                assert r.status_code == 404, (asked, r.status_code)
            else:  # 403 would say the draft exists
                assert r.status_code != 403, asked
    for page in ("/", "/chapters", "/downloads", "/method", f"/municipalities/{OWN_GM}"):
        assert c.get(f"{page}?edition={edition_id}").status_code == 404, page
    assert c.get("/api/v1/editions").json() == []
    # the site is up: ``/`` answers 200 with "nothing published yet" (a monitor polls it)
    r = c.get("/")
    assert r.status_code == 200 and "Nog geen editie gepubliceerd" in r.text


def test_staff_see_the_draft_marked_on_every_page(draft_app):
    edition_id = draft_app.state.data.latest.edition_id
    c = _client(draft_app, "analyst")
    for url in ("/", "/chapters", "/chapters/registered", f"/municipalities/{OWN_GM}", "/method"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert "Concept / draft" in r.text and edition_id in r.text, url
    listed = c.get("/api/v1/editions").json()
    assert [(e["edition_id"], e["approved"]) for e in listed] == [(edition_id, False)]
    meta = c.get(f"/downloads/{edition_id}/metadata.json").json()
    assert meta["status"] == "draft"


def test_four_eyes_approval_in_the_dashboard(draft_app):
    from traffickingmonitor.publish.web import approvals

    data = draft_app.state.data
    edition_id = data.latest.edition_id
    with draft_app.state.db() as db:
        approvals.set_four_eyes(db, True, "admin")
    public = TestClient(draft_app)
    analyst, admin = _client(draft_app, "analyst"), _client(draft_app, "admin")
    page = analyst.get("/admin/editions")
    assert "Vier ogen" in page.text and edition_id in page.text
    r = analyst.post(
        f"/admin/editions/{edition_id}/approve",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = analyst.get("/admin/editions")
    assert "(1 van 2)" in page.text
    assert public.get("/chapters").status_code == 404  # one of two: still a draft
    # the same person again is no second pair of eyes
    r = analyst.post(f"/admin/editions/{edition_id}/approve", data={"csrf_token": csrf(page.text)})
    assert "four eyes need a second person" in r.text
    assert public.get("/chapters").status_code == 404
    # a municipality user may not approve at all
    gm = _client(draft_app, "municipality")
    token = csrf(gm.get("/account").text)
    r = gm.post(
        f"/admin/editions/{edition_id}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 403
    # without the CSRF token: refused
    r = admin.post(f"/admin/editions/{edition_id}/approve", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert public.get("/chapters").status_code == 404
    page = admin.get("/admin/editions")
    r = admin.post(
        f"/admin/editions/{edition_id}/approve",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # the running app shows it to the public at once, without the draft mark
    r = public.get("/chapters")
    assert r.status_code == 200 and edition_id in r.text and "Concept / draft" not in r.text
    assert [e["edition_id"] for e in public.get("/api/v1/editions").json()] == [edition_id]
    assert public.get(f"/api/v1/editions/{edition_id}/tables/sex?format=csv").status_code == 200
    entries = _audit(draft_app, "edition approve")
    assert [(e.username, e.role, e.target, e.detail) for e in entries] == [
        ("analyst", "analyst", edition_id, "1 of 2"),
        ("admin", "admin", edition_id, "published"),
    ]
    assert all(e.client == "testclient" and e.at is not None for e in entries)

    # withdrawn: a draft again; the public's cached copy of the page is not served
    assert public.get("/method").status_code == 200  # now in the public cache
    page = admin.get("/admin/editions")
    r = admin.post(
        f"/admin/editions/{edition_id}/withdraw",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert public.get("/method").status_code == 404
    assert "Nog geen editie gepubliceerd" in public.get("/").text
    assert [e.username for e in _audit(draft_app, "edition withdraw")] == ["admin"]


def test_approval_on_the_command_line(demo_db, tmp_path):
    """``editions approve --by USER``: the user must exist and may approve; the audit entry
    says it came from the command line; the running app shows the edition at once."""
    from traffickingmonitor.cli import app as cli

    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    app = make_app(demo_db, state, approve=False)
    edition_id = app.state.data.latest.edition_id
    runner = CliRunner()
    args = ["--db", str(demo_db), "--state", state]
    r = runner.invoke(cli, ["editions", *args])
    assert r.exit_code == 0 and "status draft" in r.output, r.output
    r = runner.invoke(cli, ["editions", "approve", edition_id, "--by", "amsterdam", *args])
    assert r.exit_code != 0 and "only an admin or analyst" in str(r.exception)
    r = runner.invoke(cli, ["editions", "approve", edition_id, "--by", "nobody", *args])
    assert r.exit_code != 0 and "no user 'nobody'" in str(r.exception)
    r = runner.invoke(cli, ["editions", "approve", "1999-01-01.1", "--by", "analyst", *args])
    assert r.exit_code != 0 and "no edition" in str(r.exception)
    assert TestClient(app).get("/chapters").status_code == 404
    r = runner.invoke(
        cli, ["editions", "approve", edition_id, "--by", "analyst", "--reason", "checked", *args]
    )
    assert r.exit_code == 0, r.output
    assert TestClient(app).get("/chapters").status_code == 200
    assert "status approved by analyst" in runner.invoke(cli, ["editions", *args]).output
    (entry,) = _audit(app, "edition approve")
    assert (entry.username, entry.client) == ("analyst", "cli")
    assert "command line" in entry.detail and "checked" in entry.detail


def test_synthetic_edition_says_so_on_every_page(demo_db, tmp_path):
    import dataclasses

    from traffickingmonitor.publish.web.data import EditionData

    app = make_app(demo_db, f"sqlite:///{tmp_path / 'state.sqlite'}")
    shared = app.state.data
    data = EditionData(demo_db, shared.threshold)  # private copy: the shared one stays as is
    real = dataclasses.replace(shared.latest, notes={})
    synthetic = dataclasses.replace(shared.latest, notes={"synthetic": {"seed": 1}})
    edition_id = real.edition_id
    data._tables[edition_id] = shared.tables(edition_id)
    data._chapters[(edition_id, "nl")] = shared.chapters(edition_id, "nl")
    app.state.data = data
    banner = "Synthetische gegevens — geen echte personen"
    pages = ("/", "/chapters", "/chapters/registered", "/municipalities", "/method", "/login")
    for edition, shown in ((real, False), (synthetic, True)):
        data.editions = [edition]
        data.public_pages = type(shared.public_pages)()  # the cache is per edition's content
        for url in pages:
            r = TestClient(app).get(url)
            assert r.status_code == 200, url
            assert (banner in r.text) == shown, (url, shown)
    assert TestClient(app).get("/api/v1/editions").json()[0]["synthetic"] is True
