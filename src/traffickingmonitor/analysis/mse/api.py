"""Public face of the multiple systems estimator (the "hidden number").

Functions
---------
estimate_population
    One capture-recapture table: model selection, point estimate, intervals.
estimate_stratified
    Per-person (or aggregated) records split into strata, estimated per stratum and
    combined.
estimate_with_covariate
    One model over strata stacked as levels of a covariate (e.g. year), with the
    covariate's main effect and, where wanted, list-by-covariate effects.

The reference is the R package SparseMSE (Chan, Silverman & Vincent 2021) and
MultipleSystemsEstimation (Silverman, Chan & Vincent 2024); see ``tests/mse`` for the
reproduced values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.mse import bootstrap as boot
from traffickingmonitor.analysis.mse import diagnostics as diag
from traffickingmonitor.analysis.mse import existence, intervals
from traffickingmonitor.analysis.mse.design import (
    Layout,
    candidate_pairs,
    hierarchical_models,
    hierarchy_string,
    term_key,
)
from traffickingmonitor.analysis.mse.fit import Problem
from traffickingmonitor.analysis.mse.table import (
    CaptureTable,
    NotEstimableError,
    TableError,
    pattern_bits,
)

CI_METHODS = ("conditional", "profile", "bca")
METHODS = ("stepwise", "bic", "aic", "main", "fixed")

#: Below this many observed individuals the result carries a warning (and
#: :func:`estimate_stratified` skips the stratum): pair overlaps are then a handful of
#: people and the dark figure hinges on them.
MIN_OBSERVED = 25

#: The sensitivity table flags methods whose estimates differ by more than this factor.
DISAGREE = 1.5


@dataclass(frozen=True)
class Interval:
    """A confidence interval with the method that produced it."""

    method: str
    low: float
    high: float
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "low": _num(self.low),
            "high": _num(self.high),
            "level": self.level,
        }


@dataclass
class MSEResult:
    """Result of :func:`estimate_population` (and of each stratum).

    Attributes
    ----------
    estimate : float
        Estimated population size (observed plus dark figure).
    observed : int
        Individuals observed on at least one list.
    dark_figure : float
        Estimated number on no list.
    lists : list of str
        Lists used (lists with nobody on them are dropped, with a warning).
    method : str
        Selection method.
    model : list of str
        Selected interaction terms as ``"A:B"``; stepwise: in the order added.
    hierarchy : str
        The model in MultipleSystemsEstimation notation (``[12,3]``).
    intervals : list of Interval
        Every interval computed, each with its method; the first is the requested one.
    fitted : pandas.DataFrame
        Observed and fitted count per capture pattern (absent patterns included).
    warnings : list of str
        Everything a reader of the number should know.
    diagnostics : dict
        Selection steps, excluded models, minus-infinity terms, top models by BIC,
        sensitivity table, bootstrap details.
    levels : pandas.DataFrame or None
        Covariate models: observed, dark figure and estimate per level.
    """

    estimate: float
    observed: int
    dark_figure: float
    lists: list[str]
    method: str
    model: list[str]
    hierarchy: str
    intervals: list[Interval]
    fitted: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    levels: pd.DataFrame | None = None
    bootstrap: boot.BootstrapResult | None = field(default=None, repr=False)
    se_log_dark: float = float("nan")

    @property
    def ci(self) -> Interval:
        """The requested interval (the first of :attr:`intervals`)."""
        return self.intervals[0]

    def interval(self, method: str) -> Interval:
        for iv in self.intervals:
            if iv.method == method:
                return iv
        raise KeyError(method)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN and infinity become ``None``)."""
        out: dict[str, Any] = {
            "observed": int(self.observed),
            "estimate": _num(self.estimate),
            "dark_figure": _num(self.dark_figure),
            "ci_low": _num(self.ci.low),
            "ci_high": _num(self.ci.high),
            "ci_method": self.ci.method,
            "ci_level": self.ci.level,
            "intervals": [iv.to_dict() for iv in self.intervals],
            "method": self.method,
            "model": list(self.model),
            "hierarchy": self.hierarchy,
            "lists": list(self.lists),
            "warnings": list(self.warnings),
            "fitted": _records(self.fitted),
            "diagnostics": _jsonable(self.diagnostics),
        }
        if self.levels is not None:
            out["levels"] = _records(self.levels)
        return out


