"""Existence and identifiability of the (extended) maximum likelihood estimate.

Codes as SparseMSE's ``checkident`` and MultipleSystemsEstimation's
``check_extended_MLE``: 0 fine, 1 the MLE does not exist (Fienberg & Rinaldo 2012 linear
programme), 2 not identifiable (model matrix of the kept cells not of full column rank),
3 both.

The linear programme is the one of ``checkident``: with ``A`` the model matrix of the
kept cells (cells of minus-infinity terms removed) and ``t = A'y`` the sufficient
statistics, maximise ``s`` subject to ``A'x = t``, ``x >= s``, ``x >= 0``. The MLE exists
iff ``t`` lies in the relative interior of the marginal cone, i.e. iff some strictly
positive ``x`` reproduces ``t``, i.e. iff the optimum ``s`` is positive.

Both conditions depend on the counts only through their support (which cells are
non-zero), so results are cached per (model, support): bootstrap replicates share few
supports. Existence is also monotone in the support, so the linear programme runs
only for a support with zero cells that no support seen so far settles (``_Known``).
"""

from __future__ import annotations

import os

import highspy
import numpy as np
from scipy.optimize import linprog

from traffickingmonitor.analysis.mse.fit import Prepared, Problem
from traffickingmonitor.disclosure.highs import quiet_stdout

OK, NO_MLE, NOT_IDENTIFIABLE = 0, 1, 2

#: The LP optimum is a vertex with rational coordinates; with integer counts a positive
#: optimum is far above solver noise.
S_TOL = 1e-7

MESSAGES = {
    0: "fine",
    1: "the maximum likelihood estimate does not exist",
    2: "the model is not identifiable",
    3: "the maximum likelihood estimate does not exist and the model is not identifiable",
}


def check(problem: Problem, terms: tuple[int, ...]) -> int:
    """Existence/identifiability code of one model on the problem's counts."""
    prep = problem.prepare(terms)
    key = (prep.terms, problem.support.tobytes())
    cache = _cache(problem)
    code = cache.get(key)
    if code is None:
        code = _check_prepared(problem, prep)
        cache[key] = code
    return code


#: Supports remembered per model and outcome (:class:`_Known`); beyond this, new ones
#: are still checked, only not remembered.
MAX_KNOWN = 64


class _Known:
    """What is known of one model with fixed kept cells, whatever the counts.

    Identifiability depends on the kept cells only. Existence depends on the counts
    only through their support (the non-zero kept cells), and monotonically: the MLE
    exists iff the support lies in no proper facial set of the model's marginal cone
    (Fienberg & Rinaldo 2012), and a larger support lies in no more of them. So a
    support containing one where the MLE exists needs no linear programme, nor does a
    support inside one where it does not: only a replicate with new zero cells, relative
    to the supports seen so far, goes to the programme.
    """

    __slots__ = ("exists", "fails", "full_rank")

    def __init__(self, full_rank: bool) -> None:
        self.full_rank = full_rank
        self.exists: list[int] = []  # supports (bit masks over cells) with an MLE
        self.fails: list[int] = []  # supports without one

    def lookup(self, sup: int) -> bool | None:
        if any(s & ~sup == 0 for s in self.exists):
            return True
        if any(sup & ~f == 0 for f in self.fails):
            return False
        return None

    def remember(self, sup: int, exists: bool) -> None:
        known = self.exists if exists else self.fails
        if len(known) < MAX_KNOWN:
            known.append(sup)


def _support_bits(mask: np.ndarray) -> int:
    return int.from_bytes(np.packbits(mask).tobytes(), "big")


def _check_prepared(problem: Problem, prep: Prepared) -> int:
    known_all = _known(problem)
    known = known_all.get((prep.terms, prep.neg_inf))
    X = None
    if known is None:
        X = problem.design(prep)
        full_rank = X.shape[0] >= X.shape[1] and np.linalg.matrix_rank(X) == X.shape[1]
        known = known_all[(prep.terms, prep.neg_inf)] = _Known(bool(full_rank))
    code = 0 if known.full_rank else NOT_IDENTIFIABLE
    y = problem.y[prep.keep]
    if (y > 0).all():
        return code  # x = y itself is strictly positive
    sup = _support_bits(problem.support & prep.keep)
    exists = known.lookup(sup)
    if exists is None:
        if X is None:
            X = problem.design(prep)
        exists = (known.full_rank and _fit_certifies(X, y)) or lp_strictly_positive(X, y)
        known.remember(sup, exists)
    return code if exists else code + NO_MLE


def _fit_certifies(X: np.ndarray, y: np.ndarray) -> bool:
    """Cheap sufficient test for existence, tried before the LP.

    Fit the model by Newton's method. When the MLE does not exist the parameters
    diverge (each step moves them by about one unit while some fitted values shrink
    towards zero), so the steps never become small. When they do become small, the
    fitted values ``mu`` solve the likelihood equations ``X'mu = X'y`` up to rounding;
    the least-norm correction ``d = X (X'X)^-1 X'(mu - y)`` makes them exact, and if
    ``mu - d`` is still clearly positive it is the strictly positive solution the LP
    looks for. A failed test concludes nothing: the LP decides.
    """
    mu = y + 0.1
    eta = np.log(mu)
    beta = None
    for _ in range(60):
        if float(mu.min()) < 1e-300:
            return False  # underflow: a fitted value has gone to zero
        XtW = X.T * mu
        H = XtW @ X
        try:
            new = np.linalg.solve(H, XtW @ (eta + (y - mu) / mu))
        except np.linalg.LinAlgError:
            return False
        step = np.inf if beta is None else float(np.max(np.abs(new - beta)))
        beta = new
        # A diverging fit (the case this shortcut exists to detect) overflows here: expected.
        with np.errstate(invalid="ignore", over="ignore"):
            eta = X @ beta
        if not np.all(np.isfinite(eta)) or eta.max() > 700:
            return False
        mu = np.exp(eta)
        if step < 1e-9 * (1.0 + float(np.max(np.abs(beta)))):
            break
    else:
        return False
    try:
        d = X @ np.linalg.solve(X.T @ X, X.T @ (mu - y))
    except np.linalg.LinAlgError:
        return False
    floor = 1e-8 * max(1.0, float(y.max()))
    return bool(np.all(mu - d > floor))


