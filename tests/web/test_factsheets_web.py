"""The dashboard serves each area's factsheet (HTML and PDF) and links it."""

from __future__ import annotations

import re

from web_helpers import OWN_GM


def test_municipality_factsheet_as_pdf_and_html(clients, edition_id):
    c = clients["public"]
    r = c.get(f"/factsheets/{edition_id}/municipality/{OWN_GM}.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"%%EOF" in r.content[-64:]
    assert f"{OWN_GM}.pdf" in r.headers["content-disposition"]
    r = c.get(f"/factsheets/{edition_id}/municipality/{OWN_GM}.html", params={"lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in r.text and "<h1>Amsterdam</h1>" in r.text
    assert edition_id in r.text
    # the second request is served from the cache: the same page
    again = c.get(f"/factsheets/{edition_id}/municipality/{OWN_GM}.html", params={"lang": "en"})
    assert again.text == r.text


def test_unknown_factsheets_are_404(clients, edition_id):
    c = clients["public"]
    for path in (
        "municipality/GM9999.pdf",
        "municipality/GM0363.txt",
        "municipality/GM0363",
        "county/GM0363.html",
        "police_unit/Den Haag.html",
    ):
        assert c.get(f"/factsheets/{edition_id}/{path}").status_code == 404, path
    assert c.get(f"/factsheets/1999-01-01.1/municipality/{OWN_GM}.html").status_code == 404


def test_dashboard_links_every_factsheet(clients, edition_id):
    c = clients["public"]
    page = c.get(f"/municipalities/{OWN_GM}").text
    own = re.findall(rf'href="(/factsheets/{edition_id}/[a-z_]+/[^"?]+)', page)
    assert {p.rsplit("/", 2)[-2] for p in own} == {
        "municipality",
        "province",
        "police_unit",
        "safety_region",
    }
    assert f"/factsheets/{edition_id}/municipality/{OWN_GM}.pdf" in own
    downloads = c.get("/downloads").text
    linked = set(re.findall(rf'href="/factsheets/{edition_id}/([a-z_]+/[^"?]+)\.html', downloads))
    assert len(linked) == 10 + 25 + 12
    for path in [*own[:4], *(f"/factsheets/{edition_id}/{p}.html" for p in sorted(linked)[::9])]:
        r = c.get(path)
        assert r.status_code == 200, path


def test_a_draft_factsheet_is_for_staff_only_and_marked(demo_db, tmp_path):
    from fastapi.testclient import TestClient

    from web_helpers import login, make_app

    app = make_app(demo_db, f"sqlite:///{tmp_path / 'state.sqlite'}", approve=False)
    edition_id = app.state.data.latest.edition_id
    path = f"/factsheets/{edition_id}/province/PV27.html"
    assert TestClient(app).get(path).status_code == 404  # the public: no such edition
    analyst = TestClient(app)
    login(analyst, "analyst")
    r = analyst.get(path)
    assert r.status_code == 200 and "CONCEPT / DRAFT" in r.text and "Noord-Holland" in r.text
