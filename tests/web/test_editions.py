"""Editions: the public sees the latest only; staff pick any; what changed is computed."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from web_helpers import approve_all, login, make_app


@pytest.fixture(scope="module")
def two_editions(demo_db, tmp_path_factory):
    """An app whose store has an older edition besides the demo one (same tables)."""
    from traffickingmonitor.publish.web.data import EditionData

    app = make_app(demo_db, f"sqlite:///{tmp_path_factory.mktemp('ed') / 's.sqlite'}")
    data = EditionData(
        demo_db, app.state.data.threshold
    )  # private copy: the shared one stays as is
    latest = data.latest
    older = dataclasses.replace(latest, edition_id="2000-01-01.1")
    data.editions = [older, latest]  # cached_property: the instance attribute wins
    shared = app.state.data
    data._tables[older.edition_id] = shared.tables(latest.edition_id)
    for eid in (older.edition_id, latest.edition_id):  # charts are built once per session
        data._chapters[(eid, "nl")] = shared.chapters(latest.edition_id, "nl")
    app.state.data = data
    approve_all(app)  # both published: the public sees the latest one only
    return app, older.edition_id, latest.edition_id


@pytest.mark.parametrize("role,allowed", [("public", False), ("analyst", True), ("admin", True)])
def test_older_editions_for_staff_only(two_editions, role, allowed):
    app, older, latest = two_editions
    c = TestClient(app)
    login(c, role)
    listed = [e["edition_id"] for e in c.get("/api/v1/editions").json()]
    assert listed == ([latest, older] if allowed else [latest])
    urls = (
        f"/api/v1/editions/{older}/tables",
        f"/?edition={older}",
        f"/downloads/{older}/totals.csv",
    )
    for url in urls:
        r = c.get(url, follow_redirects=False)
        assert (r.status_code == 200) == allowed, (role, url, r.status_code)


def test_what_changed_since_the_previous_edition_for_staff_only(two_editions):
    """The public sees one edition: a change since an unpublished one is a count of persons
    added or relinked (issue 12, recovery 5)."""
    app, older, _ = two_editions
    public = TestClient(app).get("/").text
    assert older not in public
    c = TestClient(app)
    login(c, "analyst")
    html = c.get("/").text
    assert older in html  # the comparison names the previous edition
    assert "+0" in html  # same tables: every shown count is unchanged


class _Shown:
    """A protected totals table as ``changes`` reads it."""

    def __init__(self, persons: dict):
        self.persons = persons
        self.frame = {"year": list(persons)}

    def value(self, row, column):
        return self.persons[row["year"]]


class _Data:
    def __init__(self, now: dict, before: dict):
        self._t = {"now": {"totals": _Shown(now)}, "before": {"totals": _Shown(before)}}

    def tables(self, edition_id):
        return self._t[edition_id]


def test_a_small_change_between_editions_is_never_shown_as_its_number():
    from types import SimpleNamespace

    from traffickingmonitor.publish.web.figures import changes

    data = _Data({2016: 959, 2017: 980, 2018: "<10"}, {2016: 962, 2017: 960, 2018: "<10"})
    rows = changes(
        data, SimpleNamespace(edition_id="now"), SimpleNamespace(edition_id="before"), 10
    )
    assert [r["diff"] for r in rows] == ["-<10", 20, None]


def test_each_edition_is_served_under_its_own_disclosure_rule(demo_db):
    """An edition protected otherwise than by default (here: controlled rounding, as its
    configuration says) is served as it was protected, never under a default rule: the
    server once protected every edition with plain suppression at its threshold, so an
    edition protected against the microdata (its withheld tables) came out in the API."""
    from traffickingmonitor.disclosure.rule import rule_from_config
    from traffickingmonitor.publish.web.data import EditionData

    data = EditionData(demo_db)
    latest = data.latest
    rounded = dataclasses.replace(
        latest,
        edition_id="2000-01-01.1",
        config={**latest.config, "disclosure": {"method": "rounding", "rounding_base": 5}},
    )
    data.editions = [rounded, latest]  # cached_property: the instance attribute wins
    assert data.rule(latest.edition_id) == rule_from_config(latest.config.get("disclosure"))
    rule = data.rule(rounded.edition_id)
    assert (rule.method, rule.rounding_base) == ("rounding", 5)
    # the server's own threshold replaces the edition's, and only that
    assert EditionData(demo_db, 15).rule(latest.edition_id).threshold == 15
