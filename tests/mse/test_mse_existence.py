"""Existence (Fienberg-Rinaldo LP) and identifiability checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.analysis.mse import (
    CaptureTable,
    NotEstimableError,
    estimate_population,
    existence,
    selection,
)
from traffickingmonitor.analysis.mse.design import Layout, hierarchical_models
from traffickingmonitor.analysis.mse.fit import Problem

DATA = Path(__file__).parent / "data"


def test_lp_detects_strictly_positive_solution():
    # Two lists, main effects: cells A, B, AB.
    X = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=float)
    assert existence.lp_strictly_positive(X, np.array([5.0, 3.0, 2.0]))
    # No overlap: A + B margins force the AB cell to zero, no positive solution.
    assert not existence.lp_strictly_positive(X, np.array([5.0, 3.0, 0.0]))


@pytest.mark.parametrize(
    ("name", "max_order", "step"),
    [("australia_4lists_binette.csv", 3, 1), ("new_orleans_5lists.csv", 3, 23)],
)
def test_pruned_checks_agree_with_one_by_one_checks(name, max_order, step):
    table = CaptureTable.from_csv(DATA / name)
    layout = Layout.for_table(table)
    base = layout.base_terms()
    models = hierarchical_models(table.n_lists, max_order)[::step]
    fast = existence.check_many(Problem(layout, table.counts), [base + m for m in models])
    fresh = Layout.for_table(table)  # empty cache
    slow = [existence.check(Problem(fresh, table.counts), base + m) for m in models]
    assert fast.tolist() == slow
    # The sample contains failures, so the pruning is exercised both ways.
    assert 0 in slow and any(c != 0 for c in slow)


def test_two_lists_without_overlap_have_no_mle_and_are_refused():
    t = CaptureTable.from_frame(pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [5, 4]}))
    layout = Layout.for_table(t)
    problem = Problem(layout, t.counts)
    # The AB cell is forced to zero by the margins: no strictly positive solution.
    assert existence.check(problem, layout.base_terms()) == 1
    with pytest.raises(NotEstimableError, match="no overlaps"):
        estimate_population(t)
    with pytest.raises(NotEstimableError, match="main-effects model"):
        selection.stepwise(problem, layout.base_terms())


def test_isolated_list_among_three_is_estimable_with_warning():
    t = CaptureTable.from_frame(
        pd.DataFrame(
            {"A": [1, 0, 0, 1], "B": [0, 1, 0, 0], "C": [0, 0, 1, 1], "count": [50, 40, 30, 20]}
        )
    )
    res = estimate_population(t, method="main")
    assert np.isfinite(res.estimate)
    assert any("overlapping no other list: B" in w for w in res.warnings)


def test_stepwise_skips_candidates_failing_the_check():
    # Artificial: A:B has the smallest p-value but its model has no MLE.
    table = CaptureTable.from_csv(DATA / "artificial_3lists.csv")
    layout = Layout.for_table(table)
    sel = selection.stepwise(Problem(layout, table.counts), layout.base_terms(), pthresh=0.5)
    rejected = {e["term"]: e["code"] for e in sel.excluded}
    assert rejected.get("A:B") == 1
    assert "A:B" not in [layout.term_name(t) for t in sel.interactions]


@pytest.mark.parametrize(
    ("name", "max_order", "both"),
    [
        ("uk_2013_5lists.csv", 2, False),
        ("australia_4lists_binette.csv", 3, True),
        ("korea_comfort_women_3lists.csv", 3, True),
    ],
)
def test_fit_certificate_never_disagrees_with_the_lp(name, max_order, both):
    # The IRLS certificate only ever says "exists"; check it against the LP alone on
    # the original counts and on resampled counts with other zero patterns.
    table = CaptureTable.from_csv(DATA / name)
    layout = Layout.for_table(table)
    base = layout.base_terms()
    models = hierarchical_models(table.n_lists, max_order)[::7]
    rng = np.random.default_rng(0)
    samples = [
        table.counts,
        *rng.multinomial(table.observed // 3, table.counts / table.observed, 4),
    ]
    seen = set()
    for y in samples:
        problem = Problem(Layout.for_table(table), y)
        for m in models:
            prep = problem.prepare(base + m)
            X = problem.design(prep)
            if np.linalg.matrix_rank(X) < X.shape[1]:
                continue
            yk = problem.y[prep.keep]
            lp = existence.lp_strictly_positive(X, yk) or bool((yk > 0).all())
            code = existence.check(problem, base + m)
            assert (code == 0) == lp
            seen.add(lp)
    assert seen == ({True, False} if both else {True})


_AFTER_OTHER_HIGHS = """
import numpy as np
import scipy.sparse as sp
from traffickingmonitor.disclosure import highs as dh

# another HiGHS user starts the thread pool first (default threads)
h = dh.load_lp(sp.csc_matrix(np.array([[1.0, 1.0]])), [0, 0], [10, 10], [1], [1])
h.changeColCost(0, 1.0)
h.run()
from traffickingmonitor.analysis.mse import existence

X = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1.0]])
print(existence.lp_strictly_positive(X, np.array([3.0, 4.0, 5.0])))
X2 = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [1, 1, 1, 0]])
print(existence.lp_strictly_positive(X2, np.array([2.0, 3.0, 0.0, 1.0])))
"""


def test_lp_answers_after_another_highs_user_started_its_threads():
    # in a fresh process: the thread pool of HiGHS is shared by the whole process
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _AFTER_OTHER_HIGHS], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]
