"""Municipal assessments, programme indicators and the perpetrator chain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.codes.api import ASSESSMENT_CRITERION, municipalities

RANK = {"no": 0, "partly": 1, "yes": 2}


def test_municipal_assessments_complete(edition):
    ma = edition.file("municipal_assessments.csv")
    assert len(ma) == 342 * 6 * 9
    assert not ma.duplicated(["municipality", "year", "criterion"]).any()
    assert set(ma["year"]) == {str(y) for y in range(2019, 2025)}
    assert len(set(ma["criterion"])) == len(ASSESSMENT_CRITERION.codes)
    assert (ma["note"] == "").mean() > 0.9


def test_municipal_assessments_improve_with_spread(edition):
    ma = edition.file("municipal_assessments.csv")
    known = ma[ma["value"] != "unknown"].assign(score=lambda d: d["value"].map(RANK))
    by_year = known.groupby("year")["score"].mean()
    assert by_year.is_monotonic_increasing
    assert by_year.iloc[-1] - by_year.iloc[0] > 0.5
    # larger municipalities are ahead
    pop = municipalities().set_index("code")["population"]
    score = known[known["year"] == "2022"].groupby("municipality")["score"].mean()
    big = score[pop.reindex(score.index) >= pop.quantile(0.75)]
    small = score[pop.reindex(score.index) <= pop.quantile(0.25)]
    assert big.mean() > small.mean() + 0.2
    # spread between municipalities, and a few regress
    assert score.std() > 0.2
    pivot = known.pivot_table(index=["municipality", "criterion"], columns="year", values="score")
    worse = (pivot.diff(axis=1) < 0).any(axis=1)
    assert 0.01 < worse.mean() < 0.5


def test_programme_indicators(edition):
    pi = edition.file("programme_indicators.csv")
    assert set(pi["action_line"]) == {"1", "2", "3", "4", "5"}
    per_line = pi.groupby("action_line")["indicator"].nunique()
    assert per_line.between(2, 4).all()
    assert set(pi["year"]) == {str(y) for y in range(2019, 2025)}
    assert pi["indicator"].str.fullmatch(r"[a-z][a-z0-9_]*").all()
    for col in ("baseline", "target", "value"):
        assert pd.to_numeric(pi[col]).notna().all()
    assert set(pi["unit"]) <= {"count", "percent"}
    pct = pi[pi["unit"] == "percent"]
    assert pd.to_numeric(pct["value"]).between(0, 100).all()


def test_perpetrator_chain_funnel(edition):
    from traffickingmonitor.codes.api import CHAIN_STAGE

    ch = edition.file("perpetrator_chain.csv")
    ch["count"] = ch["count"].astype(int)
    assert set(ch["year"].astype(int)) == set(range(2016, 2024))
    stages = CHAIN_STAGE.order()
    wide = ch.pivot_table(index=["year", "exploitation_form"], columns="stage", values="count")[
        stages
    ]
    assert (np.diff(wide.to_numpy(), axis=1) <= 0).all()  # funnel per year and form
    total = ch.groupby(["year", "stage"])["count"].sum().unstack()[stages]
    assert total["police_suspects"].between(170, 285).all()
    assert total["convictions"].between(100, 160).all()
    assert (total["convictions"] < total["police_suspects"]).all()
