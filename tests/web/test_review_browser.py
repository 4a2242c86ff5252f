"""Clerical review in a real browser (Debian's Chromium): an analyst decides 20 pairs with the
keyboard, the decisions are brought into the store and the next run links as decided.

Its own small store (synthetic seed 1, scale 0.2) with a wide review band, so that the
edition has more than 20 uncertain pairs, some of them below the linkage threshold.
Screenshots go to ``tests/web/artifacts/`` (kept out of git).
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from pathlib import Path

import pytest

from web_helpers import PASSWORDS, csrf, login, make_app, serve_in_thread

# As in test_browser.py (test modules are not importable from each other here).
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

DECIDE = 20
# Wide enough for more than DECIDE pairs at this scale (the default band gives 14).
CONFIG = {"hidden_number": {"n_boot": 200}, "linkage": {"review_band": [0.01, 0.999]}}


@pytest.fixture(scope="module")
def review_store(tmp_path_factory):
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    root = tmp_path_factory.mktemp("review")
    write_synthetic_edition(root / "in", seed=1, scale=0.2)
    key = Key(b"r" * 32)
    summary = pipeline.run(root / "in", root / "monitor.duckdb", key, config=CONFIG)
    return root, key, summary.edition_id


@pytest.fixture(scope="module")
def served(review_store):

    root, _, _ = review_store
    state = f"sqlite:///{root / 'state.sqlite'}"
    app = make_app(root / "monitor.duckdb", state)
    # Build the edition's chapters (every page's menu) before the browser asks, as ``serve``.
    app.state.data.warm()
    for base in serve_in_thread(app):
        yield base, state


def _axe(page) -> list[dict]:
    """Serious and critical axe-core findings (WCAG 2.1 A/AA and best practice)."""
    page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _store_view(db: Path, edition_id: str, *, pairs: bool = True):
    """The edition's person per registration, its threshold and (``pairs``) its uncertain
    pairs in the order of the review pages."""
    from traffickingmonitor import store
    from traffickingmonitor.linkage import api as linkage

    con = store.connect(db, read_only=True)
    try:
        uncertain = linkage.uncertain_pairs(con, edition_id) if pairs else None
        assignment = linkage.load_assignment(con, edition_id)
        threshold = linkage.load_notes(con, edition_id)["threshold"]
    finally:
        con.close()
    person = dict(zip(assignment["registration_id"], assignment["person_id"], strict=True))
    return uncertain, person, threshold


def test_review_pages_by_role_by_plain_form_and_audited(review_store, tmp_path):
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from traffickingmonitor.linkage.labels import LEVEL_NL, level_label
    from traffickingmonitor.linkage.model import COMPARISONS
    from traffickingmonitor.linkage.review_browser import apply_state_decisions
    from traffickingmonitor.publish.web.state import AuditEntry

    root, _, edition_id = review_store
    db = root / "monitor.duckdb"
    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    app = make_app(db, state)
    pairs, _, _ = _store_view(db, edition_id)
    clients = {}
    for role in ("public", "municipality", "analyst"):
        clients[role] = TestClient(app)
        login(clients[role], role)
    q = f"?edition={edition_id}"
    public = clients["public"].get(f"/review{q}", follow_redirects=False)
    assert public.status_code == 303 and public.headers["location"].startswith("/login")
    assert clients["municipality"].get(f"/review/1{q}").status_code == 403
    analyst = clients["analyst"]
    page = analyst.get(f"/review/2{q}")
    assert page.status_code == 200
    for rid in (*pairs["registration_id_l"], *pairs["registration_id_r"]):
        assert rid not in page.text
    assert analyst.get(f"/review/{len(pairs) + 1}{q}").status_code == 404
    probability = pairs["match_probability"].iloc[1]
    assert f"{probability:.4f}".replace(".", ",") in page.text  # Dutch decimal comma
    english = analyst.get(f"/review/2{q}&lang=en").text
    assert "<h1>Pair 2 of" in english and f"{probability:.4f}" in english
    # the evidence's levels in the page's language, each level of several one weight allows
    levels = re.findall(r'<td class="text">([^<]*)</td><td>[+-]', page.text)
    assert len(levels) == len(COMPARISONS)
    stored = [pairs[f"{c}_level"].iloc[1] for c in COMPARISONS]
    assert [html_unescape(v) for v in levels] == [level_label(v, "nl") for v in stored]
    for value in levels:
        for part in html_unescape(value).split(" / "):
            assert part in (*LEVEL_NL.values(), "ontbreekt (telt niet mee)")
    token = csrf(page.text)
    form = {"csrf_token": token, "edition": edition_id}
    no_token = analyst.post("/review/2", data={**form, "csrf_token": "x", "decision": "match"})
    assert no_token.status_code == 403
    assert analyst.post("/review/2", data={**form, "decision": "maybe"}).status_code == 400
    # a plain form post (no script): decide, then on to the next undecided pair
    done = analyst.post("/review/2", data={**form, "decision": "no_match"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"/review/3{q}")
    skip = analyst.post("/review/1", data={**form, "decision": "skip"}, follow_redirects=False)
    assert skip.headers["location"] == f"/review/3{q}"  # 2 is decided
    overview = analyst.get(f"/review{q}").text
    assert re.search(rf'<progress id="review-progress" max="{len(pairs)}" value="1">', overview)
    muni = clients["municipality"]
    muni_form = {**form, "csrf_token": csrf(muni.get("/account").text), "decision": "match"}
    assert muni.post("/review/2", data=muni_form).status_code == 403
    with app.state.db() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "review decision"))
        assert [(e.username, e.target, e.detail) for e in entries] == [
            ("analyst", f"{edition_id}/pair 2", "no_match")
        ]
    # applied (into a copy of the store): the decision can no longer change
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    assert apply_state_decisions(copy, state).stored.no_matches == 1
    locked = analyst.post("/review/2", data={**form, "decision": "match"})
    assert locked.status_code == 409


def test_an_analyst_reviews_20_pairs_with_the_keyboard_and_the_next_run_applies_them(
    review_store, served
):
    from playwright.sync_api import sync_playwright

    from traffickingmonitor import pipeline
    from traffickingmonitor.linkage import review_browser

    root, key, edition_id = review_store
    db = root / "monitor.duckdb"
    url, state = served
    pairs, before, threshold = _store_view(db, edition_id)
    total = len(pairs)
    assert total > DECIDE
    ids = list(zip(pairs["registration_id_l"], pairs["registration_id_r"], strict=True))
    # Skip the first pairs, decide the last DECIDE (the least probable ones among them):
    # every fourth one "no match", the others "match"; then the last one is changed to "match".
    plan = ["s"] * (total - DECIDE) + ["n" if i % 4 == 3 else "m" for i in range(DECIDE)]
    final = [*plan[:-1], "m"]
    assert plan[-1] == "n"
    matched = [ids[i] for i, k in enumerate(final) if k == "m"]
    no_matched = [ids[i] for i, k in enumerate(final) if k == "n"]
    split_before = [p for p in matched if before[p[0]] != before[p[1]]]
    assert split_before, "no decided match changes anything: the test would prove nothing"
    assert pairs["match_probability"].iloc[-1] < threshold

    ARTIFACTS.mkdir(exist_ok=True)
    problems = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(base_url=url, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        username, password = PASSWORDS["analyst"]
        page.goto("/login?next=/review")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(re.compile(r".*/review$"))
        assert page.locator("progress").get_attribute("max") == str(total)
        assert page.locator("progress").get_attribute("value") == "0"
        problems["/review"] = _axe(page)
        page.click("a.button.primary")
        for n, keystroke in enumerate(plan, start=1):
            page.wait_for_url(re.compile(rf".*/review/{n}(\?.*)?$"))
            assert page.locator("h1").inner_text() == f"Paar {n} van {total}"
            html = page.content()
            # the pair's registration ids never reach the browser
            assert ids[n - 1][0] not in html and ids[n - 1][1] not in html
            if n == total - DECIDE + 1:
                problems["/review/n"] = _axe(page)
                page.screenshot(path=str(ARTIFACTS / "analyst-review-pair.png"), full_page=True)
            page.keyboard.press(keystroke)
        page.wait_for_url(re.compile(r".*/review(\?.*)?$"))
        assert page.locator("progress").get_attribute("value") == str(DECIDE)
        page.screenshot(path=str(ARTIFACTS / "analyst-review.png"), full_page=True)
        # a decision can change until it is applied: the last one becomes "match"
        page.goto(f"/review/{total}?edition={edition_id}")
        assert "Andere persoon" in page.inner_text("#current-decision")
        page.keyboard.press("m")
        page.wait_for_url(re.compile(r".*/review(\?.*)?$"))
        context.close()
        browser.close()
    assert not any(problems.values()), problems

    # What ``run`` does: the waiting decisions into the store, the run, then mark them.
    applied = review_browser.apply_state_decisions(db, state)
    assert (applied.stored.matches, applied.stored.no_matches) == (len(matched), len(no_matched))
    summary = pipeline.run(root / "in", db, key, config=CONFIG)
    # same input and settings, but decisions stored since: a new edition, not a no-op run
    assert summary.edition_id != edition_id
    assert review_browser.mark_applied(db, summary.edition_id, state, until=applied.at) == DECIDE

    _, after, _ = _store_view(db, summary.edition_id, pairs=False)
    assert all(after[a] == after[b] for a, b in matched)
