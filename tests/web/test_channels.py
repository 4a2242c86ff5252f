"""Every channel shows the published numbers only: for the public and for a municipality user,
every count in the data tables of the dashboard's pages and every count the API returns is a
number the edition's open data (CSV) publish too (or a municipality's inhabitants, reference
data), and no count from 1 to 9 is shown anywhere.

The disclosure attacker works on the open data; this closes the other channels on it: a page
or an API answer that showed a number the CSVs hide would be a way around the protection.
"""

from __future__ import annotations

import re

import pytest

from web_helpers import OWN_GM

from helpers import DataCells, csv_numbers

#: pages besides those found from the menu: the municipality's own page and a few others
MUNICIPALITIES = (OWN_GM, "GM0599", "GM0014", "GM0344")


def _counts(html: str) -> list[int]:
    """Whole numbers in the cells of tables that count persons (thin-space thousands);
    percentages and decimals not."""
    parser = DataCells()
    parser.feed(html)
    return [
        int(text.replace("\u202f", "").replace(" ", ""))
        for text in parser.count_cells()
        if re.fullmatch(r"\d{1,3}([\u202f ]\d{3})*", text)
    ]


def _pages(client) -> list[str]:
    chapters = client.get("/chapters").text
    found = sorted(set(re.findall(r'href="(/chapters/[a-z_]+)"', chapters)))
    assert found, "no chapter pages linked"
    return [
        "/",
        "/chapters",
        *found,
        "/municipalities",
        *(f"/municipalities/{gm}" for gm in MUNICIPALITIES),
        "/method",
    ]


@pytest.mark.parametrize("role", ["public", "municipality"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_show_only_published_counts(clients, app, edition_id, role, lang):
    from traffickingmonitor.codes.municipalities import municipalities

    client = clients[role]
    # the open data, and the reference data the pages set counts beside (inhabitants)
    published = csv_numbers(app.state.data.csv_folder(edition_id, lang, False))
    published |= set(municipalities()["population"].astype(int))
    threshold = app.state.data.rule.threshold
    seen = 0
    for path in _pages(client):
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200, path
        counts = _counts(r.text)
        seen += len(counts)
        assert [n for n in counts if 0 < n < threshold] == [], path
        assert sorted(set(counts) - published) == [], path
    assert seen > 100, "the pages showed hardly any counts: the test would prove nothing"


@pytest.mark.parametrize("role", ["public", "municipality"])
def test_api_tables_answer_only_published_counts(clients, app, edition_id, role):
    client = clients[role]
    published = csv_numbers(app.state.data.csv_folder(edition_id, "en", False))
    threshold = app.state.data.rule.threshold
    tables = client.get(f"/api/v1/editions/{edition_id}/tables").json()
    assert tables
    for info in tables:
        body = client.get(f"/api/v1/editions/{edition_id}/tables/{info['table_id']}").json()
        for row in body["rows"]:
            for column in info["counts"]:
                v = row.get(column)
                if isinstance(v, int) and not isinstance(v, bool):
                    assert not 0 < v < threshold, (info["table_id"], column, row)
                    assert v in published, (info["table_id"], column, row)
