"""The attacker suite: every number the demo edition and a hard municipal case publish, and
every way to subtract a hidden count back (margins, tables sharing margins, hierarchies, LP
bounds per hidden cell). Zero recoveries, or the test fails."""

from __future__ import annotations

import json
import re
import types

import pandas as pd
import pytest

from disclosure_cases import hard_tables, local_year_tables
from traffickingmonitor.disclosure.api import (
    DisclosureRule,
    protect,
    protect_edition,
    protect_edition_details,
)
from traffickingmonitor.disclosure.attack import (
    attack,
    published_from_csv,
    published_from_protected,
    truth_of,
)
from traffickingmonitor.publish.report import write_tables
from traffickingmonitor.publish.web.channel_check import DataCells, read_page

from helpers import csv_numbers

RULE = DisclosureRule()


def test_demo_outputs_recover_nothing(demo_edition):
    published = published_from_csv(demo_edition.report / "tables")
    report = attack(published, RULE.threshold, truth_of(demo_edition.tables), RULE.protection_level)
    assert report.findings, "the demo edition hides nothing: the suite would prove nothing"
    assert report.recoveries == []
    assert report.small_shown == []
    # the feasible interval of every hidden count is wider than its protection interval
    for f in report.findings:
        assert f.high - f.low >= 1


@pytest.mark.slow
def test_demo_html_shows_no_small_count_and_no_number_the_csv_hides(demo_edition, tmp_path):
    from traffickingmonitor.publish.report import write_report

    written = write_report(demo_edition.db, tmp_path / "report", lang="en", pdf=False)
    html = written.html.read_text("utf-8")
    (parser,) = read_page(html, DataCells())
    published = csv_numbers(written.tables_dir)
    counts = [
        int(text.replace("\u202f", ""))
        for text in parser.count_cells()
        if re.fullmatch(r"\d[\d\u202f]*", text)
    ]
    assert counts
    assert [n for n in counts if 0 < n < RULE.threshold] == []
    # every count in the report is a number the open data publish too
    assert sorted(set(counts) - published) == []
    # hidden counts appear as the rule's symbols (the parser unescapes "&lt;10")
    symbols = {text for _, text in parser.cells}
    assert {f"<{RULE.threshold}", "x"} <= symbols


def test_attacker_breaks_the_primary_rule_alone(demo_edition):
    """The suite has teeth: on the foundation's table-by-table rule it recovers counts."""
    alone = {tid: protect(t, RULE) for tid, t in demo_edition.tables.items()}
    report = attack(
        published_from_protected(alone),
        RULE.threshold,
        truth_of(demo_edition.tables),
        RULE.protection_level,
    )
    assert len(report.recoveries) >= 5


def _edition_stub():
    return types.SimpleNamespace(
        edition_id="hard",
        created_at=pd.Timestamp("2024-01-01"),
        code_version="test",
        inputs_hash="0" * 64,
        inputs=pd.DataFrame(columns=["file_name", "kind", "file_hash"]),
    )


def test_hard_municipal_case_recovers_nothing(tmp_path):
    # 4,000 persons over 342 municipalities: two thirds of the cells are below 10
    tables = hard_tables(years=(2023,), persons_per_year=4000)
    protected = protect_edition(tables, RULE)
    folder = write_tables(protected, _edition_stub(), tmp_path / "tables", "en")
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["disclosure"]["method"] == "suppression"
    report = attack(
        published_from_csv(folder), RULE.threshold, truth_of(tables), RULE.protection_level
    )
    assert len(report.findings) > 100
    assert report.recoveries == []
    assert report.small_shown == []
    # without secondary suppression the province and police-unit totals give cells away
    alone = {tid: protect(t, RULE) for tid, t in tables.items()}
    naive = attack(
        published_from_protected(alone), RULE.threshold, truth_of(tables), RULE.protection_level
    )
    assert naive.recoveries


def test_local_figures_per_year_recover_nothing(tmp_path):
    # 800 persons a year over 342 municipalities: a pooled municipality and its years,
    # regions per year and pooled, all one population
    tables = local_year_tables()
    protected = protect_edition(tables, RULE)
    folder = write_tables(protected, _edition_stub(), tmp_path / "tables", "en")
    report = attack(
        published_from_csv(folder), RULE.threshold, truth_of(tables), RULE.protection_level
    )
    small_years = int(tables["local_municipality_year"].frame["exploitation"].between(1, 9).sum())
    assert sum(f.table_id == "local_municipality_year" for f in report.findings) >= small_years
    assert report.recoveries == []
    assert report.small_shown == []


def test_local_figures_per_year_engine_audit_and_near_cell_patterns(monkeypatch):
    from traffickingmonitor.disclosure import secondary
    from traffickingmonitor.disclosure.api import protect_edition_details

    tables = local_year_tables(persons_per_year=500, seed=9)
    fast = protect_edition_details(tables, RULE)
    assert fast.suppression.unprotectable == 0
    assert all(b.ok for b in fast.suppression.bounds)  # the engine's own LP audit
    # without the sweep up front and with every MILP over the whole component: the
    # shortcuts only spare solves, and a pattern found near a cell protects as well
    monkeypatch.setattr(secondary, "SWEEP", False)
    monkeypatch.setattr(secondary, "NEIGHBOURHOODS", (None,))
    plain = protect_edition_details(tables, RULE)
    assert all(b.ok for b in plain.suppression.bounds)
    assert fast.suppression.primary.sum() == plain.suppression.primary.sum()
    assert abs(int(fast.suppression.hidden.sum()) - int(plain.suppression.hidden.sum())) <= 0.05 * (
        int(plain.suppression.hidden.sum())
    )


def test_small_municipality_years_shown_as_small_turn_to_x_by_themselves():
    # each "<10" tells "at least 1", so a pooled municipality of 2 persons in two years would
    # be known to be at least 2: no pattern protects it, and the engine finds that itself and
    # shows that table's hidden cells as x instead
    tables = local_year_tables(hidden_as_x=False)
    result = protect_edition_details(tables, RULE)
    assert any("local_municipality_year" in n and "shown as x" in n for n in result.notes)
    shown = result.tables["local_municipality_year"].frame["exploitation"].astype(str)
    assert not shown.str.startswith("<").any() and (shown == "x").any()
    report = attack(
        published_from_protected(result.tables),
        RULE.threshold,
        truth_of(tables),
        RULE.protection_level,
    )
    assert report.recoveries == []
