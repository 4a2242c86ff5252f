"""Secondary cell suppression over all tables of an edition, and its audit (HiGHS).

The method is the classical cell-suppression model of Fischetti and Salazar-González (the
"optimal" method of tau-ARGUS), solved one sensitive cell at a time:

For a sensitive cell ``p`` the attacker's best bounds are ``min/max`` of the cell over all
non-negative unknowns that agree with every published number (the :mod:`model`). ``p`` is
protected when both bounds lie at least the protection level away from its value. That holds
exactly when there are two *perturbations* ``y`` of the true unknowns (one up, one down) that
keep every published cell unchanged, keep all unknowns >= 0, keep every ``<10`` cell within
1..9, and move ``p`` by the protection level. A perturbation may only touch hidden cells, so
for each sensitive cell that is not yet protected we solve a small mixed-integer program:
choose the cheapest set of further cells to hide (binary ``x_c``, cost ``1 + value``, so
totals are hidden last) such that both perturbations exist with ``|S_c y| <= M x_c``.

Hiding more cells only enlarges the attacker's feasible set, so the perturbations found for
earlier cells stay valid: the pattern that results protects every sensitive cell. A cell that
appears in several tables (the same persons, e.g. Limburg as province and as police unit)
is one unknown expression in the model and is hidden everywhere at once. The audit then
re-computes the attacker's bounds for every hidden cell with linear programs, exactly as the
attacker test suite does.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from traffickingmonitor.disclosure.model import EditionModel, _mat

MILP_TIME_LIMIT = 5.0  # seconds per sensitive cell; then the best pattern found so far


@dataclass
class Bound:
    cell_group: int
    value: int
    low: float
    high: float
    primary: bool
    required_low: float
    required_high: float

    @property
    def ok(self) -> bool:
        tol = 1e-6
        if self.primary:
            return self.low <= self.required_low + tol and self.high >= self.required_high - tol
        return self.high - self.low > tol  # a helper cell: not to be pinned down exactly


@dataclass
class SuppressionResult:
    hidden: np.ndarray  # per cell: hidden (primary or secondary)
    primary: np.ndarray  # per cell: primary
    bounds: list[Bound] = field(default_factory=list)
    seconds: float = 0.0
    milps: int = 0
    fallbacks: int = 0

    @property
    def secondary(self) -> np.ndarray:
        return self.hidden & ~self.primary


class _Component:
    """One independent part of the model, as matrices over cell *groups*.

    A group is a set of cells with the same expression (one quantity shown in several
    tables); it is hidden or shown as a whole.
    """

    def __init__(self, model: EditionModel, var_idx, cell_idx, group_of, groups):
        self.vars = var_idx
        local = {v: i for i, v in enumerate(var_idx)}
        self.n = len(var_idx)
        gids = sorted({int(group_of[c]) for c in cell_idx})
        self.gids = gids
        self.S = _mat(
            [{local[v]: c for v, c in model.exprs[groups[g][0]].items()} for g in gids], self.n
        )
        var_set = set(int(v) for v in var_idx)
        eq = [e for e in model.eq if next(iter(e)) in var_set]
        le = [(e, r) for e, r in model.le if next(iter(e)) in var_set]
        self.E = _mat([{local[v]: c for v, c in e.items()} for e in eq], self.n)
        self.H = _mat([{local[v]: c for v, c in e.items()} for e, _ in le], self.n)
        self.h = np.asarray([r for _, r in le], float)
        self.a = model.value[var_idx]
        self.v = np.asarray([model.cells[groups[g][0]].value for g in gids], float)


def _groups(model: EditionModel) -> tuple[np.ndarray, list[list[int]]]:
    keys: dict[tuple, int] = {}
    group_of = np.empty(len(model.cells), int)
    groups: list[list[int]] = []
    for i, e in enumerate(model.exprs):
        k = tuple(sorted((v, round(c, 9)) for v, c in e.items()))
        if k not in keys:
            keys[k] = len(groups)
            groups.append([])
        group_of[i] = keys[k]
        groups[keys[k]].append(i)
    return group_of, groups


def suppress(
    model: EditionModel,
    primary: np.ndarray,
    *,
    threshold: int,
    protection_level: int,
    time_limit: float = MILP_TIME_LIMIT,
) -> SuppressionResult:
    """Primary cells (per model cell) -> the hidden cells of a pattern that protects them all."""
    t0 = time.perf_counter()
    group_of, groups = _groups(model)
    g_primary = np.zeros(len(groups), bool)
    g_primary[group_of[primary]] = True
    g_hidden = g_primary.copy()
    result = SuppressionResult(np.zeros(len(model.cells), bool), np.zeros(len(model.cells), bool))
    for var_idx, cell_idx in model.components():
        comp = _Component(model, var_idx, cell_idx, group_of, groups)
        gl = np.asarray(comp.gids)
        hidden = g_hidden[gl]
        prim = g_primary[gl]
        if not prim.any():
            continue
        # smallest sensitive cells first: they need the widest relative protection
        audit = None  # rebuilt whenever the pattern changes
        for p in sorted(np.flatnonzero(prim), key=lambda i: comp.v[i]):
            need_up, need_dn = _needs(comp.v[p], threshold, protection_level)
            audit = audit or _Audit(comp, hidden, prim, threshold)
            lo, hi = audit.bounds(p)
            if lo <= comp.v[p] - need_dn + 1e-6 and hi >= comp.v[p] + need_up - 1e-6:
                continue
            add, fell_back = _protect(
                comp, hidden, prim, p, threshold, need_up, need_dn, time_limit
            )
            result.milps += 1
            result.fallbacks += fell_back
            hidden |= add
            audit = None
        # helper cells an attacker can compute exactly protect nothing: show them
        audit = None
        for g in np.flatnonzero(hidden & ~prim):
            audit = audit or _Audit(comp, hidden, prim, threshold)
            lo, hi = audit.bounds(g)
            if hi - lo < 1e-6:
                hidden[g] = False
                audit = None
        g_hidden[gl] = hidden
        audit = _Audit(comp, hidden, prim, threshold) if hidden.any() else None
        for g in np.flatnonzero(hidden):
            lo, hi = audit.bounds(g)
            need_up, need_dn = _needs(comp.v[g], threshold, protection_level)
            result.bounds.append(
                Bound(
                    int(gl[g]),
                    int(comp.v[g]),
                    lo,
                    hi,
                    bool(prim[g]),
                    comp.v[g] - need_dn,
                    comp.v[g] + need_up,
                )
            )
    for g, members in enumerate(groups):
        result.hidden[members] = g_hidden[g]
        result.primary[members] = g_primary[g]
    result.seconds = time.perf_counter() - t0
    return result


def _needs(value: float, threshold: int, level: int) -> tuple[float, float]:
    """How far up and down a sensitive count must stay uncertain (within 1..threshold-1)."""
    up = max(0.0, min(value + level, threshold - 1) - value)
    down = max(0.0, value - max(value - level, 1))
    return up, down


def _attacker_constraints(comp: _Component, hidden, prim, threshold):
    """Equalities and bounds the attacker has: published cells, structure, ``<t`` symbols."""
    shown = np.flatnonzero(~hidden)
    a_eq = sp.vstack([comp.S[shown], comp.E]).tocsr()
    b_eq = np.concatenate([comp.v[shown], np.zeros(comp.E.shape[0])])
    band = np.flatnonzero(hidden & prim)
    a_ub = sp.vstack([comp.H, comp.S[band], -comp.S[band]]).tocsr()
    b_ub = np.concatenate([comp.h, np.full(len(band), threshold - 1.0), -np.ones(len(band))])
    return a_eq, b_eq, a_ub, b_ub


@contextlib.contextmanager
def _quiet_stdout():
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


def _quiet_highs() -> highspy.Highs:
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


class _Audit:
    """The attacker's LP for one hidden pattern, solved for one cell after another.

    The constraints stay; only the objective changes, so HiGHS starts each solve from the
    previous basis. One model per pattern instead of two fresh LPs per cell is what keeps
    the audit of an edition (hundreds of hidden cells) to seconds.
    """

    def __init__(self, comp: _Component, hidden, prim, threshold):
        a_eq, b_eq, a_ub, b_ub = _attacker_constraints(comp, hidden, prim, threshold)
        a = sp.vstack([a_eq, a_ub]).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = comp.n, a.shape[0]
        lp.col_cost_ = np.zeros(comp.n)
        lp.col_lower_ = np.zeros(comp.n)
        lp.col_upper_ = np.full(comp.n, highspy.kHighsInf)
        lp.row_lower_ = np.concatenate([b_eq, np.full(len(b_ub), -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([b_eq, b_ub])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self._h = _quiet_highs()
        self._h.passModel(lp)
        self._comp = comp
        self._cols = np.arange(comp.n, dtype=np.int32)

    def bounds(self, g) -> tuple[float, float]:
        h = self._h
        h.changeColsCost(self._comp.n, self._cols, self._comp.S[g].toarray().ravel())
        out = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            # the true values satisfy every constraint, so "unbounded or infeasible" is unbounded
            if status in (
                highspy.HighsModelStatus.kUnbounded,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            ):
                out.append(-math.inf if sense == highspy.ObjSense.kMinimize else math.inf)
            elif status != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"audit LP failed: {h.modelStatusToString(status)}")
            else:
                out.append(h.getInfo().objective_function_value)
        return out[0], out[1]


def _protect(comp, hidden, prim, p, threshold, need_up, need_dn, time_limit):
    """Cells to hide so that ``p`` can move ``need_up`` up and ``need_dn`` down unseen."""
    n, G = comp.n, len(comp.v)
    cand = np.flatnonzero(~hidden)
    K = len(cand)
    big = 10.0 * max(need_up, need_dn, 1.0) + 10.0
    band = np.flatnonzero(hidden & prim)
    blocks_a, lo_list, hi_list = [], [], []

    def copy_rows(k):  # y of copy k occupies columns [k*n, (k+1)*n)
        def place(m):
            m = sp.csr_matrix(m)
            left = sp.csr_matrix((m.shape[0], k * n))
            right = sp.csr_matrix((m.shape[0], (1 - k) * n + K))
            return sp.hstack([left, m, right])

        return place

    for k, (sign, need) in enumerate(((1.0, need_up), (-1.0, need_dn))):
        place = copy_rows(k)
        if comp.E.shape[0]:
            blocks_a.append(place(comp.E))
            lo_list.append(np.zeros(comp.E.shape[0]))
            hi_list.append(np.zeros(comp.E.shape[0]))
        if comp.H.shape[0]:
            blocks_a.append(place(comp.H))
            lo_list.append(np.full(comp.H.shape[0], -np.inf))
            hi_list.append(comp.h - comp.H @ comp.a)
        if len(band):
            blocks_a.append(place(comp.S[band]))
            lo_list.append(1.0 - comp.v[band])
            hi_list.append(threshold - 1.0 - comp.v[band])
        target = place(comp.S[[p]])
        blocks_a.append(target)
        if sign > 0:
            lo_list.append(np.asarray([need]))
            hi_list.append(np.asarray([np.inf]))
        else:
            lo_list.append(np.asarray([-np.inf]))
            hi_list.append(np.asarray([-need]))
        if K:
            sc = place(comp.S[cand])
            xm = sp.hstack([sp.csr_matrix((K, 2 * n)), sp.identity(K, format="csr") * big])
            blocks_a.append(sc - xm)  # S_c y - M x_c <= 0
            lo_list.append(np.full(K, -np.inf))
            hi_list.append(np.zeros(K))
            blocks_a.append(-sc - xm)  # -S_c y - M x_c <= 0
            lo_list.append(np.full(K, -np.inf))
            hi_list.append(np.zeros(K))
    A = sp.vstack(blocks_a).tocsr()
    lo = np.concatenate(lo_list)
    hi = np.concatenate(hi_list)
    cost = np.concatenate([np.zeros(2 * n), 1.0 + comp.v[cand]])
    lb = np.concatenate([-comp.a, -comp.a, np.zeros(K)])
    ub = np.concatenate([np.full(2 * n, np.inf), np.ones(K)])
    integrality = np.concatenate([np.zeros(2 * n), np.ones(K)])
    with _quiet_stdout():
        res = milp(
            cost,
            constraints=LinearConstraint(A, lo, hi),
            integrality=integrality,
            bounds=Bounds(lb, ub),
            options={"time_limit": time_limit, "disp": False},
        )
    add = np.zeros(G, bool)
    if res.x is not None:
        x = res.x[2 * n :]
        add[cand[x > 0.5]] = True
        return add, 0
    # no solution in time: the LP relaxation's support is a valid (if larger) pattern
    res = milp(
        cost,
        constraints=LinearConstraint(A, lo, hi),
        integrality=np.zeros_like(integrality),
        bounds=Bounds(lb, ub),
    )
    if res.x is None:
        add[cand] = True  # cannot be protected otherwise: hide the whole component
        return add, 1
    y_up, y_dn = res.x[:n], res.x[n : 2 * n]
    moved = np.abs(comp.S[cand] @ y_up) + np.abs(comp.S[cand] @ y_dn)
    add[cand[moved > 1e-7]] = True
    return add, 1
