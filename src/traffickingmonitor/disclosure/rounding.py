"""Controlled rounding of all tables of an edition (base 5, margins still additive).

Every count becomes one of the two multiples of the base next to it (a multiple stays as it
is, so a 0 is a true 0), chosen by a mixed-integer program on HiGHS so that everything the
:mod:`model` says adds up still adds up with the rounded numbers: rows to their margins,
police units and provinces to the national total, "all" to its groups, in every table at
once. Among those roundings the one closest to the true counts is taken.

An attacker then knows each true count only to within ``base - 1`` either way, and the
linear relations between tables no longer narrow that down, because the rounded numbers
satisfy them too. Controlled rounding does not always exist for linked tables; if not, the
engine drops the inequality relations first, and as a last resort rounds each cell to the
nearest multiple (margins may then differ from the sum of rows by a few units: noted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure import highs
from traffickingmonitor.disclosure.model import EditionModel, _mat, build_model
from traffickingmonitor.disclosure.primary import ROUNDED, ProtectedTable, _make, _rounded_estimates
from traffickingmonitor.disclosure.rule import DisclosureRule
from traffickingmonitor.disclosure.secondary import _groups

TIME_LIMIT = 20.0


def controlled_rounding(
    model: EditionModel, base: int, time_limit: float = TIME_LIMIT
) -> tuple[np.ndarray, list[str]]:
    """Rounded value per model cell, and notes on any relation that could not be kept."""
    group_of, groups = _groups(model)
    rounded_group = np.zeros(len(groups))
    notes: list[str] = []
    for var_idx, cell_idx in model.components():
        local = {v: i for i, v in enumerate(var_idx)}
        n = len(var_idx)
        gids = sorted({int(group_of[c]) for c in cell_idx})
        v = np.asarray([model.cells[groups[g][0]].value for g in gids], float)
        S = _mat([{local[x]: c for x, c in model.exprs[groups[g][0]].items()} for g in gids], n)
        var_set = set(int(x) for x in var_idx)
        E = _mat(
            [{local[x]: c for x, c in e.items()} for e in model.eq if next(iter(e)) in var_set], n
        )
        le = [(e, r) for e, r in model.le if next(iter(e)) in var_set]
        H = _mat([{local[x]: c for x, c in e.items()} for e, _ in le], n)
        h = np.asarray([r for _, r in le], float)
        low = np.floor(v / base) * base
        free = v != low  # a multiple of the base stays as it is
        for keep_le in (True, False):
            r = _solve(S, E, H if keep_le else None, h, v, low, free, base, time_limit)
            if r is not None:
                if not keep_le:
                    notes.append("rounding: inequality relations between tables not kept")
                break
        else:
            notes.append("rounding: no controlled rounding exists; rounded cell by cell")
            r = np.round(v / base) * base
        rounded_group[gids] = r
    return rounded_group[group_of], notes


def _solve(S, E, H, h, v, low, free, base, time_limit) -> np.ndarray | None:
    """Unknowns z >= 0 (not published) and a 0/1 per cell: up or down."""
    n, G = S.shape[1], S.shape[0]
    idx = np.flatnonzero(free)
    K = len(idx)
    # S z - base * D delta = low   (D picks the free cells)
    D = sp.csr_matrix((np.full(K, -float(base)), (idx, np.arange(K))), shape=(G, K))
    blocks = [sp.hstack([S, D])]
    lo, hi = [low], [low]
    if E.shape[0]:
        blocks.append(sp.hstack([E, sp.csr_matrix((E.shape[0], K))]))
        lo.append(np.zeros(E.shape[0]))
        hi.append(np.zeros(E.shape[0]))
    if H is not None and H.shape[0]:
        blocks.append(sp.hstack([H, sp.csr_matrix((H.shape[0], K))]))
        lo.append(np.full(H.shape[0], -np.inf))
        hi.append(h)
    # cost: distance to the true value (up costs low + base - v, down costs v - low)
    up_minus_down = (low[idx] + base - v[idx]) - (v[idx] - low[idx])
    cost = np.concatenate([np.zeros(n), up_minus_down])
    x = highs.solve_milp(
        cost,
        sp.vstack(blocks),
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(hi),
        col_lower=np.zeros(n + K),
        col_upper=np.concatenate([np.full(n, np.inf), np.ones(K)]),
        integer=np.concatenate([np.zeros(n, bool), np.ones(K, bool)]),
        time_limit=time_limit,
    )
    if x is None:
        return None
    out = low.copy()
    out[idx] += base * np.round(x[n:])
    return out


def protect_rounded(
    tables: dict[str, MonitorTable], rule: DisclosureRule
) -> tuple[dict[str, ProtectedTable], EditionModel]:
    model = build_model(tables)
    rounded, notes = controlled_rounding(model, rule.rounding_base)
    model.notes.extend(notes)
    values: dict[str, pd.DataFrame] = {}
    for (tid, row, col), idx in model.cell_index.items():
        frame = values.setdefault(tid, tables[tid].frame.reset_index(drop=True).copy())
        frame.loc[row, col] = int(rounded[idx])
    protected = {}
    for tid, table in tables.items():
        frame = values.get(tid, table.frame.reset_index(drop=True).copy())
        frame.index = table.frame.index
        cols = [*table.counts, *table.estimates]
        suppressed = pd.DataFrame(False, index=frame.index, columns=cols)
        status = pd.DataFrame("", index=frame.index, columns=cols, dtype=object)
        for col in table.counts:
            # a count outside the model (not a number) is not published
            frame[col] = frame[col].astype(object)
            status[col] = ROUNDED
        for col in table.estimates:
            frame[col] = _rounded_estimates(table.frame[col], rule)
            status[col] = ROUNDED
        protected[tid] = _make(table, frame, suppressed, rule, status)
    return protected, model
