"""Local chapters, unit level: approach score and basic level, programme status, the chain,
the allocation of need versus effort, and maps that mark hidden areas (no pipeline run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.analysis import municipal_approach as ma
from traffickingmonitor.analysis import need_effort, perpetrator_chain, programme
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes
from traffickingmonitor.disclosure.api import PrimaryRule, protect
from traffickingmonitor.publish import local_charts
from traffickingmonitor.synthetic.chain import chain as synth_chain
from traffickingmonitor.synthetic.municipal import assessments as synth_assessments


@pytest.fixture(scope="module")
def assessments() -> pd.DataFrame:
    ref = codes.municipalities()
    cols = synth_assessments(
        np.random.default_rng(3), ref["code"].to_numpy(), ref["population"].to_numpy()
    )
    return pd.DataFrame(cols).astype({"year": int})


def test_approach_covers_every_municipality_every_year(assessments):
    status = ma.municipality_status(assessments)
    years = sorted(assessments["year"].unique())
    assert len(status) == 342 * len(years)
    assert status.groupby("year")["municipality"].nunique().eq(342).all()
    shares = ma.shares(status)
    national = shares[(shares["area"] == ma.NATIONAL) & (shares["criterion"] == "basic_level")]
    assert national["municipalities"].eq(342).all() and list(national["year"]) == years
    # since the 2022 agreement the synthetic municipalities improve: the trend is visible
    assert national["yes"].iloc[-1] > national["yes"].iloc[0]


def test_approach_rows_are_in_code_order_whatever_the_hash_seed(assessments):
    """The same assessments give the same files: the municipalities in code order, not in
    the order of a set of strings (which changes with every process's hash seed)."""
    status = ma.municipality_status(assessments)
    for _, rows in status.groupby("year"):
        assert list(rows["municipality"]) == sorted(codes.municipality_codes())
    changed = ma.changes(status)
    assert list(changed["municipality"]) == sorted(codes.municipality_codes())


def test_score_and_basic_level_follow_the_stated_rules():
    rows = []
    answers = {
        "GM0363": dict.fromkeys(codes.ASSESSMENT_CRITERION.order(), "yes"),
        "GM0599": {**dict.fromkeys(codes.ASSESSMENT_CRITERION.order(), "partly")},
        "GM0014": {
            **dict.fromkeys(codes.ASSESSMENT_CRITERION.order(), "unknown"),
            "policy_document": "yes",
        },
    }
    answers["GM0599"].update(dict.fromkeys(ma.BASIC_LEVEL, "yes"), trained_staff="no")
    for m, crit in answers.items():
        rows += [
            {"municipality": m, "year": 2024, "criterion": c, "value": v} for c, v in crit.items()
        ]
    status = ma.municipality_status(pd.DataFrame(rows)).set_index("municipality")
    assert status.at["GM0363", "score"] == 100.0 and status.at["GM0363", "basic_level"] == "yes"
    # 4 yes + 4 partly + 1 no over 9 answers
    assert status.at["GM0599", "score"] == pytest.approx(round(100 * 6 / 9, 1))
    assert status.at["GM0599", "basic_level"] == "yes"
    assert np.isnan(status.at["GM0014", "score"])  # 1 answer < MIN_ANSWERED
    assert status.at["GM0014", "basic_level"] == codes.UNKNOWN
    # a municipality that sent nothing is there, without a score
    assert status.loc["GM0034", "basic_level"] == codes.UNKNOWN


@pytest.mark.parametrize(
    ("value", "year", "expected"),
    [
        (None, 2020, "no_data"),
        (100.0, 2020, "target_met"),
        # at 2022 the path has covered 4/6 of the way; on track needs 0.9 × 4/6 = 60% of it
        (58.0, 2022, "behind"),  # (58 - 10) / 90 = 53%
        (70.0, 2022, "on_track"),
        (30.0, 2022, "behind"),
    ],
)
def test_programme_status(value, year, expected):
    assert programme.status(value, 10.0, 100.0, year, 2018, 2024) == expected


def test_programme_status_when_lower_is_better_and_without_target():
    assert programme.status(40.0, 50.0, 30.0, 2024, 2018, 2024) == "behind"
    assert programme.status(29.0, 50.0, 30.0, 2021, 2018, 2024) == "target_met"
    assert programme.status(5.0, 1.0, None, 2021, 2018, 2024) == "no_target"


def test_chain_is_wide_with_the_sum_of_the_forms():
    raw = pd.DataFrame(synth_chain(np.random.default_rng(1), (2019, 2020))).astype(
        {"year": int, "count": int}
    )
    table = perpetrator_chain.chain_table(raw)
    frame = table.frame
    assert table.counts == tuple(codes.CHAIN_STAGE.order())
    for year in (2019, 2020):
        sub = frame[frame["year"] == year].set_index("exploitation_form")
        parts = sub.drop(index="all")
        for stage in table.counts:
            assert sub.at["all", stage] == parts[stage].sum()
            expected = raw[(raw["year"] == year) & (raw["stage"] == stage)]["count"].sum()
            assert sub.at["all", stage] == expected


def _person_years(rng, n=3000) -> pd.DataFrame:
    units = sorted(codes.municipalities()["police_unit"].unique())
    groups = ["domestic_sexual", "crossborder_sexual", "labour", "criminal"]
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "year": rng.choice([2019, 2020], n),
            "victim_groups": [[g] for g in rng.choice(groups, n)],
            "police_unit": rng.choice([*units, "unknown"], n),
        }
    )


