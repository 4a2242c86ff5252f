"""Switching the edition's method changes every channel (CSV, metadata, HTML) consistently,
and ``disclosure-check`` judges each."""

from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest

from traffickingmonitor.disclosure.api import DisclosureRule, rule_from_config
from traffickingmonitor.disclosure.check import check_tables
from traffickingmonitor.errors import UserError

from helpers import run_cli


def test_rule_from_edition_config():
    assert rule_from_config(None).method == "suppression"
    assert rule_from_config("rounding").method == "rounding"
    r = rule_from_config({"method": "dp", "epsilon": 0.5}, threshold=15)
    assert (r.method, r.epsilon, r.threshold) == ("dp", 0.5, 15)
    assert rule_from_config("rounding", method="dp").method == "dp"
    with pytest.raises(UserError):
        rule_from_config({"method": "shuffle"})
    with pytest.raises(UserError):
        rule_from_config({"budget": 1})


@pytest.mark.slow
@pytest.mark.parametrize("method", ["suppression", "rounding", "dp"])
def test_every_channel_follows_the_method(demo_edition, tmp_path, method):
    from traffickingmonitor.publish.report import write_report

    written = write_report(
        demo_edition.db, tmp_path / method, lang="en", pdf=False, disclosure=method
    )
    meta = json.loads((written.tables_dir / "metadata.json").read_text())
    assert meta["disclosure"]["method"] == method
    html = written.html.read_text("utf-8")
    sex = pd.read_csv(written.tables_dir / "sex.csv", dtype=str, keep_default_na=False)
    # every cell of the open data (a table may show its hidden cells as x only)
    cells = pd.concat(
        [
            pd.read_csv(path, dtype=str, keep_default_na=False).stack()
            for path in written.tables_dir.glob("*.csv")
        ]
    )
    rule = DisclosureRule(method=method)
    assert rule.describe("en") in unescape(html)
    if method == "suppression":
        assert meta["disclosure"]["secondary_symbol"] == "x"
        assert (cells == "<10").any()
        assert sum(t["suppressed_secondary"] for t in meta["tables"]) > 0
    elif method == "rounding":
        for path in written.tables_dir.glob("*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            table = next(t for t in meta["tables"] if t["file"] == path.name)
            for col in table["counts"]:
                values = [int(v) for v in frame[col] if v.lstrip("-").isdigit()]
                assert all(v % 5 == 0 for v in values), (path.name, col)
        assert not (cells == "<10").any()
    else:
        assert "persons_accuracy95" in sex.columns
        assert (sex["registrations"] == "x").all()  # not a person count: withheld
        assert "ε = 1" in html
        hn = pd.read_csv(written.tables_dir / "hidden_number.csv", dtype=str, keep_default_na=False)
        assert (hn["estimate"] == "").all()
        # persons by municipality (pooled) and police unit (per year) are person counts:
        # noisy, not withheld
        for name in ("local_municipality.csv", "local_police_unit_year.csv"):
            local = pd.read_csv(written.tables_dir / name, dtype=str, keep_default_na=False)
            assert local["place"].str.fullmatch(r"\d+").all(), name
            assert "place_accuracy95" in local.columns


def test_dp_sensitivity_of_tables_pooled_over_years():
    from disclosure_cases import local_year_tables
    from traffickingmonitor.disclosure.noise import sensitivity

    tables = local_year_tables(years=(2021, 2022, 2023))
    tables["local_municipality"].extra["pooled_years"] = 3
    rule = DisclosureRule(method="dp", max_years_per_person=5)
    # a person counts once in each of up to three pooled years, in one row a year
    assert sensitivity(tables["local_municipality"], rule, {}) == 3
    assert sensitivity(tables["local_municipality_year"], rule, {}) == 3
    assert sensitivity(tables["local_municipality"], DisclosureRule(method="dp"), {}) == min(
        3, DisclosureRule().max_years_per_person
    )


@pytest.mark.parametrize("method", ["suppression", "rounding", "dp"])
def test_check_passes_for_each_method(demo_edition, method):
    result = check_tables(demo_edition.tables, DisclosureRule(method=method))
    assert result.ok, "\n".join(result.lines())


def test_check_fails_on_the_primary_rule_alone(demo_edition, monkeypatch):
    """Without secondary suppression the check must say FAIL (and exit 1)."""
    from traffickingmonitor.disclosure import check, edition, secondary

    def primary_only(model, primary, **kw):
        return secondary.SuppressionResult(primary.copy(), primary.copy())

    monkeypatch.setattr(edition, "suppress", primary_only)
    result = check.check_tables(demo_edition.tables, DisclosureRule())
    assert not result.ok
    assert any(line.lstrip().startswith("FAIL") for line in result.lines())


@pytest.mark.slow
def test_disclosure_check_command(demo_edition):
    import typer
    from typer.testing import CliRunner

    from traffickingmonitor.disclosure.cli import disclosure_check_command

    app = typer.Typer()
    app.command("disclosure-check")(disclosure_check_command)
    app.command("noop")(lambda: None)  # keep the sub-command name
    res = CliRunner().invoke(app, ["disclosure-check", "--db", str(demo_edition.db)])
    assert res.exit_code == 0, res.output
    assert "all checks passed" in res.output
    assert "ok    sex" in res.output
    share = re.search(
        r"hidden outside the municipality tables: (\d+) of (\d+) count cells", res.output
    )
    assert share and 0 < int(share[1]) < int(share[2])
    assert "national key figures hidden: none" in res.output
    assert re.search(r"ok +api \(public\) +\d+ tables", res.output)
    res = CliRunner().invoke(
        app, ["disclosure-check", "--db", str(demo_edition.db), "--disclosure", "nonsense"]
    )
    assert res.exit_code != 0


@pytest.mark.slow
def test_registered_cli_when_available(demo_edition):
    res = run_cli("disclosure-check", "--db", demo_edition.db, "--no-channels")
    if "No such command" in res.stderr:
        pytest.skip("disclosure-check is not registered in the CLI yet")
    assert res.returncode == 0, res.stderr


def test_an_unknown_view_of_the_microdata_attacker_is_refused(tmp_path):
    res = run_cli(
        "disclosure-check", "--db", tmp_path / "none.duckdb", "--microdata", "--known", "all"
    )
    assert res.returncode == 2, res.stderr
    assert "--known must be tables or edition, not 'all'" in res.stderr
    assert "Traceback" not in res.stderr
