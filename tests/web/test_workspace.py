"""The analyst's workspace: roles, edition comparison, data quality, linkage, downloads, and
the pages in a real browser with axe."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import zipfile
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from web_helpers import PASSWORDS, login, make_app, serve_in_thread

PAGES = [
    "/workspace",
    "/workspace/compare",
    "/workspace/quality",
    "/workspace/linkage",
    "/workspace/hidden",
    "/workspace/downloads",
]


@pytest.mark.parametrize("path", [*PAGES, "/workspace/downloads/{edition}.zip"])
def test_roles(clients, edition_id, path):
    path = path.replace("{edition}", edition_id)
    r = clients["public"].get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert clients["municipality"].get(path, follow_redirects=False).status_code == 403
    for role in ("analyst", "admin"):
        assert clients[role].get(path).status_code == 200


def test_menu_entry_for_staff_only(clients):
    assert 'href="/workspace"' in clients["analyst"].get("/").text
    assert 'href="/workspace"' not in clients["municipality"].get("/").text
    assert 'href="/workspace"' not in clients["public"].get("/").text


def test_index_links_every_part_and_review(clients, edition_id):
    html = clients["analyst"].get(f"/workspace?edition={edition_id}").text
    for part in ("compare", "quality", "linkage"):
        assert f'href="/workspace/{part}?edition={edition_id}"' in html
    assert 'href="/workspace/downloads"' in html
    assert f'href="/review?edition={edition_id}"' in html
    assert 'href="/admin/editions"' in html
    assert clients["analyst"].get("/workspace?edition=nope").status_code == 404


def test_first_edition_has_nothing_to_compare(clients, app):
    if len(app.state.data.editions) > 1:
        pytest.skip("the demo store has more than one edition")
    html = clients["analyst"].get("/workspace/compare").text
    assert "eerste editie" in html or "first edition" in html


@pytest.fixture(scope="module")
def two_editions(demo_db, tmp_path_factory):
    """An app whose store seems to hold two editions: a made-up previous one with one
    registrations file of another hash, a changed setting and one planted count (2016's
    persons 15 fewer, 2017's 3 fewer), and the demo's own. Own ``EditionData``: the shared
    one of the other tests stays as it is."""
    from traffickingmonitor.publish.web.data import EditionData

    app = make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('ws') / 's.sqlite'}")
    data = EditionData(demo_db, app.state.data.threshold)
    real = data.latest
    inputs = real.inputs.copy()
    row = inputs.index[inputs["file_name"] == "registrations_police.csv"][0]
    inputs.loc[row, "file_hash"] = "0" * 64
    prev = dataclasses.replace(
        real,
        edition_id="2000-01-01.1",
        inputs=inputs,
        config={**real.config, "hidden_number": {"n_boot": 999}},
    )
    tables = {tid: copy.deepcopy(t) for tid, t in data.tables(real.edition_id).items()}
    frame = tables["totals"]._frame  # ``frame`` is a copy: plant in the table's own
    planted = {}
    for year, delta in ((2016, 15), (2017, 3)):
        i = frame.index[frame["year"] == year][0]
        now = int(frame.loc[i, "persons"])
        frame.loc[i, "persons"] = str(now - delta)
        planted[year] = (now - delta, now)
    # a count the previous edition hid: the symbol is kept, no difference is given
    sex = tables["sex"]._frame
    j = sex.index[sex["persons"].astype(str).str.isdigit()][0]
    planted["sex"] = sex.loc[j, "persons"]
    sex.loc[j, "persons"] = "<10"
    data._tables[prev.edition_id] = tables
    data.__dict__["editions"] = [prev, real]
    app.state.data = data
    c = TestClient(app)
    login(c, "analyst")
    return c, real, planted


def test_compare_highlights_a_planted_change(two_editions):
    c, real, planted = two_editions
    html = c.get(f"/workspace/compare?edition={real.edition_id}").text
    inputs = re.search(r'<table[^>]*id="ws-inputs".*?</table>', html, re.S).group(0)
    assert "registrations_police.csv" in inputs and "registrations_care.csv" not in inputs
    assert "000000000000" in inputs
    assert "hidden_number.n_boot" in html and "999" in html
    totals = re.search(r'id="table-totals".*?</details>', html, re.S).group(0)
    old, new = planted[2016]
    assert f'class="ws-changed">{old} → {new}<span class="ws-diff">+15</span>' in totals
    old, new = planted[2017]
    # a change of fewer than ten persons is not given as its number
    assert f'class="ws-changed">{old} → {new}<span class="ws-diff">+&lt;10</span>' in totals
    assert "+3<" not in totals
    # registrations did not change: only the two planted cells are highlighted
    assert totals.count('class="ws-changed"') == 2
    sex = re.search(r'id="table-sex".*?</details>', html, re.S).group(0)
    assert f'class="ws-changed">&lt;10 → {planted["sex"]}</td>' in sex
    assert sex.count('class="ws-changed"') == 1
    unchanged = re.search(r'id="ws-unchanged".*?</ul>', html, re.S).group(0)
    assert "<code>victim_group</code>" in unchanged and "<code>totals</code>" not in unchanged
    assert 'id="table-victim_group"' not in html


def test_compare_table_rows_added_and_removed(app, edition_id):
    from traffickingmonitor.publish.web.workspace_data import compare_table

    now = app.state.data.tables(edition_id)["totals"]
    before = copy.deepcopy(now)
    before._frame = before._frame.iloc[1:]  # ``frame`` is a copy
    diff = compare_table(now, before, 10)
    assert diff["added"] == 1 and diff["removed"] == 0 and diff["changed_cells"] == 0
    assert diff["rows"][0]["key"] == [str(now.frame["year"].iloc[0])]
    assert compare_table(now, now, 10)["rows"] == []


def test_quality_shows_shares_and_no_identifier_values(clients, app, edition_id):
    from traffickingmonitor import store

    html = clients["analyst"].get(f"/workspace/quality?edition={edition_id}").text
    con = store.connect(app.state.data.db, read_only=True)
    try:
        orgs = dict(
            con.execute(
                "SELECT r.reporting_org, count(*) FROM registrations r JOIN edition_persons p "
                "ON p.edition_id = ? AND p.file_hash = r.file_hash "
                "AND p.registration_id = r.registration_id GROUP BY 1",
                [edition_id],
            ).fetchall()
        )
        nid_filled = con.execute(
            "SELECT r.reporting_org, avg((r.nid_token IS NOT NULL)::INT) FROM registrations r "
            "JOIN edition_persons p ON p.edition_id = ? AND p.file_hash = r.file_hash "
            "AND p.registration_id = r.registration_id GROUP BY 1 ORDER BY 1",
            [edition_id],
        ).fetchall()
        tokens = [
            v
            for (v,) in con.execute(
                "SELECT nid_token FROM registrations WHERE nid_token IS NOT NULL LIMIT 200"
            ).fetchall()
        ]
        births = [
            str(v)
            for (v,) in con.execute(
                "SELECT DISTINCT birth_year FROM registrations WHERE birth_year IS NOT NULL"
            ).fetchall()
        ]
    finally:
        con.close()
    for org, n in orgs.items():
        assert f"{org}<br><small>{n} " in html
    row = re.search(r"<code>nid_token</code></th>(.*?)</tr>", html, re.S).group(1)
    shares = re.findall(r">(\d+)%</td>", row)
    assert shares == [f"{100 * s:.0f}" for _, s in nid_filled]
    assert not any(t in html for t in tokens)
    per_year = re.search(r'id="ws-years".*?</table>', html, re.S).group(0)
    assert births and not any(f">{b}<" in html.replace(per_year, "") for b in births)
    # rows per organisation and year are the protected reporting_org cells, and where none is
    # hidden they add up to the organisation's registrations
    published = app.state.data.tables(edition_id)["reporting_org"].frame
    for org, n in orgs.items():
        cells = re.search(rf"<th scope=\"row\">{org}</th>(.*?)</tr>", per_year).group(1)
        shown = re.findall(r"<td>([^<]*)</td>", cells)
        mine = published[published["reporting_org"] == org].sort_values("year")
        assert shown == [html_escape(str(v)) for v in mine["registrations"]]
        if all(s.isdigit() for s in shown):
            assert sum(int(s) for s in shown) == n


def test_linkage_numbers_match_the_store(clients, app, edition_id):
    from traffickingmonitor import store

    html = clients["analyst"].get(f"/workspace/linkage?edition={edition_id}").text
    con = store.connect(app.state.data.db, read_only=True)
    try:
        pairs = con.execute(
            "SELECT count(*) FROM edition_links WHERE edition_id = ?", [edition_id]
        ).fetchone()[0]
        # links per threshold count the probability clustering applied the threshold to,
        # stored with each link when the edition was made
        at = {
            t: con.execute(
                "SELECT count(*) FROM edition_links WHERE edition_id = ? "
                "AND shared_probability >= ?",
                [edition_id, t],
            ).fetchone()[0]
            for t in (0.5, 0.9, 0.99)
        }
        raw = con.execute(
            "SELECT count(*) FROM edition_links WHERE edition_id = ? AND match_probability >= 0.5",
            [edition_id],
        ).fetchone()[0]
    finally:
        con.close()
    assert f'<strong id="ws-pairs">{pairs}</strong>' in html
    assert at[0.5] <= raw  # sharing out only ever lowers a probability
    links = re.search(r'id="ws-links".*?</table>', html, re.S).group(0)
    for t, n in at.items():
        assert re.search(rf"<th scope=\"row\">{t}[^<]*</th><td>{n}</td>", links)
    hist = re.search(r'id="ws-histogram".*?</table>', html, re.S).group(0)
    assert sum(int(x) for x in re.findall(r"</th><td>(\d+)</td>", hist)) == pairs
    # the threshold the edition used, and the links it kept as the run noted them
    notes = app.state.data.edition(edition_id).notes["linkage"]
    used = re.search(r'<tr class="ws-used"><th scope="row">([\d.]+) .*?<td>(\d+)</td>', links)
    assert float(used.group(1)) == notes["threshold"]
    assert int(used.group(2)) == notes["estimate"]["links_kept"]
    # m/u per level of every comparison the model has
    for name in notes["comparisons"]:
        assert f"<code>{name}</code>" in html
    # level names in the page's language, with Splink's match weights chart per comparison
    assert "identiteitsnummer gelijk" in html and "national id equal" not in html
    assert html.count('<figure class="chart"') == 1 + len(notes["comparisons"])
    english = clients["analyst"].get(f"/workspace/linkage?edition={edition_id}&lang=en").text
    assert "national id equal" in english


def test_hidden_number_models_match_the_protected_tables(clients, app, edition_id):
    html = clients["analyst"].get(f"/workspace/hidden?edition={edition_id}").text
    tables = app.state.data.tables(edition_id)
    sens = tables["hidden_number_sensitivity"].frame
    assert len(sens)
    for rec in sens.to_dict("records"):
        section = re.search(rf'id="year-{rec["year"]}".*?</section>', html, re.S).group(0)
        row = (
            f'<th scope="row">{rec["method"]}</th><td>{rec["observed"]}</td>'
            f"<td>{rec['estimate']}</td><td>{rec['ci_low']}</td><td>{rec['ci_high']}</td>"
        )
        assert row in section
    main = tables["hidden_number"].frame
    for rec in main.to_dict("records"):
        section = re.search(rf'id="year-{rec["year"]}".*?</section>', html, re.S).group(0)
        assert f'<th scope="row">{rec["victim_group"]}</th><td>{rec["observed"]}</td>' in section
    # the run's warnings per year are there to read
    notes = app.state.data.edition(edition_id).notes["hidden_number"]["years"]
    some = next(w for y in notes.values() for w in y["warnings"])
    assert some.replace("'", "&#39;") in html


def test_hidden_number_fit_against_observed(clients, app, edition_id):
    """Per year the year-level model's fitted count and residual beside each shown observed
    count, computed from the run's notes; hidden counts hide their fitted value too."""
    from traffickingmonitor.publish.labels import category_label

    html = clients["analyst"].get(f"/workspace/hidden?edition={edition_id}&lang=en").text
    years = app.state.data.edition(edition_id).notes["hidden_number"]["years"]
    checked = 0
    for year, notes in years.items():
        if "fit" not in notes:
            continue
        fit = notes["fit"]
        section = re.search(rf'id="year-{year}".*?</section>', html, re.S).group(0)
        table = re.search(r'class="data wide ws-fit".*?</table>', section, re.S).group(0)
        rows = re.findall(
            r'<th scope="row" class="text">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>'
            r"<td>([^<]*)</td>",
            table,
        )
        assert len(rows) == len(fit["patterns"]) == 2 ** len(fit["lists"]) - 1
        runs = {
            " + ".join(category_label("reporting_org", x, "en") for x in name.split("+")): (n, m)
            for name, n, m in fit["patterns"]
        }
        hidden = 0
        for pattern, observed, fitted, residual in rows:
            if not observed.isdigit():
                assert fitted == residual == "x"
                hidden += 1
                continue
            # a shown count is the run's own, with its fitted count and residual beside it
            n, m = runs[html_unescape(pattern)]
            assert int(observed) == n
            assert float(fitted) == pytest.approx(m, abs=0.05)
            if m > 0:
                assert float(residual) == pytest.approx((n - m) / m**0.5, abs=0.01)
        # a small count is never shown, and a hidden one never stands alone
        assert hidden != 1
        assert all(not o.isdigit() or int(o) == 0 or int(o) >= 10 for _, o, _, _ in rows)
        assert "Deviance" in section and "ws-fit-chart" in section
        checked += 1
    assert checked


def test_downloads_cover_every_edition(clients, app):
    html = clients["analyst"].get("/workspace/downloads").text
    data = app.state.data
    for e in data.editions:
        assert f'href="/workspace/downloads/{e.edition_id}.zip' in html
        for tid in data.tables(e.edition_id):
            assert f'href="/downloads/{e.edition_id}/{tid}.csv' in html
        r = clients["analyst"].get(f"/workspace/downloads/{e.edition_id}.zip")
        names = {n.split("/", 1)[1] for n in zipfile.ZipFile(io.BytesIO(r.content)).namelist()}
        assert names == {f"{tid}.csv" for tid in data.tables(e.edition_id)} | {"metadata.json"}
    assert clients["analyst"].get("/workspace/downloads/nope.zip").status_code == 404


# --- in a real browser ---------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def browser_server(demo_db, tmp_path_factory):
    """The demo app served on a free port in a thread (as ``test_browser`` does)."""

    app = make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('wsb') / 's.sqlite'}")
    for base in serve_in_thread(app):
        yield base, app.state.data.latest.edition_id


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_workspace_in_the_browser_with_axe(browser_server):
    from playwright.sync_api import sync_playwright

    base, edition_id = browser_server
    username, password = PASSWORDS["analyst"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            # bypass_csp: axe is injected as a script; the app's CSP forbids inline ones.
            context = browser.new_context(base_url=base, bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", password)
            page.click("form.stack button[type=submit]")
            page.wait_for_url(re.compile(r".*/$"))
            page.click("nav.main-nav a[href='/workspace']")
            page.wait_for_url(re.compile(r".*/workspace$"))
            for path in PAGES:
                url = path if path.endswith("downloads") else f"{path}?edition={edition_id}"
                response = page.goto(url)
                assert response.status == 200, path
                assert page.locator("h1").count() == 1
                # the workspace's own menu marks the page shown
                if path != "/workspace":
                    assert page.locator(f"nav a[aria-current='page'][href^='{path}']").count()
                name = path.strip("/").replace("/", "_")
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                page.evaluate(AXE.read_text("utf-8"))
                result = page.evaluate(
                    "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', "
                    "'wcag21a', 'wcag21aa', 'best-practice']})"
                )
                serious = [
                    (v["id"], [n["target"] for n in v["nodes"][:3]])
                    for v in result["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                assert not serious, (path, serious)
            # the shares carry their colour scale
            page.goto(f"/workspace/quality?edition={edition_id}")
            cell = page.locator("#ws-shares tbody td").first
            assert "hsl" in (cell.get_attribute("style") or "")
        finally:
            browser.close()
