"""Cells, terms and model matrices of hierarchical Poisson log-linear models.

Every cell (capture pattern, possibly within a covariate level) is a set of *factors*:
the lists it is on, plus one indicator per non-reference covariate level. A *term* is a
set of factors too, encoded as an integer bit mask; its model-matrix column is 1 on the
cells containing all its factors. The intercept is the empty term ``0``. This one
encoding covers main effects, list interactions, a covariate's levels and
list-by-covariate effects, and it gives the extended-MLE rule of the references for
free: a term whose sufficient statistic (the count of individuals in the cells that
contain it) is zero is fixed at minus infinity and its cells (its "descendants") are
removed from the fit (Chan, Silverman & Vincent 2021; MultipleSystemsEstimation's
``fit_hier_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np

from traffickingmonitor.analysis.mse.table import CaptureTable, all_patterns, pattern_bits


def popcount(x: int) -> int:
    return int(x).bit_count()


@dataclass(frozen=True, eq=False)
class Layout:
    """The cells of an incomplete table and the factor names behind term bits.

    Attributes
    ----------
    factor_names : tuple of str
        Lists first (bits ``0..n_lists-1``), then non-reference covariate levels.
    n_lists : int
        Number of lists.
    cell_bits : numpy.ndarray
        Factor bit mask of each observable cell.
    dark_bits : numpy.ndarray
        Factor bit mask of the unobservable all-lists-zero cell of each level.
    level_names : tuple of str
        Covariate levels (one ``""`` level without a covariate).
    cell_level : numpy.ndarray
        Level index of each observable cell.
    cell_patterns : numpy.ndarray
        ``(n_cells, n_lists)`` 0/1 list patterns of the cells.
    """

    factor_names: tuple[str, ...]
    n_lists: int
    cell_bits: np.ndarray
    dark_bits: np.ndarray
    level_names: tuple[str, ...]
    cell_level: np.ndarray
    cell_patterns: np.ndarray
    covariate: str | None = None

    @classmethod
    def for_table(cls, table: CaptureTable) -> Layout:
        pats = table.patterns
        return cls(
            factor_names=tuple(table.lists),
            n_lists=table.n_lists,
            cell_bits=pattern_bits(pats),
            dark_bits=np.zeros(1, dtype=np.int64),
            level_names=("",),
            cell_level=np.zeros(len(pats), dtype=np.int64),
            cell_patterns=pats,
        )

    @classmethod
    def for_levels(cls, lists: tuple[str, ...], covariate: str, levels: list[str]) -> Layout:
        """Cells of ``len(levels)`` stacked tables; the first level is the reference."""
        t = len(lists)
        pats = all_patterns(t)
        base = pattern_bits(pats)
        level_factor = [0] + [1 << (t + k) for k in range(len(levels) - 1)]
        bits = np.concatenate([base | lf for lf in level_factor])
        return cls(
            factor_names=tuple(lists) + tuple(f"{covariate}={lv}" for lv in levels[1:]),
            n_lists=t,
            cell_bits=bits.astype(np.int64),
            dark_bits=np.array(level_factor, dtype=np.int64),
            level_names=tuple(str(lv) for lv in levels),
            cell_level=np.repeat(np.arange(len(levels)), len(base)),
            cell_patterns=np.tile(pats, (len(levels), 1)),
            covariate=covariate,
        )

    @property
    def n_cells(self) -> int:
        return len(self.cell_bits)

    @property
    def n_levels(self) -> int:
        return len(self.dark_bits)

    def list_mask(self) -> int:
        return (1 << self.n_lists) - 1

    def base_terms(self, list_by_level: tuple[int, ...] = ()) -> tuple[int, ...]:
        """Intercept, list and level main effects, and requested list-by-level terms."""
        terms = [0] + [1 << i for i in range(self.n_lists)]
        level_bits = [int(b) for b in self.dark_bits[1:]]
        terms += level_bits
        for i in list_by_level:
            terms += [(1 << i) | lb for lb in level_bits]
        return tuple(sorted(set(terms), key=term_key))

    def columns(self, terms: tuple[int, ...] | list[int]) -> np.ndarray:
        """``(n_cells, len(terms))`` model matrix over all observable cells."""
        t = np.asarray(terms, dtype=np.int64)
        return ((self.cell_bits[:, None] & t[None, :]) == t[None, :]).astype(float)

    def dark_columns(self, terms: tuple[int, ...] | list[int]) -> np.ndarray:
        """``(n_levels, len(terms))`` model-matrix rows of the dark cells."""
        t = np.asarray(terms, dtype=np.int64)
        return ((self.dark_bits[:, None] & t[None, :]) == t[None, :]).astype(float)

    def term_name(self, term: int) -> str:
        if term == 0:
            return "(Intercept)"
        return ":".join(self.factor_names[i] for i in bits_of(term))

    def parse_term(self, name: str) -> int:
        """``"A:B"`` to a bit mask; raise ValueError on an unknown list."""
        parts = [p.strip() for p in name.split(":")]
        bits = 0
        for p in parts:
            if p not in self.factor_names:
                raise ValueError(f"unknown list {p!r} in term {name!r}")
            bits |= 1 << self.factor_names.index(p)
        return bits


@cache
def bits_of(term: int) -> tuple[int, ...]:
    return tuple(i for i in range(term.bit_length()) if term >> i & 1)


@cache
def term_key(term: int) -> tuple[int, tuple[int, ...]]:
    return (popcount(term), bits_of(term))


def candidate_pairs(n_lists: int) -> list[int]:
    """List pairs in SparseMSE's order (1,2), (1,3), ..., (2,3), ... (tie-breaking matters)."""
    return [(1 << i) | (1 << j) for i, j in combinations(range(n_lists), 2)]


def hierarchical_models(n_lists: int, max_order: int = 2) -> list[tuple[int, ...]]:
    """All hierarchical sets of list interactions of order 2..max_order.

    Main effects are always in the model and not listed. A set is hierarchical when
    every sub-interaction of order >= 2 of each member is a member.

    Returns
    -------
    list of tuple of int
        Each model's interaction terms, sorted by :func:`term_key`. With
        ``max_order=2`` these are all ``2**(t(t-1)/2)`` subsets of pairs.
    """
    max_order = max(1, min(max_order, n_lists))
    models: list[tuple[int, ...]] = [()]
    for order in range(2, max_order + 1):
        candidates = [sum(1 << i for i in c) for c in combinations(range(n_lists), order)]
        grown: list[tuple[int, ...]] = []
        for m in models:
            present = set(m)
            allowed = [
                c
                for c in candidates
                if all((c & ~(1 << i)) in present or order == 2 for i in bits_of(c))
            ]
            for r in range(len(allowed) + 1):
                for sub in combinations(allowed, r):
                    grown.append(m + sub)
        models = grown
    return [tuple(sorted(m, key=term_key)) for m in models]


def hierarchy_string(layout: Layout, interactions: tuple[int, ...]) -> str:
    """MultipleSystemsEstimation notation: maximal terms with 1-based list numbers.

    ``[12,3]`` is lists 1 and 2 interacting plus the main effect of list 3.
    """
    terms = set(interactions) | {1 << i for i in range(layout.n_lists)}
    maximal = [t for t in terms if not any(t != u and (t & u) == t for u in terms)]
    maximal.sort(key=lambda t: (-popcount(t), bits_of(t)))
    sep = "" if layout.n_lists < 10 else "."
    return "[" + ",".join(sep.join(str(i + 1) for i in bits_of(t)) for t in maximal) + "]"
