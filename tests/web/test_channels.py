"""Every channel shows the published numbers only (``disclosure-check``'s reading of the web
server, ``publish/web/channel_check.py``): for every role, every API table is the open data's
cell by cell, every count in the data tables of the dashboard's pages is a number the open
data (CSV) publish too (or a municipality's inhabitants, reference data), and no count from
1 to 9 is shown anywhere.

The disclosure attacker works on the open data; this closes the other channels on it: a page
or an API answer that showed a number the CSVs hide would be a way around the protection.
"""

from __future__ import annotations

import re

import pytest

from helpers import csv_numbers


@pytest.fixture(scope="module")
def open_data(demo_db, edition_id):
    """The protected tables the open data of the demo edition publish (as ``disclosure-check``
    reads them: the stored protection, under the edition's rule)."""
    from traffickingmonitor import editions
    from traffickingmonitor.disclosure.rule import rule_from_config
    from traffickingmonitor.disclosure.stored import stored_protection

    edition, tables = editions.read_edition(demo_db, edition_id)
    rule = rule_from_config(edition.config.get("disclosure"))
    return stored_protection(demo_db, edition_id, tables, rule, read_only=True).tables, rule


def test_disclosure_check_reads_the_api_and_the_pages_of_every_role(
    app, demo_db, edition_id, open_data
):
    from traffickingmonitor.codes.municipalities import municipalities
    from traffickingmonitor.disclosure.check import published_numbers
    from traffickingmonitor.publish.web.channel_check import read_channels

    protected, rule = open_data
    # what the check takes for published is what the CSV files of the open data hold
    csv = set(municipalities()["population"].astype(int))
    for lang in ("nl", "en"):
        csv |= csv_numbers(app.state.data.csv_folder(edition_id, lang, False))
    assert published_numbers(protected) <= csv
    verdicts = {v.channel: v for v in read_channels(demo_db, edition_id, protected, rule.threshold)}
    for role in ("public", "municipality", "analyst", "admin"):
        api = verdicts[f"api ({role})"]
        assert api.ok and api.attacked, api.detail
        assert f"{len(protected)} tables" in api.detail
        for lang in ("nl", "en"):
            pages = verdicts[f"pages ({role}, {lang})"]
            assert pages.ok and pages.attacked, pages.detail
            # the public reads every municipality's page; all roles find counts
            pages_read, towns, sheets = map(
                int, re.search(r"(\d+) pages \((\d+) municipalities', (\d+)", pages.detail).groups()
            )
            assert towns == (342 if role == "public" else 5) and pages_read > towns + sheets
            # and every area's factsheet (342 municipalities and the other levels' areas)
            assert sheets > 342 if role == "public" else sheets == 5 + 3
            assert int(re.search(r"(\d+) counts", pages.detail)[1]) > 1000
    assert not verdicts["workspace (analyst)"].attacked


def test_a_channel_that_shows_another_number_fails(demo_db, edition_id, open_data):
    """The API compared cell by cell: a table whose open data say otherwise fails, naming
    the cell; a threshold above the shown counts makes every page's counts small."""
    from types import SimpleNamespace

    from traffickingmonitor.publish.web.channel_check import read_channels

    protected, _ = open_data
    frame = protected["totals"].frame
    column = protected["totals"].spec.counts[0]
    frame.loc[frame.index[0], column] = int(frame[column].iloc[0]) + 1
    altered = {**protected, "totals": SimpleNamespace(frame=frame, spec=protected["totals"].spec)}
    verdicts = {v.channel: v for v in read_channels(demo_db, edition_id, altered, 10_000)}
    api = verdicts["api (public)"]
    assert not api.ok and f"totals row 1 {column}" in api.detail
    pages = verdicts["pages (public, en)"]
    assert not pages.ok and "between 1 and 9999" in pages.detail


@pytest.fixture(scope="module")
def known():
    from traffickingmonitor.disclosure.rule import DisclosureRule
    from traffickingmonitor.publish.web.channel_check import own_words_known

    return own_words_known({0, 12, 959}, 10, DisclosureRule())


def _own(html: str, known) -> tuple[int, list[str]]:
    from traffickingmonitor.publish.web.channel_check import OwnWords, own_words, read_page

    (words,) = read_page(f"<html><body><main>{html}</main></body></html>", OwnWords())
    return own_words(words, known)


def test_the_pages_own_words_are_read_and_a_count_there_must_be_published(known):
    """Around the tables a page writes fixed words, dates and codes, shares, years and
    reference data; a count of persons in its own words must be published and no small one,
    the chapters' text and the tables are read elsewhere."""
    from html import escape

    from traffickingmonitor.disclosure.rule import DisclosureRule

    fine = (
        f"<p>{escape(DisclosureRule().describe('nl'))}</p>"
        "<p class='kicker'>Editie 2026-12-05.1 · GM0363 · versie 0.1.0</p>"
        "<p>Slachtoffers 2016–2020 samen: 959, 45,1% en 7,5 per 100.000 inwoners</p>"
        "<p class='facts'>provincie Utrecht · 26 gemeenten · 1\u202f400\u202f057 inwoners</p>"
        "<h1 class='chapter-text'>6. Zorg en opvang: 5 jaar</h1>"
        "<table><tr><td>5</td></tr></table>"
        "<div class='chapter'><p>5 personen<p>en 3 meldingen</div>"
    )
    seen, wrong = _own(fine, known)
    assert wrong == [] and seen >= 10
    # a small count, a number the open data do not publish, reference data that is not
    # where the page says it shows reference data
    for words, number in (
        ("<p>In 2019 kregen 5 personen geen zorg.</p>", "5 in"),
        ("<p>Samen 1\u202f123 personen.</p>", "1 123 in"),
        ("<p>1\u202f400\u202f057 personen</p>", "1 400 057 in"),
        ("<p class='facts'>26 gemeenten · 4 personen</p>", "4 in"),
        # after a chapter whose last paragraph had no end tag, the page's own words again
        ("<div class='chapter'><p>5 personen</div><p>7 meldingen</p>", "7 in"),
    ):
        seen, wrong = _own(fine + words, known)
        assert len(wrong) == 1 and wrong[0].startswith(number), (words, wrong)
