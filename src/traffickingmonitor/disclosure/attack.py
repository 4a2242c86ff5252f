"""The attacker: try to recover hidden counts from everything an edition publishes.

This module is deliberately written apart from :mod:`model` (which the engine uses): it
starts from the *published* tables only (as they are in ``tables/*.csv``) and from public
knowledge, stated here again in its own words, so that a gap in the engine's model is not
repeated here unnoticed. What the attacker knows:

* every shown number; ``<10`` means 1..9; ``x`` means "some count >= 0";
* rows of a table that splits persons (or registrations) add up to the year's total in
  ``totals``; a hidden number's groups add up to "all", whose registered persons are the
  year's persons; every row of the sensitivity table is the year's persons;
* in a table where one person can be in several rows, each row is at most the total and the
  rows together at least the total; registrations per organisation add up (one organisation
  per registration);
* municipalities make up police units, safety regions and provinces (CBS 2023); in the local
  figures (persons by place and by municipality of residence) every area's count,
  pooled or of a year, is the sum of its municipalities' counts of those years, and all of
  them together are the edition's person-years;
* ages 0-11 and 12-17 are the minors; countries make up nationality groups and "other" in
  the top nationalities is every country not named;
* the same persons under two names (criminal group = criminal form = first-ranked criminal;
  labour group = labour form; other/unknown group = first-ranked other/unknown; sexual form
  = domestic + cross-border sexual), persons per organisation = 1 n1 + (2..5) n2+, and
  persons <= registrations in every row.

For every hidden cell it solves two linear programs (the smallest and largest value
consistent with all of that) and reports the cells it can pin down.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from traffickingmonitor.analysis.tables import KNOWLEDGE
from traffickingmonitor.codes import api as codes
from traffickingmonitor.disclosure import highs
from traffickingmonitor.disclosure.primary import small_symbol

GEO_LEVELS = {"police_unit", "safety_region", "province"}
ORGS = codes.REPORTING_ORG.order()


@dataclass
class Published:
    """One published table: its frame as published and what its metadata says."""

    table_id: str
    frame: pd.DataFrame
    dimensions: tuple[str, ...]
    counts: tuple[str, ...]
    overlapping: bool = False
    # the table shows small counts as ``<10``, so its ``x`` is no small count: 0 or >= threshold
    x_not_small: bool = False
    # what the table's metadata says of its rows (``analysis.tables.KNOWLEDGE``)
    knowledge: dict = field(default_factory=dict)

    @property
    def registrations_per_person(self) -> dict:
        return self.knowledge.get("registrations_per_person", {})


@dataclass
class Finding:
    table_id: str
    row: dict
    column: str
    shown: str
    low: float
    high: float
    true: int | None = None
    problem: str = ""


@dataclass
class AttackReport:
    threshold: int
    findings: list[Finding] = field(default_factory=list)  # every hidden cell
    small_shown: list[tuple[str, dict, str, int]] = field(default_factory=list)

    @property
    def recoveries(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    def by_table(self) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(lambda: {"hidden": 0, "recovered": 0, "small": 0})
        for f in self.findings:
            out[f.table_id]["hidden"] += 1
            out[f.table_id]["recovered"] += bool(f.problem)
        for tid, *_ in self.small_shown:
            out[tid]["small"] += 1
        return dict(out)


def _num(v) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip().lstrip("-").isdigit()):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else int(f)


class _LP:
    def __init__(self):
        self.n = 0
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.eq: list[dict] = []
        self.le: list[dict] = []

    def var(self, lb=0.0, ub=math.inf) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.n += 1
        return self.n - 1

    def equal(self, plus: list[int], minus: list[int], coef_plus=None) -> None:
        row: dict = defaultdict(float)
        for i, v in enumerate(plus):
            row[v] += 1.0 if coef_plus is None else coef_plus[i]
        for v in minus:
            row[v] -= 1.0
        self.eq.append(row)

    def at_most(self, row: dict) -> None:  # sum <= 0
        self.le.append(row)

    def matrices(self):
        def mat(rows):
            data, ri, ci = [], [], []
            for r, e in enumerate(rows):
                for c, v in e.items():
                    ri.append(r)
                    ci.append(c)
                    data.append(v)
            return sp.csr_matrix((data, (ri, ci)), shape=(len(rows), self.n))

        return mat(self.eq), mat(self.le)


def attack(
    tables: list[Published],
    threshold: int,
    truth: dict[tuple[str, int, str], int] | None = None,
    protection_level: int = 1,
    rounding_base: int | None = None,
) -> AttackReport:
    """Bounds on every hidden cell; a cell is *recovered* when its interval is a point or,
    for a ``<threshold`` cell whose true value is known, narrower than the protection
    interval (``protection_level`` either way within 1..threshold-1).

    With ``rounding_base`` the tables are read as rounded: a shown ``r`` means a true count
    within ``r - base + 1 .. r + base - 1``, and every cell whose true count is below the
    threshold is attacked (``truth`` required).
    """
    lp = _LP()
    symbol = f"<{threshold}"
    not_small: set[int] = set()  # x cells that are 0 or at least the threshold
    report = AttackReport(threshold)
    cell: dict[tuple[str, int, str], int] = {}
    by_id = {t.table_id: t for t in tables}
    frames = {t.table_id: t.frame.reset_index(drop=True) for t in tables}
    for t in tables:
        f = frames[t.table_id]
        for col in t.counts:
            if col not in f:
                continue
            for pos, v in enumerate(f[col].tolist()):
                n = _num(v)
                if n is not None and rounding_base:
                    spread = rounding_base - 1
                    cell[(t.table_id, pos, col)] = lp.var(max(0, n - spread), n + spread)
                    if n % rounding_base:
                        report.small_shown.append((t.table_id, _row(f, t, pos), col, n))
                elif n is not None:
                    cell[(t.table_id, pos, col)] = lp.var(n, n)
                    if 0 < n < threshold:
                        report.small_shown.append((t.table_id, _row(f, t, pos), col, n))
                elif isinstance(v, str) and v.strip() == symbol:
                    cell[(t.table_id, pos, col)] = lp.var(1, threshold - 1)
                elif isinstance(v, str) and v.strip():
                    cell[(t.table_id, pos, col)] = lp.var()
                    if t.x_not_small and not rounding_base:
                        not_small.add(cell[(t.table_id, pos, col)])

    def rows(tid: str, col: str) -> dict[tuple, int]:
        """(year, category) -> variable."""
        t = by_id.get(tid)
        if t is None:
            return {}
        f = frames[tid]
        dims = [d for d in t.dimensions if d != "year"]
        out = {}
        for pos in range(len(f)):
            k = (tid, pos, col)
            if k in cell:
                year = f.at[pos, "year"] if "year" in f else None
                cat = f.at[pos, dims[0]] if dims else None
                out[(year, cat)] = cell[k]
        return out

    totals = by_id.get("totals")

    def total(year, col) -> int | None:
        if totals is None:
            return None
        col = "persons" if col == "observed" else col
        return rows("totals", col).get((year, None))

    # margins, overlaps, "all" rows, repeats of the total
    for t in tables:
        if t.table_id == "totals" or "year" not in t.dimensions or len(t.dimensions) != 2:
            continue
        for col in t.counts:
            per_year: dict = defaultdict(dict)
            for (year, cat), v in rows(t.table_id, col).items():
                per_year[year][cat] = v
            for year, cats in per_year.items():
                tot = total(year, col)
                if t.table_id == "hidden_number_sensitivity":
                    for v in cats.values():
                        if tot is not None:
                            lp.equal([v], [tot])
                    continue
                inner = [v for c, v in cats.items() if c != "all"]
                if "all" in cats:
                    lp.equal(inner, [cats["all"]])
                    if tot is not None:
                        lp.equal([cats["all"]], [tot])
                    continue
                if tot is None:
                    continue
                additive = not t.overlapping or (
                    t.table_id == "reporting_org" and col == "registrations"
                )
                if additive:
                    lp.equal(inner, [tot])
                else:
                    for v in inner:
                        lp.at_most({v: 1.0, tot: -1.0})
                    lp.at_most({tot: 1.0, **{v: -1.0 for v in inner}})

    _geography(lp, tables, rows)
    _local(lp, tables, rows)
    _age(lp, rows)
    _nationality(lp, rows)
    _relations(lp, rows)
    for (tid, pos, col), v in cell.items():  # k x persons <= registrations
        r = cell.get((tid, pos, "registrations"))
        if col == "persons" and r is not None:
            lp.at_most({v: _fewest_registrations(by_id[tid], frames[tid], pos), r: -1.0})

    _unions(lp, tables, frames, cell)
    _same_cells(lp, tables, frames, cell)
    _adds_to(lp, tables, frames, cell)
    ranges = _ranges(lp, cell, not_small, threshold)
    for (tid, pos, col), v in cell.items():
        if lp.lb[v] == lp.ub[v] or v not in ranges:
            continue
        if rounding_base and not (truth and 0 < truth.get((tid, pos, col), 0) < threshold):
            continue
        t, f = by_id[tid], frames[tid]
        shown = str(f.at[pos, col])
        lo, hi = ranges[v]
        true = truth.get((tid, pos, col)) if truth else None
        problem = ""
        if hi - lo < 1 - 1e-6:
            problem = f"pinned down to {lo:g}"
        elif rounding_base and true is not None and not lo <= true <= hi:
            problem = f"true value {true} outside {lo:g}..{hi:g}: the attacker model is wrong"
        elif not rounding_base and true is not None and 0 < true < threshold:  # "<10" or "x"
            need_lo = max(1, true - protection_level)
            need_hi = min(threshold - 1, true + protection_level)
            if lo > need_lo + 1e-6 or hi < need_hi - 1e-6:
                problem = f"interval {lo:g}..{hi:g} narrower than {need_lo}..{need_hi}"
        report.findings.append(Finding(tid, _row(f, t, pos), col, shown, lo, hi, true, problem))
    return report


def _unions(lp: _LP, tables: list[Published], frames: dict, cell: dict) -> None:
    """Each row <= its union row ("any") <= the sum of the rows."""
    for t in tables:
        f = frames[t.table_id]
        for dim, union in t.knowledge.get("union_rows", {}).items():
            rest = [d for d in t.dimensions if d != dim and d in f]
            keys = f[rest].astype(str).agg("|".join, axis=1) if rest else pd.Series("", f.index)
            for key in keys.unique():
                rows = np.flatnonzero(keys.to_numpy() == key)
                for col in t.counts:
                    top = [
                        cell.get((t.table_id, p, col)) for p in rows if str(f.at[p, dim]) == union
                    ]
                    parts = [
                        cell.get((t.table_id, p, col)) for p in rows if str(f.at[p, dim]) != union
                    ]
                    parts = [v for v in parts if v is not None]
                    if len(top) != 1 or top[0] is None or not parts:
                        continue
                    for v in parts:
                        lp.at_most({v: 1.0, top[0]: -1.0})
                    lp.at_most({top[0]: 1.0, **{v: -1.0 for v in parts}})


def _declared(tables: list[Published], frames: dict, kind: str):
    """Each rule of knowledge ``kind`` a table declares about another published table: the
    table, its frame, the rule, the other table and its frame."""
    by_id = {t.table_id: t for t in tables}
    for t in tables:
        for rule in t.knowledge.get(kind, ()):
            other = by_id.get(rule["table"])
            if other is not None:
                yield t, frames[t.table_id], rule, other, frames[other.table_id]


def _only_row(frame: pd.DataFrame, want: dict) -> int | None:
    """The one row of ``frame`` with these dimension values, None if not exactly one."""
    hits = [
        q for q in range(len(frame)) if all(str(frame.at[q, d]) == str(v) for d, v in want.items())
    ]
    return hits[0] if len(hits) == 1 else None


def _same_cells(lp: _LP, tables: list[Published], frames: dict, cell: dict) -> None:
    """A cell a table repeats from another table equals that cell."""
    for t, f, rule, other, g in _declared(tables, frames, "same_cells"):
        shared = [d for d in t.dimensions if d in other.dimensions]
        for p in range(len(f)):
            if any(str(f.at[p, d]) != str(v) for d, v in rule.get("where", {}).items()):
                continue
            q = _only_row(g, {**rule.get("as", {}), **{d: f.at[p, d] for d in shared}})
            a = cell.get((t.table_id, p, rule["column"]))
            b = None if q is None else cell.get((other.table_id, q, rule["as_column"]))
            if a is not None and b is not None:
                lp.equal([a], [b])


def _adds_to(lp: _LP, tables: list[Published], frames: dict, cell: dict) -> None:
    """Rows that together count another table's cell equal it."""
    for t, f, rule, other, g in _declared(tables, frames, "adds_to"):
        groups: dict[tuple, list[int]] = defaultdict(list)
        for p in range(len(f)):
            groups[tuple(str(f.at[p, d]) for d in rule["by"])].append(p)
        for key, positions in groups.items():
            q = _only_row(g, dict(zip(rule["by"], key, strict=True)))
            for column in rule["columns"]:
                parts = [cell.get((t.table_id, p, column)) for p in positions]
                total = None if q is None else cell.get((other.table_id, q, rule["as_column"]))
                if total is not None and None not in parts:
                    lp.equal(parts, [total])


