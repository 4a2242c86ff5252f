"""In a real browser (Debian's Chromium): every page per role, axe-core, language, forms.

Screenshots of the pages are written to ``tests/web/artifacts/`` (kept out of git).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web_helpers import OWN_GM, PASSWORDS, make_app, serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    app = make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('bstate') / 's.sqlite'}")
    yield from serve_in_thread(app)


@pytest.fixture(scope="module")
def draft_server(demo_db, tmp_path_factory):
    """The demo store under a fresh state: its edition is a draft until approved."""
    state = f"sqlite:///{tmp_path_factory.mktemp('dstate') / 's.sqlite'}"
    yield from serve_in_thread(make_app(demo_db, state, approve=False))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _page(browser, server, role: str):
    # bypass_csp: axe is injected as a script; the app's CSP (rightly) forbids inline ones.
    context = browser.new_context(base_url=server, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    if role != "public":
        username, password = PASSWORDS[role]
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(re.compile(r".*/$"))
        assert username in page.inner_text("header")
    return context, page


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _pages(role: str, chapters: list[str]) -> list[tuple[str, bool]]:
    """(page, check it) per role: every page is opened; axe and a screenshot run on the public
    pages once (as the public) and on the pages a role adds, so the suite stays quick."""
    public = ["/", "/chapters", *[f"/chapters/{c}" for c in chapters], "/municipalities"]
    public += [f"/municipalities/{OWN_GM}", "/downloads", "/method"]
    if role == "public":
        return [(p, True) for p in [*public, "/login"]]
    own = [f"/municipalities/{OWN_GM}/assessment", "/account"]
    if role in ("analyst", "admin"):
        own += ["/admin/editions"]
    if role == "admin":
        own += ["/admin/users", "/admin/audit", "/admin/sessions"]
    return [("/", True), *[(p, False) for p in public[1:]], *[(p, True) for p in own]]


@pytest.mark.parametrize("role", ["public", "municipality", "analyst", "admin"])
def test_every_page_as_every_role_with_axe(browser, server, role, demo_db):
    from traffickingmonitor.publish.web.data import shared

    data = shared(demo_db)
    chapters = [c["id"] for c in data.chapters(data.latest.edition_id, "nl")]
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = _page(browser, server, role)
    problems = {}
    try:
        for path, check in _pages(role, chapters):
            response = page.goto(path)
            assert response.status == 200, (role, path, response.status)
            assert page.get_attribute("html", "lang") == "nl"
            assert page.locator("h1").count() == 1
            if not check:
                continue
            assert page.locator("a.skip-link").count() == 1
            serious = _axe(page)
            if serious:
                problems[path] = serious
            name = path.strip("/").replace("/", "_") or "overview"
            page.screenshot(path=str(ARTIFACTS / f"{role}-{name}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems


def test_language_switch(browser, server):
    context, page = _page(browser, server, "public")
    try:
        page.goto("/downloads")
        page.click("a.lang-switch")
        page.wait_for_url(re.compile(r".*/downloads$"))
        assert page.get_attribute("html", "lang") == "en"
        assert page.locator("h1").inner_text() == "Downloads"
        page.goto("/")
        assert page.get_attribute("html", "lang") == "en"
        assert not _axe(page)
        page.screenshot(path=str(ARTIFACTS / "public-overview-en.png"), full_page=True)
        page.click("a.lang-switch")
        assert page.get_attribute("html", "lang") == "nl"
    finally:
        context.close()


def test_submit_self_assessment(browser, server):
    context, page = _page(browser, server, "municipality")
    try:
        page.goto(f"/municipalities/{OWN_GM}/assessment")
        page.check("input[name=value_policy_document][value=yes]")
        page.check("input[name=value_contact_officer][value=partly]")
        page.fill("#note_contact_officer", "Aandachtsfunctionaris vanaf 1 maart.")
        page.click("form.assessment button[type=submit]")
        page.wait_for_url(re.compile(r".*saved=1$"))
        assert page.locator("p.notice[role=status]").count() == 1
        assert "Aandachtsfunctionaris vanaf 1 maart." in page.inner_text("table")
        assert page.is_checked("input[name=value_policy_document][value=yes]")
        page.screenshot(path=str(ARTIFACTS / "municipality-assessment-saved.png"), full_page=True)
        # another municipality's form is not for this user
        assert page.goto("/municipalities/GM0014/assessment").status == 403
    finally:
        context.close()


def test_download_a_table(browser, server, tmp_path):
    context, page = _page(browser, server, "public")
    try:
        page.goto("/downloads")
        with page.expect_download() as info:
            page.click("a[href*='/sex.csv']")
        target = tmp_path / "sex.csv"
        info.value.save_as(target)
        text = target.read_text("utf-8")
        assert text.startswith("year,sex,sex_label,persons")
        cells = [c for line in text.splitlines()[1:] for c in line.split(",")[3:]]
        assert not [c for c in cells if re.fullmatch(r"[1-9]", c)]
    finally:
        context.close()


@pytest.mark.parametrize("path,ready", [("/api/docs", ".opblock"), ("/api/redoc", "h1")])
def test_api_docs_render_under_the_apps_csp(browser, server, path, ready):
    """Swagger UI and ReDoc from the package render with the app's own CSP in force (no
    bypass) and make no request to another origin."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(server) else None)
    page.goto(path)
    page.wait_for_selector(ready)
    assert "Trafficking victim monitor API" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert [u for u in foreign if not u.startswith(("data:", "blob:"))] == []
    context.close()


def test_analyst_approves_a_draft_then_the_public_sees_it(browser, draft_server, demo_db):
    """Issue 16.5: the draft is marked for staff and hidden from the public until an analyst
    approves it in the dashboard; the approval page passes axe."""
    from traffickingmonitor.publish.web.data import shared

    edition_id = shared(demo_db).latest.edition_id
    ARTIFACTS.mkdir(exist_ok=True)
    public_context, public = _page(browser, draft_server, "public")
    context, page = _page(browser, draft_server, "analyst")
    try:
        assert public.goto("/chapters").status == 404
        assert public.goto(f"/?edition={edition_id}").status == 404
        assert public.goto("/").status == 200
        assert edition_id not in public.inner_text("main")

        page.goto("/chapters/registered")
        assert "Concept / draft" in page.inner_text("main")
        assert not _axe(page)
        page.screenshot(path=str(ARTIFACTS / "analyst-draft-chapter.png"), full_page=True)

        page.goto("/admin/editions")
        row = page.locator("tbody tr", has_text=edition_id)
        assert "concept" in row.inner_text()
        assert not _axe(page)
        page.screenshot(path=str(ARTIFACTS / "analyst-editions-draft.png"), full_page=True)
        row.get_by_role("button", name=re.compile("Goedkeuren")).click()
        page.wait_for_url(re.compile(r".*done=approved_msg$"))
        assert page.locator("p.notice[role=status]").count() == 1
        assert "goedgekeurd" in page.locator("tbody tr", has_text=edition_id).inner_text()
        assert not _axe(page)
        page.screenshot(path=str(ARTIFACTS / "analyst-editions-approved.png"), full_page=True)

        assert public.goto("/chapters").status == 200
        assert edition_id in public.inner_text("main")
        assert "Concept / draft" not in public.inner_text("body")
    finally:
        context.close()
        public_context.close()