def _hidden(py: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (year, group), n in (
        py.assign(g=py["victim_groups"].str[0]).groupby(["year", "g"]).size().items()
    ):
        rows.append(
            {
                "year": year,
                "victim_group": group,
                "observed": n,
                "estimate": 5.0 * n,
                "ci_low": 3.0 * n,
                "ci_high": 9.0 * n,
                "status": "estimated",
            }
        )
    return pd.DataFrame(rows)


def test_need_effort_allocates_the_national_estimate_and_ranks_with_intervals():
    py = _person_years(np.random.default_rng(5))
    hidden = _hidden(py)
    out = need_effort.allocate(py, hidden, n_draws=400)
    n_years = 2
    # the allocation keeps the national estimate: the units add up to it
    assert out["estimate"].sum() * n_years == pytest.approx(hidden["estimate"].sum())
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()
    ranked = out.dropna(subset=["rank"])
    assert sorted(ranked["rank"].astype(int)) == list(range(1, 11))
    assert (ranked["rank_low"] <= ranked["rank"]).all() and (
        ranked["rank"] <= ranked["rank_high"]
    ).all()
    assert out.loc[out["police_unit"] == "unknown", "rank"].isna().all()
    # ranks follow the gap per 100,000 inhabitants
    rate = ranked["gap"] / ranked["population"]
    assert list(ranked.sort_values("rank")["police_unit"]) == list(
        ranked.loc[rate.sort_values(ascending=False).index, "police_unit"]
    )


def test_map_draws_hidden_areas_apart_from_zero_and_shown():
    frame = pd.DataFrame(
        {"municipality": ["GM0363", "GM0599", "GM0014"], "exploitation": [120, 4, 0]}
    )
    table = protect(
        MonitorTable("m", "m", "m", frame, ("municipality",), ("exploitation",), margin_of=""),
        PrimaryRule(10),
    )
    from traffickingmonitor.publish.chapters._local import rate, shown_values

    values = shown_values(table, "exploitation")
    assert values[1] is None  # hidden: no rate can be made from it
    assert rate(values[1], 600_000) is None and rate(values[0], 900_000) == pytest.approx(13.3)
    svg = local_charts.choropleth(
        "municipality",
        {"GM0363": 13.3, "GM0599": local_charts.HIDDEN, "GM0014": 0},
        "per 100,000",
        {"zero": "zero-label", "hidden": "hidden-label", "none": "none-label"},
    )
    assert "hidden-label" in svg and "zero-label" in svg
    assert local_charts.HIDDEN_FILL in svg and local_charts.ZERO_FILL in svg
    assert svg.count("<path") >= 342