def _fewest_registrations(t: Published, frame: pd.DataFrame, pos: int) -> float:
    for dim, at_least in t.registrations_per_person.items():
        return float(at_least.get(str(frame.at[pos, dim]), 1))
    return 1.0


def _ranges(lp: _LP, cell: dict, not_small: set[int], threshold: int) -> dict:
    """min and max of every unknown cell; an ``x`` that is no small count is at least the
    threshold once it cannot be 0, and 0 once it cannot reach the threshold (repeated until
    nothing changes: the integer attack on the symbols, by bound propagation)."""
    while True:
        a_eq, a_ub = lp.matrices()
        solver = _Solver(a_eq, a_ub, lp.lb, lp.ub)
        ranges = {v: solver.range(v) for v in cell.values() if lp.lb[v] != lp.ub[v]}
        changed = False
        for v in not_small & set(ranges):
            lo, hi = ranges[v]
            if lo > 1e-6 and lp.lb[v] < threshold:
                lp.lb[v] = float(threshold)
                changed = True
            elif hi < threshold - 1e-6 and lp.ub[v] > 0:
                lp.ub[v] = 0.0
                changed = True
        if not changed:
            return ranges


class _Solver:
    """min and max of one unknown after another over the same constraints (only the objective
    changes between solves, so each starts from the previous basis)."""

    def __init__(self, a_eq, a_ub, lb, ub):
        n_eq, n_ub = a_eq.shape[0], a_ub.shape[0]
        lower = np.concatenate([np.zeros(n_eq), np.full(n_ub, -highs.INF)])
        self._h = highs.load_lp(sp.vstack([a_eq, a_ub]), lb, ub, lower, np.zeros(n_eq + n_ub))
        self._last: int | None = None

    def range(self, v: int) -> tuple[float, float]:
        if self._last is not None:
            self._h.changeColCost(self._last, 0.0)
        self._h.changeColCost(v, 1.0)
        self._last = v
        failure = "the published tables are inconsistent"
        return (
            highs.optimum(self._h, highs.MINIMIZE, failure),
            highs.optimum(self._h, highs.MAXIMIZE, failure),
        )


