"""The linear model of an edition: every published count as a sum of unknowns.

This is the attacker's view made explicit. Every count cell of every table of the edition is
written as a linear expression in non-negative unknowns ("atoms"), and everything an attacker
knows about how tables hang together becomes a linear constraint:

* a **node** is one population in one margin row (persons in 2019); its total ``T`` is an
  unknown, published by the margin table (``totals``);
* the rows of a non-overlapping table are a partition of the node: they are sums of **atoms**,
  the finest cells of the table's dimension families (``municipality`` for police units and
  provinces, ``age_group`` for minor/adult, every country for nationality groups and the top
  nationalities) and the atoms of a node add up to ``T``. Tables on different levels of one
  hierarchy are therefore linked even when the finest level is never published. Atoms that
  no published cell tells apart are merged (the common refinement), which keeps the model
  small without losing anything an attacker could use;
* a cell of an **overlapping** table (one person in several rows) is an unknown of its own,
  at most ``T``, and the rows together are at least ``T``;
* declared **relations** (``declarations.RELATIONS``) and persons <= registrations per row;
* what a reader knows of a **follow-up curve** (``extra["follow_up"]``): at risk never grows,
  exits never fall, and those that exit between two times were at risk at the first; and of
  an **outcome within windows** (``extra["follow_windows"]``): those followed for a longer
  window were followed for a shorter one, and so on (``_follow_windows``).

The secondary-suppression engine, the rounding engine and the audit all work on this model,
so the engine protects against exactly the attacker the audit plays.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from traffickingmonitor.analysis.tables import MonitorTable, row_positions
from traffickingmonitor.disclosure import declarations as decl

Expr = dict[int, float]


@dataclass(frozen=True)
class CellRef:
    """One published count: table, row position in the table's frame, column, true value."""

    table_id: str
    row: int
    column: str
    value: int


@dataclass(frozen=True)
class Linkage:
    """The linkage fields of a table after defaults and inference."""

    margin_of: str  # "" = a root (its rows are node totals)
    margin_columns: dict
    total_categories: dict
    additive_counts: tuple[str, ...]
    overlapping: bool


