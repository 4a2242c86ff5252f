from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.analysis.hidden_number import (
    HiddenNumberSettings,
    estimate_hidden_number,
    list_frame,
    merge_small_lists,
    primary_group,
)
from traffickingmonitor.disclosure.api import PrimaryRule, protect


def _population(rng, year, sizes, probs):
    rows = []
    for group, n in sizes.items():
        caught = rng.random((n, len(ORGS))) < np.array(probs[group])
        seen = caught.any(axis=1)
        for flags in caught[seen]:
            rows.append(
                {
                    "year": year,
                    "victim_group": group,
                    **dict(zip(ORGS, flags.astype(int), strict=True)),
                }
            )
    return rows


ORGS = ["police", "kmar", "labour_inspectorate", "care", "other"]


def test_independent_lists_give_an_interval_that_covers_the_truth():
    rng = np.random.default_rng(7)
    sizes = {"labour": 1500, "crossborder_sexual": 2500}
    probs = {
        "labour": [0.10, 0.0, 0.12, 0.08, 0.10],
        "crossborder_sexual": [0.20, 0.0, 0.0, 0.10, 0.08],
    }
    frame = pd.DataFrame(_population(rng, 2019, sizes, probs))
    result = estimate_hidden_number(frame, HiddenNumberSettings(n_boot=300, n_jobs=1))
    table = result.tables[0].frame.set_index("victim_group")
    total = table.loc["all"]
    assert total["observed"] == len(frame)
    assert total["ci_low"] <= sum(sizes.values()) <= total["ci_high"]
    assert 0.8 < total["estimate"] / sum(sizes.values()) < 1.25
    for group, n in sizes.items():
        assert table.loc[group, "ci_low"] <= n <= table.loc[group, "ci_high"], group
    # kmar caught nobody: merged into "other" and said so
    notes = result.notes["years"][2019]
    assert notes["merged_into_other"] == ["kmar"]
    assert "kmar" not in notes["lists"]
    sens = result.tables[1].frame
    assert set(sens["method"]) == {"stepwise", "bic", "aic", "main"}


def test_small_lists_are_merged_into_other():
    frame = pd.DataFrame(
        {
            "year": 2019,
            "victim_group": "labour",
            "police": [1] * 80 + [0] * 20,
            "kmar": [0] * 95 + [1] * 5,
            "labour_inspectorate": [0] * 40 + [1] * 60,
            "care": [0] * 100,
            "other": [1] * 3 + [0] * 97,
        }
    )
    merged_frame, lists, merged = merge_small_lists(frame, 50)
    assert merged == ["kmar", "care"]
    assert lists == ["police", "labour_inspectorate", "other"]
    assert merged_frame["other"].sum() == 8


def test_primary_group_and_list_frame():
    assert primary_group(["crossborder_sexual", "criminal"]) == "criminal"
    assert primary_group(["domestic_sexual", "labour"]) == "labour"
    assert primary_group(["other_unknown"]) == "other_unknown"
    py = pd.DataFrame(
        {
            "year": [2019, 2019],
            "victim_groups": [["labour"], ["domestic_sexual"]],
            "orgs": [["police", "care"], ["other"]],
        }
    )
    frame = list_frame(py)
    assert frame[["police", "care", "other", "kmar"]].to_numpy().tolist() == [
        [1, 1, 0, 0],
        [0, 0, 1, 0],
    ]


@pytest.mark.parametrize("rounding", [10, 100])
def test_published_estimates_are_rounded_and_hidden_beside_hidden_counts(rounding):
    from traffickingmonitor.analysis.tables import MonitorTable

    frame = pd.DataFrame(
        {
            "year": [2019, 2019, 2020],
            "victim_group": ["a", "b", "a"],
            "observed": [120, 7, 200],
            "estimate": [1234.4, 56.0, np.nan],
            "ci_low": [800.0, 20.0, np.nan],
            "ci_high": [2001.0, 90.0, np.nan],
        }
    )
    table = MonitorTable(
        "hn",
        "x",
        "x",
        frame,
        ("year", "victim_group"),
        ("observed",),
        estimates=("estimate", "ci_low", "ci_high"),
    )
    shown = protect(table, PrimaryRule(10, estimate_rounding=rounding)).frame
    assert shown.loc[0, "estimate"] == round(1234.4 / rounding) * rounding
    assert shown.loc[0, "ci_high"] == round(2001 / rounding) * rounding
    assert shown.loc[1, "observed"] == "<10"
    assert shown.loc[1, "estimate"] == "<10" and shown.loc[1, "ci_low"] == "<10"
    assert shown.loc[2, "estimate"] is None