def _row(frame: pd.DataFrame, t: Published, pos: int) -> dict:
    return {d: frame.at[pos, d] for d in t.dimensions if d in frame}


def _geography(lp: _LP, tables: list[Published], rows) -> None:
    ref = codes.municipalities().set_index("code")
    geo_tables = [
        t
        for t in tables
        if len(t.dimensions) == 2 and t.dimensions[1] in {*GEO_LEVELS, "municipality"}
    ]
    if not geo_tables:
        return
    for col in ("persons", "registrations"):
        levels = {t.dimensions[1]: rows(t.table_id, col) for t in geo_tables}
        years = {y for r in levels.values() for (y, _) in r}
        for year in years:
            munis = levels.get("municipality", {})
            atoms = {
                code: munis.get((year, code)) if (year, code) in munis else lp.var()
                for code in [*ref.index, "unknown"]
            }
            for level, cells in levels.items():
                if level == "municipality":
                    continue
                members: dict = defaultdict(list)
                for code, v in atoms.items():
                    members["unknown" if code == "unknown" else ref.at[code, level]].append(v)
                for (y, cat), v in cells.items():
                    if y == year:
                        lp.equal(members.get(cat, []), [v])


def _local(lp: _LP, tables: list[Published], rows) -> None:
    """Local figures: one unknown per municipality and year (per count); each published cell
    is the sum of the unknowns of its area and years."""
    local = [t for t in tables if t.table_id.startswith("local_")]
    if not local:
        return
    ref = codes.municipalities().set_index("code")
    years = sorted({int(y) for t in local if "year" in t.dimensions for y in t.frame["year"]}) or [
        None
    ]
    places = [*ref.index, "unknown"]

    def area(level: str | None, code: str):
        if level is None:
            return None
        if level == "municipality" or code == "unknown":
            return code
        return ref.at[code, level]

    for col in sorted({c for t in local for c in t.counts}):
        members: dict[tuple, list[int]] = defaultdict(list)
        for code in places:
            for year in years:
                v = lp.var()
                for level in (None, "municipality", *GEO_LEVELS):
                    members[(level, area(level, code), year)].append(v)
                    if year is not None:
                        members[(level, area(level, code), None)].append(v)
        for t in local:
            if col not in t.counts:
                continue
            level = next((d for d in t.dimensions if d != "year"), None)
            for (year, cat), v in rows(t.table_id, col).items():
                key = (level, cat, None if year is None else int(year))
                lp.equal(members.get(key, []), [v])


