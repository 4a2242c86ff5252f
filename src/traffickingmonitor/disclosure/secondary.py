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
choose the cheapest set of further cells to hide (binary ``x_c``, cost ``1 + value`` times
the cell's weight, so totals are hidden last, and municipal detail before national figures) such that both perturbations exist with ``|S_c y| <= M x_c``.

Hiding more cells only enlarges the attacker's feasible set, so the perturbations found for
earlier cells stay valid: the pattern that results protects every sensitive cell. A cell that
appears in several tables (the same persons, e.g. Limburg as province and as police unit)
is one unknown expression in the model and is hidden everywhere at once. The engine's own
audit (``SuppressionResult.bounds``, on demand) re-computes the attacker's bounds for every
hidden cell with linear programs, as the attacker test suite does.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from traffickingmonitor.disclosure import highs
from traffickingmonitor.disclosure.model import CellRef, EditionModel, _mat
from traffickingmonitor.errors import UserError

log = logging.getLogger(__name__)

# seconds per MILP: a safety valve only. The node limit (``MILP_NODE_LIMIT``) decides where
# a MILP stops, so that the pattern is the same on a busy machine as on an idle one. At 60 s
# the valve still decided: a 50-node MILP of seed 5 (25 s at load 5) was cut by it beside
# four other jobs, and that run hid another province (a cut at 10 s gives the same pattern).
MILP_TIME_LIMIT = 600.0
# the sensitive cells pushed down and up all at once before any gets a solve of its own
# (``_Audit.sweep``); the pattern does not depend on it, only how many solves it takes
SWEEP = True


class ProtectionError(UserError):
    """No audited pattern for a cell: nothing of the edition may be published."""

    exit_code = 3

    def __init__(self, cell: CellRef, cause: Exception, where: str = ""):
        self.cell, self.cause = cell, cause
        where = where or f"row {cell.row + 1}"
        super().__init__(
            f"cannot protect table {cell.table_id!r}, cell {where}, column {cell.column!r}: "
            f"{cause}; nothing was published"
        )


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
    seconds: float = 0.0
    milps: int = 0
    fallbacks: int = 0
    # sensitive cells no pattern can protect (what the other cells' symbols tell already
    # pins them down); hiding more would not help them
    unprotectable: int = 0
    # per model cell: sensitive and protected by no pattern
    stuck: np.ndarray | None = None
    # per model cell: a symbol (<10, or an x that tells "no small count") whose bound pins a
    # stuck cell down (found by ``unprotectable`` only)
    pinned_by: np.ndarray | None = None
    # per component with hidden cells: (its audit LP, its group ids, hidden, primary, values)
    _audits: list = field(default_factory=list, repr=False)
    _bounds: list[Bound] | None = field(default=None, repr=False)
    _rule: tuple[int, int] = (10, 3)  # threshold, protection level
    stuck_groups: list = field(default_factory=list, repr=False)

    @property
    def secondary(self) -> np.ndarray:
        return self.hidden & ~self.primary

    @property
    def bounds(self) -> list[Bound]:
        """The engine's own audit: the attacker's bounds on every hidden cell group.

        Computed on first use (two LPs per hidden cell): the pattern is protective by
        construction, so publishing does not wait for this; ``disclosure-check`` and the
        tests ask for it, beside the independent attacker of :mod:`attack`.
        """
        if self._bounds is None:
            threshold, level = self._rule
            self._bounds = []
            for audit, gl, hidden, prim, values in self._audits:
                for g in np.flatnonzero(hidden):
                    lo, hi = audit.bounds(g)
                    need_up, need_dn = _needs(values[g], threshold, level)
                    self._bounds.append(
                        Bound(
                            int(gl[g]),
                            int(values[g]),
                            lo,
                            hi,
                            bool(prim[g]),
                            values[g] - need_dn,
                            values[g] + need_up,
                        )
                    )
        return self._bounds


class _Component:
    """One independent part of the model, as matrices over cell *groups*.

    A group is a set of cells with the same expression (one quantity shown in several
    tables); it is hidden or shown as a whole.
    """

    def __init__(self, model: EditionModel, var_idx, gids: list[int], groups):
        local = {v: i for i, v in enumerate(var_idx)}
        self.n = len(var_idx)
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
        # set by ``suppress``: a hidden cell whose symbol tells 1..threshold-1 (``<10``), and
        # one whose ``x`` tells "no small count", 0 or at least the threshold (a table that
        # shows small counts as ``<10`` hides nothing else small)
        self.banded = np.zeros(len(gids), bool)
        self.not_small = np.zeros(len(gids), bool)
        self.weight = np.ones(len(gids))  # set by ``suppress``: cost per unit of a cell
        self._links: dict[int, sp.csr_matrix] = {}

    def key(self, hidden, prim, threshold, level, time_limit) -> str:
        """A digest of everything the component's pattern depends on (``suppress``'s
        ``done``): its matrices and values, the symbols, weights and starting pattern of its
        cells, and the rule."""
        digest = hashlib.sha256()
        for m in (self.S, self.E, self.H):
            m = sp.csr_matrix(m)
            for part in (np.asarray(m.shape), m.indptr, m.indices, m.data):
                digest.update(np.ascontiguousarray(part).tobytes())
        for part in (self.h, self.a, self.v, self.weight, self.banded, self.not_small, hidden):
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(np.ascontiguousarray(prim).tobytes())
        digest.update(repr((threshold, level, time_limit)).encode())
        return digest.hexdigest()

    def links(self, max_cells: int) -> sp.csr_matrix:
        """Cells and relations (rows of ``S``, ``E`` and ``H``) of at most ``max_cells``
        unknowns, as one matrix over the unknowns (what ``_nearby`` walks along)."""
        if max_cells not in self._links:
            rows = sp.vstack([self.S, self.E, self.H]).tocsr()
            rows.data = np.ones_like(rows.data)  # which unknowns, not how (signs would cancel)
            self._links[max_cells] = rows[np.flatnonzero(np.diff(rows.indptr) <= max_cells)]
        return self._links[max_cells]


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
    banded: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    keep_hidden: np.ndarray | None = None,
    done: dict | None = None,
) -> SuppressionResult:
    """Primary cells (per model cell) -> the hidden cells of a pattern that protects them all.

    ``banded`` (default: every cell) marks the cells of tables that show small counts as
    ``<10``: there a primary cell tells the attacker 1..threshold-1, and a secondary ``x`` tells
    "0 or at least the threshold". A table that shows every hidden cell as ``x`` tells nothing
    but ``>= 0``.

    ``weight`` (default 1 per model cell) scales the cost of hiding a cell, ``weight x (1 +
    value)``: a low weight marks detail to hide before the figures readers look for. A cell
    shown in several tables costs its highest weight.

    ``keep_hidden`` (default none) marks cells hidden from the start, as a pattern found
    before: the pattern only grows from it (a helper cell the attacker can compute exactly
    is still shown again).

    ``done`` (default none) holds the components protected by earlier calls, by their
    content (``_Component.key``), and takes this call's: a component that comes back
    unchanged gets the pattern it got then, without a MILP. Protection of an edition calls
    this again after turning tables to x or adding a relation, which changes some
    components and leaves the others as they were (the re-victimisation curves while the
    local figures turn to x).
    """
    t0 = time.perf_counter()
    group_of, groups = _groups(model)
    g_primary = np.zeros(len(groups), bool)
    g_primary[group_of[primary]] = True
    g_symbol = np.zeros(len(groups), bool)
    g_symbol[group_of[np.ones(len(primary), bool) if banded is None else banded]] = True
    g_banded = g_primary & g_symbol
    g_weight = np.zeros(len(groups))
    np.maximum.at(g_weight, group_of, np.ones(len(primary)) if weight is None else weight)
    g_hidden = g_primary.copy()
    if keep_hidden is not None:
        g_hidden[group_of[np.asarray(keep_hidden, bool)]] = True
    result = SuppressionResult(
        np.zeros(len(model.cells), bool),
        np.zeros(len(model.cells), bool),
        _rule=(threshold, protection_level),
    )
    for comp, gl, prim in _sensitive_components(model, group_of, groups, g_primary):
        comp.banded = g_banded[gl]
        comp.not_small = g_symbol[gl] & ~prim
        comp.weight = g_weight[gl]
        key = comp.key(g_hidden[gl], prim, threshold, protection_level, time_limit)
        if done is not None and key in done:
            hidden, audit, stuck, fallbacks = done[key]
            result.unprotectable += len(stuck)
            result.fallbacks += fallbacks
        else:
            current = [int(np.flatnonzero(prim)[0])]  # the cell being protected, for the error
            before = (len(result.stuck_groups), result.fallbacks)
            try:
                hidden, audit = _suppress_component(
                    comp,
                    g_hidden[gl],
                    prim,
                    threshold,
                    protection_level,
                    time_limit,
                    result,
                    current,
                )
            except highs.SolverError as exc:
                raise ProtectionError(model.cells[groups[gl[current[0]]][0]], exc) from exc
            stuck = np.searchsorted(gl, result.stuck_groups[before[0] :])
            result.stuck_groups = result.stuck_groups[: before[0]]
            if done is not None:
                done[key] = (hidden.copy(), audit, stuck, result.fallbacks - before[1])
        result.stuck_groups.extend(int(g) for g in gl[stuck])
        g_hidden[gl] = hidden
        if hidden.any():
            result._audits.append((audit, gl, hidden, prim, comp.v))
    result.stuck = np.zeros(len(model.cells), bool)
    for g, members in enumerate(groups):
        result.hidden[members] = g_hidden[g]
        result.primary[members] = g_primary[g]
    for g in result.stuck_groups:
        result.stuck[groups[g]] = True
    result.seconds = time.perf_counter() - t0
    return result


