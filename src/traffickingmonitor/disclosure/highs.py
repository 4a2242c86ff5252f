"""HiGHS as the engine's audit and the attacker both use it: quiet, one LP loaded once, then
solved for one objective after another from the previous basis.

Only the solver is shared; each side builds its own constraints (the attacker is written apart
from :mod:`model` on purpose).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys

import highspy
import numpy as np
import scipy.sparse as sp

INF = highspy.kHighsInf
MINIMIZE, MAXIMIZE = highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize


@contextlib.contextmanager
def quiet_stdout():
    """Send file descriptor 1 to /dev/null for a moment.

    HiGHS writes a licence banner (first instance in a process) and, inside scipy's
    ``milp``, debugging lines straight to descriptor 1, past Python: they would land in the
    middle of the CLI's progress bars.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _lp(cost, a: sp.spmatrix, row_lower, row_upper, col_lower, col_upper) -> highspy.HighsLp:
    """``min cost x`` subject to ``row_lower <= a x <= row_upper`` and the column bounds
    (infinite bounds as HiGHS's own infinity)."""
    a = sp.csc_matrix(a)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.asarray(cost, float)
    lp.col_lower_ = np.asarray(col_lower, float)
    lp.col_upper_ = np.minimum(np.asarray(col_upper, float), INF)
    lp.row_lower_ = np.maximum(np.asarray(row_lower, float), -INF)
    lp.row_upper_ = np.minimum(np.asarray(row_upper, float), INF)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    return lp


def _quiet(lp: highspy.HighsLp, **options) -> highspy.Highs:
    """A HiGHS instance that prints nothing, holding ``lp``, with ``options`` set."""
    with quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.passModel(lp)
    return h


def load_lp(a: sp.spmatrix, col_lower, col_upper, row_lower, row_upper) -> highspy.Highs:
    """A quiet HiGHS instance holding ``row_lower <= a x <= row_upper`` (zero objective)."""
    lp = _lp(np.zeros(a.shape[1]), a, row_lower, row_upper, col_lower, col_upper)
    # objective changes keep the basis primal feasible: primal simplex restarts from it
    return _quiet(lp, simplex_strategy=4)


def solve_milp(
    cost,
    a: sp.spmatrix,
    *,
    row_lower,
    row_upper,
    col_lower,
    col_upper,
    integer,
    time_limit: float,
) -> np.ndarray | None:
    """A solution of ``min cost x`` subject to ``row_lower <= a x <= row_upper`` and the column
    bounds, the columns where ``integer`` is true whole numbers; None when HiGHS finds no
    feasible point (infeasible, or none within ``time_limit`` seconds).

    Through highspy rather than scipy's ``milp``: scipy 1.17's bundled HiGHS calls some
    controlled-rounding problems infeasible that highspy solves, and a second such solve in
    one process ends in a segmentation fault.
    """
    lp = _lp(cost, a, row_lower, row_upper, col_lower, col_upper)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
        for i in np.asarray(integer, bool)
    ]
    h = _quiet(lp, time_limit=float(time_limit))
    h.run()
    feasible = h.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if not feasible:
        return None
    return np.asarray(h.getSolution().col_value)


class SolverError(RuntimeError):
    """HiGHS gave no answer (neither optimal nor unbounded) with any of its settings."""


def _warm(h: highspy.Highs) -> None:
    pass  # from the last basis: what makes a sequence of objectives cheap


def _cold_dual(h: highspy.Highs) -> None:
    h.clearSolver()
    h.setOptionValue("simplex_strategy", 1)


def _interior_point(h: highspy.Highs) -> None:
    h.clearSolver()
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "on")


#: Settings tried in turn until HiGHS answers. Primal simplex from a warm basis can end in
#: status "Unknown" (its clean-up leaves a small dual infeasibility; seen on a synthetic edition,
#: seed 34, after 6 iterations) where a solve from scratch is optimal at once.
ATTEMPTS = (_warm, _cold_dual, _interior_point)


def _restore(h: highspy.Highs) -> None:
    h.setOptionValue("simplex_strategy", 4)
    h.setOptionValue("solver", "simplex")


def optimum(h: highspy.Highs, sense, failure: str) -> float:
    """The optimal objective for ``sense`` (``MINIMIZE``/``MAXIMIZE``), -inf or inf where it
    is unbounded (the optimal point, if finite, is ``h.getSolution()``).

    A solve that ends in any other status is repeated from scratch with the dual simplex, then
    with the interior-point method; only when all of them fail is ``SolverError`` raised, its
    message starting with ``failure``. A bound is never guessed.
    """
    h.changeObjectiveSense(sense)
    statuses = []
    try:
        for attempt in ATTEMPTS:
            attempt(h)
            h.run()
            status = h.getModelStatus()
            # the true values satisfy every constraint, so "unbounded or infeasible" is unbounded
            if status in (
                highspy.HighsModelStatus.kUnbounded,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            ):
                return -math.inf if sense == MINIMIZE else math.inf
            if status == highspy.HighsModelStatus.kOptimal:
                return h.getInfo().objective_function_value
            statuses.append(h.modelStatusToString(status))
    finally:
        if len(statuses) > 0:
            _restore(h)
    raise SolverError(f"{failure}: HiGHS answered {', then '.join(statuses)}")