def _age(lp: _LP, rows) -> None:
    for col in ("persons", "registrations"):
        ages, minor = rows("age_group", col), rows("minor", col)
        for (year, cat), v in minor.items():
            parts = {"minor": ["0-11", "12-17"], "unknown": ["unknown"]}.get(
                cat, ["18-22", "23-29", "30-49", "50+"]
            )
            found = [ages[(year, a)] for a in parts if (year, a) in ages]
            if len(found) == len(parts):
                lp.equal(found, [v])


def _nationality(lp: _LP, rows) -> None:
    for col in ("persons", "registrations"):
        top, groups = rows("top_nationalities", col), rows("nationality_group", col)
        if not top or not groups:
            continue
        for year in {y for y, _ in top}:
            named = {c: v for (y, c), v in top.items() if y == year}
            other = {g: lp.var() for g in codes.NATIONALITY_GROUP.order() if g != "unknown"}
            if "other" in named:
                lp.equal(list(other.values()), [named["other"]])
            for (y, g), v in groups.items():
                if y != year:
                    continue
                if g == "unknown":
                    if "unknown" in named:
                        lp.equal([named["unknown"]], [v])
                    continue
                members = [
                    cv
                    for c, cv in named.items()
                    if c not in ("other", "unknown") and codes.nationality_group(c) == g
                ]
                lp.equal([*members, other[g]], [v])