def _group_ids(cell_idx, group_of) -> list[int]:
    """The cell groups of a component's cells, in order."""
    return sorted({int(group_of[c]) for c in cell_idx})


def _sensitive_components(model, group_of, groups, g_primary):
    """Each component of the model with a sensitive cell: the component, its cell groups and
    which of them are sensitive."""
    for var_idx, cell_idx in model.components():
        gids = _group_ids(cell_idx, group_of)
        gl = np.asarray(gids)
        prim = g_primary[gl]
        if prim.any():  # most components have none: their matrices are not made
            yield _Component(model, var_idx, gids, groups), gl, prim


def unprotectable(
    model: EditionModel,
    primary: np.ndarray,
    *,
    threshold: int,
    protection_level: int,
    banded: np.ndarray | None = None,
    done: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per model cell: sensitive, and protected by no pattern at all.

    With every cell hidden the attacker knows least; a sensitive cell whose range is still
    narrower than its protection interval then (what the symbols of the cells it is made of
    tell pins it down) is protected by no pattern, whatever ``suppress`` would choose. That
    does not depend on the pattern, so it costs LPs, not MILPs: the rounds that turn tables
    to x before a pattern is worth making (:func:`edition.protect_edition_details`) ask this
    first. ``suppress`` finds these cells too (its LP relaxation with every cell free to
    hide, which bounds how far a cell moves, so it may find a few more), after a MILP for
    each; the rounds then go on as before.

    Parameters
    ----------
    model, primary, threshold, protection_level, banded
        As for :func:`suppress`.
    done
        As for :func:`suppress`, shared with it: a component that comes back unchanged gets
        the answer it got then, without an LP. The rounds of an edition's protection ask this
        of every component again, and most of them are as they were (a tenth of the demo
        edition: 5 calls, 41 components asked, 17 of them answered with LPs).

    Returns
    -------
    stuck, pinned_by : numpy.ndarray
        Bool per model cell: sensitive and protected by no pattern; a symbol whose bound
        pins a stuck cell down (where the attacker's range of it falls short).
    """
    group_of, groups = _groups(model)
    g_primary = np.zeros(len(groups), bool)
    g_primary[group_of[primary]] = True
    g_symbol = np.zeros(len(groups), bool)
    g_symbol[group_of[np.ones(len(primary), bool) if banded is None else banded]] = True
    out = np.zeros(len(model.cells), bool)
    pinned_by = np.zeros(len(model.cells), bool)
    for comp, gl, prim in _sensitive_components(model, group_of, groups, g_primary):
        comp.banded = prim & g_symbol[gl]
        comp.not_small = g_symbol[gl] & ~prim
        # everything the answer depends on (every cell hidden); apart from suppress's keys
        key = None
        if done is not None:
            every = np.ones(len(gl), bool)
            key = "unprotectable " + comp.key(every, prim, threshold, protection_level, None)
        answer = None if key is None else done.get(key)
        if answer is None:
            answer = _unprotectable_component(
                comp, prim, threshold, protection_level, model, groups, gl
            )
            if key is not None:
                done[key] = answer
        stuck, pinning = answer
        for p in stuck:
            out[groups[gl[p]]] = True
        for q in pinning:
            pinned_by[groups[gl[q]]] = True
    return out, pinned_by


def _unprotectable_component(comp, prim, threshold, level, model, groups, gl):
    """The sensitive cell groups of one component that no pattern protects, and the cell
    groups whose symbols pin them (local indices)."""
    cells = np.flatnonzero(prim)
    stuck: list[int] = []
    pinning: set[int] = set()
    p = cells[0]  # the cell at work, for the error
    try:
        audit = _Audit(comp, np.ones(len(gl), bool), threshold)
        lows, highs_ = _intervals(comp.v[cells], threshold, level)
        if SWEEP:
            audit.sweep(cells, lows, highs_)
        for p, low, high in zip(cells, lows, highs_, strict=True):
            if not audit.reaches(p, low, high):
                stuck.append(int(p))
                pinning.update(int(q) for q in audit.pinning(p, low, high))
    except highs.SolverError as exc:
        raise ProtectionError(model.cells[groups[gl[p]][0]], exc) from exc
    return tuple(stuck), tuple(sorted(pinning))


def _suppress_component(comp, hidden, prim, threshold, level, time_limit, result, current):
    """The pattern of one component and its audit LP; ``current[0]`` names the cell at work."""
    audit = _Audit(comp, hidden, threshold)
    if SWEEP:
        cells = np.flatnonzero(prim)
        audit.sweep(cells, *_intervals(comp.v[cells], threshold, level))
    # smallest sensitive cells first: they need the widest relative protection
    for p in sorted(np.flatnonzero(prim), key=lambda i: comp.v[i]):
        current[0] = int(p)
        need_up, need_dn = _needs(comp.v[p], threshold, level)
        if audit.reaches(p, comp.v[p] - need_dn, comp.v[p] + need_up):
            continue
        add, points, fell_back, tries = _protect_nearby(
            comp, hidden, prim, p, threshold, need_up, need_dn, time_limit
        )
        result.milps += tries
        result.fallbacks += fell_back
        if add is None:
            result.unprotectable += 1
            result.stuck_groups.append(int(comp.gids[p]))
            continue
        hidden |= add
        audit.hide(np.flatnonzero(add))
        for point in points:
            audit.see(point, check=hidden)
    # helper cells an attacker can compute exactly protect nothing: show them
    for g in np.flatnonzero(hidden & ~prim):
        current[0] = int(g)
        if audit.exact(g):
            hidden[g] = False
            audit.show([g])
    return hidden, audit


def _intervals(values: np.ndarray, threshold: int, level: int):
    """Per sensitive count, the interval its range must cover."""
    up, down = _needs(values, threshold, level)
    return values - down, values + up


def _needs(value, threshold: int, level: int):
    """How far up and down a sensitive count (or each of an array) must stay uncertain
    (within 1..threshold-1)."""
    up = np.maximum(0.0, np.minimum(value + level, threshold - 1) - value)
    down = np.maximum(0.0, value - np.maximum(value - level, 1))
    return up, down


class _Audit:
    """The attacker's LP for a component, solved for one cell after another.

    Every cell is a row: a shown cell is fixed at its value, a hidden sensitive cell lies
    within 1..threshold-1 (the ``<10`` symbol), any other hidden cell is free. Hiding or
    showing a cell only changes its row's bounds and a new cell only the objective, so HiGHS
    starts each solve from the previous basis. One model per component, instead of fresh LPs
    per cell and pattern, is what keeps the audit of an edition (thousands of hidden cells)
    to seconds.
    """

    def __init__(self, comp: _Component, hidden, threshold):
        self._comp, self._t = comp, threshold
        g, n_eq, n_le = len(comp.v), comp.E.shape[0], comp.H.shape[0]
        lo, hi = self._cell_bounds(np.arange(g), hidden)
        self._h = highs.load_lp(
            sp.vstack([comp.S, comp.E, comp.H]),
            np.zeros(comp.n),
            np.full(comp.n, highs.INF),
            np.concatenate([lo, np.zeros(n_eq), np.full(n_le, -highs.INF)]),
            np.concatenate([hi, np.zeros(n_eq), comp.h]),
        )
        self._cols = np.arange(comp.n, dtype=np.int32)
        self._hidden = np.asarray(hidden, bool).copy()
        self._low_seen, self._high_seen = comp.v.copy(), comp.v.copy()

    def _cell_bounds(self, cells, hidden) -> tuple[np.ndarray, np.ndarray]:
        cells = np.asarray(cells, dtype=np.int64)
        v = self._comp.v[cells]
        hid = np.asarray(hidden, bool)
        band = hid & self._comp.banded[cells]
        lo = np.where(hid, np.where(band, 1.0, -highs.INF), v)
        hi = np.where(hid, np.where(band, self._t - 1.0, highs.INF), v)
        # an x that tells "no small count": the engine assumes the attacker knows which of 0
        # or >= threshold it is (knowing more than the attacker can only make it hide more)
        large = hid & self._comp.not_small[cells]
        lo = np.where(large, np.where(v >= self._t, float(self._t), 0.0), lo)
        hi = np.where(large & (v < self._t), 0.0, hi)
        return lo, hi

    def _set(self, cells, hidden: bool) -> None:
        cells = np.asarray(cells, dtype=np.int32)
        self._hidden[cells] = hidden
        self._bound_rows(cells)

    def _bound_rows(self, cells, low=None, high=None) -> None:
        """The rows of ``cells`` bounded as their symbols tell, and within ``low..high``."""
        cells = np.asarray(cells, dtype=np.int32)
        if len(cells):
            lo, hi = self._cell_bounds(cells, self._hidden[cells])
            lo = lo if low is None else np.maximum(lo, low)
            hi = hi if high is None else np.minimum(hi, high)
            self._h.changeRowsBounds(len(cells), cells, lo, hi)

    def hide(self, cells) -> None:
        """The attacker no longer sees these cells."""
        self._set(cells, True)

    def show(self, cells) -> None:
        """The attacker sees these cells again."""
        self._set(cells, False)

    def _solve(self, sense) -> float:
        value = highs.optimum(self._h, sense, "audit LP failed")
        if math.isfinite(value):
            self.see(np.asarray(self._h.getSolution().col_value))
        return value

    def sweep(self, cells, low: np.ndarray, high: np.ndarray) -> None:
        """Push every cell of ``cells`` whose range the points seen do not yet prove to reach
        ``low`` down to it in one solve, then up to ``high``, again while that proves more.

        Each cell is held within its interval meanwhile (a bound, undone after), so that the
        solve spreads over the cells rather than taking one as far as it goes: one solve
        then proves most ranges, where a solve per cell and side would be needed. A point
        feasible with the bounds is feasible without them: what it proves is what a solve of
        the cell's own would (only faster); a cell it leaves open gets its own solve
        (``reaches``).
        """
        cells = np.asarray(cells, dtype=np.int64)
        for sense in (highs.MINIMIZE, highs.MAXIMIZE):
            while self._push(cells, low, high, sense):
                pass

    def _push(self, cells, low, high, sense) -> bool:
        """One solve of ``sweep``: whether it proved a cell (another may prove more)."""
        tol = 1e-6
        if sense == highs.MINIMIZE:
            at = self._low_seen[cells] > low + tol
        else:
            at = self._high_seen[cells] < high - tol
        if not at.any():
            return False
        low, high, at = low[at], high[at], cells[at]
        down = sense == highs.MINIMIZE
        self._bound_rows(at, low=low if down else None, high=None if down else high)
        self._h.changeColsCost(
            self._comp.n, self._cols, np.asarray(self._comp.S[at].sum(axis=0)).ravel()
        )
        try:
            self._solve(sense)
        except highs.SolverError:
            return False  # a shortcut only: each cell still open gets a solve of its own
        finally:
            self._bound_rows(at)
        if down:
            return bool((self._low_seen[at] <= low + tol).any())
        return bool((self._high_seen[at] >= high - tol).any())

    def see(self, point: np.ndarray, check: np.ndarray | None = None) -> None:
        """Take ``point`` (values of the unknowns the attacker cannot rule out) as seen.

        With ``check`` (the hidden cells), a point from outside this LP (a MILP's perturbed
        point) is first verified against every constraint the attacker has: a point that
        breaks one would prove a range that does not exist, so it stops protection.
        """
        values = self._comp.S @ point
        if check is not None:
            lo, hi = self._cell_bounds(np.arange(len(values)), check)
            # HiGHS keeps a MILP's rows to 1e-6 of their bounds, in its scaled model: a
            # count off by less than 1e-5 is its tolerance, not a value the attacker may
            # rule out (counts are whole numbers)
            comp, tol = self._comp, 1e-5
            broken = (
                (values < lo - tol).any()
                or (values > hi + tol).any()
                or (point < -tol).any()
                or (np.abs(comp.E @ point) > tol).any()
                or (comp.H @ point > comp.h + tol).any()
            )
            if broken:
                raise highs.SolverError(
                    "a perturbation that proves protection breaks a published number"
                )
        np.minimum(self._low_seen, values, out=self._low_seen)
        np.maximum(self._high_seen, values, out=self._high_seen)

    def _objective(self, g) -> None:
        self._h.changeColsCost(self._comp.n, self._cols, self._comp.S[g].toarray().ravel())

    def bounds(self, g) -> tuple[float, float]:
        """The attacker's smallest and largest value of cell group ``g``."""
        self._objective(g)
        return self._solve(highs.MINIMIZE), self._solve(highs.MAXIMIZE)

    def reaches(self, g, low: float, high: float) -> bool:
        """Whether the attacker's range of ``g`` covers ``low..high``.

        Every LP solution is a point the attacker cannot rule out, and stays one when more is
        hidden (or a cell the attacker can compute is shown): the values of all cells at the
        points seen so far often prove a cell's range already, without a solve of its own.
        """
        tol = 1e-6
        if self._low_seen[g] <= low + tol and self._high_seen[g] >= high - tol:
            return True
        self._objective(g)
        if self._low_seen[g] > low + tol and self._solve(highs.MINIMIZE) > low + tol:
            return False
        if self._high_seen[g] < high - tol:
            return self._solve(highs.MAXIMIZE) >= high - tol
        return True

    def pinning(self, g, low: float, high: float) -> np.ndarray:
        """The cell groups whose symbols bound ``g`` where its range falls short of
        ``low..high`` (every cell hidden): the rows of the symbols' bounds with a dual
        value in the solve of that side. Duals need not be unique: another basis (solves
        before, ``sweep``) may name other symbols, each set a valid reason."""
        symbols = self._comp.banded | self._comp.not_small
        out = []
        self._objective(g)
        for sense, short in (
            (highs.MINIMIZE, lambda v: v > low + 1e-6),
            (highs.MAXIMIZE, lambda v: v < high - 1e-6),
        ):
            if short(self._solve(sense)):
                dual = np.asarray(self._h.getSolution().row_dual[: len(self._comp.v)])
                out.append(np.flatnonzero((np.abs(dual) > 1e-9) & symbols))
        return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)

    def exact(self, g) -> bool:
        """Whether the attacker can compute ``g`` exactly: its range holds one whole number
        (a relation found in the microdata holds up to a tolerance, so a range of a repeated
        figure is a hair wide; counts are whole numbers)."""
        if _whole_numbers(self._low_seen[g], self._high_seen[g]) > 1:
            return False
        return _whole_numbers(*self.bounds(g)) <= 1


def _whole_numbers(low: float, high: float, tol: float = 1e-6) -> int:
    """How many whole numbers lie in ``low..high`` (to a tolerance); 2 for "more than one"
    when the range is unbounded."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return 2
    return max(0, math.floor(high + tol) - math.ceil(low - tol) + 1)


def _nearby(comp: _Component, p: int, max_cells: int, rounds: int = 2) -> np.ndarray:
    """Unknowns near cell ``p``: those of cells and relations of at most ``max_cells``
    unknowns that share one with ``p``, and so on for ``rounds`` steps (a municipality in a
    year reaches its safety region over all years, not the whole country).

    Relations count as well as cells: a sensitive count of persons can only move with the
    registrations of its row (persons <= registrations), an event count of a curve with its
    neighbours in time; without them no perturbation near such a cell exists, and every
    MILP for it went to the whole component.
    """
    small = comp.links(max_cells)
    near = np.zeros(comp.n, bool)
    near[comp.S[p].indices] = True
    for _ in range(rounds):
        touching = np.flatnonzero(small @ near.astype(float) > 0)
        near[small[touching].indices] = True
    return np.flatnonzero(near)


#: Neighbourhoods tried in turn, as (``max_cells``, ``rounds``) of ``_nearby``; ``None`` is the
#: whole component.
NEIGHBOURHOODS: tuple[tuple[int, int] | None, ...] = ((64, 1), (64, 2), (512, 2), None)
# branch-and-bound nodes per MILP; then its best pattern so far
MILP_NODE_LIMIT = 50
SMALL_COMPONENT = 400  # unknowns: up to this, a MILP over the whole component is cheap


def _protect_nearby(comp, hidden, prim, p, threshold, need_up, need_dn, time_limit):
    """Cells to hide for ``p``, looking for the perturbations near ``p`` first.

    A perturbation that moves only the unknowns near ``p`` (all others kept at their true
    values) is a perturbation of the whole component, so a pattern found near ``p`` protects
    ``p`` as surely as one found on the whole component; it may only hide a little more. Near
    is small: a sensitive municipality-year among thousands of atoms then costs a MILP of a
    few hundred variables instead of one over the whole country and every year.

    Returns (cells to hide or ``None`` when no pattern can protect ``p``, the values of the
    unknowns after the two perturbations, 1 if the LP relaxation had to stand in for the
    MILP, MILPs).
    """
    tries = 0
    for size in NEIGHBOURHOODS if comp.n > SMALL_COMPONENT else (None,):
        cols = None if size is None else _nearby(comp, p, *size)
        if cols is not None and len(cols) > comp.n // 2:
            cols = None
        tries += 1
        # a good pattern soon is worth more than the cheapest one late; a limit in
        # branch-and-bound nodes, not seconds, keeps the pattern the same on every machine
        found = _protect(comp, hidden, prim, p, threshold, need_up, need_dn, time_limit, cols)
        if found is not None:
            return *found, 0, tries
        if cols is None:
            break
    return _protect_relaxed(comp, hidden, prim, p, threshold, need_up, need_dn), [], 1, tries


def _protection_problem(comp, hidden, prim, p, threshold, need_up, need_dn, cols):
    """The MILP of ``_protect`` over the unknowns ``cols`` (``None``: all) as arrays."""
    if cols is None:
        cols = np.arange(comp.n)
    n = len(cols)
    S = comp.S[:, cols].tocsr()
    touching = np.diff(S.indptr) > 0
    # an x that tells "no small count" keeps a count of at least the threshold there, and a
    # zero at zero: hiding a zero so would protect nothing, so such zeros stay as shown
    zero_x = comp.not_small & (comp.v < threshold)
    cand = np.flatnonzero(~hidden & touching & ~zero_x)
    band = np.flatnonzero(hidden & comp.banded & touching)
    large = np.flatnonzero(comp.not_small & ~zero_x & touching)
    fixed = np.flatnonzero(zero_x & touching)
    E = comp.E[:, cols].tocsr()
    E = E[np.flatnonzero(np.diff(E.indptr) > 0)]
    H_full = comp.H.tocsr()
    H_rows = np.flatnonzero(np.diff(H_full[:, cols].tocsr().indptr) > 0)
    H = H_full[H_rows][:, cols]
    h = comp.h[H_rows] - H_full[H_rows] @ comp.a
    K = len(cand)
    big = 10.0 * max(need_up, need_dn, 1.0) + 10.0
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
        if E.shape[0]:
            blocks_a.append(place(E))
            lo_list.append(np.zeros(E.shape[0]))
            hi_list.append(np.zeros(E.shape[0]))
        if H.shape[0]:
            blocks_a.append(place(H))
            lo_list.append(np.full(H.shape[0], -np.inf))
            hi_list.append(h)
        if len(band):
            blocks_a.append(place(S[band]))
            lo_list.append(1.0 - comp.v[band])
            hi_list.append(threshold - 1.0 - comp.v[band])
        if len(large):
            blocks_a.append(place(S[large]))
            lo_list.append(threshold - comp.v[large])
            hi_list.append(np.full(len(large), np.inf))
        if len(fixed):
            blocks_a.append(place(S[fixed]))
            lo_list.append(np.zeros(len(fixed)))
            hi_list.append(np.zeros(len(fixed)))
        blocks_a.append(place(S[[p]]))
        if sign > 0:
            lo_list.append(np.asarray([need]))
            hi_list.append(np.asarray([np.inf]))
        else:
            lo_list.append(np.asarray([-np.inf]))
            hi_list.append(np.asarray([-need]))
        if K:
            sc = place(S[cand])
            xm = sp.hstack([sp.csr_matrix((K, 2 * n)), sp.identity(K, format="csr") * big])
            blocks_a.append(sc - xm)  # S_c y - M x_c <= 0
            lo_list.append(np.full(K, -np.inf))
            hi_list.append(np.zeros(K))
            blocks_a.append(-sc - xm)  # -S_c y - M x_c <= 0
            lo_list.append(np.full(K, -np.inf))
            hi_list.append(np.zeros(K))
    A = sp.vstack(blocks_a).tocsr()
    cost = np.concatenate([np.zeros(2 * n), comp.weight[cand] * (1.0 + comp.v[cand])])
    a = comp.a[cols]
    lb = np.concatenate([-a, -a, np.zeros(K)])
    ub = np.concatenate([np.full(2 * n, np.inf), np.ones(K)])
    integrality = np.concatenate([np.zeros(2 * n), np.ones(K)])
    constraints = LinearConstraint(A, np.concatenate(lo_list), np.concatenate(hi_list))
    return cost, constraints, Bounds(lb, ub), integrality, cand, S, n


def _protect(comp, hidden, prim, p, threshold, need_up, need_dn, time_limit, cols=None):
    """Cells to hide so that ``p`` can move ``need_up`` up and ``need_dn`` down unseen, with
    only the unknowns ``cols`` moving, and the two perturbed points (feasible for the attacker
    once those cells are hidden); ``None`` when no such pattern was found in time."""
    cost, constraints, bounds, integrality, cand, _, n = _protection_problem(
        comp, hidden, prim, p, threshold, need_up, need_dn, cols
    )
    with highs.quiet_stdout():
        res = milp(
            cost,
            constraints=constraints,
            integrality=integrality,
            bounds=bounds,
            options={
                "time_limit": time_limit,
                "disp": False,
                "node_limit": MILP_NODE_LIMIT,
            },
        )
    if res.status == 1:  # scipy: stopped by the clock, not by the node limit
        log.warning(
            "a suppression MILP stopped after %.0f s, before its %d branch-and-bound nodes: "
            "the pattern may differ from that of a less busy machine",
            time_limit,
            MILP_NODE_LIMIT,
        )
    if res.x is None:
        return None
    add = np.zeros(len(comp.v), bool)
    add[cand[res.x[2 * n :] > 0.5]] = True
    cols = np.arange(comp.n) if cols is None else cols
    points = []
    for k in range(2):
        point = comp.a.copy()
        point[cols] += res.x[k * n : (k + 1) * n]
        points.append(point)
    return add, points


def _protect_relaxed(comp, hidden, prim, p, threshold, need_up, need_dn):
    """No MILP solution in time: the LP relaxation's support is a valid (if larger) pattern."""
    cost, constraints, bounds, integrality, cand, S, n = _protection_problem(
        comp, hidden, prim, p, threshold, need_up, need_dn, None
    )
    res = milp(cost, constraints=constraints, integrality=np.zeros_like(integrality), bounds=bounds)
    if res.x is None:
        return None  # not even with every cell hidden
    add = np.zeros(len(comp.v), bool)
    y_up, y_dn = res.x[:n], res.x[n : 2 * n]
    moved = np.abs(S[cand] @ y_up) + np.abs(S[cand] @ y_dn)
    add[cand[moved > 1e-7]] = True
    return add