# -- public functions -------------------------------------------------------------------


def estimate_population(
    table: CaptureTable | pd.DataFrame | str | Path,
    *,
    method: str = "stepwise",
    ci: str | Sequence[str] = "conditional",
    n_boot: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
    pthresh: float = 0.02,
    model: Sequence[str] | None = None,
    max_order: int = 2,
    n_top_models: int | None = None,
    n_jobs: int | None = None,
    diagnostics: bool = True,
) -> MSEResult:
    """Estimate a population size from a capture-recapture table.

    Parameters
    ----------
    table : CaptureTable, DataFrame or path
        One 0/1 column per list plus ``count`` (patterns absent are zero counts).
    method : {"stepwise", "bic", "aic", "main", "fixed"}
        ``stepwise``: SparseMSE's forward selection of list pairs by Poisson p-value
        (``pthresh``). ``bic``/``aic``: best hierarchical model with interactions up to
        ``max_order`` (2: all subsets of pairs). ``main``: independence model.
        ``fixed``: the interactions in ``model``.
    ci : str or sequence of str
        ``conditional`` (normal on the log dark figure given the model), ``profile``
        (profile likelihood given the model) and/or ``bca`` (bootstrap with selection
        rerun, BCa limits). The first is the headline interval; the conditional one is
        always added.
    n_boot : int
        Bootstrap replicates (``bca``).
    seed : int, optional
        Bootstrap seed (the one used is reported in ``diagnostics["bootstrap"]``).
    alpha : float
        One minus the confidence level.
    pthresh : float
        Stepwise p-value threshold (SparseMSE default 0.02).
    model : sequence of str, optional
        Interaction terms ``"A:B"`` (or ``"A:B:C"``) of a fixed model; implies
        ``method="fixed"``.
    max_order : int
        Highest interaction order of the exhaustive searches. MultipleSystemsEstimation
        uses 3 for four or five lists; 2 here keeps to pairwise models, like stepwise.
    n_top_models : int, optional
        Exhaustive methods with ``bca``: bootstrap replicates choose among this many of
        the best models on the original data (MultipleSystemsEstimation's
        ``ntopmodels``: all for up to 3 lists, 20 for 4, 100 for 5 or more).
    n_jobs : int, optional
        Worker processes for the bootstrap (default: every core).
    diagnostics : bool
        Add the top-5 models by BIC and the sensitivity table (up to five lists).

    Returns
    -------
    MSEResult

    Raises
    ------
    TableError
        Malformed table.
    NotEstimableError
        No finite, identifiable estimate: the lists do not overlap, one list holds
        everybody, a fixed model fails the existence check, ...
    """
    if not isinstance(table, CaptureTable):
        table = _as_table(table)
    cis = _ci_list(ci)
    if model is not None:
        method = "fixed"
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if method == "fixed" and model is None:
        raise ValueError("method='fixed' needs model=[...]")
    warnings: list[str] = []
    table = _screen_table(table, warnings)
    layout = Layout.for_table(table)
    problem = Problem(layout, table.counts)
    base = layout.base_terms()
    interactions = ()
    if model is not None:
        interactions = _parse_model(layout, model)
    return _estimate(
        layout,
        problem,
        base,
        method=method,
        cis=cis,
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        pthresh=pthresh,
        interactions=interactions,
        max_order=max_order,
        n_top_models=n_top_models,
        n_jobs=n_jobs,
        want_diagnostics=diagnostics,
        warnings=warnings,
    )