def _relations(lp: _LP, rows) -> None:
    def same(a, b, col_a, col_b=None):
        ra, rb = rows(a[0], col_a), rows(b[0], col_b or col_a)
        for (year, cat), v in ra.items():
            if cat == a[1] and (year, b[1]) in rb:
                lp.equal([v], [rb[(year, b[1])]])

    for col in ("persons", "registrations"):
        same(("victim_group", "criminal"), ("exploitation_form", "criminal"), col)
        same(("victim_group", "labour"), ("exploitation_form", "labour"), col)
        forms, groups = rows("exploitation_form", col), rows("victim_group", col)
        for (year, cat), v in forms.items():
            parts = [(year, "domestic_sexual"), (year, "crossborder_sexual")]
            if cat == "sexual" and all(p in groups for p in parts):
                lp.equal([groups[p] for p in parts], [v])
    same(("victim_group", "criminal"), ("hidden_number", "criminal"), "persons", "observed")
    same(
        ("victim_group", "other_unknown"), ("hidden_number", "other_unknown"), "persons", "observed"
    )
    orgs, overlap = rows("reporting_org", "persons"), rows("org_overlap", "persons")
    for year in {y for y, _ in overlap}:
        n = [overlap.get((year, k)) for k in ("1", "2+")]
        o = [orgs.get((year, k)) for k in ORGS]
        if None in n or None in o:
            continue
        lp.at_most({**{v: -1.0 for v in o}, n[0]: 1.0, n[1]: 2.0})
        lp.at_most({**{v: 1.0 for v in o}, n[0]: -1.0, n[1]: -float(len(ORGS))})


