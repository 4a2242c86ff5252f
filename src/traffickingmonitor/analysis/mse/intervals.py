"""Model-conditional intervals: normal on the log dark figure, and profile likelihood."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2, norm

from traffickingmonitor.analysis.mse.fit import Fit, Problem


def conditional(fit: Fit, alpha: float = 0.05) -> tuple[float, float]:
    """Normal interval on the intercept (log dark figure), mapped through ``exp``.

    As SparseMSE's ``estimatepopulation.0``: ``observed + exp(b0 +- z se(b0))`` with
    ``se`` from the inverse Fisher information. With a covariate the log of the total
    dark figure takes the place of the intercept (delta method).
    """
    z = norm.ppf(1 - alpha / 2)
    d = fit.dark_total
    se = fit.log_dark_se()
    if not (math.isfinite(se) and d > 0):
        return (float("nan"), float("nan"))
    return (fit.n_obs + d * math.exp(-z * se), fit.n_obs + d * math.exp(z * se))


def profile(problem: Problem, fit: Fit, alpha: float = 0.05) -> tuple[float, float, list[str]]:
    """Profile-likelihood interval for the population size.

    The intercept ``b0 = log(dark figure)`` is fixed on a grid of values, the other
    parameters re-maximised, and the limits are where the likelihood-ratio statistic
    ``2 (l_max - l_profile(b0))`` equals the chi-square(1) quantile; ``N = observed +
    exp(b0)``. The profile is of the same Poisson likelihood as the point estimate, so
    the interval is conditional on the selected model like the normal one, but not
    symmetric on the log scale.

    Returns
    -------
    low, high, warnings
        ``high`` is ``inf`` when the profile never reaches the cut-off (the data cannot
        bound the dark figure from above).
    """
    if problem.layout.n_levels != 1:
        raise ValueError("profile interval is implemented for models without a covariate")
    warnings: list[str] = []
    q = float(chi2.ppf(1 - alpha, 1))
    b0 = float(fit.coef[0])
    se = float(np.sqrt(fit.cov[0, 0])) if fit.cov is not None else 1.0
    if not math.isfinite(se) or se <= 0:
        se = 1.0
    lmax = fit.loglik
    terms = fit.terms
    cache: dict[float, float] = {}

    def g(c: float) -> float:
        if c not in cache:
            pf = problem.fit(terms, start=fit, offset0=c)
            cache[c] = 2.0 * (lmax - pf.loglik) - q
        return cache[c]

    def limit(direction: int) -> float:
        step = se
        inner = b0
        for _ in range(60):
            outer = b0 + direction * step
            if outer > 700 or outer < -700:
                break
            if g(outer) > 0:
                return brentq(g, min(inner, outer), max(inner, outer), xtol=1e-10, rtol=1e-12)
            inner = outer
            step *= 1.6
        return float("inf") * direction

    lo = limit(-1)
    hi = limit(+1)
    low = problem.n_obs + (math.exp(lo) if math.isfinite(lo) else 0.0)
    high = problem.n_obs + math.exp(hi) if math.isfinite(hi) else float("inf")
    if not math.isfinite(high):
        warnings.append("profile likelihood does not bound the estimate from above")
    return low, high, warnings