def estimate_with_covariate(
    frame: pd.DataFrame,
    lists: Sequence[str],
    covariate: str,
    *,
    count: str | None = None,
    list_by_covariate: Sequence[str] | str = (),
    method: str = "stepwise",
    ci: str | Sequence[str] = "conditional",
    n_boot: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
    pthresh: float = 0.02,
    model: Sequence[str] | None = None,
    max_order: int = 2,
    n_top_models: int | None = None,
    n_jobs: int | None = None,
    diagnostics: bool = True,
) -> MSEResult:
    """One log-linear model over tables stacked by a covariate (e.g. year).

    The model has the covariate as a factor (a dark figure per level), the lists' main
    effects, the list-by-covariate terms named in ``list_by_covariate`` (``"all"`` for
    every list: each list's capture probability varies by level), and list
    interactions common to all levels, chosen by ``method``. A list absent in a level
    (nobody from it in that level) has its list-by-level term at minus infinity, so the
    list simply drops out of that level. This is the Dutch analyses' approach with
    year as covariate.

    Parameters
    ----------
    frame : DataFrame
        One row per person with 0/1 list columns and the covariate; or aggregated rows
        with a ``count`` column.
    lists : sequence of str
        List columns.
    covariate : str
        Column whose distinct values are the levels (sorted; the first is the
        reference).

    Returns
    -------
    MSEResult
        ``levels`` gives observed, dark figure and estimate per level; intervals are
        for the total. ``profile`` is not available here.
    """
    cis = _ci_list(ci)
    if "profile" in cis:
        raise ValueError("profile intervals are not available with a covariate")
    lists = list(lists)
    if covariate not in frame.columns:
        raise TableError(f"<records>: no covariate column {covariate!r}")
    warnings: list[str] = []
    levels = sorted(frame[covariate].dropna().unique().tolist(), key=_sort_key)
    tables = []
    for lv in levels:
        sub = frame[frame[covariate] == lv]
        src = f"{covariate}={lv}"
        tables.append(CaptureTable.from_records(sub, lists, weight=count, source=src))
    keep = [i for i, t in enumerate(tables) if t.observed > 0]
    if len(keep) < len(levels):
        warnings.append(
            "levels with nobody observed dropped: "
            + ", ".join(str(levels[i]) for i in range(len(levels)) if i not in keep)
        )
    levels = [levels[i] for i in keep]
    tables = [tables[i] for i in keep]
    if not tables:
        raise NotEstimableError("no individual observed in any level")
    totals = np.sum([t.counts for t in tables], axis=0)
    pooled = CaptureTable(tuple(lists), totals, "<records>")
    empty = [n for n, v in pooled.list_totals().items() if v == 0]
    if empty:
        warnings.append(f"lists with nobody on them ignored: {', '.join(empty)}")
        lists = [n for n in lists if n not in empty]
        tables = [t.drop_lists(empty) for t in tables]
    if len(lists) < 2:
        raise NotEstimableError("fewer than two lists with anybody on them")
    layout = Layout.for_levels(tuple(lists), covariate, [str(v) for v in levels])
    y = np.concatenate([t.counts for t in tables])
    problem = Problem(layout, y)
    if isinstance(list_by_covariate, str):
        lbc = lists if list_by_covariate == "all" else [list_by_covariate]
    else:
        lbc = list(list_by_covariate)
    unknown = [n for n in lbc if n not in lists]
    if unknown:
        raise ValueError(f"unknown list(s) in list_by_covariate: {', '.join(unknown)}")
    base = layout.base_terms(tuple(lists.index(n) for n in lbc))
    for t in base:
        if t and problem.suff(t) == 0 and t.bit_count() == 2:
            warnings.append(
                f"{layout.term_name(t)}: nobody on the list in that level; the list is "
                "taken as absent there (minus-infinity term)"
            )
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    interactions = _parse_model(layout, model) if model is not None else ()
    if model is not None:
        method = "fixed"
    for t, lv in zip(tables, levels, strict=True):
        if t.observed < MIN_OBSERVED:
            warnings.append(f"{covariate}={lv}: only {t.observed} observed")
    return _estimate(
        layout,
        problem,
        base,
        method=method,
        cis=cis,
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        pthresh=pthresh,
        interactions=interactions,
        max_order=max_order,
        n_top_models=n_top_models,
        n_jobs=n_jobs,
        want_diagnostics=diagnostics,
        warnings=warnings,
    )


@dataclass
class StratifiedResult:
    """Result of :func:`estimate_stratified`.

    Attributes
    ----------
    strata : pandas.DataFrame
        One row per stratum: keys, observed, estimate, interval, model, status
        (``estimated`` or ``skipped``) and the reason for skipping.
    total : dict
        ``observed``, ``estimate``, ``ci_low``, ``ci_high``, ``ci_method``,
        ``complete`` (False when some stratum was skipped: its observed count enters
        the total without a dark figure, so the total is then too low).
    results : dict
        Stratum key to :class:`MSEResult`.
    warnings : list of str
    """

    strata: pd.DataFrame
    total: dict[str, Any]
    results: dict[tuple, MSEResult]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": _jsonable(self.total),
            "strata": _records(self.strata),
            "warnings": list(self.warnings),
        }


