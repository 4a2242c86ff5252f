"""The attacker from the microdata: every published count as a sum of atoms.

Written apart from the engine's model (:mod:`model`, which declares how tables hang together):
here nothing is declared. Every count cell is a count of units (persons, registrations) that
satisfy a predicate on the edition's microdata (:mod:`traffickingmonitor.analysis.members`).
An **atom** is a set of units of one kind that are counted in exactly the same cells with the
same weights; every cell is the weighted sum of the sizes of its atoms, so every linear relation
between published numbers, across tables, chapters and channels, is in the model at once.

The attacker knows every published number and symbol: a number is itself, ``<10`` is 1..9, an
``x`` in a table that shows small counts as ``<10`` is 0 or at least 10 (integer reasoning by
bound propagation), any other ``x`` is a count; persons <= registrations in a row that counts
both, and the fewest registrations per person a table declares. It does not know the atoms'
sizes: those are its unknowns. What it knows of which atoms exist is its *view*
(:data:`VIEWS`). Across the whole edition (``edition``) it knows every combination of cells
that does not occur, which no reader knows: it is stronger than any reader, so what it cannot
recover, no linear reasoning on the published numbers can. Within each table (``tables``, the
default, :class:`Blocks`) it knows less: tables are linked by the persons per year and by
figures repeated under another name, nearer to what a reader knows of the definitions.

It does not cover non-linear inference (from estimates, percentages or model results), nor
tables whose members cannot be made from the microdata (they are reported "not attacked").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from traffickingmonitor.analysis.tables import KNOWLEDGE
from traffickingmonitor.disclosure import highs
from traffickingmonitor.disclosure.primary import small_symbol

TOL = 1e-6
#: random weightings of the hidden cells solved before any cell's own LPs
EXPLORE_DIRECTIONS = 4


@dataclass
class Sheet:
    """One published table as the attacker reads it: its cells as strings, per row and
    count column, and what its metadata says."""

    table_id: str
    cells: pd.DataFrame  # count columns only, as published ("12", "<10", "x", "")
    x_not_small: bool = False  # the table shows small counts as <10
    #: what the table's metadata says of its cells (``analysis.tables.KNOWLEDGE``)
    knowledge: dict = field(default_factory=dict)
    frame: pd.DataFrame | None = None  # the whole published frame (dimensions)
    dimensions: tuple[str, ...] = ()
    #: published without a number (``primary.withhold``): only its counts from 1 to
    #: threshold-1 are judged, since the others may be what other tables show
    withheld: bool = False


@dataclass
class Verdict:
    table_id: str
    attacked: bool
    hidden: int = 0
    recovered: list[str] = field(default_factory=list)
    why: str = ""  # why not attacked
    narrowest: float = math.inf
    withheld: bool = False  # publishes no number: only its small counts are judged

    @property
    def ok(self) -> bool:
        return self.attacked and not self.recovered

    def line(self) -> str:
        if self.withheld and self.attacked and not self.recovered:
            return (
                f"withheld (no number published): {self.hidden} small counts attacked, 0 recovered"
            )
        if not self.attacked:
            return f"not attacked ({self.why})"
        if self.recovered:
            return f"recovered: {'; '.join(self.recovered[:3])}" + (
                f" (+{len(self.recovered) - 3} more)" if len(self.recovered) > 3 else ""
            )
        return f"attacked: {self.hidden} hidden, 0 recovered"


def sheets_of(protected: dict) -> dict[str, Sheet]:
    """The count tables of protected tables as a reader sees them."""
    out = {}
    for tid, p in protected.items():
        counts = [c for c in p.spec.counts if c in p.frame]
        if counts:
            out[tid] = Sheet(
                tid,
                p.frame[counts].map(lambda v: "" if v is None else str(v)),
                small_symbol(p.spec) and not p.withheld,  # withheld: every cell x
                {k: p.spec.extra[k] for k in KNOWLEDGE if k in p.spec.extra},
                p.frame,
                tuple(p.spec.dimensions),
                p.withheld,
            )
    return out


def _number(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


#: a cell of the published tables: (table, row position, count column)
CellKey = tuple[str, int, str]


@dataclass(frozen=True)
class Relation:
    """``sum(coef x cell) >= 0`` over published cells, true of every edition whose cells are
    sums of these atoms (non-negative sizes): what the attacker used to narrow a cell, for
    the engine to protect against (:func:`~traffickingmonitor.disclosure.model.build_model`)."""

    terms: tuple[tuple[CellKey, float], ...]

    def at(self, values: dict[CellKey, float]) -> float:
        return sum(c * values[key] for key, c in self.terms)


@dataclass(frozen=True)
class Blocks:
    """Tables an attacker reads together, and how it links them.

    Within a block (one table, unless ``of`` groups tables) the attacker knows which
    combinations of cells occur, as the atoms do; across blocks it knows only that they count
    the same units: a unit's cells in the ``key`` table (persons and registrations by year)
    are the same in every block, and a figure repeated under another name is one cell.
    Blocks are independent given the key, so any counts that agree on the key are a possible
    edition (each block's atoms times the key's shares): a reader's view of combinations that
    no table shows, instead of the whole edition's knowledge that they are empty.
    """

    of: Mapping[str, str]  # table id -> block (a table not named is a block of its own)
    key: str = "totals"
    #: cells of two blocks counting the very same units, at least this many, are one figure
    #: under two names (a reader knows the definitions), and so are the smaller ones of the
    #: same two tables; other small coincidences may be chance
    repeat_at_least: int = 10

    def block(self, table_id: str) -> str:
        return self.of.get(table_id, table_id)


#: what the attacker from the microdata knows of which combinations of cells occur:
#: ``tables``, within each table only (tables linked by the persons and registrations per
#: year, and by figures repeated under another name); ``edition``, across the whole edition
VIEWS: dict[str, Blocks | None] = {"tables": Blocks({}), "edition": None}
DEFAULT_VIEW = "tables"


@dataclass
class AtomAttack:
    verdicts: dict[str, Verdict]
    relations: list[Relation] = field(default_factory=list)


def attack_protected(
    protected: dict,
    members: dict[str, pd.DataFrame],
    missing: dict[str, str],
    truth,
    rule,
    view: str = DEFAULT_VIEW,
) -> AtomAttack:
    """:func:`attack_atoms` on protected tables as they are published, under ``rule``, with
    what the attacker knows of the combinations of cells (:data:`VIEWS`)."""
    return attack_atoms(
        sheets_of(protected),
        members,
        missing,
        truth,
        rule.threshold,
        rule.protection_level,
        VIEWS[view],
    )


def attack_atoms(
    sheets: dict[str, Sheet],
    members: dict[str, pd.DataFrame],
    missing: dict[str, str],
    truth: dict[CellKey, int],
    threshold: int,
    protection_level: int,
    blocks: Blocks | None = None,
) -> AtomAttack:
    """The verdict per table and the relations behind every recovery.

    Parameters
    ----------
    sheets
        The published count tables (:func:`sheets_of`).
    members
        Per table, its members from the microdata (:mod:`traffickingmonitor.analysis.members`).
    missing
        Tables without members, and why: reported "not attacked".
    truth
        The true value of every cell, to judge a range against the protection it needs.
    threshold, protection_level
        The disclosure rule's.
    blocks
        None: the attacker knows which combinations of cells occur in the edition. Else it
        knows which occur only within each block of tables, and that the blocks count the
        same units (:class:`Blocks`).
    """
    verdicts = {
        tid: Verdict(tid, False, why=missing.get(tid, "no members from the microdata"))
        for tid in sheets
        if tid not in members
    }
    cell_id: dict[tuple[str, int, str], int] = {}
    shown: list[str] = []
    not_small: list[bool] = []
    for tid in sorted(members):
        sheet = sheets.get(tid)
        if sheet is None:
            continue
        for column in sheet.cells.columns:
            for row, v in enumerate(sheet.cells[column].tolist()):
                cell_id[(tid, row, column)] = len(shown)
                shown.append("" if v is None else str(v).strip())
                not_small.append(sheet.x_not_small)
    if not cell_id:
        return AtomAttack(verdicts)
    where = {i: key for key, i in cell_id.items()}
    # a withheld table's count of 10 or more (or 0) may be what other tables show: not a
    # finding, so not asked for
    hidden = [
        i
        for i, v in enumerate(shown)
        if v
        and _number(v) is None
        and (not sheets[where[i][0]].withheld or 0 < truth.get(where[i], 0) < threshold)
    ]
    if blocks is None:
        S, link = _atoms(members, cell_id), None
    else:
        S, link = _block_atoms(members, cell_id, where, blocks, hidden, sheets)
    lower, upper = _symbols(shown, threshold)
    cross = _cross(sheets, cell_id)
    lp = _AtomLP(S, cross, lower, upper, link)
    needs = {}
    for i in hidden:
        true = truth.get(where[i])
        if true is not None and 0 < true < threshold:
            needs[i] = (
                max(1, true - protection_level),
                min(threshold - 1, true + protection_level),
            )
        elif true is not None:
            needs[i] = (true - 1, true) if true > 0 else (true, true + 1)
    ranges = lp.ranges(hidden, needs, not_small, threshold)
    for tid in members:
        if tid in sheets:
            verdicts[tid] = Verdict(tid, True, withheld=sheets[tid].withheld)
    relations = []
    for i in hidden:
        tid, row, column = where[i]
        v = verdicts[tid]
        v.hidden += 1
        low, high = ranges[i]
        v.narrowest = min(v.narrowest, high - low)
        true = truth.get((tid, row, column))
        problem = ""
        if high - low < 1 - TOL:
            problem = f"pinned down to {low:g}"
        elif true is not None and 0 < true < threshold:
            need_low = max(1, true - protection_level)
            need_high = min(threshold - 1, true + protection_level)
            if low > need_low + TOL or high < need_high - TOL:
                problem = f"{low:g}..{high:g}, needs {need_low}..{need_high}"
        if problem:
            via = _explain(lp.because.get(i, []), where, len(shown))
            v.recovered.append(f"row {row + 1} {column}: {problem}{via}")
            relations += _relations(lp.relations.get(i, []), where, truth)
    return AtomAttack(verdicts, relations)


def _relations(found: list[np.ndarray], where: dict, truth: dict) -> list[Relation]:
    """The LP's relations over cells, cleared of solver noise and kept only where the true
    counts satisfy them (a relation the truth breaks would be a solver error, not a fact)."""
    out = []
    for coef in found:
        coef = np.where(np.abs(coef) > TOL, np.round(coef, 9), 0.0)
        terms = tuple((where[int(r)], float(coef[r])) for r in np.flatnonzero(coef))
        relation = Relation(terms)
        if terms and all(k in truth for k, _ in terms) and relation.at(truth) >= -TOL:
            out.append(relation)
    return out


#: terms of a certificate named in a finding (the largest first)
EXPLAIN_TERMS = 6


def _explain(because: list[tuple[int, float]], where: dict, n_cells: int) -> str:
    """`` from: +1 care_reach row 16 persons, -1 age_group row 5 persons ...``"""
    if not because:
        return ""
    terms = []
    for r, d in because[:EXPLAIN_TERMS]:
        coef = f"{d:+g}"
        if r < n_cells:
            tid, row, column = where[r]
            terms.append(f"{coef} {tid} row {row + 1} {column}")
        else:
            terms.append(f"{coef} (persons <= registrations, row {r - n_cells + 1})")
    more = f" (+{len(because) - EXPLAIN_TERMS} more)" if len(because) > EXPLAIN_TERMS else ""
    return " from: " + ", ".join(terms) + more


def _placed(members: dict[str, pd.DataFrame], cell_id: dict) -> pd.DataFrame:
    """Every member on a published cell: unit, unit_id, weight, cell (index), table, and
    ``key`` (the unit's kind and id)."""
    of_table: dict[str, list] = {}
    for (tid, row, column), i in cell_id.items():
        of_table.setdefault(tid, []).append((row, column, i))
    frames = []
    for tid, frame in members.items():
        lookup = pd.DataFrame(of_table.get(tid, []), columns=["row", "column", "cell"])
        placed = frame[["unit", "unit_id", "weight", "row", "column"]].merge(
            lookup.astype({"row": frame["row"].dtype, "column": frame["column"].dtype}),
            on=["row", "column"],
            sort=False,
        )
        frames.append(placed[["unit", "unit_id", "weight", "cell"]].assign(table=tid))
    allm = pd.concat(frames, ignore_index=True)
    allm["key"] = allm["unit"] + "\x1f" + allm["unit_id"].astype(str)
    return allm


def _atoms(members: dict[str, pd.DataFrame], cell_id: dict) -> sp.csr_matrix:
    """Cells x atoms (weights); the atoms' sizes are the attacker's unknowns."""
    allm = _placed(members, cell_id)
    allm = allm.sort_values(["key", "cell"])
    signature = (
        allm.assign(part=allm["cell"].astype(str) + "*" + allm["weight"].astype(str))
        .groupby("key", sort=False)
        .agg(unit=("unit", "first"), pattern=("part", "|".join))
    )
    pattern_key = signature["unit"] + "\x1f" + signature["pattern"]
    atom_of_unit = pd.Series(pd.factorize(pattern_key)[0], index=signature.index)
    sizes = np.bincount(atom_of_unit.to_numpy())
    # one (cell, atom) entry per atom: the first unit of each atom stands for it
    first = ~atom_of_unit.duplicated()
    reps = set(atom_of_unit.index[first.to_numpy()])
    entries = allm[allm["key"].isin(reps)]
    atom = atom_of_unit.loc[entries["key"]].to_numpy()
    S = sp.csr_matrix(
        (entries["weight"].to_numpy(float), (entries["cell"].to_numpy(), atom)),
        shape=(len(cell_id), len(sizes)),
    )
    return S


def _block_atoms(
    members: dict[str, pd.DataFrame],
    cell_id: dict,
    where: dict,
    blocks: Blocks,
    hidden: list[int],
    sheets: dict[str, Sheet],
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Cells x atoms of every block (a unit's atom in a block: its key and its cells there,
    possibly none), and the rows that make every block hold the same units per key.

    A hidden cell that no unit is counted in has an atom of its own per key (a unit of that
    key could have been counted there instead): that nobody is, is a fact of the data."""
    allm = _placed(members, cell_id)
    allm["block"] = allm["table"].map(blocks.block)
    allm = allm.sort_values(["key", "cell"])
    kind = allm.drop_duplicates("key").set_index("key")["unit"]
    in_key = allm[allm["table"] == blocks.key]
    key_cells = in_key.groupby("key", sort=False)["cell"].agg(lambda c: ",".join(map(str, c)))
    # as objects: without a key's cell the aggregate is int64, which cannot hold the ""
    link_key = kind + "\x1f" + key_cells.astype(object).reindex(kind.index, fill_value="")
    link_id, link_names = pd.factorize(link_key)
    link_kind = np.asarray([name.split("\x1f")[0] for name in link_names])
    rows, cols, data, atom_link, atom_block = [], [], [], [], []
    n_atoms = 0
    rows_of = _Rows(sheets, cell_id, where)
    hiding = {blocks.block(where[i][0]) for i in hidden}
    possible = _Possible(sheets, rows_of)
    apart = _YearsApart(
        in_key, link_id[kind.index.get_indexer(in_key["key"])], rows_of, sheets, blocks.key
    )
    for b, sub in allm.groupby("block", sort=True):
        parts = (sub["cell"].astype(str) + "*" + sub["weight"].astype(str)).groupby(
            sub["key"], sort=False
        )
        pattern = pd.Series("", index=kind.index)
        pattern.loc[list(parts.groups)] = parts.agg("|".join)
        atom_of, _ = pd.factorize(link_key + "\x1e" + pattern)
        first = ~pd.Series(atom_of).duplicated().to_numpy()
        atom_link += list(link_id[first])
        atom_block += [b] * int(first.sum())
        reps = pd.Series(atom_of[first], index=kind.index[first])
        entries = sub[sub["key"].isin(reps.index)]
        rows.append(entries["cell"].to_numpy())
        cols.append(n_atoms + reps.loc[entries["key"]].to_numpy())
        data.append(entries["weight"].to_numpy(float))
        n_atoms += len(reps)
        # the patterns a reader cannot rule out, beside those that occur (one table a block);
        # in a table without hidden cells they would only weaken the attacker elsewhere
        if b not in hiding:
            continue
        seen = set(link_key[first] + "\x1e" + pattern[first])
        for unit, cells in entries.groupby("key", sort=False)[["cell", "weight"]]:
            cells = list(cells.itertuples(index=False, name=None))
            link = link_id[kind.index.get_loc(unit)]
            for other, alt in [
                *((link, alt) for alt in possible.alternatives(b, cells)),
                *apart.alternatives(b, link, cells),
            ]:
                name = link_names[other] + "\x1e" + "|".join(f"{c}*{w}" for c, w in alt)
                if name in seen:
                    continue
                seen.add(name)
                rows.append(np.asarray([c for c, _ in alt], dtype=np.int64))
                cols.append(np.full(len(alt), n_atoms))
                data.append(np.asarray([w for _, w in alt], float))
                atom_link.append(other)
                atom_block.append(b)
                n_atoms += 1
    counted = set(allm["cell"].unique())
    kinds = {
        (tid, column): list(units)
        for tid, frame in members.items()
        for column, units in frame.groupby("column")["unit"].unique().items()
    }
    for i in hidden:
        if i in counted:
            continue
        tid, _, column = where[i]
        keys = np.flatnonzero(np.isin(link_kind, kinds.get((tid, column), [])))
        rows.append(np.full(len(keys), i))
        cols.append(n_atoms + np.arange(len(keys)))
        data.append(np.ones(len(keys)))
        atom_link += list(keys)
        atom_block += [blocks.block(tid)] * len(keys)
        n_atoms += len(keys)
    S = sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(cell_id), n_atoms),
    )
    # per block after the first and per key: its atoms' sizes minus the first block's
    atom_link, atom_block = np.asarray(atom_link), np.asarray(atom_block)
    names = sorted(set(atom_block))
    first_block = atom_block == names[0]
    n_keys = int(link_id.max()) + 1 if len(link_id) else 0
    lr, lc, ld = [], [], []
    base = np.flatnonzero(first_block)
    for k, b in enumerate(names[1:]):
        own = np.flatnonzero(atom_block == b)
        lr += [k * n_keys + atom_link[own], k * n_keys + atom_link[base]]
        lc += [own, base]
        ld += [np.ones(len(own)), -np.ones(len(base))]
    link = sp.csr_matrix(
        (np.concatenate(ld), (np.concatenate(lr), np.concatenate(lc))),
        shape=(max(len(names) - 1, 0) * n_keys, n_atoms),
    )
    repeats = _repeats(allm, S, blocks.repeat_at_least, rows_of)
    return S, sp.vstack([link, repeats], format="csr")


class _YearsApart:
    """A unit one year fewer or one year more: its years in the key table changed by one, and
    what that year counts in a table by year or pooled over the years with it.

    The tables are linked by the units' years (their cells in ``totals``). Within a table by
    ``year``, a unit's rows of one year say nothing of its other years: that the persons of a
    municipality in 2016 were registered again in 2017 (or were not) is a fact of the data,
    not of the table. So in such a table each unit's pattern is joined by the pattern of a
    unit without one of its years (its rows of that year gone) and of a unit with a year
    more (in the rows it has in its last year), linked to those years (where such units
    exist: a key no unit has is empty in every table). In a table pooled over the years
    (``pooled_years``: each year of a unit counts once in every count column, a sum of
    yearly figures) the unit counts once fewer, or once more, in one of its rows of each
    column. Other tables without a ``year`` dimension (a cohort by the year of first
    registration) are left as they are: their rows may depend on every year of a unit."""

    def __init__(self, in_key: pd.DataFrame, link: np.ndarray, rows: _Rows, sheets: dict, key: str):
        self.rows, self.sheets = rows, sheets
        by_link: dict[int, set] = {}
        for cell, lk in zip(in_key["cell"].to_numpy(), link, strict=True):
            by_link.setdefault(int(lk), set()).add((self._year(int(cell)), int(cell)))
        self.cells = {lk: frozenset(c) for lk, c in by_link.items()}
        self.of_cells = {frozenset(cell for _, cell in c): lk for lk, c in self.cells.items()}
        #: (year, column) -> the key table's cell
        self.key_cell = {
            (self._year(i), column): i for (tid, _, column), i in rows.cell_id.items() if tid == key
        }
        self.years = sorted({y for y, _ in self.key_cell if y is not None})

    def _year(self, cell: int) -> str | None:
        tid, row, _ = self.rows.where[cell]
        dims = self.rows.dims.get(tid, ())
        if "year" not in dims or tid not in self.rows.values:
            return None
        return self.rows.values[tid][row][dims.index("year")]

    def alternatives(self, tid: str, link: int, cells: list[tuple[int, float]]):
        """(link, pattern) of the unit of ``link`` with ``cells`` in ``tid``, one year fewer
        or more, per year."""
        by_year = "year" in self.rows.dims.get(tid, ()) and tid in self.rows.values
        pooled = tid in self.sheets and self.sheets[tid].knowledge.get("pooled_years")
        key = self.cells.get(link, frozenset())
        years = {y for y, _ in key}
        if not (by_year or pooled) or not years or None in years:
            return []
        column = self.rows.where[next(iter(key))[1]][2]
        out = []
        for year in self.years:
            if year in years:
                if len(years) < 2:
                    continue
                other = self.of_cells.get(frozenset(c for y, c in key if y != year))
            else:
                more = self.key_cell.get((year, column))
                other = self.of_cells.get(frozenset({c for _, c in key} | {more}))
            if other is None:
                continue
            if year in years and by_year:
                out.append((other, sorted((c, w) for c, w in cells if self._year(c) != year)))
            elif by_year:
                out += [(other, p) for p in self._in_year(tid, cells, max(years), year)]
            else:
                step = -1 if year in years else 1
                out += [(other, p) for p in self._once(cells, step)]
        return out

    def _in_year(self, tid: str, cells, last: str, year: str) -> list[list]:
        """The pattern with its rows of year ``last`` also in ``year`` (none where such a row
        is not published)."""
        at = self.rows.dims[tid].index("year")
        more = []
        for c, w in cells:
            if self._year(c) != last:
                continue
            _, row, column = self.rows.where[c]
            values = list(self.rows.values[tid][row])
            values[at] = year
            there = self.rows.row_at(tid, tuple(values))
            cell = None if there is None else self.rows.cell_id.get((tid, there, column))
            if cell is None:
                return []
            more.append((cell, w))
        return [sorted([*cells, *more])] if more else []

    def _once(self, cells: list[tuple[int, float]], step: int) -> list[list]:
        """The pattern counted ``step`` (-1 or 1) times more in one row of each column (any
        row it is in)."""
        columns: dict[str, list] = {}
        for c, _ in cells:
            columns.setdefault(self.rows.where[c][2], []).append(c)
        out = []
        for changed in itertools.product(*columns.values()):
            weights = {c: w + step * (c in changed) for c, w in cells}
            out.append(sorted((c, w) for c, w in weights.items() if w > 0))
        return out


class _Possible:
    """Patterns a unit could have had within a table, by what a reader knows of the table's
    definition (its ``follow_up``, ``follow_windows`` and ``union_rows``), beside those that
    occur.

    Which combinations of a table's cells occur is a fact of the data, not of the definitions:
    that nobody left follow-up unseen between two months, or that no suspect had exactly these
    two kinds of offence, is known to no reader. A unit's pattern is therefore joined by
    patterns one step from it that the definition allows: left follow-up unseen from an
    earlier time on (the same time in every curve it is in), or, where all its curves are one
    (groups of persons, not outcomes), left at the same time by another kind of exit or
    unseen, or left on the very day of a time point (at risk there, and counted as an exit);
    counted in any other set of offence groups (a suspect may have any number of kinds of
    offence). Every pattern added is possible for a reader, so the attacker stays at least as
    strong as any reader; not every such pattern is added (not two steps at once), so it may
    still know more.
    """

    def __init__(self, sheets: dict[str, Sheet], rows: _Rows):
        self.sheets, self.rows = sheets, rows
        self._layout: dict[tuple, dict] = {}

    def alternatives(self, tid: str, cells: list[tuple[int, float]]) -> list[list]:
        """Other patterns (lists of (cell, weight)) for a unit with ``cells`` in ``tid``."""
        knowledge = self.sheets[tid].knowledge if tid in self.sheets else {}
        out = []
        if knowledge.get("follow_up") and tid in self.rows.values:
            out += self._follow_up(tid, cells, knowledge["follow_up"])
        if knowledge.get("follow_windows") and tid in self.rows.values:
            out += self._windows(tid, cells, knowledge["follow_windows"])
        for dim, union in (knowledge.get("union_rows") or {}).items():
            if tid in self.rows.values and dim in self.rows.dims[tid]:
                out += self._union(tid, cells, dim, _label(union))
        return out

    def _place(self, tid: str, dim: str) -> tuple[dict, dict]:
        """Per row: (its values without ``dim``, its value of ``dim``); per those values
        without ``dim``: the rows' values of ``dim`` in order (of time, where they are
        numbers; else of the table)."""
        key = (tid, dim)
        if key not in self._layout:
            at = self.rows.dims[tid].index(dim)
            place, along = {}, {}
            for r, values in enumerate(self.rows.values[tid]):
                context = values[:at] + values[at + 1 :]
                place[r] = (context, values[at])
                along.setdefault(context, []).append(values[at])
            along = {c: sorted(v, key=_time) for c, v in along.items()}
            self._layout[key] = {"place": place, "along": along, "at": at}
        layout = self._layout[key]
        return layout["place"], layout["along"]

    def _cell(self, tid: str, dim: str, context: tuple, value: str, column: str) -> int | None:
        at = self._layout[(tid, dim)]["at"]
        row = self.rows.row_at(tid, (*context[:at], value, *context[at:]))
        return None if row is None else self.rows.cell_id.get((tid, row, column))

    def _follow_up(self, tid: str, cells, spec: dict) -> list[list]:
        time, at_risk, exits = spec["time"], spec["at_risk"], list(spec["exits"])
        place, along = self._place(tid, time)
        where = self.rows.where
        weight = cells[0][1]
        # per context (the curve of a group or an outcome): the unit's times at risk and its
        # exit (column, first time counted); times are the dimension's values, in order
        state: dict[tuple, dict] = {}
        for cell, _ in cells:
            _, row, column = where[cell]
            context, t = place[row]
            if context not in state:
                state[context] = {"times": along[context], "at": [], "exit": None}
            s = state[context]
            if column == at_risk:
                s["at"].append(t)
            elif column in exits and (s["exit"] is None or _time(t) < _time(s["exit"][1])):
                s["exit"] = (column, t)

        def pattern(choice: dict) -> list:
            out = []
            for context, (last, exit_) in choice.items():
                for t in state[context]["times"]:
                    if _time(t) <= last:
                        out.append((self._cell(tid, time, context, t, at_risk), weight))
                    if exit_ is not None and _time(t) >= _time(exit_[1]):
                        out.append((self._cell(tid, time, context, t, exit_[0]), weight))
            return sorted((c, w) for c, w in out if c is not None)

        now = {
            c: (max((_time(t) for t in s["at"]), default=-math.inf), s["exit"])
            for c, s in state.items()
        }
        found = []
        # unseen from a time on: the same calendar time in every curve still followed then
        # (the curves of the outcomes have time points of their own)
        end = max(last for last, _ in now.values())
        for cut in sorted({_time(t) for s in state.values() for t in s["times"]}):
            if cut >= end:
                break
            found.append(
                pattern(
                    {
                        c: (cut, None)
                        if last > cut and (e is None or _time(e[1]) > cut)
                        else (last, e)
                        for c, (last, e) in now.items()
                    }
                )
            )
        found += self._exit_on_a_time(now, exits, pattern)
        # at the same time, left another way (unseen, or by another exit): only where every
        # curve of the unit is the same curve (groups of persons, not outcomes)
        if len({(last, e) for last, e in now.values()}) == 1:
            c0 = next(iter(now))
            last, e = now[c0]
            times = state[c0]["times"]
            later = [t for t in times if _time(t) > last][:1]
            firsts = [e[1]] if e is not None else [t for t in times if _time(t) == last] + later
            for way in [None] + [(column, t) for column in exits for t in firsts]:
                if way != e:
                    found.append(pattern(dict.fromkeys(now, (last, way))))
        return found

    @staticmethod
    def _exit_on_a_time(now: dict, exits: list, pattern) -> list[list]:
        """An exit on the very day of a time point: the unit is still at risk there (at risk
        at a time is followed up to that day at least) and counted as an exit there, so that
        at risk falls by less than the exits. Whether any exit fell on such a day is a fact
        of the data. One step from the pattern of a unit with an exit: its exit on the day
        of its last time at risk (by any kind of exit), or at risk on the day of its exit (a
        unit without one gets the first from leaving another way, in ``_follow_up``). Only
        where every curve of the unit is the same curve: an outcome's curve has time points
        of its own, and the same day would move the exits of the others."""
        if len(set(now.values())) != 1:
            return []
        last, e = next(iter(now.values()))
        if e is None:
            return []
        choices = []
        if math.isfinite(last):
            choices += [(last, (column, last)) for column in exits]
        if _time(e[1]) > last:
            choices.append((_time(e[1]), e))
        return [pattern(dict.fromkeys(now, c)) for c in choices if c != (last, e)]

    def _windows(self, tid: str, cells, spec: dict) -> list[list]:
        """An outcome within windows: the unit followed to any window (or not to the first:
        in no cell) and with the outcome from any window on, or never (the same in every
        group it is in, a person in two victim groups). Whether anyone had the outcome
        between two windows is a fact of the data; a table has few windows, so every
        combination is added."""
        time, followed, within = spec["time"], spec["followed"], spec["within"]
        place, along = self._place(tid, time)
        weight = cells[0][1]
        groups = {place[self.rows.where[cell][1]][0] for cell, _ in cells}
        times = sorted({_time(t) for g in groups for t in along[g]})
        found = []
        for last in [-math.inf, *times]:
            for first in [*times, math.inf]:
                alt = []
                for g in groups:
                    for t in along[g]:
                        if _time(t) <= last:
                            alt.append(self._cell(tid, time, g, t, followed))
                            if _time(t) >= first:
                                alt.append(self._cell(tid, time, g, t, within))
                found.append(sorted((c, weight) for c in alt if c is not None))
        return found

    def _union(self, tid: str, cells, dim: str, union: str) -> list[list]:
        place, along = self._place(tid, dim)
        where = self.rows.where
        weight = cells[0][1]
        groups: dict[tuple, set] = {}  # (context, column) -> the unit's rows but the union
        has_union = set()
        for cell, _ in cells:
            _, row, column = where[cell]
            context, value = place[row]
            if value == union:
                has_union.add((context, column))
            else:
                groups.setdefault((context, column), set()).add(value)
        mine = {cell for cell, _ in cells}
        found = []
        for context, column in has_union:
            every = [v for v in along[context] if v != union]
            have = groups.get((context, column), set())
            if have >= set(every):
                continue  # a column of the same units in every row (those followed)
            cell = {v: self._cell(tid, dim, context, v, column) for v in every}
            cell = {v: c for v, c in cell.items() if c is not None}
            rest = mine - {cell[v] for v in have if v in cell}
            for other in _other_sets(sorted(cell), have):
                found.append(sorted((c, weight) for c in rest | {cell[v] for v in other}))
        return found


def _other_sets(every: list, have: set) -> list[tuple]:
    """The other non-empty sets of rows a unit of a union row could be in: any of them, for
    a reader (a suspect of any number of kinds of offence), where they are few enough to
    list; else those one row fewer or more."""
    if len(every) <= _ALL_SETS_UP_TO:
        sets = itertools.chain.from_iterable(
            itertools.combinations(every, k) for k in range(1, len(every) + 1)
        )
    else:
        sets = (tuple(sorted(have ^ {v})) for v in every)
    return [s for s in sets if s and set(s) != have]


# Rows of a union up to which a unit's every other set of rows is possible (2**8 - 1 sets).
_ALL_SETS_UP_TO = 8


def _time(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.inf


def _label(value) -> str:
    """A dimension value as text that two tables agree on (2016 and 2016.0; a missing value
    equal to itself)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Rows:
    """Where a cell stands in its table: its row's dimension values, and the cell at other
    values of some of them."""

    def __init__(self, sheets: dict[str, Sheet], cell_id: dict, where: dict):
        self.cell_id = cell_id
        self.where = where  # cell -> (table, row, column), the inverse of ``cell_id``
        self.dims = {tid: s.dimensions for tid, s in sheets.items()}
        self.long_form = {
            tid: s.knowledge["long_form"] for tid, s in sheets.items() if "long_form" in s.knowledge
        }
        self.values = {
            tid: [
                tuple(_label(x) for x in v)
                for v in s.frame[list(s.dimensions)].itertuples(index=False)
            ]
            for tid, s in sheets.items()
            if s.frame is not None and set(s.dimensions) <= set(s.frame.columns)
        }
        self._row_at: dict[str, dict] = {}

    def row_at(self, tid: str, values: tuple) -> int | None:
        if tid not in self._row_at:
            self._row_at[tid] = {v: r for r, v in enumerate(self.values.get(tid, ()))}
        return self._row_at[tid].get(values)

    def group(self, i: int) -> dict[str, str]:
        """The group a cell's row counts, by dimension: its own dimension values, and in a
        table in long form (``long_form``: a Cox table's row for level "minor" of covariate
        "minor") the dimension it names too."""
        tid, row, _ = self.where[i]
        if tid not in self.values:
            return {}
        out = dict(zip(self.dims[tid], self.values[tid][row], strict=True))
        if long := self.long_form.get(tid):
            out[out[long["dimension"]]] = out[long["value"]]
        return out

    def along_shared(self, a: int, b: int):
        """Pairs of cells (of ``a``'s table and column, of ``b``'s) whose rows keep the
        dimensions the two tables do not share and take every value of those they share (the
        other years of the same figure); None when a table's rows are not known."""
        (ta, ra, ca), (tb, rb, cb) = self.where[a], self.where[b]
        if ta not in self.values or tb not in self.values:
            return None
        da, db = self.dims[ta], self.dims[tb]
        shared = [d for d in da if d in db]
        row_a, row_b = self.values[ta][ra], self.values[tb][rb]
        own_a = [i for i, d in enumerate(da) if d not in shared]
        for r, values in enumerate(self.values[ta]):
            if any(values[i] != row_a[i] for i in own_a):
                continue
            at = dict(zip(da, values, strict=True))
            other = tuple(at[d] if d in shared else v for d, v in zip(db, row_b, strict=True))
            rb2 = self.row_at(tb, other)
            if rb2 is not None:
                yield self.cell_id.get((ta, r, ca)), self.cell_id.get((tb, rb2, cb))


def _repeats(allm: pd.DataFrame, S: sp.csr_matrix, at_least: int, rows: _Rows) -> sp.csr_matrix:
    """Rows ``S_i - S_j = 0`` for the cells :func:`repeated_pairs` finds, one per cell joined
    to a figure."""
    joined = {}  # union-find over cells

    def root(c):
        while joined.get(c, c) != c:
            c = joined[c]
        return c

    out = []
    for a, b, _ in repeated_pairs(allm, at_least, rows):
        if root(a) != root(b):
            joined[root(b)] = root(a)
            out.append(S[int(b)] - S[int(a)])
    return sp.vstack(out, format="csr") if out else sp.csr_matrix((0, S.shape[1]))


def _marks(allm: pd.DataFrame) -> pd.DataFrame:
    """Per cell a mark of its units (a hash over unit, id and weight) and their weight: two
    cells with the same mark count the same units."""
    marks = pd.util.hash_pandas_object(allm[["unit", "unit_id", "weight"]], index=False).to_numpy()
    return (
        pd.DataFrame({"cell": allm["cell"].to_numpy(), "mark": marks, "w": allm["weight"]})
        .groupby("cell")
        .agg(mark=("mark", lambda h: int(np.bitwise_xor.reduce(h.to_numpy()))), w=("w", "sum"))
    )


def _units(allm: pd.DataFrame) -> dict[int, tuple[int, float]]:
    cells = _marks(allm)
    return dict(zip(cells.index, zip(cells["mark"], cells["w"], strict=True), strict=True))


def repeated_pairs(allm: pd.DataFrame, at_least: int, rows: _Rows) -> list[tuple[int, int, float]]:
    """Cells of different blocks (``allm["block"]``) with the same units: a figure under two
    names (the programme's persons reported by care and the reporting organisations' care
    row), as (cell, cell, units).

    A reader knows such a figure from the definitions, so it holds along the dimensions the
    two tables share: in every year, not in one. Cells that agree in one year or one
    municipality only (all of a municipality's residents reached by care) agree by chance.
    Two tables repeat each other once they share such a cell of ``at_least`` units; their
    smaller cells with the same units are then repeats too, while a small coincidence between
    other tables is not."""
    cells = _marks(allm)
    first = allm.drop_duplicates("cell").set_index("cell")
    cells["block"] = first["block"].reindex(cells.index)
    cells["table"] = first["table"].reindex(cells.index)
    units = dict(zip(cells.index, zip(cells["mark"], cells["w"], strict=True), strict=True))

    def same(a, b) -> bool:  # a cell nobody is counted in has no entry
        return units.get(a, (0, 0)) == units.get(b, (0, 0))

    def by_definition(a: int, b: int) -> bool:
        pairs = rows.along_shared(a, b)
        return pairs is not None and all(same(pa, pb) for pa, pb in pairs)

    found = []
    for _, g in cells.groupby(["mark", "w"]):
        if g["block"].nunique() < 2:
            continue
        cell = g.index.tolist()
        for i, a in enumerate(cell):
            for b in cell[i + 1 :]:
                if g.at[a, "block"] != g.at[b, "block"] and by_definition(a, b):
                    found.append((a, b, g["w"].iloc[0]))
    repeating = {
        frozenset((cells.at[a, "table"], cells.at[b, "table"]))
        for a, b, w in found
        if w >= at_least
    }
    return [
        (a, b, w)
        for a, b, w in found
        if w >= at_least or frozenset((cells.at[a, "table"], cells.at[b, "table"])) in repeating
    ]


def repeats_in_sight(
    protected: dict,
    truth: dict[CellKey, int],
    members_of,
    at_least: int = 10,
) -> list[Relation]:
    """The repeats (:func:`repeated_pairs`) between a hidden and a shown cell of ``protected``
    in tables that share a dimension, as relations both ways (the hidden cell is the shown
    one), for the engine.

    Only a pair of cells with the same true value along every dimension their tables share
    can be a repeat, so the members (``members_of(table ids)``: per table, its members) are
    made only for the tables of such pairs: on most editions none. Beside them, a hidden
    and a shown cell of the same area or group in two tables that share its dimension, equal
    in this edition only (a small edition whose persons of a police unit were all registered
    in one year: its person-years by place are its persons of care reach), are the same
    units by coincidence; they are looked at too, with the other areas of the same two
    columns (shown or not: where one area coincides, others tend to), and found when their
    members agree; so is a row that names its group in long form (a Cox level) with
    the same group of a table that has its dimension. A pair that agrees in one count only
    across tables that share no dimension is common by chance (a municipality's 12 and a
    nationality's 12): making the members of every such pair would cost every edition
    seconds (and memory in proportion to its size), so such a repeat is left to the
    declared model (``same_cells``), and ``disclosure-check --microdata`` looks for it.
    """
    sheets = sheets_of(protected)
    cell_id = {
        (tid, row, column): None
        for tid, sheet in sheets.items()
        for column in sheet.cells.columns
        for row in range(len(sheet.cells))
    }
    cell_id = {key: i for i, key in enumerate(cell_id)}
    where = {i: key for key, i in cell_id.items()}
    rows = _Rows(sheets, cell_id, where)
    shown = {i: _number(sheets[t].cells.at[r, c]) is not None for (t, r, c), i in cell_id.items()}
    by_value: dict[int, list[int]] = {}
    for key, i in cell_id.items():
        if shown[i] and key in truth:
            by_value.setdefault(truth[key], []).append(i)

    def value(i) -> int:
        return 0 if i is None else truth.get(where[i], 0)

    candidates, coincidences = [], []
    for key, a in cell_id.items():
        # an empty cell is a repeat of nothing (no units); a small one finds no shown value
        hidden = not shown[a] and sheets[key[0]].cells.at[key[1], key[2]]
        if not hidden or truth.get(key, 0) <= 0:
            continue
        dims = set(sheets[key[0]].dimensions)
        for b in by_value.get(truth[key], ()):
            if where[b][0] == key[0]:
                continue
            if not dims & set(sheets[where[b][0]].dimensions):
                if _one_group(rows.group(a), rows.group(b), dims, sheets[where[b][0]].dimensions):
                    coincidences.append((a, b))
                continue
            pairs = list(rows.along_shared(a, b) or ())
            agree = all(value(pa) == value(pb) for pa, pb in pairs)
            if agree and sum(value(pa) > 0 for pa, _ in pairs) >= 2:
                candidates.append((a, b))
            elif (a, b) in pairs and dims - {"year"} <= set(sheets[where[b][0]].dimensions):
                # the same area (or group) in both tables, equal in this edition only: the
                # same units by coincidence (everyone placed there registered in one year);
                # only where the other table has every breakdown of the hidden cell's (two
                # breakdowns that share a year or an offence group agree by chance too often).
                # The other areas of the two columns are looked at with it: where one is the
                # same units, the others often are too (nobody placed anywhere registered in
                # two years), and found one at a time the pattern would move from area to area
                coincidences += [
                    (pa, pb)
                    for pa, pb in pairs
                    if pa is not None and pb is not None and value(pa) == value(pb) > 0
                ]
    if not candidates and not coincidences:
        return []
    tids = {where[i][0] for pair in candidates + coincidences for i in pair}
    members = members_of(tids)
    allm = _placed({t: f for t, f in members.items() if t in tids}, cell_id)
    allm["block"] = allm["table"]
    wanted = {frozenset(pair) for pair in candidates}
    found = [
        (a, b) for a, b, _ in repeated_pairs(allm, at_least, rows) if frozenset((a, b)) in wanted
    ]
    units = _units(allm)
    found += [
        (a, b) for a, b in dict.fromkeys(coincidences) if a in units and units[a] == units.get(b)
    ]
    out = []
    for a, b in found:
        out += [
            Relation(((where[a], 1.0), (where[b], -1.0))),
            Relation(((where[b], 1.0), (where[a], -1.0))),
        ]
    return out


def _one_group(a: dict[str, str], b: dict[str, str], dims_a, dims_b) -> bool:
    """Whether two rows of tables that share no dimension count one group: a row in long
    form (:meth:`_Rows.group`) names a dimension of the other table's, and they agree on
    it."""
    own_a, own_b = set(dims_a), set(dims_b)
    extra_a, extra_b = set(a) - own_a, set(b) - own_b
    return any(d in own_b and a[d] == b[d] for d in extra_a) or any(
        d in own_a and a[d] == b[d] for d in extra_b
    )


def _symbols(shown: list[str], threshold: int) -> tuple[np.ndarray, np.ndarray]:
    lower = np.zeros(len(shown))
    upper = np.full(len(shown), math.inf)
    for i, v in enumerate(shown):
        n = _number(v)
        if n is not None:
            lower[i] = upper[i] = n
        elif v.startswith("<"):
            lower[i], upper[i] = 1.0, threshold - 1.0
    return lower, upper


def _cross(sheets, cell_id) -> sp.csr_matrix:
    """Over the cells: k x persons - registrations <= 0 for every row that counts both (k = 1
    unless the table declares more): a person counted in a row has a registration counted
    there."""
    rows, cols, data = [], [], []
    for (tid, row, column), i in cell_id.items():
        if column != "persons":
            continue
        j = cell_id.get((tid, row, "registrations"))
        if j is None:
            continue
        k = 1.0
        sheet = sheets[tid]
        for dim, at_least in sheet.knowledge.get("registrations_per_person", {}).items():
            if sheet.frame is not None and dim in sheet.frame:
                k = float(at_least.get(str(sheet.frame[dim].iloc[row]), 1))
        r = len(rows) // 2
        rows += [r, r]
        cols += [i, j]
        data += [k, -1.0]
    return sp.csr_matrix((data, (rows, cols)), shape=(len(rows) // 2, len(cell_id)))


def _parents(S: sp.csr_matrix) -> np.ndarray:
    """Per cell, the cell whose atoms it shares most (-1: none worth it), such that writing the
    cell as that cell plus a difference needs fewer non-zeros than writing it out.

    Published counts are largely nested (at risk at month m includes month m+1, a year
    includes its municipalities): a cell and its parent differ by a few atoms, so the LP below
    holds about a sixth of the non-zeros of the cells written out (demo edition: 0.25 of 1.5
    million). Parents precede their children in (size, index) order, so the chain ends.
    """
    B = S.copy()
    B.data[:] = 1.0
    size = np.asarray(B.sum(axis=1)).ravel()
    overlap = (B @ B.T).tocoo()
    i, j, shared = overlap.row, overlap.col, overlap.data
    before = (size[j] < size[i]) | ((size[j] == size[i]) & (j < i))
    gain = 2 * shared - size[j]  # non-zeros saved by writing i as j plus a difference
    keep = before & (gain > 0)
    i, j, gain = i[keep], j[keep], gain[keep]
    parent = np.full(S.shape[0], -1)
    if not len(i):
        return parent
    order = np.lexsort((j, -gain, i))  # per cell the largest gain first (ties: lowest index)
    i, j = i[order], j[order]
    first = np.r_[True, i[1:] != i[:-1]]
    parent[i[first]] = j[first]
    return parent


class _AtomLP:
    """min and max of cells over atom sizes >= 0 that reproduce every published symbol.

    Columns: the atoms' sizes ``x`` (>= 0), then one value ``v`` per cell, bounded by its
    symbol. Rows: ``v_i - v_parent - (S_i - S_parent) x = 0`` (:func:`_parents`) and the
    persons <= registrations rows on ``v``. A cell's objective and bounds are then one column
    each.
    """

    def __init__(self, S, cross, lower, upper, link=None):
        self.n_cells, self.n_atoms = S.shape
        self.lower, self.upper = lower.copy(), upper.copy()
        parent = _parents(S)
        has = parent >= 0
        pick = sp.csr_matrix(
            (np.ones(has.sum()), (np.flatnonzero(has), parent[has])),
            shape=(self.n_cells, self.n_cells),
        )
        D = sp.csr_matrix(S - pick @ S)
        D.eliminate_zeros()
        self.cross = cross
        if link is None:
            link = sp.csr_matrix((0, self.n_atoms))
        a = sp.bmat(
            [
                [-D, sp.identity(self.n_cells, format="csr") - pick],
                [None, cross],
                [link, sp.csr_matrix((link.shape[0], self.n_cells))],
            ],
            format="csr",
        )
        n_rows = self.n_cells + cross.shape[0] + link.shape[0]
        row_lower = np.zeros(n_rows)
        row_lower[self.n_cells : self.n_cells + cross.shape[0]] = -highs.INF
        self._h = highs.load_lp(
            a,
            np.concatenate([np.zeros(self.n_atoms), lower]),
            np.concatenate([np.full(self.n_atoms, highs.INF), np.minimum(upper, highs.INF)]),
            row_lower,
            np.zeros(n_rows),
        )
        self._costed = -1
        self.low_seen = np.full(self.n_cells, math.inf)
        self.high_seen = np.full(self.n_cells, -math.inf)
        #: cell -> the published rows whose combination bounds it (the last LP's dual)
        self.because: dict[int, list[tuple[int, float]]] = {}
        #: cell -> valid relations found while bounding it: ``coef`` over cells, ``coef . v >= 0``
        self.relations: dict[int, list[np.ndarray]] = {}

    def _bound(self, i: int, low: float, high: float) -> None:
        self.lower[i], self.upper[i] = low, high
        self._h.changeColBounds(self.n_atoms + i, low, min(high, highs.INF))

    def _see(self) -> None:
        values = np.asarray(self._h.getSolution().col_value)[self.n_atoms :]
        np.minimum(self.low_seen, values, out=self.low_seen)
        np.maximum(self.high_seen, values, out=self.high_seen)

    def _solve(self, sense) -> float:
        value = highs.optimum(self._h, sense, "the published numbers contradict the microdata")
        if math.isfinite(value):
            self._see()
        return value

    def _cost(self, i: int) -> None:
        if self._costed >= 0:
            self._h.changeColCost(self.n_atoms + self._costed, 0.0)
        self._h.changeColCost(self.n_atoms + i, 1.0)
        self._costed = i

    def _range(self, i: int, need: tuple[float, float] | None = None) -> tuple[float, float]:
        """The range of cell ``i``, or, with ``need``, a range at least as wide as ``need``
        once the points seen so far cover it (every LP solution is a point the attacker
        cannot rule out, so the seen values of a cell lie within its range)."""
        seen = self.low_seen[i], self.high_seen[i]
        if need is not None and seen[0] <= need[0] + TOL and seen[1] >= need[1] - TOL:
            return seen
        self._cost(i)
        low = self._solve(highs.MINIMIZE)
        from_below = need is not None and low > need[0] + TOL
        if from_below:
            self._certify(i, 1.0)
        high = self._solve(highs.MAXIMIZE)
        pinned = high - low < 1 - TOL
        if pinned or (need is not None and high < need[1] - TOL):
            self._certify(i, -1.0)
        if pinned and not from_below:  # both sides tell: the minimum's relation, too
            self._solve(highs.MINIMIZE)
            self._certify(i, 1.0)
        return low, high

    def _certify(self, i: int, sign: float) -> None:
        """Keep what bounds cell ``i`` after a solve: the relation ``sign * (v_i - r . v) >= 0``
        that holds for every non-negative atom sizes (``r``: the cells' reduced costs and the
        persons <= registrations rows' duals of the optimum, ``sign`` 1 after a minimum), and
        the published cells it combines, for a reader."""
        solution = self._h.getSolution()
        reduced = np.asarray(solution.col_dual)[self.n_atoms :].copy()
        duals = np.asarray(solution.row_dual)[self.n_cells : self.n_cells + self.cross.shape[0]]
        combined = reduced.copy()
        if len(duals):
            combined += self.cross.T @ duals
        combined[i] -= 1.0
        self.relations.setdefault(i, []).append(-sign * combined)
        reduced[i] = 0.0
        terms = [(int(r), float(reduced[r])) for r in np.flatnonzero(np.abs(reduced) > TOL)]
        terms += [
            (self.n_cells + int(k), float(duals[k])) for k in np.flatnonzero(np.abs(duals) > TOL)
        ]
        self.because[i] = sorted(terms, key=lambda rd: -abs(rd[1]))

    def explore(self, cells, directions: int, seed: int = 0) -> None:
        """Solve for random weightings of ``cells`` (both senses): each optimum moves many
        cells at once, so most ranges are proven wide enough without an LP of their own."""
        rng = np.random.default_rng(seed)
        cols = self.n_atoms + np.asarray(cells, dtype=np.int32)
        for _ in range(directions):
            weights = rng.uniform(0.5, 1.5, len(cells)) * rng.choice((-1.0, 1.0), len(cells))
            self._h.changeColsCost(len(cols), cols, weights)
            for sense in (highs.MINIMIZE, highs.MAXIMIZE):
                self._solve(sense)
        self._h.changeColsCost(len(cols), cols, np.zeros(len(cols)))
        self._costed = -1

    def ranges(self, cells: list[int], needs: dict, not_small: list[bool], threshold: int):
        """Ranges of ``cells`` (wide enough to judge ``needs``: cell -> interval to cover),
        with ``x`` cells of tables that show <10 bounded to 0 or >= threshold until nothing
        changes."""
        self.explore(cells, EXPLORE_DIRECTIONS)
        while True:
            out = {i: self._range(i, needs.get(i)) for i in cells}
            changed = False
            for i in cells:
                if not not_small[i] or self.lower[i] == self.upper[i]:
                    continue
                if self.lower[i] >= 1 and self.upper[i] <= threshold - 1:
                    continue  # a <10 cell
                # never 0 seen and no 0 possible: at least the threshold; never the
                # threshold seen and not possible: 0
                if self.low_seen[i] > TOL and self.lower[i] < threshold and self._range(i)[0] > TOL:
                    self._bound(i, float(threshold), self.upper[i])
                    changed = True
                elif (
                    self.high_seen[i] < threshold - TOL
                    and self.upper[i] > 0
                    and self._range(i)[1] < threshold - TOL
                ):
                    self._bound(i, 0.0, 0.0)
                    changed = True
            if not changed:
                return out
