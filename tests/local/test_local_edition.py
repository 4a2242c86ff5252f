"""Local chapters on a small synthetic edition: pipeline → protected tables → report (HTML, PDF).

One edition for the module (half scale, three years, a short bootstrap) keeps this under two
minutes on a busy machine.
"""

from __future__ import annotations

import re
import subprocess
from html import unescape

import pandas as pd
import pytest

from traffickingmonitor import editions, pipeline
from traffickingmonitor.analysis import municipal_approach as ma
from traffickingmonitor.codes import api as codes
from traffickingmonitor.disclosure.api import PrimaryRule, protect_edition
from traffickingmonitor.intake.pseudonymise import Key
from traffickingmonitor.publish.chapters import local_figures, programme
from traffickingmonitor.publish.labels import category_label
from traffickingmonitor.publish.report import render_html, write_pdf
from traffickingmonitor.synthetic.api import write_synthetic_edition

from helpers import KEY

RULE = PrimaryRule(10)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    data = tmp_path_factory.mktemp("local_data")
    write_synthetic_edition(data, seed=11, years=(2018, 2020), scale=0.5)
    db = tmp_path_factory.mktemp("local_db") / "m.duckdb"
    config = {"hidden_number": {"n_boot": 60}}
    pipeline.run(data, db, Key(KEY.encode()), config=config)
    e, tables = editions.read_edition(db)
    return data, e, tables


@pytest.fixture(scope="module")
def protected(edition):
    # once for the module: protecting an edition is the slow part of writing a report
    return protect_edition(edition[2], RULE)


@pytest.fixture(scope="module")
def report(edition, protected, tmp_path_factory):
    """The English report as HTML text and the path of its PDF (the same HTML typeset)."""
    html = render_html(protected, edition[1], RULE, "en")
    pdf = tmp_path_factory.mktemp("local_report") / "report.pdf"
    write_pdf(html, pdf, edition[1], "en")
    return html, pdf


def test_maps_render_in_html_with_hidden_areas_marked(report, protected):
    html = report[0]
    for block in ("local-map-municipality", "local-map-province", "approach-map"):
        start = html.index(f'id="{block}"')
        section = html[start : html.index("</section>", start)]
        assert "<svg" in section and section.count("<path") >= 12, block
    section = html[html.index('id="local-map-municipality"') :]
    section = section[: section.index("</section>")]
    hidden = protected["local_municipality"].suppressed["place"].sum()
    assert hidden > 0  # a small edition has municipalities with 1-9 persons
    assert "not shown (&lt;10)" in section  # the legend names them, apart from zero
    assert "0 (none)" in section


