"""Poisson log-linear fits checked against statsmodels' GLM, and internal consistency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy.stats import chi2

from traffickingmonitor.analysis.mse import CaptureTable, intervals, selection
from traffickingmonitor.analysis.mse.design import Layout, hierarchical_models
from traffickingmonitor.analysis.mse.fit import Problem

DATA = Path(__file__).parent / "data"


def _setup(name):
    table = CaptureTable.from_csv(DATA / name)
    layout = Layout.for_table(table)
    return layout, Problem(layout, table.counts)


@pytest.mark.parametrize(
    ("name", "terms"),
    [
        ("uk_2013_5lists.csv", ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]),
        ("kosovo_killings_4lists.csv", ["ABA:OSCE", "OSCE:HRW", "EXH:ABA:OSCE"]),
        ("korea_comfort_women_3lists.csv", []),
    ],
)
def test_irls_matches_statsmodels_glm(name, terms):
    layout, problem = _setup(name)
    parsed = [layout.parse_term(t) for t in terms]
    # Sub-pairs of the triple make the model hierarchical.
    full = set(parsed)
    for t in parsed:
        if t.bit_count() == 3:
            full |= {t & ~(1 << i) for i in range(t.bit_length()) if t >> i & 1}
    fit = problem.fit(layout.base_terms() + tuple(full))
    X = problem.design(fit.prep)
    glm = sm.GLM(problem.y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert_allclose(fit.coef, glm.params, rtol=1e-7, atol=1e-9)
    assert_allclose(fit.cov, glm.cov_params(), rtol=1e-6)
    assert_allclose(fit.loglik, glm.llf, rtol=1e-10)


def test_batched_fits_equal_single_fits():
    layout, problem = _setup("new_orleans_5lists.csv")
    base = layout.base_terms()
    models = hierarchical_models(5, 2)[::37]
    tab = selection.fit_models(problem, base, models)
    checked = 0
    for i, m in enumerate(models):
        if tab["code"][i] != 0:
            continue
        f = problem.fit(base + m)
        assert_allclose(tab["estimate"][i], f.estimate, rtol=1e-7)
        assert_allclose(tab["loglik"][i], f.loglik, rtol=1e-9)
        assert_allclose(tab["se_log_dark"][i], f.log_dark_se(), rtol=1e-6)
        checked += 1
    assert checked >= 10


def test_minus_infinity_terms_count_in_k_and_zero_their_cells():
    layout, problem = _setup("us_western_site_5lists.csv")
    ab = layout.parse_term("A:B")  # A and B never overlap
    assert problem.suff(ab) == 0
    fit = problem.fit((*layout.base_terms(), ab))
    assert fit.prep.neg_inf == (ab,)
    assert fit.k == 1 + 5 + 1
    assert (fit.mu[problem.column(ab) == 1] == 0).all()
    # Removing the empty cells and dropping the term gives the same likelihood.
    assert_allclose(fit.aic(), 2 * 7 - 2 * fit.loglik)


@pytest.mark.parametrize("name", ["korea_comfort_women_3lists.csv", "uk_2013_5lists.csv"])
def test_profile_limits_are_where_likelihood_ratio_hits_chi2(name):
    layout, problem = _setup(name)
    sel = selection.stepwise(problem, layout.base_terms())
    low, high, warns = intervals.profile(problem, sel.fit, 0.05)
    assert not warns
    lmax = sel.fit.loglik
    # Recompute the profile at the limits with statsmodels (intercept as offset).
    X = problem.design(sel.fit.prep)
    for limit in (low, high):
        b0 = np.log(limit - problem.n_obs)
        glm = sm.GLM(
            problem.y[sel.fit.prep.keep],
            X[:, 1:],
            family=sm.families.Poisson(),
            offset=np.full(X.shape[0], b0),
        ).fit(tol=1e-12)
        assert_allclose(2 * (lmax - glm.llf), chi2.ppf(0.95, 1), rtol=1e-6)
    cond = intervals.conditional(sel.fit)
    # Both intervals bracket the estimate and roughly agree (different shapes).
    assert low < sel.fit.estimate < high
    assert_allclose([low, high], cond, rtol=0.05)
