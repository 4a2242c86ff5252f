"""Diagnostics: observed versus fitted, the best models by BIC, a sensitivity table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.mse import intervals, selection
from traffickingmonitor.analysis.mse.fit import Fit, Problem
from traffickingmonitor.analysis.mse.table import NotEstimableError

#: Exhaustive searches for the diagnostics stop at this many lists by default: six
#: lists mean 32,768 models, seconds rather than milliseconds.
MAX_LISTS_EXHAUSTIVE = 5


def fitted_table(problem: Problem, fit: Fit) -> pd.DataFrame:
    """Observed and fitted count of every observable cell (absent patterns included).

    Cells removed by a minus-infinity term have fitted value exactly 0. The Pearson
    residual ``(observed - fitted) / sqrt(fitted)`` flags patterns the model misses.
    """
    layout = problem.layout
    names = layout.factor_names[: layout.n_lists]
    pats = layout.cell_patterns
    labels = ["+".join(n for n, f in zip(names, row, strict=True) if f) for row in pats]
    df = pd.DataFrame(pats.astype(int), columns=list(names))
    if layout.covariate is not None:
        df.insert(0, layout.covariate, [layout.level_names[i] for i in layout.cell_level])
    df["pattern"] = labels
    df["observed"] = problem.y.astype(int)
    df["fitted"] = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        df["pearson"] = np.where(fit.mu > 0, (problem.y - fit.mu) / np.sqrt(fit.mu), np.nan)
    return df


def top_models(
    problem: Problem, base: tuple[int, ...], *, n: int = 5, max_order: int = 2, alpha: float = 0.05
) -> list[dict]:
    """The ``n`` best admissible models by BIC with estimate and conditional interval."""
    sel = selection.exhaustive(problem, base, "bic", max_order)
    out = []
    for r in (sel.ranking or [])[:n]:
        se = r.get("se_log_dark")
        low = high = float("nan")
        if se is not None and math.isfinite(se):
            z = 1.959963984540054 if alpha == 0.05 else _z(alpha)
            low = problem.n_obs + r["dark"] * math.exp(-z * se)
            high = problem.n_obs + r["dark"] * math.exp(z * se)
        out.append(
            {
                "model": r["model"],
                "terms": r["terms"],
                "bic": r["bic"],
                "aic": r["aic"],
                "estimate": r["estimate"],
                "ci_low": low,
                "ci_high": high,
                "ci_method": "conditional",
            }
        )
    return out


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def sensitivity(
    problem: Problem,
    base: tuple[int, ...],
    *,
    pthresh: float = 0.02,
    max_order: int = 2,
    alpha: float = 0.05,
    methods: tuple[str, ...] = ("stepwise", "bic", "aic", "main"),
) -> list[dict]:
    """Estimate and model-conditional interval under each selection method."""
    layout = problem.layout
    rows = []
    for m in methods:
        try:
            if m == "stepwise":
                sel = selection.stepwise(problem, base, pthresh)
            elif m == "main":
                sel = selection.main_effects(problem, base)
            else:
                sel = selection.exhaustive(problem, base, m, max_order, keep_ranking=False)
        except NotEstimableError as exc:
            rows.append({"method": m, "error": str(exc)})
            continue
        low, high = intervals.conditional(sel.fit, alpha)
        rows.append(
            {
                "method": m,
                "estimate": sel.fit.estimate,
                "ci_low": low,
                "ci_high": high,
                "ci_method": "conditional",
                "model": [layout.term_name(t) for t in sel.interactions],
                "aic": sel.fit.aic(),
                "bic": sel.fit.bic(),
            }
        )
    return rows