def test_maps_are_in_the_pdf(report):
    # pdftotext: pypdf takes minutes over the map paths
    text = subprocess.run(
        ["pdftotext", str(report[1]), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\u202f", " ")  # thousands: a narrow no-break space, in English too
    text = " ".join(text.split())  # a long title may break across lines
    assert (
        "Victims per 100 000 inhabitants by municipality (of exploitation, else residence)" in text
    )
    assert "Victims per 100 000 inhabitants by province (of exploitation, else residence)" in text
    assert "not shown (<10)" in text


def test_rates_only_from_shown_counts(report, protected):
    html = report[0]
    table = protected["local_municipality"]
    frame = table.frame
    start = html.index('id="local-municipalities"')
    section = html[start : html.index("</section>", start)]
    rows = re.findall(r"<tr><th scope=\"row\">([^<]*)</th>(.*?)</tr>", section)
    cells = {
        unescape(name): [unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", rest)]
        for name, rest in rows
    }
    names = codes.municipalities().set_index("code")["name"]
    population = codes.municipalities().set_index("code")["population"]
    # the report names the large municipalities (chosen by size, not by their figures)
    large = population[population >= local_figures.LARGE_MUNICIPALITY].index
    assert sorted(cells) == sorted(names[large])
    checked = 0
    for i, code in enumerate(frame["municipality"]):
        if code not in large:
            continue
        _, expl, _, rate, _ = cells[names[code]]
        if table.suppressed["place"].iloc[i]:
            assert expl in ("<10", "x") and rate == "–"
        elif int(frame["place"].iloc[i]) > 0:
            expected = 100_000 * int(frame["place"].iloc[i]) / 3 / population[code]
            assert float(rate) == pytest.approx(expected, abs=0.05)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("level", ["police_unit", "province"])
def test_yearly_local_tables_add_up_to_the_pooled_and_the_total(edition, level):
    tables = edition[2]
    yearly = tables[f"local_{level}_year"].frame
    pooled = tables[f"local_{level}"].frame.set_index(level)
    total = tables["local_total"].frame
    assert sorted(yearly["year"].unique()) == [2018, 2019, 2020]
    for basis in ("place", "residence"):
        summed = yearly.groupby(level)[basis].sum()
        pd.testing.assert_series_equal(
            summed.sort_index(), pooled[basis].sort_index(), check_names=False
        )
        assert int(yearly[basis].sum()) == int(total[basis].iloc[0])
        # every level splits each year's persons alike
        per_year = yearly.groupby("year")[basis].sum()
        other = tables["local_province_year"].frame.groupby("year")[basis].sum()
        pd.testing.assert_series_equal(per_year, other, check_names=False)


def test_single_years_are_counted_from_the_police_unit_up(edition):
    """Municipalities and safety regions are shown for the years together only: a safety
    region per year (Gooi en Vechtstreek is Midden-Nederland minus Utrecht and Flevoland) would give its
    small years away from the key figures by police unit and province."""
    tables = edition[2]
    yearly = sorted(t for t in tables if t.startswith("local_") and t.endswith("_year"))
    assert yearly == ["local_police_unit_year", "local_province_year"]
    assert {"local_municipality", "local_safety_region"} <= set(tables)
    # the reason holds in the reference data: the police unit minus the provinces is the region
    ref = codes.municipalities()
    unit = set(ref.loc[ref["police_unit"] == "Midden-Nederland", "code"])
    province = set(ref.loc[ref["province"].isin(["Utrecht", "Flevoland"]), "code"])
    region = set(ref.loc[ref["safety_region"] == "Gooi en Vechtstreek", "code"])
    assert unit - province == region


def test_report_has_the_yearly_local_tables(report, protected):
    html = report[0]
    start = html.index('id="local-province-year"')
    section = html[start : html.index("</section>", start)]
    assert all(f">{y}<" in section for y in (2018, 2019, 2020))
    assert section.count('<th scope="row">') == 2 * len(protected["local_province"].frame)
    assert "local_police_unit_year.csv" in section  # the other levels: CSV and dashboard
    assert 'id="local-municipality-year"' not in html


def test_approach_monitor_has_all_342_municipalities_with_the_trend(report, edition):
    html = report[0]
    start = html.index('id="approach-trend"')
    section = html[start : html.index("</section>", start)]
    assert "<svg" in section
    header = re.findall(r'<th scope="col">([^<]*)</th>', section)
    assert [h for h in header if h.isdigit()] == [str(y) for y in range(2019, 2025)]
    # the report points to the factsheets rather than listing every municipality
    assert 'id="approach-municipalities"' not in html
    start = html.index('id="approach-map"')
    assert "factsheet" in html[start : html.index("</section>", start)]
    status = edition[2]["approach_municipality"].frame
    assert status.groupby("year")["municipality"].nunique().eq(342).all()


def _truth_basic_level(data) -> pd.Series:
    """Share of municipalities meeting the basic level, straight from the input file."""
    raw = pd.read_csv(data / "municipal_assessments.csv", dtype=str)
    wide = raw.pivot(index=["year", "municipality"], columns="criterion", values="value")
    basic = wide[list(ma.BASIC_LEVEL)]
    meets = (basic == "yes").all(axis=1)
    fails = basic.isin(["no", "partly"]).any(axis=1)
    known = meets | fails
    return (meets[known].groupby(level="year").sum() / known.groupby(level="year").sum()).rename(
        index=int
    )


def test_programme_basic_level_recomputed_from_the_input(edition):
    data, _, tables = edition
    monitor = tables["programme_monitor_municipal"].frame.set_index("year")
    truth = _truth_basic_level(data)
    share = monitor["numerator"] / monitor["denominator"]
    pd.testing.assert_series_equal(share.sort_index(), truth.sort_index(), check_names=False)


def test_programme_care_registrations_recomputed_from_the_truth(edition):
    data, _, tables = edition
    who = pd.read_csv(data / "truth" / "registration_person.csv", dtype=str)
    regs = pd.concat(
        pd.read_csv(p, dtype=str, usecols=["registration_id", "registered_on", "reporting_org"])
        for p in data.glob("registrations_*.csv")
    ).merge(who, on="registration_id")
    regs["year"] = regs["registered_on"].str[:4].astype(int)
    truth = regs[regs["reporting_org"] == "care"].groupby("year")["person_id"].nunique()
    persons = regs.groupby("year")["person_id"].nunique()
    monitor = tables["programme_monitor"].frame.set_index("year")
    for year in truth.index:
        # linkage of names is not perfect: a person split in two counts twice
        assert monitor.at[year, "numerator"] == pytest.approx(truth[year], rel=0.05)
        assert monitor.at[year, "denominator"] == pytest.approx(persons[year], rel=0.05)


def test_programme_chapter_shows_monitor_indicators_and_status(report):
    html = report[0]
    start = html.index('id="programme"')
    chapter = html[start:]
    assert "persons registered by care organisations (monitor)" in chapter
    assert "municipalities meeting the basic level, % (monitor)" in chapter
    assert re.search(r"on track|behind|target met", chapter)


def test_programme_indicators_that_are_monitor_figures_show_the_monitors_cell(protected, report):
    """One figure, one definition: registered victims, police suspects and convictions in the
    programme table are the monitor's cells in every year the monitor counts."""
    html = report[0]
    start = html.index('id="programme"')
    chapter = html[start : html.index("</section>\n</section>", start)]
    checked = 0
    for code, (tid, where, column) in programme.SAME_AS_MONITOR.items():
        label = category_label("indicator", code, "en")
        head = chapter.rfind("<thead>", 0, chapter.index(f">{label}</th>"))
        header_years = [
            int(h)
            for h in re.findall(
                r'<th scope="col">(\d{4})</th>', chapter[head : chapter.index("</thead>", head)]
            )
        ]
        row = re.search(re.escape(label) + r"</th>(.*?)</tr>", chapter, re.S).group(1)
        cells = [unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)][2:]
        table = protected[tid]
        covered = {int(y) for y in table.frame["year"].unique()}
        given = protected["programme_indicators"].frame
        reported = {int(y) for y in given.loc[given["indicator"] == code, "year"]}
        assert len(cells) == len(header_years) + 1  # and the status
        for year, cell in zip(header_years, cells, strict=False):
            if year not in reported:
                assert cell == "–", (code, year, cell)
            elif year in covered:
                value = table.shown_count({"year": year, **where}, column)
                assert cell.replace("\u202f", "") == str(value), (code, year)
                checked += 1
            else:
                assert cell == "–" or cell.endswith("*"), (code, year, cell)
    assert checked >= 3


def test_need_versus_effort_ranks_regions_with_intervals(edition, report):
    table = edition[2]["need_effort"].frame
    ranked = table.dropna(subset=["rank"])
    assert sorted(ranked["rank"].astype(int)) == list(range(1, 11))
    assert (ranked["ci_low"] <= ranked["estimate"]).all()
    assert (ranked["estimate"] <= ranked["ci_high"]).all()
    assert (ranked["rank_low"] <= ranked["rank_high"]).all()
    html = report[0]
    start = html.index('id="need-effort"')
    chapter = html[start:]
    assert "Annex: how the need per unit is estimated" in chapter
    assert re.search(r"1 \(\d+–\d+\)", chapter)  # rank 1 with its interval


def _truth_cohort(data):
    """Registered persons (truth) with day 0 at their first registration, and observed events."""
    persons = pd.read_csv(data / "truth" / "persons.csv", dtype=str)
    persons = persons[persons["first_registered_on"].notna()][["person_id", "first_registered_on"]]
    events = pd.read_csv(data / "truth" / "events.csv", dtype=str)
    events = events[events["observed"].str.lower() == "true"].merge(persons, on="person_id")
    events["day"] = (
        pd.to_datetime(events["event_date"]) - pd.to_datetime(events["first_registered_on"])
    ).dt.days
    return persons, events


def _monitor_value(report_html: str, label: str) -> float:
    row = re.search(re.escape(label) + r"</th>(.*?)</tr>", report_html, re.S).group(1)
    cells = [c for c in re.findall(r"<td[^>]*>([^<]*)</td>", row) if re.fullmatch(r"[\d.]+", c)]
    return float(cells[-1])


def test_programme_care_within_90_days_recomputed_from_the_truth(edition, report):
    if "care_reach" not in edition[2]:
        pytest.skip("the edition has no care-reach table")
    persons, events = _truth_cohort(edition[0])
    care = events[events["event_type"].isin(["care_start", "shelter_admission"])]
    reached = care[(care["day"] >= 0) & (care["day"] <= 90)]["person_id"].nunique()
    truth = 100 * reached / len(persons)
    shown = _monitor_value(report[0], "victims with care within 90 days, % (monitor)")
    assert shown == pytest.approx(truth, abs=3.0)  # linkage of names is not perfect


def test_programme_revictimisation_recomputed_from_the_truth(edition, report):
    if "revictimisation" not in edition[2]:
        pytest.skip("the edition has no re-victimisation table")
    persons, events = _truth_cohort(edition[0])
    # every person of 2018-2020 is followed five years before the cut-off: the cumulative
    # incidence is the share whose first victimisation comes before death or emigration
    later = events[(events["day"] >= 1) & (events["day"] <= 1826)]
    first_victim = later[later["event_type"] == "victimisation"].groupby("person_id")["day"].min()
    first_exit = (
        later[later["event_type"].isin(["death", "emigration"])].groupby("person_id")["day"].min()
    )
    both = pd.DataFrame({"v": first_victim, "x": first_exit})
    victims = ((both["v"].notna()) & ~(both["x"] < both["v"])).sum()
    truth = 100 * victims / len(persons)
    shown = _monitor_value(report[0], "victim again within 5 years, % (monitor)")
    assert shown == pytest.approx(truth, abs=3.0)


@pytest.mark.parametrize("level", ["police_unit", "province"])
def test_a_regional_figure_is_one_cell_shown_alike(protected, level):
    """The same figure in chapter 2 and the local figures is one protected cell: the same
    value, or the same symbol, in both."""
    national = protected[level].frame.set_index(["year", level])["persons"]
    local = protected[f"local_{level}_year"].frame.set_index(["year", level])["place"]
    pairs = [(str(national[k]), str(local[(y, a)])) for k in national.index for y, a in [k]]
    assert pairs and all(a == b for a, b in pairs), [p for p in pairs if p[0] != p[1]][:5]


@pytest.mark.parametrize("level", ["police_unit", "province"])
def test_regional_figures_have_one_base(edition, level):
    """Persons per police unit and province by year (chapter 2) are the local figures' counts
    by place, cell for cell: one definition of a person's place, not two bases that differ."""
    tables = edition[2]
    national = tables[level].frame.set_index(["year", level])["persons"]
    local = tables[f"local_{level}_year"].frame.set_index(["year", level])["place"]
    national.index = national.index.set_levels(
        [national.index.levels[0].astype(int), national.index.levels[1]]
    )
    local.index = local.index.set_levels([local.index.levels[0].astype(int), local.index.levels[1]])
    assert set(local.index) == set(national.index)
    pd.testing.assert_series_equal(
        national.sort_index().astype(int), local.sort_index().astype(int), check_names=False
    )
    # and the variant differs: residence is another base, labelled as such
    residence = tables[f"local_{level}_year"].frame["residence"]
    assert not residence.equals(tables[f"local_{level}_year"].frame["place"])