def lp_strictly_positive(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether some ``x > 0`` has ``X'x = X'y`` (Fienberg-Rinaldo existence).

    The programme of ``checkident`` (maximise ``s`` with ``X'x = X'y``, ``x >= s``,
    ``x >= 0``), written with ``x = z + s`` so that it has only the ``p`` equality rows:
    maximise ``s`` subject to ``X'z + s X'1 = X'y``, ``z >= 0``, ``s >= 0``. Solved by
    HiGHS directly (one quiet instance per process): scipy's ``linprog`` around the same
    solver took four to five times as long on these small programmes.

    Parameters
    ----------
    X : (n, p) array
        Model matrix of the kept cells.
    y : (n,) array
        Counts of the kept cells.
    """
    n, p = X.shape
    t = X.T @ y
    cols = np.vstack([X, X.sum(axis=0)[None, :]])  # (n + 1, p): the columns of the LP
    nz = cols != 0
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + 1, p
    cost = np.zeros(n + 1)
    cost[-1] = -1.0  # maximise s
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n + 1)
    lp.col_upper_ = np.full(n + 1, highspy.kHighsInf)
    lp.row_lower_ = t
    lp.row_upper_ = t
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(nz.sum(axis=1))]).astype(np.int32)
    lp.a_matrix_.index_ = np.nonzero(nz)[1].astype(np.int32)
    lp.a_matrix_.value_ = cols[nz]
    h = _highs()
    if h is not None:
        h.clearSolver()
        h.passModel(lp)
        status = h.run()
        if status == highspy.HighsStatus.kOk and (
            h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        ):
            return float(h.getSolution().col_value[-1]) > S_TOL
        if status == highspy.HighsStatus.kError:
            _HIGHS[os.getpid()] = None  # refused to run: do not ask again
    # HiGHS refused (e.g. another HiGHS user in this process started its thread pool
    # with more threads first) or gave no optimum: the same programme through scipy
    c = np.zeros(n + 1)
    c[-1] = -1.0
    res = linprog(c, A_eq=cols.T, b_eq=t, bounds=(0, None), method="highs")
    if res.status != 0:
        # Infeasible cannot happen (z = y, s = 0 is feasible); treat solver trouble as
        # failure so that no model is fitted on an unverified table.
        return False
    return float(-res.fun) > S_TOL


# this process's HiGHS instance, by process id (a forked worker makes its own)
_HIGHS: dict[int, highspy.Highs | None] = {}


def _highs() -> highspy.Highs | None:
    """This process's HiGHS instance, made quietly (the first one prints a banner).

    One thread: HiGHS then starts no worker threads, which a forked bootstrap worker
    would inherit as a pool without threads. Where another HiGHS user in the process
    has already started the pool with more, HiGHS refuses to run this instance and
    :func:`lp_strictly_positive` falls back to scipy's ``linprog``.
    """
    pid = os.getpid()
    if pid not in _HIGHS:
        with quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        _HIGHS.clear()
        _HIGHS[pid] = h
    return _HIGHS[pid]


def check_many(problem: Problem, models: list[tuple[int, ...]]) -> np.ndarray:
    """Codes of many models, pruning LPs by monotonicity.

    For a fixed set of minus-infinity terms (hence fixed kept cells), a model whose MLE
    exists and is identifiable keeps both properties when terms are removed: the
    sufficient statistics project onto the smaller model's cone, and the relative
    interior of a cone projects onto the relative interior of the projected cone
    (this is the branch-search idea of SparseMSE's ``checkallmodels``).
    """
    codes = np.full(len(models), -1, dtype=int)
    preps = [problem.prepare(m) for m in models]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, p in enumerate(preps):
        groups.setdefault(p.neg_inf, []).append(i)
    cache = _cache(problem)
    sup = problem.support.tobytes()
    for idx in groups.values():
        idx.sort(key=lambda i: -len(preps[i].finite))
        good: list[frozenset[int]] = []
        for i in idx:
            fin = frozenset(preps[i].finite)
            key = (preps[i].terms, sup)
            if key in cache:
                codes[i] = cache[key]
            elif any(fin <= g for g in good):
                codes[i] = OK
            else:
                codes[i] = _check_prepared(problem, preps[i])
            cache[key] = int(codes[i])
            if codes[i] == OK:
                good.append(fin)
    return codes


def _kept_on_layout(problem: Problem, name: str) -> dict:
    """A dict kept on the problem's (frozen) layout under ``name``, made on first use."""
    layout = problem.layout
    c = layout.__dict__.get(name)
    if c is None:
        c = {}
        object.__setattr__(layout, name, c)
    return c


def _cache(problem: Problem) -> dict:
    return _kept_on_layout(problem, "_exist_cache")


def _known(problem: Problem) -> dict[tuple, _Known]:
    return _kept_on_layout(problem, "_exist_known")