def published_from_csv(folder) -> list[Published]:
    """The tables of a report folder as an outsider reads them (``tables/*.csv`` + metadata)."""
    import json
    from pathlib import Path

    folder = Path(folder)
    meta = json.loads((folder / "metadata.json").read_text("utf-8"))
    out = []
    for t in meta["tables"]:
        frame = pd.read_csv(folder / t["file"], dtype=str, keep_default_na=False)
        for d in t["dimensions"]:
            if d == "year":
                frame[d] = frame[d].astype(int)
        counts = tuple(t["counts"])
        out.append(
            Published(
                t["table_id"],
                frame,
                tuple(t["dimensions"]),
                counts,
                bool(t["overlapping_rows"]),
                # a reader sees ``<10`` in a table: its ``x`` then hides no small count
                x_not_small=bool(frame[list(counts)].map(_is_small_symbol).to_numpy().any()),
                knowledge={k: t[k] for k in KNOWLEDGE if k in t},
            )
        )
    return out


def published_from_protected(protected: dict) -> list[Published]:
    """The tables as a reader sees them (a withheld table shows no number: left out)."""
    out = []
    for tid, p in protected.items():
        if p.withheld:
            continue
        frame = p.frame
        for col in p.spec.counts:
            frame[col] = frame[col].map(lambda v: "" if v is None else str(v))
        out.append(
            Published(
                tid,
                frame,
                p.spec.dimensions,
                p.spec.counts,
                p.spec.overlapping,
                x_not_small=small_symbol(p.spec),
                knowledge={k: p.spec.extra[k] for k in KNOWLEDGE if k in p.spec.extra},
            )
        )
    return out


def _is_small_symbol(v) -> bool:
    return isinstance(v, str) and v.strip().startswith("<")


def truth_of(tables: dict) -> dict[tuple[str, int, str], int]:
    """True counts by (table, row position, column), for the protection-interval check."""
    out = {}
    for tid, t in tables.items():
        f = t.frame.reset_index(drop=True)
        for col in t.counts:
            for pos, v in enumerate(f[col].tolist()):
                n = _num(v)
                if n is not None:
                    out[(tid, pos, col)] = n
    return out