def estimate_stratified(
    frame: pd.DataFrame,
    strata: Sequence[str],
    lists: Sequence[str],
    *,
    count: str | None = None,
    min_observed: int = MIN_OBSERVED,
    ci: str | Sequence[str] = "conditional",
    seed: int | None = None,
    alpha: float = 0.05,
    **kw: Any,
) -> StratifiedResult:
    """Estimate per stratum and combine into a total.

    Parameters
    ----------
    frame : DataFrame
        One row per person (0/1 list flags and stratum columns), or aggregated rows
        with a ``count`` column.
    strata : sequence of str
        Columns defining the strata (e.g. ``["year", "victim_group"]``).
    lists : sequence of str
        List columns.
    count : str, optional
        Multiplicity column; default one person per row.
    min_observed : int
        A stratum with fewer observed individuals is skipped.
    ci : str or sequence of str
        Interval methods per stratum (see :func:`estimate_population`).
    seed : int, optional
        Master seed; each stratum gets its own stream derived from it.
    **kw
        Passed to :func:`estimate_population` (``method``, ``n_boot``, ...).

    Notes
    -----
    A stratum is *skipped* (not estimated; warning) when it has fewer than
    ``min_observed`` individuals, fewer than two lists with anybody on them, nobody on
    two or more lists, or when no model passes the existence check. Its observed
    count still enters the total, which is then flagged ``complete=False``.

    The total is the sum of the stratum estimates. Its interval: with ``bca`` first in
    ``ci``, the bootstrap replicates of the strata are summed replicate by replicate
    (a stratified bootstrap) and BCa limits are taken from the sums, with the
    acceleration from the strata's jackknife values combined; otherwise a normal
    approximation on the log of the total dark figure, its variance the sum of the
    strata's delta-method variances ``D_s**2 se_s**2`` (strata are independent).
    """
    strata = list(strata)
    lists = list(lists)
    cis = _ci_list(ci)
    missing = [c for c in [*strata, *lists] if c not in frame.columns]
    if missing:
        raise TableError(f"<records>: missing column(s) {', '.join(missing)}")
    # Grouping by a list yields tuple keys (pandas >= 2), one per stratum.
    groups = list(frame.groupby(strata, dropna=False, sort=True))
    seeds = np.random.SeedSequence(seed).spawn(len(groups))
    rows = []
    results: dict[tuple, MSEResult] = {}
    warnings: list[str] = []
    for (key, sub), ss in zip(groups, seeds, strict=True):
        k = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{s}={v}" for s, v in zip(strata, k, strict=True))
        table = CaptureTable.from_records(sub, lists, weight=count, source=label)
        row = dict(zip(strata, k, strict=True))
        row.update(observed=table.observed)
        reason = sparse_reason(table, min_observed)
        res = None
        if reason is None:
            try:
                res = estimate_population(
                    table, ci=cis, seed=int(ss.generate_state(1)[0]), alpha=alpha, **kw
                )
            except NotEstimableError as exc:
                reason = str(exc)
        if res is None:
            warnings.append(f"{label}: skipped ({reason}); only its observed count is in the total")
            row.update(
                status="skipped",
                reason=reason,
                estimate=float("nan"),
                dark_figure=float("nan"),
                ci_low=float("nan"),
                ci_high=float("nan"),
                ci_method=None,
                model=None,
            )
        else:
            results[k] = res
            warnings += [f"{label}: {w}" for w in res.warnings]
            row.update(
                status="estimated",
                reason=None,
                estimate=res.estimate,
                dark_figure=res.dark_figure,
                ci_low=res.ci.low,
                ci_high=res.ci.high,
                ci_method=res.ci.method,
                model=",".join(res.model),
            )
        rows.append(row)
    df = pd.DataFrame(rows)
    total = _combine(df, results, cis[0], alpha)
    if not total["complete"]:
        warnings.append("total incomplete: skipped strata add their observed count only")
    return StratifiedResult(df, total, results, warnings)


