"""The API serves protected tables only: never a count from 1 to 9; filters, CSV, errors."""

from __future__ import annotations

import io

import pandas as pd


def _small(value) -> bool:
    """A shown count in 1..9 would be a disclosure (the rule's threshold is 10)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10


def test_no_table_returns_an_unprotected_count(clients, edition_id):
    c = clients["analyst"]
    infos = c.get(f"/api/v1/editions/{edition_id}/tables").json()
    assert {"totals", "sex"} <= {i["table_id"] for i in infos}
    hidden = 0
    for info in infos:
        body = c.get(f"/api/v1/editions/{edition_id}/tables/{info['table_id']}").json()
        symbol = body["disclosure"]["symbol"]
        cols = info["counts"] + info["estimates"]
        for row in body["rows"]:
            for col in cols:
                v = row[col]
                assert not _small(v), (info["table_id"], row)
                hidden += isinstance(v, str)
        assert len(body["rows"]) == info["rows"]
        csv = c.get(
            f"/api/v1/editions/{edition_id}/tables/{info['table_id']}", params={"format": "csv"}
        ).text
        frame = pd.read_csv(io.StringIO(csv), dtype=str)
        for col in info["counts"]:
            assert not frame[col].dropna().isin([str(i) for i in range(1, 10)]).any()
        assert symbol
    assert hidden > 0  # the synthetic edition does have small cells, and they are hidden


def test_filters(clients, edition_id):
    c = clients["public"]
    url = f"/api/v1/editions/{edition_id}/tables/sex"
    body = c.get(url, params={"year": 2020, "where": "sex:female"}).json()
    assert body["filters"] == {"sex": "female", "year": "2020"}
    assert [(r["year"], r["sex"]) for r in body["rows"]] == [(2020, "female")]
    assert c.get(url, params={"where": "colour:red"}).status_code == 400
    assert c.get(url, params={"where": "nocolon"}).status_code == 400
    assert c.get(f"/api/v1/editions/{edition_id}/tables/nope").status_code == 404
    assert c.get("/api/v1/editions/1999-01-01.1/tables").status_code == 404


def test_editions_list(clients, edition_id):
    body = clients["public"].get("/api/v1/editions").json()
    assert [e["edition_id"] for e in body] == [edition_id]
    assert body[0]["latest"] is True


def test_downloads_are_the_protected_open_data(clients, edition_id):
    c = clients["public"]
    meta = c.get(f"/downloads/{edition_id}/metadata.json").json()
    assert meta["edition"] == edition_id
    r = c.get(f"/downloads/{edition_id}/totals.csv?lang=en")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert c.get(f"/downloads/{edition_id}/../../etc/passwd").status_code == 404
    assert c.get(f"/downloads/{edition_id}/secret.csv").status_code == 404


def test_every_chapter_is_a_page_in_both_languages(app, clients, edition_id):
    from traffickingmonitor.publish.chapters import CHAPTERS

    built = {ch["id"] for ch in app.state.data.chapters(edition_id, "nl")}
    assert built and built <= {ch.id for ch in CHAPTERS}
    c = clients["public"]
    for lang in ("nl", "en"):
        c.get(f"/lang/{lang}")
        for ch in built:
            r = c.get(f"/chapters/{ch}")
            assert r.status_code == 200
            assert f'<html lang="{lang}">' in r.text
    c.get("/lang/nl")