@dataclass
class EditionModel:
    n_vars: int
    cells: list[CellRef]
    exprs: list[Expr]
    eq: list[Expr]  # sum == 0
    le: list[tuple[Expr, float]]  # sum <= rhs
    value: np.ndarray  # a point consistent with every true count
    linkage: dict[str, Linkage]
    notes: list[str] = field(default_factory=list)
    cell_index: dict[tuple[str, int, str], int] = field(default_factory=dict)

    def matrix(self, rows: list[Expr]) -> sp.csr_matrix:
        data, ri, ci = [], [], []
        for r, e in enumerate(rows):
            for c, v in e.items():
                ri.append(r)
                ci.append(c)
                data.append(v)
        return sp.csr_matrix((data, (ri, ci)), shape=(len(rows), self.n_vars))

    def components(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Independent parts: (variable indices, cell indices) that share no constraint."""
        rows = [*self.exprs, *self.eq, *(e for e, _ in self.le)]
        m = self.matrix(rows).tocsr()
        m.data[:] = 1
        n = self.n_vars
        graph = sp.bmat([[None, m.T], [m, None]]).tocsr()
        _, labels = connected_components(graph, directed=False)
        var_label = labels[:n]  # bmat order: the variables first, then the rows
        cell_label = labels[n : n + len(self.exprs)]
        out = []
        for lab in np.unique(cell_label):
            out.append((np.flatnonzero(var_label == lab), np.flatnonzero(cell_label == lab)))
        return out


def _matching(frame: pd.DataFrame, where: dict) -> list[int]:
    mask = np.ones(len(frame), bool)
    for d, v in where.items():
        if d not in frame:
            return []
        mask &= frame[d].astype(str).to_numpy() == str(v)
    return [int(p) for p in np.flatnonzero(mask)]


def fewest_registrations(table: MonitorTable, pos: int) -> float:
    """The fewest registrations a person counted in row ``pos`` of ``table`` has (1 unless
    the table declares more per category, as the number of reporting organisations does)."""
    for dim, at_least in table.extra.get("registrations_per_person", {}).items():
        return float(at_least.get(str(table.frame[dim].iloc[pos]), 1))
    return 1.0


def resolve_linkage(tables: dict[str, MonitorTable]) -> dict[str, Linkage]:
    """Explicit table fields, else ``declarations.TABLE_DEFAULTS``, else inference."""
    out = {}
    for tid, t in tables.items():
        defaults = decl.TABLE_DEFAULTS.get(tid, {})
        margin = t.margin_of if t.margin_of is not None else defaults.get("margin_of")
        if margin is None:
            totals = tables.get("totals")
            margin = (
                "totals"
                if tid != "totals"
                and totals is not None
                and set(totals.dimensions) <= set(t.dimensions)
                and set(totals.dimensions) != set(t.dimensions)
                else ""
            )
        if margin and margin not in tables:
            margin = ""
        out[tid] = Linkage(
            margin_of=margin,
            margin_columns=dict(t.margin_columns or defaults.get("margin_columns", {})),
            total_categories=dict(t.total_categories or defaults.get("total_categories", {})),
            additive_counts=tuple(t.additive_counts or defaults.get("additive_counts", ())),
            overlapping=t.overlapping,
        )
    return out


def _root(tid: str, linkage: dict[str, Linkage]) -> str:
    seen = set()
    while linkage[tid].margin_of and tid not in seen:
        seen.add(tid)
        tid = linkage[tid].margin_of
    return tid


def _family(dim: str) -> str:
    h = decl.hierarchy_of(dim)
    return h.family if h else f"dim:{dim}"


def _int(v) -> int | None:
    try:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        return int(v)
    except (TypeError, ValueError):
        return None


class _Builder:
    def __init__(
        self, tables: dict[str, MonitorTable], found: tuple = (), pin_from: int | None = None
    ):
        self.tables = tables
        self.found = found
        self.pin_from = pin_from
        self.linkage = resolve_linkage(tables)
        self.n = 0
        self.cells: list[CellRef] = []
        self.exprs: list[Expr] = []
        self.eq: list[Expr] = []
        self.le: list[tuple[Expr, float]] = []
        self.notes: list[str] = []
        self.node_total: dict[tuple, int] = {}
        self.cell_at: dict[tuple[str, int, str], int] = {}

    def var(self) -> int:
        self.n += 1
        return self.n - 1

    def add_cell(self, tid: str, row: int, column: str, value: int, expr: Expr) -> None:
        self.cell_at[(tid, row, column)] = len(self.cells)
        self.cells.append(CellRef(tid, row, column, value))
        self.exprs.append(expr)

    # --- nodes ----------------------------------------------------------------------------

    def population(self, tid: str, column: str) -> tuple[str, str, tuple[str, ...]]:
        """(root table, root column, node dimensions) of a count column."""
        root = _root(tid, self.linkage)
        col, t = column, tid
        while t != root:
            col = self.linkage[t].margin_columns.get(col, col)
            t = self.linkage[t].margin_of
        if root == tid or col not in self.tables[root].counts:
            # a column the margin table does not have: a population of its own
            return (tid, column, self._own_node_dims(tid))
        return (root, col, tuple(self.tables[root].dimensions))

    def _own_node_dims(self, tid: str) -> tuple[str, ...]:
        t = self.tables[tid]
        if any(lk.margin_of == tid for other, lk in self.linkage.items() if other != tid):
            return tuple(t.dimensions)  # a margin table: each of its rows is a node
        return ("year",) if "year" in t.dimensions else ()

    def node(self, pop: tuple, key: tuple) -> int:
        k = (pop[0], pop[1], key)
        if k not in self.node_total:
            self.node_total[k] = self.var()
        return self.node_total[k]

    # --- building -------------------------------------------------------------------------

    def build(self) -> EditionModel:
        # rows grouped per node: node -> list of (tid, column, row position, extra dims)
        members: dict[tuple, list] = defaultdict(list)
        for tid, t in self.tables.items():
            frame = t.frame.reset_index(drop=True)
            # rows that repeat another table's cells get that cell (``_same_cells``)
            # (a row that is a part of its own table's areas keeps its place among them and
            # is made equal to the other cell: ``"in_hierarchy": True``)
            repeated = {
                (r["column"], pos)
                for r in t.extra.get("same_cells", ())
                if not r.get("in_hierarchy")
                for pos in _matching(frame, r.get("where", {}))
            }
            for column in t.counts:
                if column not in frame:
                    continue
                pop = self.population(tid, column)
                node_dims = [d for d in pop[2] if d in frame.columns]
                extra = [d for d in t.dimensions if d not in node_dims]
                for pos, row in enumerate(frame.itertuples(index=False)):
                    rec = row._asdict()
                    value = _int(rec.get(column))
                    if value is None or (column, pos) in repeated:
                        continue
                    key = tuple(rec[d] for d in node_dims)
                    members[(pop, key)].append((tid, column, pos, value, rec, tuple(extra)))
        for (pop, key), rows in members.items():
            self._node(pop, key, rows)
        self._relations()
        self._same_cells()
        self._follow_up()
        self._follow_windows()
        self._adds_to()
        self._unions()
        self._ordered_columns()
        self._found_relations()
        value = self._feasible_point()
        return EditionModel(
            self.n,
            self.cells,
            self.exprs,
            self.eq,
            self.le,
            value,
            self.linkage,
            self.notes,
            self.cell_at,
        )

    def _node(self, pop: tuple, key: tuple, rows: list) -> None:
        total = self.node(pop, key)
        by_table: dict[tuple[str, str], list] = defaultdict(list)
        for r in rows:
            by_table[(r[0], r[1])].append(r)
        partition: list[tuple[str, str, list]] = []
        for (tid, column), trs in by_table.items():
            lk = self.linkage[tid]
            extra = trs[0][5]
            if not extra:  # the node's own total (the margin table, or a repeat of it)
                for tid_, col_, pos, value, _, _ in trs:
                    self.add_cell(tid_, pos, col_, value, {total: 1.0})
                continue
            totals = lk.total_categories
            whole = [r for r in trs if all(_is_total(totals, d, r[4][d]) for d in extra)]
            for tid_, col_, pos, value, _, _ in whole:  # rows that repeat the node total
                self.add_cell(tid_, pos, col_, value, {total: 1.0})
            trs = [r for r in trs if r not in whole]
            if not trs:
                continue
            if lk.overlapping and column not in lk.additive_counts:
                self._overlapping(total, trs, totals)
                continue
            inner = [r for r in trs if not any(_is_total(totals, d, r[4][d]) for d in extra)]
            node_value = self._node_value(pop, key)
            if inner and node_value is not None and sum(r[3] for r in inner) != node_value:
                self.notes.append(
                    f"{tid}.{column} {key}: rows add up to {sum(r[3] for r in inner)}, "
                    f"not to the margin {node_value}: treated as overlapping"
                )
                self._overlapping(total, trs, totals)
                continue
            partition.append((tid, column, trs))
        if partition:
            self._partition(total, partition)

    def _node_value(self, pop: tuple, key: tuple) -> int | None:
        root, col, dims = pop
        t = self.tables.get(root)
        if t is None or col not in t.frame or root not in self.linkage:
            return None
        if self.linkage[root].margin_of:
            return None
        f = t.frame
        used = [(d, v) for d, v in zip(dims, key, strict=False) if d in f]
        if any(pd.isna(v) for _, v in used):
            return None  # equal to no row
        hits = self._rows_by(root, tuple(d for d, _ in used)).get(tuple(v for _, v in used), ())
        return _int(f[col].iloc[hits[0]]) if len(hits) == 1 else None

    def _rows_by(self, tid: str, dims: tuple[str, ...]) -> dict[tuple, list[int]]:
        """Row positions of table ``tid`` by their values of ``dims``, made once per build:
        each node asks its margin (a missing value is never asked: ``_node_value``)."""
        cache = self.__dict__.setdefault("_rows_by_cache", {})
        if (tid, dims) not in cache:
            cache[(tid, dims)] = row_positions(self.tables[tid].frame, dims)
        return cache[(tid, dims)]

    def _overlapping(self, total: int, trs: list, totals: dict) -> None:
        fresh = []
        for tid, column, pos, value, rec, extra in trs:
            if any(_is_total(totals, d, rec[d]) for d in extra):
                self.add_cell(tid, pos, column, value, {total: 1.0})
                continue
            v = self.var()
            fresh.append(v)
            self.add_cell(tid, pos, column, value, {v: 1.0})
            self.le.append(({v: 1.0, total: -1.0}, 0.0))
        if fresh:
            # every person is in at least one row (the categories include "unknown")
            self.le.append(({total: 1.0, **{v: -1.0 for v in fresh}}, 0.0))

    def _partition(self, total: int, partition: list) -> None:
        # families used together in one table share a block (their cross-classification)
        fam_sets = []
        for _, _, trs in partition:
            fam_sets.append(frozenset(_family(d) for d in trs[0][5]))
        blocks: list[set] = []
        for fs in fam_sets:
            merged = set(fs)
            for b in [b for b in blocks if b & merged]:
                merged |= b
                blocks.remove(b)
            blocks.append(merged)
        for block in blocks:
            members = [p for p, fs in zip(partition, fam_sets, strict=True) if fs <= block]
            self._block(total, sorted(block), members)

    def _universe(self, family: str, members: list) -> list[str]:
        h = next((h for h in decl.HIERARCHIES if h.family == family), None)
        seen: list[str] = []
        for tid, _, trs in members:
            totals = self.linkage[tid].total_categories
            for r in trs:
                for d in r[5]:
                    if (
                        _family(d) == family
                        and not _is_total(totals, d, r[4][d])
                        and (h is None or d == h.base)
                    ):
                        seen.append(str(r[4][d]))
        if h is None:
            return list(dict.fromkeys(seen))
        atoms = list(dict.fromkeys(h.atoms()))
        known = set(atoms)
        extra = [c for c in dict.fromkeys(seen) if c not in known and c != h.residual]
        return atoms + extra

    def _cover(self, family, universe, dim, cat, totals, named) -> np.ndarray:
        if _is_total(totals, dim, cat):
            return np.ones(len(universe), bool)
        h = next((h for h in decl.HIERARCHIES if h.family == family), None)
        cat = str(cat)
        if h is None or dim == h.base:
            if h is not None and cat == h.residual:
                return ~np.isin(universe, list(named))
            return np.asarray([a == cat for a in universe])
        return self._parents(h, dim, tuple(universe)) == cat

    def _parents(self, h, dim: str, universe: tuple) -> np.ndarray:
        key = (h.family, dim, universe)
        cache = self.__dict__.setdefault("_parent_cache", {})
        if key not in cache:
            base = set(h.atoms())
            cache[key] = np.asarray([str(h.parent(dim, a)) if a in base else a for a in universe])
        return cache[key]

    def _block(self, total: int, families: list[str], members: list) -> None:
        universes = {f: self._universe(f, members) for f in families}
        masks, refs = [], []
        for tid, _column, trs in members:
            totals = self.linkage[tid].total_categories
            dims = trs[0][5]
            named = {d: {str(r[4][d]) for r in trs} for d in dims}
            for r in trs:
                per_family = []
                for f in families:
                    d = next((d for d in dims if _family(d) == f), None)
                    if d is None:
                        per_family.append(np.ones(len(universes[f]), bool))
                    else:
                        per_family.append(
                            self._cover(f, universes[f], d, r[4][d], totals, named[d])
                        )
                mask = per_family[0]
                for m in per_family[1:]:
                    mask = np.logical_and.outer(mask, m).ravel()
                masks.append(mask)
                refs.append(r)
        if not masks:
            return
        matrix = np.vstack(masks)  # cells x atoms
        packed = np.packbits(matrix, axis=0).T  # atoms x bytes
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        atom_vars = [self.var() for _ in range(len(first))]
        self.eq.append({**{v: 1.0 for v in atom_vars}, total: -1.0})
        for i, (tid, column, pos, value, _, _) in enumerate(refs):
            merged = np.unique(inverse[matrix[i]])
            self.add_cell(tid, pos, column, value, {atom_vars[j]: 1.0 for j in merged})

    # --- relations ------------------------------------------------------------------------

    def _rows_of(self, tid: str, where: dict, column: str) -> dict[tuple, int]:
        """margin key -> cell index of the row matching ``where`` in each margin row."""
        t = self.tables.get(tid)
        if t is None or column not in t.counts:
            return {}
        pop = self.population(tid, column)
        frame = t.frame.reset_index(drop=True)
        mask = pd.Series(True, index=frame.index)
        for d, v in where.items():
            if d not in frame:
                return {}
            mask &= frame[d] == v
        out = {}
        for pos in np.flatnonzero(mask.to_numpy()):
            key = tuple(frame.at[pos, d] for d in pop[2] if d in frame.columns)
            idx = self.cell_at.get((tid, int(pos), column))
            if idx is not None:
                out[key] = idx
        return out

    def _relations(self) -> None:
        for rel in decl.RELATIONS:
            for col in rel.columns:
                resolved = [
                    (term, self._rows_of(term.table_id, term.where, term.column or col))
                    for term in rel.terms
                ]
                if any(not rows for _, rows in resolved):
                    continue
                keys = set.intersection(*(set(rows) for _, rows in resolved))
                for key in keys:
                    expr: Expr = defaultdict(float)
                    for term, rows in resolved:
                        for v, c in self.exprs[rows[key]].items():
                            expr[v] += term.coef * c
                    expr = {v: c for v, c in expr.items() if abs(c) > 1e-12}
                    if not expr:
                        continue
                    if rel.sense == "eq":
                        self.eq.append(expr)
                    else:
                        self.le.append((expr, 0.0))

    def _same_cells(self) -> None:
        """One number, one cell: a count a table repeats from another table (a programme
        indicator that is a monitor figure) is that table's cell, hidden with it.

        Declared by the repeating table as ``extra["same_cells"]``: a list of ``{"column",
        "where" (its own rows), "table", "as" (the other table's rows), "as_column"}``; rows
        pair up on the dimensions both tables have. A repeating row is the other table's
        cell; with ``"in_hierarchy": True`` it keeps its own place among its table's areas
        (a police unit's persons of a year are one of the year's areas, which add up to the
        year's persons) and is made equal to the other cell.
        """
        for tid, t in self.tables.items():
            frame = t.frame.reset_index(drop=True)
            for rule in t.extra.get("same_cells", ()):
                other = self.tables.get(rule["table"])
                if other is None or rule["column"] not in frame:
                    continue
                shared = [d for d in t.dimensions if d in other.dimensions]
                theirs = other.frame.reset_index(drop=True)
                for pos in _matching(frame, rule.get("where", {})):
                    value = _int(frame.at[pos, rule["column"]])
                    if value is None:
                        continue
                    key = {d: frame.at[pos, d] for d in shared}
                    hits = _matching(theirs, {**rule.get("as", {}), **key})
                    idx = (
                        self.cell_at.get((rule["table"], hits[0], rule["as_column"]))
                        if len(hits) == 1
                        else None
                    )
                    if idx is None or self.cells[idx].value != value:
                        raise ValueError(
                            f"{tid}.{rule['column']} {key}: declared the same as "
                            f"{rule['table']}.{rule['as_column']}, but no single cell of that "
                            "table has its value"
                        )
                    own = self.cell_at.get((tid, pos, rule["column"]))
                    if own is None:
                        self.add_cell(tid, pos, rule["column"], value, dict(self.exprs[idx]))
                        continue
                    # both cells keep their relations; they are one number
                    expr = dict(self.exprs[own])
                    for v, c in self.exprs[idx].items():
                        expr[v] = expr.get(v, 0.0) - c
                    expr = {v: c for v, c in expr.items() if abs(c) > 1e-12}
                    if expr:
                        self.eq.append(expr)

    def _adds_to(self) -> None:
        """Rows that together count another table's cell (``extra["adds_to"]``): a list of
        ``{"columns", "by" (dimensions both tables have), "table", "as_column"}``. The areas
        of a year, "unknown" included, are all persons of that year in ``totals``: a reader
        who knows the year's total subtracts the shown areas from it."""
        pinned: set[int] = set()
        for tid, t in self.tables.items():
            frame = t.frame.reset_index(drop=True)
            for rule in t.extra.get("adds_to", ()):
                other = self.tables.get(rule["table"])
                if other is None:
                    continue
                theirs = other.frame.reset_index(drop=True)
                by = list(rule["by"])
                groups: dict[tuple, list[int]] = defaultdict(list)
                for pos in range(len(frame)):
                    groups[tuple(frame.at[pos, d] for d in by)].append(pos)
                for column in rule["columns"]:
                    for key, positions in groups.items():
                        hits = _matching(theirs, dict(zip(by, key, strict=True)))
                        target = (
                            self.cell_at.get((rule["table"], hits[0], rule["as_column"]))
                            if len(hits) == 1
                            else None
                        )
                        parts = [self.cell_at.get((tid, p, column)) for p in positions]
                        if target is None or None in parts:
                            continue
                        if sum(self.cells[i].value for i in parts) != self.cells[target].value:
                            raise ValueError(
                                f"{tid}.{column} {dict(zip(by, key, strict=True))}: declared to "
                                f"add up to {rule['table']}.{rule['as_column']}, but does not"
                            )
                        expr: Expr = defaultdict(float)
                        for i in parts:
                            for v, c in self.exprs[i].items():
                                expr[v] += c
                        self._add_up(dict(expr), target, pinned)

    def _add_up(self, parts: Expr, target: int, pinned: set[int]) -> None:
        """``parts`` (an expression) = cell ``target``. For suppression, a target of
        ``pin_from`` (the threshold) or more, a year's persons, is held at its value and the
        parts' sum with it, instead of tying the parts to its unknowns: stricter (the engine
        can neither move that cell nor hide something behind it), and it keeps the local
        figures a component of their own, so their protection stays near each cell. A
        smaller target, and every target when nothing is pinned (rounding, whose cells move
        by design), is tied to its unknowns."""
        value = float(self.cells[target].value)
        if self.pin_from is None or value < self.pin_from:
            expr = dict(parts)
            for v, c in self.exprs[target].items():
                expr[v] = expr.get(v, 0.0) - c
            expr = {v: c for v, c in expr.items() if abs(c) > 1e-12}
            if expr:
                self.eq.append(expr)
            return
        pins = [parts] if target in pinned else [parts, dict(self.exprs[target])]
        pinned.add(target)
        for expr in pins:
            self.le.append((expr, value))
            self.le.append(({v: -c for v, c in expr.items()}, -value))

    def _unions(self) -> None:
        """Rows that count everyone of the other rows at least once (``extra["union_rows"]``:
        dimension -> category, e.g. any offence): each row <= the union <= their sum."""
        for tid, t in self.tables.items():
            frame = t.frame.reset_index(drop=True)
            for dim, union in t.extra.get("union_rows", {}).items():
                rest = [d for d in t.dimensions if d != dim]
                for _, group in frame.groupby(rest, sort=False) if rest else [(None, frame)]:
                    is_union = group[dim] == union
                    for column in t.counts:
                        top = [
                            self.cell_at.get((tid, int(p), column)) for p in group.index[is_union]
                        ]
                        parts = [
                            self.cell_at.get((tid, int(p), column)) for p in group.index[~is_union]
                        ]
                        parts = [i for i in parts if i is not None]
                        if len(top) != 1 or top[0] is None or not parts:
                            continue
                        for i in parts:
                            self._le_difference(i, top[0])
                        self._le_difference(top[0], *parts)

    def _follow_up(self) -> None:
        """What a reader knows of a follow-up curve (``extra["follow_up"]``: the time
        dimension, the at-risk column, the exit columns), per curve (the rows that agree on
        every other dimension), its times in order t0 < t1 < ...: at risk never grows, an exit
        column never falls, and the units that exit in (ti, tj] were at risk at ti and are
        no longer at tj+1, so

            sum over exits of (exit(tj) - exit(ti)) + at_risk(tj+1) <= at_risk(ti).

        At risk at a time counts those followed up to that day, an exit counts from its day
        on: an exit on the day of tj is in both at_risk(tj) and exit(tj), so at risk falls by
        less than the exits, and no relation here compares the two at one time."""
        for at_risk, *exits in self._over_time("follow_up", lambda s: (s["at_risk"], *s["exits"])):
            n = len(at_risk)
            for k in range(n - 1):
                self._at_most([(at_risk[k + 1], 1)], [(at_risk[k], 1)])
                for ex in exits:
                    self._at_most([(ex[k], 1)], [(ex[k + 1], 1)])
            for i in range(n):
                for j in range(i + 1, n - 1):
                    left = [(ex[j], 1) for ex in exits] + [(ex[i], -1) for ex in exits]
                    self._at_most([*left, (at_risk[j + 1], 1)], [(at_risk[i], 1)])

    def _over_time(self, key: str, columns):
        """Per group of rows of a table declaring ``extra[key]`` (the rows that agree on every
        dimension but its ``time``): the cells of each column of ``columns(spec)``, in order
        of time."""
        for tid, t in self.tables.items():
            spec = t.extra.get(key)
            if not spec or spec["time"] not in t.frame:
                continue
            frame = t.frame.reset_index(drop=True)
            others = [d for d in t.dimensions if d != spec["time"]]
            groups = frame.groupby(others, sort=False).indices if others else {(): frame.index}
            for positions in groups.values():
                order = sorted(positions, key=lambda p: float(frame.at[p, spec["time"]]))
                yield [
                    [self.cell_at.get((tid, int(p), column)) for p in order]
                    for column in columns(spec)
                ]

    def _follow_windows(self) -> None:
        """What a reader knows of an outcome within windows (``extra["follow_windows"]``: the
        time dimension, the column of those followed at least that long and the column of
        those among them with the outcome within it), per group, its windows d0 < d1 < ...:

        * followed(dj) <= followed(di) and within(di) <= followed(di);
        * within(di) - within(dj) <= followed(di) - followed(dj): those counted within di and
          not within dj are no longer followed at dj (read the other way: those followed to
          dj without the outcome were followed to di without it).

        Nothing bounds within(dj) - within(di) but followed(dj): anyone may have the outcome
        between two windows."""
        for followed, within in self._over_time(
            "follow_windows", lambda s: (s["followed"], s["within"])
        ):
            for i in range(len(followed)):
                self._at_most([(within[i], 1)], [(followed[i], 1)])
                for j in range(i + 1, len(followed)):
                    self._at_most([(followed[j], 1)], [(followed[i], 1)])
                    self._at_most(
                        [(within[i], 1), (followed[j], 1)], [(within[j], 1), (followed[i], 1)]
                    )

    def _at_most(self, small: list[tuple], large: list[tuple]) -> None:
        """sum(coef x cell) of ``small`` <= that of ``large``; nothing where a cell of
        either is no count cell of the model (a symbol that is no number)."""
        if any(idx is None for idx, _ in (*small, *large)):
            return
        expr: Expr = defaultdict(float)
        for terms, sign in ((small, 1), (large, -1)):
            for idx, coef in terms:
                for v, c in self.exprs[idx].items():
                    expr[v] += sign * coef * c
        expr = {v: c for v, c in expr.items() if abs(c) > 1e-12}
        if expr:
            self.le.append((expr, 0.0))

    def _le_difference(self, small: int, *large: int) -> None:
        """cell ``small`` <= the sum of cells ``large``."""
        self._at_most([(small, 1)], [(i, 1) for i in large])

    def _ordered_columns(self) -> None:
        for small, large in decl.ORDERED_COLUMNS:
            for (tid, pos, col), idx in list(self.cell_at.items()):
                if col != small:
                    continue
                other = self.cell_at.get((tid, pos, large))
                if other is None:
                    continue
                # k x persons <= registrations where every person of the row has at least k
                # (``extra["registrations_per_person"]``: "2 organisations" means 2 reports)
                k = fewest_registrations(self.tables[tid], pos)
                self._at_most([(idx, k)], [(other, 1)])

    def _found_relations(self) -> None:
        """Relations the attacker from the microdata found (``atoms.Relation``: ``sum(coef x
        cell) >= 0``), so that the engine protects against them, too."""
        for relation in self.found:
            expr: Expr = defaultdict(float)
            for key, coef in relation.terms:
                idx = self.cell_at.get(key)
                if idx is None:
                    raise ValueError(f"a found relation names {key}, which is no count cell")
                for v, c in self.exprs[idx].items():
                    expr[v] -= coef * c
            expr = {v: c for v, c in expr.items() if abs(c) > 1e-12}
            if expr:
                # the true counts satisfy it up to the solver's tolerance
                self.le.append((expr, 1e-6))

    def _feasible_point(self) -> np.ndarray:
        """Values of the unknowns that reproduce every true count (any such point will do)."""
        from scipy.optimize import linprog

        if self.n == 0:
            return np.zeros(0)
        a_eq = sp.vstack([_mat(self.exprs, self.n), _mat(self.eq, self.n)]).tocsr()
        b_eq = np.concatenate(
            [np.asarray([c.value for c in self.cells], float), np.zeros(len(self.eq))]
        )
        a_ub = _mat([e for e, _ in self.le], self.n) if self.le else None
        b_ub = np.asarray([r for _, r in self.le], float) if self.le else None
        res = linprog(
            np.zeros(self.n),
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0:
            raise ValueError(
                "the tables of the edition contradict their declared linkage "
                f"(no consistent solution: {res.message})"
            )
        return res.x


def _mat(rows: list[Expr], n: int) -> sp.csr_matrix:
    data, ri, ci = [], [], []
    for r, e in enumerate(rows):
        for c, v in e.items():
            ri.append(r)
            ci.append(c)
            data.append(v)
    return sp.csr_matrix((data, (ri, ci)), shape=(len(rows), n))


def _is_total(totals: dict, dim: str, cat) -> bool:
    t = totals.get(dim)
    return t is not None and (t == decl.ANY or cat == t)


def build_model(
    tables: dict[str, MonitorTable], found: tuple = (), pin_from: int | None = None
) -> EditionModel:
    """The linear model of all count cells of an edition's tables, with the relations
    ``found`` by the attacker from the microdata (:class:`atoms.Relation`). ``pin_from``:
    the suppression threshold, from which a cell that rows add up to is held at its value
    (``adds_to``); None ties the rows to it."""
    return _Builder(tables, tuple(found), pin_from).build()