def sparse_reason(table: CaptureTable, min_observed: int = MIN_OBSERVED) -> str | None:
    """Why a stratum is too sparse to estimate, or None.

    The rule: fewer than ``min_observed`` individuals; fewer than two lists with anybody
    on them; or nobody on two or more lists (no overlap, nothing to estimate from).
    """
    if table.observed < min_observed:
        return f"{table.observed} observed, fewer than {min_observed}"
    nonempty = [n for n, v in table.list_totals().items() if v > 0]
    if len(nonempty) < 2:
        return f"{len(nonempty)} list(s) with anybody on them, fewer than two"
    multi = table.patterns.sum(axis=1) >= 2
    if int(table.counts[multi].sum()) == 0:
        return "nobody is on two or more lists"
    return None


# -- internals --------------------------------------------------------------------------


def _estimate(
    layout: Layout,
    problem: Problem,
    base: tuple[int, ...],
    *,
    method: str,
    cis: list[str],
    n_boot: int,
    seed: int | None,
    alpha: float,
    pthresh: float,
    interactions: tuple[int, ...],
    max_order: int,
    n_top_models: int | None,
    n_jobs: int | None,
    want_diagnostics: bool,
    warnings: list[str],
) -> MSEResult:
    level = 1 - alpha
    if problem.n_obs < MIN_OBSERVED:
        warnings.append(
            f"only {int(problem.n_obs)} observed: the estimate rests on a handful of overlaps"
        )
    proc = boot.Procedure(method, base, pthresh, interactions, None, max_order)
    sel = proc.run(problem, keep_ranking=True)
    fit = sel.fit
    if not fit.converged:
        raise NotEstimableError("the model fit did not converge")
    if method in ("bic", "aic") and "bca" in cis:
        n_top = n_top_models or _default_top(layout.n_lists)
        top = tuple((sel.order or [])[:n_top])
        proc = boot.Procedure(method, base, pthresh, interactions, top, max_order)
    excluded = sel.excluded
    n_excl = sel.n_excluded if method in ("bic", "aic") else len(excluded)
    if n_excl:
        what = "terms" if method == "stepwise" else "models"
        warnings.append(
            f"{n_excl} candidate {what} excluded: no maximum likelihood estimate "
            "or not identifiable (see diagnostics['excluded'])"
        )
    neg = [layout.term_name(t) for t in fit.prep.neg_inf]
    if neg:
        warnings.append(
            "terms at minus infinity (nobody in the overlap; their cells are fitted as "
            "zero): " + ", ".join(neg)
        )
    empty_pairs = _empty_pairs(problem)
    if empty_pairs:
        n_pairs = layout.n_lists * (layout.n_lists - 1) // 2
        warnings.append(
            f"sparse table: {len(empty_pairs)} of {n_pairs} list pairs never overlap "
            f"({', '.join(empty_pairs[:6])}{', ...' if len(empty_pairs) > 6 else ''}); "
            "the estimate leans on the model choice (see the sensitivity table)"
        )
    lone = _isolated_lists(problem)
    if lone:
        warnings.append("lists overlapping no other list: " + ", ".join(lone))
    ivs: list[Interval] = []
    boot_res = None
    cond = intervals.conditional(fit, alpha)
    diag_out: dict[str, Any] = {
        "loglik": fit.loglik,
        "aic": fit.aic(),
        "bic": fit.bic(),
        "k": fit.k,
        "minus_infinity_terms": neg,
        "excluded": [_named_excluded(layout, e) for e in excluded],
        "steps": sel.steps,
    }
    for c in cis:
        if c == "conditional":
            ivs.append(Interval("conditional", *cond, level))
        elif c == "profile":
            lo, hi, w = intervals.profile(problem, fit, alpha)
            warnings += w
            ivs.append(Interval("profile", lo, hi, level))
        elif c == "bca":
            boot_res = boot.bootstrap(
                layout,
                problem.y.astype(np.int64),
                proc,
                fit.estimate,
                n_boot=n_boot,
                seed=seed,
                alpha=alpha,
                n_jobs=n_jobs,
            )
            warnings += boot_res.warnings
            ivs.append(Interval("bca", boot_res.low, boot_res.high, level))
            diag_out["bootstrap"] = {
                "n_boot": n_boot,
                "seed": boot_res.seed,
                "failed": boot_res.n_failed,
                "upper_unbounded": boot_res.upper_unbounded,
                "acceleration": boot_res.acceleration,
                "bias_z0": boot_res.bias_z0,
                "selection_rerun": method,
                "models_searched": None if proc.models is None else len(proc.models),
            }
    if "conditional" not in cis:
        ivs.append(Interval("conditional", *cond, level))
    if not all(math.isfinite(v) for iv in ivs for v in (iv.low, iv.high)):
        warnings.append("an interval limit is not finite")
    if method in ("bic", "aic") and sel.ranking:
        diag_out["ranking_top"] = [
            {k: r[k] for k in ("model", "terms", "aic", "bic", "estimate")}
            for r in sel.ranking[:10]
        ]
    if want_diagnostics and layout.n_lists <= diag.MAX_LISTS_EXHAUSTIVE:
        diag_out["top_models_bic"] = diag.top_models(problem, base, alpha=alpha)
        diag_out["sensitivity"] = diag.sensitivity(problem, base, pthresh=pthresh, alpha=alpha)
        # The independence model is expected to differ; compare the selection methods.
        ests = {
            r["method"]: r["estimate"]
            for r in diag_out["sensitivity"]
            if "estimate" in r and r["method"] != "main"
        }
        if ests and max(ests.values()) > DISAGREE * min(ests.values()):
            lo_m = min(ests, key=ests.get)
            hi_m = max(ests, key=ests.get)
            warnings.append(
                f"selection methods disagree: {ests[lo_m]:,.0f} ({lo_m}) to "
                f"{ests[hi_m]:,.0f} ({hi_m})"
            )
    levels = None
    if layout.n_levels > 1:
        obs = np.bincount(layout.cell_level, weights=problem.y, minlength=layout.n_levels)
        levels = pd.DataFrame(
            {
                layout.covariate: list(layout.level_names),
                "observed": obs.astype(int),
                "dark_figure": fit.dark,
                "estimate": obs + fit.dark,
            }
        )
    return MSEResult(
        estimate=fit.estimate,
        observed=int(problem.n_obs),
        dark_figure=fit.dark_total,
        lists=list(layout.factor_names[: layout.n_lists]),
        method=method,
        model=[layout.term_name(t) for t in sel.interactions],
        hierarchy=hierarchy_string(layout, sel.interactions),
        intervals=ivs,
        fitted=diag.fitted_table(problem, fit),
        warnings=list(dict.fromkeys(warnings)),
        diagnostics=diag_out,
        levels=levels,
        bootstrap=boot_res,
        se_log_dark=fit.log_dark_se(),
    )


