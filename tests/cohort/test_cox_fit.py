"""``cox.efron_fit`` against statsmodels' PHReg with Efron's ties, the reference."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from statsmodels.duration.hazard_regression import PHReg

from traffickingmonitor.analysis.cox import _EfronTerms, efron_fit


def _data(seed: int, n: int, p: int, days: int):
    """Times on few distinct days (many ties), about a third censored, 0/1 and continuous
    covariates with true effects."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.random(n) < 0.3 for _ in range(p - 1)] + [rng.normal(size=n)]).astype(
        float
    )
    beta = rng.normal(scale=0.5, size=p)
    time = np.ceil(rng.exponential(np.exp(-x @ beta)) * days / 2).clip(1, days)
    event = (rng.random(n) < 0.65).astype(float)
    return time, event, x


@pytest.mark.parametrize(
    ("seed", "n", "p", "days"), [(1, 400, 4, 30), (2, 3000, 12, 365), (3, 60, 2, 3)]
)
def test_estimates_equal_phreg(seed, n, p, days):
    time, event, x = _data(seed, n, p, days)
    ours = efron_fit(time, event, x)
    model = PHReg(time, x, status=event, ties="efron")
    ref = model.fit(disp=False)
    # the same Newton steps on the same likelihood: equal to rounding
    assert_allclose(ours.params, ref.params, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.bse, ref.bse, rtol=1e-9)
    assert_allclose(ours.score, model.score(ref.params), atol=1e-8)


def test_likelihood_score_and_hessian_equal_phreg_away_from_the_maximum():
    time, event, x = _data(4, 800, 5, 20)
    model = PHReg(time, x, status=event, ties="efron")
    beta = np.array([0.4, -1.0, 0.2, 2.0, -0.3])
    loglike, score, hessian = _EfronTerms(time, event, x).evaluate(beta)
    assert_allclose(loglike, model.loglike(beta), rtol=1e-12)
    assert_allclose(score, model.score(beta), rtol=1e-9, atol=1e-9)
    assert_allclose(hessian, model.hessian(beta), rtol=1e-9)


def test_order_of_persons_does_not_matter():
    time, event, x = _data(5, 500, 3, 40)
    order = np.random.default_rng(0).permutation(len(time))
    a, b = efron_fit(time, event, x), efron_fit(time[order], event[order], x[order])
    assert_allclose(a.params, b.params, rtol=1e-10)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_a_level_with_every_event_diverges_and_has_no_finite_interval():
    """Monotone likelihood: every event is in the level, so its log hazard ratio has no
    maximum; the fit stops with a score near zero, as PHReg's, and a huge estimate."""
    time, event, x = _data(6, 300, 2, 50)
    x[:, 0] = event
    ours = efron_fit(time, event, x)
    ref = PHReg(time, x, status=event, ties="efron").fit(disp=False)
    assert ours.params[0] > 10 and ref.params[0] > 10
    assert not np.isfinite(ours.bse[0]) or ours.bse[0] > 100


def test_no_event_is_refused():
    time, event, x = _data(7, 50, 2, 10)
    with pytest.raises(ValueError, match="no events"):
        efron_fit(time, np.zeros_like(event), x)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_nearly_the_same_covariate_twice_gives_phregs_estimates():
    """A nearly singular information (a covariate and a copy of it off by 1e-5) gives
    PHReg's estimates, however large; an exact copy fails in both. (statsmodels' ridge,
    1e-10 on the Hessian of -loglike / nobs, is taken over as is: closer to singular, the
    two differ by their rounding before the ridge shows.)"""
    time, event, x = _data(8, 500, 3, 30)
    noise = np.random.default_rng(0).normal(scale=1e-5, size=len(x))
    near = np.column_stack([x, x[:, 0] + noise])
    ref = PHReg(time, near, status=event, ties="efron").fit(disp=False)
    assert_allclose(efron_fit(time, event, near).params, ref.params, rtol=1e-6)
    copy = np.column_stack([x, x[:, 0]])
    with pytest.raises(np.linalg.LinAlgError):
        PHReg(time, copy, status=event, ties="efron").fit(disp=False)
    with pytest.raises(np.linalg.LinAlgError):
        efron_fit(time, event, copy)


def test_persons_followed_until_before_the_first_event_count_for_nothing():
    """They are in no risk set; a huge covariate of theirs must not swamp the others'
    weights (exp(800) overflows)."""
    time, event, x = _data(9, 300, 2, 30)
    time[:5], event[:5], x[:5, 1] = 0.01, 0, 800.0
    ref = PHReg(time, x, status=event, ties="efron").fit(disp=False)
    assert_allclose(efron_fit(time, event, x).params, ref.params, rtol=1e-9)
