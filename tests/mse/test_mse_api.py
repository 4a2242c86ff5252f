"""Public API behaviour: results, diagnostics, sparse and awkward tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from traffickingmonitor.analysis.mse import (
    CaptureTable,
    NotEstimableError,
    TableError,
    estimate_population,
)

DATA = Path(__file__).parent / "data"

UNREFERENCED = [
    "netherlands_5lists.csv",
    "netherlands_6lists.csv",
    "new_orleans_5lists.csv",
    "new_orleans_5lists_sparsemse2019.csv",
    "new_orleans_8lists.csv",
    "new_orleans_8lists_sparsemse2019.csv",
    "us_western_site_5lists.csv",
    "australia_4lists_binette.csv",
]


@pytest.mark.parametrize("name", UNREFERENCED)
@pytest.mark.parametrize("method", ["stepwise", "main", "bic"])
def test_tables_without_reference_give_finite_sensible_results(name, method):
    table = CaptureTable.from_csv(DATA / name)
    if method == "bic" and table.n_lists > 5:
        pytest.skip("exhaustive search is checked on up to five lists here")
    res = estimate_population(
        table, method=method, ci=["conditional", "profile"], diagnostics=False
    )
    assert np.isfinite(res.estimate)
    assert res.estimate >= res.observed == table.observed
    for iv in res.intervals:
        assert res.observed <= iv.low <= res.estimate <= iv.high
        assert np.isfinite(iv.high)
    # Poisson likelihood equations: fitted counts add up to the observed total.
    assert_allclose(res.fitted["fitted"].sum(), res.observed, rtol=1e-8)
    pairs = table.pair_overlaps()
    if any(v == 0 for v in pairs.values()):
        assert any("never overlap" in w for w in res.warnings)


def test_to_dict_is_json_with_required_keys():
    res = estimate_population(DATA / "uk_2013_5lists.csv", ci=["conditional", "profile"])
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    for key in (
        "observed",
        "estimate",
        "ci_low",
        "ci_high",
        "ci_method",
        "model",
        "warnings",
        "dark_figure",
        "intervals",
        "fitted",
        "diagnostics",
    ):
        assert key in d
    assert d["ci_method"] == "conditional"
    assert [iv["method"] for iv in d["intervals"]] == ["conditional", "profile"]
    assert len(d["fitted"]) == 31
    assert_allclose(d["estimate"], d["observed"] + d["dark_figure"])


def test_diagnostics_top_models_and_sensitivity():
    res = estimate_population(DATA / "uk_2013_5lists.csv")
    top = res.diagnostics["top_models_bic"]
    assert len(top) == 5
    bics = [t["bic"] for t in top]
    assert bics == sorted(bics)
    sens = {r["method"]: r for r in res.diagnostics["sensitivity"]}
    assert set(sens) == {"stepwise", "bic", "aic", "main"}
    assert_allclose(sens["stepwise"]["estimate"], res.estimate)
    assert_allclose(sens["main"]["estimate"], 13444.1312, rtol=5e-4)
    assert_allclose(sens["bic"]["estimate"], top[0]["estimate"])
    assert any("selection methods disagree" in w for w in res.warnings)


def test_fixed_model_and_aic():
    res = estimate_population(DATA / "korea_comfort_women_3lists.csv", model=["b:c"])
    assert res.method == "fixed" and res.model == ["b:c"]
    assert_allclose(res.estimate, 268.7778, rtol=5e-4)
    aic = estimate_population(DATA / "korea_comfort_women_3lists.csv", method="aic")
    assert aic.diagnostics["aic"] <= res.diagnostics["aic"]


def test_unknown_list_in_model_and_bad_arguments():
    with pytest.raises(NotEstimableError, match="unknown list"):
        estimate_population(DATA / "korea_comfort_women_3lists.csv", model=["b:z"])
    with pytest.raises(ValueError, match="method"):
        estimate_population(DATA / "korea_comfort_women_3lists.csv", method="magic")
    with pytest.raises(ValueError, match="ci"):
        estimate_population(DATA / "korea_comfort_women_3lists.csv", ci="wald")


def test_exhaustive_refused_beyond_six_lists():
    from traffickingmonitor.errors import UserError

    with pytest.raises(UserError, match="up to 6 lists"):
        estimate_population(DATA / "new_orleans_8lists.csv", method="bic")


def test_empty_list_dropped_and_full_list_refused():
    df = pd.read_csv(DATA / "korea_comfort_women_3lists.csv")
    df["e"] = 0
    df = df[["b", "c", "d", "e", "count"]]
    res = estimate_population(df, diagnostics=False)
    assert res.lists == ["b", "c", "d"]
    assert any("nobody on them ignored: e" in w for w in res.warnings)
    assert_allclose(res.estimate, 268.7778, rtol=5e-4)
    full = pd.DataFrame({"A": [1, 1, 1], "B": [0, 1, 1], "C": [0, 0, 1], "count": [3, 4, 5]})
    with pytest.raises(NotEstimableError, match="holds every observed individual"):
        estimate_population(full)


def test_frame_input_is_validated():
    with pytest.raises(TableError, match="must be 0 or 1"):
        estimate_population(pd.DataFrame({"A": [1, 3], "B": [1, 0], "count": [1, 2]}))


def test_small_table_warns():
    df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [6, 5, 3]})
    res = estimate_population(df, diagnostics=False)
    assert any("only 14 observed" in w for w in res.warnings)
    # Two lists, independence: Lincoln-Petersen N = nA nB / m = 9 * 8 / 3.
    assert_allclose(res.estimate, 9 * 8 / 3, rtol=1e-8)