def _default_top(n_lists: int) -> int:
    # MultipleSystemsEstimation's ntopmodels defaults.
    if n_lists <= 3:
        return 10**9
    return 20 if n_lists == 4 else 100


def _screen_table(table: CaptureTable, warnings: list[str]) -> CaptureTable:
    totals = table.list_totals()
    empty = [n for n, v in totals.items() if v == 0]
    if empty:
        warnings.append(f"lists with nobody on them ignored: {', '.join(empty)}")
        if len(table.lists) - len(empty) < 2:
            raise NotEstimableError(f"{table.source}: fewer than two lists with anybody on them")
        table = table.drop_lists(empty)
        totals = table.list_totals()
    if table.observed == 0:
        raise NotEstimableError(f"{table.source}: nobody observed")
    full = [n for n, v in totals.items() if v == table.observed]
    if full:
        raise NotEstimableError(
            f"{table.source}: list {full[0]} holds every observed individual, so the other "
            "lists say nothing about people missing from it"
        )
    multi = table.patterns.sum(axis=1) >= 2
    if int(table.counts[multi].sum()) == 0:
        raise NotEstimableError(
            f"{table.source}: no overlaps at all (nobody is on two or more lists), so the "
            "population cannot be estimated"
        )
    return table


def _empty_pairs(problem: Problem) -> list[str]:
    layout = problem.layout
    return [layout.term_name(t) for t in candidate_pairs(layout.n_lists) if problem.suff(t) == 0]


