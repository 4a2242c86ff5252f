"""Stratified estimation and the covariate (year) model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from traffickingmonitor.analysis.mse import (
    CaptureTable,
    estimate_population,
    estimate_stratified,
    estimate_with_covariate,
    sparse_reason,
)

DATA = Path(__file__).parent / "data"


def _people(name: str) -> pd.DataFrame:
    """One row per person from a published table."""
    t = CaptureTable.from_csv(DATA / name)
    rows = np.repeat(t.patterns, t.counts, axis=0)
    return pd.DataFrame(rows, columns=list(t.lists))


def _split(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = df.copy()
    df["year"] = rng.choice([2021, 2022], size=len(df))
    df["group"] = "adult"
    return df


def test_strata_estimates_and_total():
    people = _split(_people("kosovo_killings_4lists.csv"))
    tiny = people.iloc[:10].copy()
    tiny["year"] = 2020
    people = pd.concat([people, tiny], ignore_index=True)
    lists = ["EXH", "ABA", "OSCE", "HRW"]
    res = estimate_stratified(people, ["year", "group"], lists, diagnostics=False)
    by_year = res.strata.set_index("year")
    assert by_year.loc[2020, "status"] == "skipped"
    assert "fewer than 25" in by_year.loc[2020, "reason"]
    for year in (2021, 2022):
        sub = people[people["year"] == year]
        own = estimate_population(CaptureTable.from_records(sub, lists), diagnostics=False)
        assert_allclose(by_year.loc[year, "estimate"], own.estimate, rtol=1e-10)
    expected = by_year.loc[[2021, 2022], "estimate"].sum() + 10
    assert_allclose(res.total["estimate"], expected, rtol=1e-12)
    assert res.total["observed"] == len(people)
    assert res.total["complete"] is False
    assert any("2020" in w and "skipped" in w for w in res.warnings)
    assert res.total["ci_low"] < res.total["estimate"] < res.total["ci_high"]


def test_single_stratum_total_interval_equals_its_conditional_interval():
    people = _people("korea_comfort_women_3lists.csv")
    people["year"] = 2020
    res = estimate_stratified(people, ["year"], ["b", "c", "d"], diagnostics=False)
    assert_allclose(res.total["estimate"], 268.7778, rtol=5e-4)
    assert_allclose([res.total["ci_low"], res.total["ci_high"]], [202.5328, 390.1999], rtol=5e-4)
    assert res.total["complete"] is True


def test_bca_total_sums_replicates_and_is_reproducible():
    people = _split(_people("korea_comfort_women_3lists.csv"))
    a = estimate_stratified(
        people, ["year"], ["b", "c", "d"], ci="bca", n_boot=60, seed=5, diagnostics=False
    )
    b = estimate_stratified(
        people, ["year"], ["b", "c", "d"], ci="bca", n_boot=60, seed=5, diagnostics=False
    )
    assert a.total["ci_method"].startswith("bca")
    assert (a.total["ci_low"], a.total["ci_high"]) == (b.total["ci_low"], b.total["ci_high"])
    assert a.total["ci_low"] <= a.total["estimate"] <= a.total["ci_high"]
    reps = sum(r.bootstrap.replicates for r in a.results.values())
    assert a.total["ci_low"] >= reps.min() and a.total["ci_high"] <= reps.max()


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pd.DataFrame({"A": [1] * 30, "B": [0] * 30}), "list(s) with anybody"),
        (pd.DataFrame({"A": [1] * 15 + [0] * 15, "B": [0] * 15 + [1] * 15}), "two or more"),
        (pd.DataFrame({"A": [1] * 10, "B": [1] * 10}), "fewer than 25"),
    ],
)
def test_sparse_rule(frame, reason):
    assert reason in sparse_reason(CaptureTable.from_records(frame, ["A", "B"]))


def test_sparse_rule_passes_a_usable_table():
    assert sparse_reason(CaptureTable.from_csv(DATA / "korea_comfort_women_3lists.csv")) is None


def test_covariate_model_with_identical_levels_reproduces_single_table():
    people = _people("uk_2013_5lists.csv")
    both = pd.concat([people.assign(year=2021), people.assign(year=2022)], ignore_index=True)
    terms = ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]
    for lbc in ((), "all"):
        res = estimate_with_covariate(
            both,
            ["LA", "NG", "PFNCA", "GO", "GP"],
            "year",
            model=terms,
            list_by_covariate=lbc,
            diagnostics=False,
        )
        assert_allclose(res.levels["estimate"], [11312.9903] * 2, rtol=5e-4)
        assert_allclose(res.estimate, 2 * 11312.9903, rtol=5e-4)
        assert res.levels["observed"].tolist() == [2744, 2744]


def test_covariate_model_list_absent_in_a_level():
    people = _people("kosovo_killings_4lists.csv")
    y1 = people.assign(year=2021)
    y2 = people.assign(year=2022)
    y2 = y2[~((y2["HRW"] == 1) & (y2[["EXH", "ABA", "OSCE"]].sum(axis=1) == 0))].copy()
    y2["HRW"] = 0  # HRW did not report in 2022
    res = estimate_with_covariate(
        pd.concat([y1, y2]),
        ["EXH", "ABA", "OSCE", "HRW"],
        "year",
        list_by_covariate="all",
        diagnostics=False,
    )
    assert any("HRW:year=2022" in w for w in res.warnings)
    assert np.isfinite(res.levels["estimate"]).all()
    assert res.ci.low < res.estimate < res.ci.high
    stepwise_sel = res.model
    assert stepwise_sel  # interactions found from both years together
