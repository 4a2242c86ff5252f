"""Model selection: SparseMSE stepwise, exhaustive AIC/BIC, main effects, fixed model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import pdtr, pdtrc

from traffickingmonitor.analysis.mse import existence
from traffickingmonitor.analysis.mse.design import (
    Layout,
    candidate_pairs,
    hierarchical_models,
    hierarchy_string,
    term_key,
)
from traffickingmonitor.analysis.mse.fit import ETA_MAX, Fit, Problem, irls_batch
from traffickingmonitor.analysis.mse.table import NotEstimableError
from traffickingmonitor.errors import UserError

METHODS = ("stepwise", "bic", "aic", "main", "fixed")

#: As MultipleSystemsEstimation: beyond six lists (and beyond pairs for six lists) the
#: number of hierarchical models explodes (2**28 pair sets for eight lists).
MAX_LISTS_EXHAUSTIVE = 6


@dataclass
class Selection:
    """Outcome of a selection procedure.

    Attributes
    ----------
    fit : Fit
        Fit of the chosen model.
    interactions : tuple of int
        Chosen list interactions, in the order the procedure added them.
    method : str
        ``stepwise``, ``bic``, ``aic``, ``main`` or ``fixed``.
    steps : list of dict
        Stepwise: each added term with its p-value; exhaustive: nothing.
    excluded : list of dict
        Models or terms excluded by the existence/identifiability check.
    ranking : list of dict or None
        Exhaustive search: the best admissible models (up to ``MAX_LISTED``) with
        estimate, AIC and BIC, best first.
    order : list or None
        Exhaustive search: every admissible model's interactions, best first.
    """

    fit: Fit
    interactions: tuple[int, ...]
    method: str
    steps: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    ranking: list[dict] | None = None
    n_models: int = 0
    n_excluded: int = 0
    order: list[tuple[int, ...]] | None = None


def poisson_pvalues(nstar: np.ndarray, pstar: np.ndarray) -> np.ndarray:
    """SparseMSE's stepwise p-value ``min(P(X <= n*), P(X >= n*))``, X ~ Poisson(mu*).

    ``n*`` is the number observed on both lists of a pair, ``mu*`` its expectation
    under the current model.
    """
    lower = pdtr(nstar, pstar)
    upper = np.where(nstar > 0, pdtrc(np.maximum(nstar - 1, 0), pstar), 1.0)
    return np.minimum(lower, upper)


def require_estimable(problem: Problem, base: tuple[int, ...]) -> int:
    code = existence.check(problem, base)
    if code != 0:
        raise NotEstimableError(
            "main-effects model: "
            + existence.MESSAGES[code]
            + " (the lists overlap too little to estimate the population)"
        )
    return code


def stepwise(problem: Problem, base: tuple[int, ...], pthresh: float = 0.02) -> Selection:
    """Forward selection of list pairs as SparseMSE's ``stepwisefit``.

    Start from the main effects. At each step compute, for every pair not yet in the
    model, the number ``n*`` of individuals on both lists and its expectation ``mu*``
    under the current fit, and the p-value ``min(P(X <= n*), P(X >= n*))`` with
    ``X ~ Poisson(mu*)``. Add the pair with the smallest p-value (ties: the first pair
    in the order (1,2), (1,3), ..., (2,3), ...) if it is below ``pthresh`` and the model
    with it passes the existence/identifiability check; pairs failing the check are
    skipped, as SparseMSE sets their p-value to 1. Pairs with no overlap are eligible:
    their term is minus infinity and their cells leave the fit.
    """
    require_estimable(problem, base)
    layout = problem.layout
    cands = candidate_pairs(layout.n_lists)
    C = np.stack([problem.column(c) for c in cands], axis=1)
    nstar = problem.y @ C
    current = tuple(base)
    fit = problem.fit(current)
    added: list[int] = []
    steps: list[dict] = []
    excluded: list[dict] = []
    included = np.zeros(len(cands), dtype=bool)
    for _ in range(len(cands)):
        pstar = fit.mu @ C
        p = poisson_pvalues(nstar, pstar)
        p[included] = np.inf
        order = sorted((float(p[j]), j) for j in range(len(cands)) if p[j] < pthresh)
        chosen = None
        for pv, j in order:
            code = existence.check(problem, (*current, cands[j]))
            if code == 0:
                chosen = (pv, j)
                break
            excluded.append(
                {"term": layout.term_name(cands[j]), "step": len(added) + 1, "code": code}
            )
        if chosen is None:
            break
        pv, j = chosen
        included[j] = True
        added.append(cands[j])
        current = (*current, cands[j])
        fit = problem.fit(current, start=fit)
        steps.append(
            {
                "term": layout.term_name(cands[j]),
                "p_value": pv,
                "overlap": int(nstar[j]),
                "expected": float(pstar[j]),
            }
        )
    return Selection(fit, tuple(added), "stepwise", steps, excluded)


def main_effects(problem: Problem, base: tuple[int, ...]) -> Selection:
    require_estimable(problem, base)
    return Selection(problem.fit(base), (), "main")


def fixed(problem: Problem, base: tuple[int, ...], interactions: tuple[int, ...]) -> Selection:
    """Fit a user-given model, refusing it when the check fails."""
    present = set(interactions) | set(base)
    for t in interactions:
        for i in range(t.bit_length()):
            sub = t & ~(1 << i)
            if t >> i & 1 and sub.bit_count() >= 2 and sub not in present:
                raise NotEstimableError(
                    f"model is not hierarchical: {problem.layout.term_name(t)} needs "
                    f"{problem.layout.term_name(sub)}"
                )
    terms = tuple(base) + tuple(interactions)
    code = existence.check(problem, terms)
    if code != 0:
        names = ", ".join(problem.layout.term_name(t) for t in interactions) or "main effects"
        raise NotEstimableError(
            f"model [{names}]: {existence.MESSAGES[code]} (check code {code}); "
            "a fit would return a meaningless number"
        )
    return Selection(problem.fit(terms), tuple(interactions), "fixed")


def exhaustive(
    problem: Problem,
    base: tuple[int, ...],
    criterion: str = "bic",
    max_order: int = 2,
    models: list[tuple[int, ...]] | None = None,
    keep_ranking: bool = True,
) -> Selection:
    """Best hierarchical model by AIC or BIC over all (or the given) models.

    Every model is checked first (existence and identifiability) and excluded when it
    fails, as MultipleSystemsEstimation's ``assemble_bic(checkexist=TRUE)`` does; the
    remaining models are fitted together by vectorised IRLS.

    Parameters
    ----------
    criterion : {"bic", "aic"}
        ``BIC = k log(n_observed) - 2 loglik``, ``AIC = 2k - 2 loglik``, with ``k``
        every term including intercept and minus-infinity terms, and the full Poisson
        log-likelihood (with ``-log y!``).
    max_order : int
        Highest interaction order (2: all subsets of pairs).
    models : list, optional
        Restrict the search to these interaction sets (bootstrap of a top-k search).
    """
    require_estimable(problem, base)
    if models is None:
        t = problem.layout.n_lists
        if t > MAX_LISTS_EXHAUSTIVE or (t == MAX_LISTS_EXHAUSTIVE and max_order > 2):
            raise UserError(
                f"exhaustive {criterion.upper()} search is available up to "
                f"{MAX_LISTS_EXHAUSTIVE} lists (pairwise models for six): {t} lists give "
                "too many models; use the stepwise method or merge lists"
            )
        models = hierarchical_models(t, max_order)
    tab = fit_models(problem, base, models)
    crit = tab["bic"] if criterion == "bic" else tab["aic"]
    ok = np.flatnonzero((tab["code"] == 0) & tab["converged"])
    if ok.size == 0:
        raise NotEstimableError("no model passes the existence and identifiability checks")
    # Ties (rare) go to the smaller model, then to enumeration order.
    order = ok[np.lexsort((ok, tab["k"][ok], crit[ok]))]
    best = int(order[0])
    fit = problem.fit(tuple(base) + models[best])
    bad = np.flatnonzero(~((tab["code"] == 0) & tab["converged"]))
    layout = problem.layout
    excluded = [
        {
            "model": hierarchy_string(layout, models[i]),
            "code": int(tab["code"][i]),
            "converged": bool(tab["converged"][i]),
        }
        for i in bad[:MAX_LISTED]
    ]
    ranking = None
    if keep_ranking:
        ranking = [_row(problem, tab, models, int(i)) for i in order[:MAX_LISTED]]
    return Selection(
        fit,
        models[best],
        criterion,
        excluded=excluded,
        ranking=ranking,
        n_models=len(models),
        n_excluded=int(bad.size),
        order=[models[int(i)] for i in order],
    )


#: Rows of rankings and exclusion lists kept for reports (searches may have 32,768).
MAX_LISTED = 100


def _row(problem: Problem, tab: dict, models: list[tuple[int, ...]], i: int) -> dict:
    layout = problem.layout
    return {
        "interactions": models[i],
        "model": hierarchy_string(layout, models[i]),
        "terms": [layout.term_name(t) for t in models[i]],
        "k": int(tab["k"][i]),
        "loglik": float(tab["loglik"][i]),
        "aic": float(tab["aic"][i]),
        "bic": float(tab["bic"][i]),
        "estimate": float(tab["estimate"][i]),
        "dark": float(tab["dark"][i]),
        "se_log_dark": float(tab["se_log_dark"][i]) if layout.n_levels == 1 else None,
    }


#: Models per vectorised IRLS batch: bounds memory (batch x cells x terms floats).
BATCH = 1024


def fit_models(
    problem: Problem, base: tuple[int, ...], models: list[tuple[int, ...]]
) -> dict[str, np.ndarray]:
    """Check and fit many models at once.

    Returns
    -------
    dict of arrays
        ``code``, ``converged``, ``k``, ``loglik``, ``aic``, ``bic``, ``estimate``,
        ``dark``, ``se_log_dark`` (NaN where not fitted), one entry per model.
    """
    layout = problem.layout
    base = tuple(base)
    full = [base + m for m in models]
    codes = existence.check_many(problem, full)
    all_terms = sorted({t for m in full for t in m}, key=term_key)
    pos = {t: i for i, t in enumerate(all_terms)}
    X = np.stack([problem.column(t) for t in all_terms], axis=1)
    dark_X = layout.dark_columns(all_terms)
    nm = len(models)
    out = {
        "code": np.asarray(codes, dtype=int),
        "converged": np.zeros(nm, dtype=bool),
        "k": np.array([len(set(m)) for m in full]),
        "loglik": np.full(nm, np.nan),
        "dark": np.full(nm, np.nan),
        "se_log_dark": np.full(nm, np.nan),
    }
    todo = np.flatnonzero(out["code"] == 0)
    for s in range(0, len(todo), BATCH):
        chunk = todo[s : s + BATCH]
        col = np.zeros((len(chunk), len(all_terms)), dtype=bool)
        cell = np.ones((len(chunk), layout.n_cells), dtype=bool)
        for b, i in enumerate(chunk):
            prep = problem.prepare(full[i])
            col[b, [pos[t] for t in prep.finite]] = True
            cell[b] = prep.keep
        beta, var0, mu, _dev, conv = irls_batch(X, problem.y, col, cell)
        out["converged"][chunk] = conv
        out["loglik"][chunk] = problem.loglik_batch(mu)
        out["dark"][chunk] = np.exp(np.minimum(beta @ dark_X.T, ETA_MAX)).sum(axis=1)
        out["se_log_dark"][chunk] = np.sqrt(np.maximum(var0, 0.0))
    log_n = float(np.log(problem.n_obs))
    out["aic"] = 2.0 * out["k"] - 2.0 * out["loglik"]
    out["bic"] = out["k"] * log_n - 2.0 * out["loglik"]
    out["estimate"] = problem.n_obs + out["dark"]
    return out


def stepwise_estimates(
    layout: Layout,
    base: tuple[int, ...],
    pthresh: float,
    Y: np.ndarray,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Point estimates of :func:`stepwise` on many count vectors at once.

    The same selection as calling :func:`stepwise` on each row of ``Y`` (same p-values,
    same order of additions, same existence checks), but the replicates move through the
    steps together: at every step the current models of all still-selecting rows are
    fitted by one vectorised IRLS (:func:`irls_batch`), each warm-started from its
    previous step as :meth:`Problem.fit` is, and the first from the main-effects fit on
    ``start`` (the full data), a few Newton steps from every bootstrap replicate's.

    Parameters
    ----------
    Y : (B, n_cells) array
        Counts.
    start : (n_cells,) array, optional
        Counts whose main-effects fit warm-starts every row's first fit.

    Returns
    -------
    (B,) array
        ``observed + dark figure`` of the selected model; NaN where the main-effects
        model fails the existence check, or the final fit did not converge or is not
        finite (as :meth:`bootstrap.Procedure.estimate`).
    """
    Y = np.asarray(Y, dtype=float)
    B, n = Y.shape
    cands = candidate_pairs(layout.n_lists)
    base = tuple(sorted(set(base), key=term_key))
    all_terms = sorted(set(base) | set(cands), key=term_key)
    pos = {t: i for i, t in enumerate(all_terms)}
    X = layout.columns(all_terms)
    dark_X = layout.dark_columns(all_terms)
    cand_pos = np.array([pos[c] for c in cands])
    C = X[:, cand_pos]
    nstar = Y @ C
    out = np.full(B, np.nan)
    problems = [Problem(layout, y) for y in Y]
    current: list[tuple[int, ...]] = [base] * B
    included = np.zeros((B, len(cands)), dtype=bool)
    col = np.zeros((B, len(all_terms)), dtype=bool)
    cell = np.ones((B, n), dtype=bool)
    active = np.array([existence.check(pr, base) == 0 for pr in problems], dtype=bool)
    beta = np.zeros((B, len(all_terms)))
    if start is not None:
        first = Problem(layout, start).fit(base)
        beta[:, [pos[t] for t in first.finite]] = first.coef
    for b in np.flatnonzero(active):
        _set_model(problems[b], current[b], pos, col[b], cell[b])
    while active.any():
        idx = np.flatnonzero(active)
        bt, _var0, mu, _dev, conv = irls_batch(X, Y[idx], col[idx], cell[idx], beta0=beta[idx])
        beta[idx] = bt
        p = poisson_pvalues(nstar[idx], mu @ C)
        p[included[idx]] = np.inf
        for r, b in enumerate(idx):
            chosen = None
            below = np.flatnonzero(p[r] < pthresh)
            for j in sorted(below.tolist(), key=lambda j, r=r: (float(p[r, j]), j)):
                if existence.check(problems[b], (*current[b], cands[j])) == 0:
                    chosen = j
                    break
            if chosen is None:
                active[b] = False
                if conv[r]:
                    eta = np.minimum(dark_X @ bt[r], ETA_MAX)
                    est = problems[b].n_obs + float(np.exp(eta).sum())
                    out[b] = est if np.isfinite(est) else np.nan
                continue
            included[b, chosen] = True
            current[b] = (*current[b], cands[chosen])
            _set_model(problems[b], current[b], pos, col[b], cell[b])
    return out


def _set_model(
    problem: Problem, terms: tuple[int, ...], pos: dict[int, int], col: np.ndarray, cell: np.ndarray
) -> None:
    prep = problem.prepare(terms)
    col[:] = False
    col[[pos[t] for t in prep.finite]] = True
    cell[:] = prep.keep