def _isolated_lists(problem: Problem) -> list[str]:
    layout = problem.layout
    out = []
    for i in range(layout.n_lists):
        others = [(1 << i) | (1 << j) for j in range(layout.n_lists) if j != i]
        if all(problem.suff(t) == 0 for t in others):
            out.append(layout.factor_names[i])
    return out


def _named_excluded(layout: Layout, e: dict) -> dict:
    out = dict(e)
    if "code" in out:
        out["reason"] = existence.MESSAGES.get(out["code"], "did not converge")
    return out


def _parse_model(layout: Layout, model: Sequence[str]) -> tuple[int, ...]:
    if isinstance(model, str):
        model = [m for m in model.replace(";", ",").split(",") if m.strip()]
    terms = []
    for name in model:
        try:
            t = layout.parse_term(name)
        except ValueError as exc:
            raise NotEstimableError(str(exc)) from None
        if t.bit_count() < 2 or t & ~layout.list_mask():
            raise NotEstimableError(f"{name!r} is not an interaction of two or more lists")
        terms.append(t)
    return tuple(sorted(set(terms), key=term_key))


def _ci_list(ci: str | Sequence[str]) -> list[str]:
    cis = [ci] if isinstance(ci, str) else list(ci)
    bad = [c for c in cis if c not in CI_METHODS]
    if bad or not cis:
        raise ValueError(f"ci must be among {', '.join(CI_METHODS)}")
    return list(dict.fromkeys(cis))


def _as_table(obj: pd.DataFrame | str | Path) -> CaptureTable:
    if isinstance(obj, pd.DataFrame):
        return CaptureTable.from_frame(obj)
    if isinstance(obj, str | Path):
        return CaptureTable.from_csv(obj)
    raise TypeError("table must be a CaptureTable, a DataFrame or a CSV path")


def _combine(df: pd.DataFrame, results: dict, method: str, alpha: float) -> dict[str, Any]:
    from scipy.stats import norm

    observed = int(df["observed"].sum())
    skipped_obs = int(df.loc[df["status"] == "skipped", "observed"].sum())
    est = skipped_obs + sum(r.estimate for r in results.values())
    complete = bool((df["status"] == "estimated").all())
    out = {
        "observed": observed,
        "estimate": est,
        "complete": complete,
        "n_strata": len(df),
        "n_estimated": len(results),
    }
    if not results:
        out.update(ci_low=float("nan"), ci_high=float("nan"), ci_method=None)
        return out
    if method == "bca" and all(r.bootstrap is not None for r in results.values()):
        res = list(results.values())
        reps = skipped_obs + np.sum([r.bootstrap.replicates for r in res], axis=0)
        jack = []
        weights = []
        for r in res:
            jack.append(est - r.estimate + r.bootstrap.jackknife)
            weights.append(r.bootstrap.jack_weights)
        ahat = boot.acceleration(np.concatenate(jack), np.concatenate(weights))
        (lo, hi), _ = boot.bca_limits(reps, est, ahat, np.array([alpha / 2, 1 - alpha / 2]))
        out.update(ci_low=float(lo), ci_high=float(hi), ci_method="bca (strata replicates summed)")
        return out
    d = np.array([r.dark_figure for r in results.values()])
    se = np.array([r.se_log_dark for r in results.values()])
    D = float(d.sum())
    z = float(norm.ppf(1 - alpha / 2))
    sd = math.sqrt(float(np.sum((d * se) ** 2))) / D if D > 0 else float("nan")
    out.update(
        ci_low=est - D + D * math.exp(-z * sd),
        ci_high=est - D + D * math.exp(z * sd),
        ci_method="conditional (delta method on the log of the summed dark figures)",
    )
    return out


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, int | float | np.integer | np.floating) else (1, str(v))


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _records(df: pd.DataFrame) -> list[dict]:
    return [_jsonable(r) for r in df.to_dict(orient="records")]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return _num(obj)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


__all__ = [
    "CaptureTable",
    "Interval",
    "MSEResult",
    "NotEstimableError",
    "StratifiedResult",
    "TableError",
    "estimate_population",
    "estimate_stratified",
    "estimate_with_covariate",
    "hierarchical_models",
    "pattern_bits",
    "sparse_reason",
]
