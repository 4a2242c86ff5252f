"""Capture-recapture contingency tables: reading, validation, canonical cell order.

A table with ``t`` lists has ``2**t - 1`` observable capture patterns. Patterns absent
from the input are zero counts and stay in the table: the log-linear model is fitted to
the whole incomplete table, not only to the observed rows.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from traffickingmonitor.errors import UserError

if TYPE_CHECKING:  # the bootstrap's workers import this module and never read a frame
    import pandas as pd

#: More lists than this make ``2**t`` cells and ``t(t-1)/2`` pairs too many for the
#: exhaustive searches and bootstraps here; merge lists before estimating.
MAX_LISTS = 12
#: A count above this is no population of people (and would overflow the model's integers).
MAX_COUNT = 10**12
#: Characters a list name may not hold: the model syntax joins names with them (``A:B``,
#: ``A:B, C:D``).
MODEL_SEPARATORS = (":", ",")


class TableError(UserError):
    """The capture table is malformed (the message names the source and the row)."""


class NotEstimableError(UserError):
    """The table is well formed but no finite, identifiable estimate exists."""


def all_patterns(n_lists: int) -> np.ndarray:
    """Every observable capture pattern, ordered by number of lists then list order.

    Parameters
    ----------
    n_lists : int
        Number of lists ``t``.

    Returns
    -------
    numpy.ndarray
        ``(2**t - 1, t)`` array of 0/1, e.g. ``A, B, C, AB, AC, BC, ABC`` for three lists
        (the order SparseMSE's ``tidylists`` uses).
    """
    rows = []
    for r in range(1, n_lists + 1):
        for combo in combinations(range(n_lists), r):
            row = np.zeros(n_lists, dtype=np.int8)
            row[list(combo)] = 1
            rows.append(row)
    return np.array(rows, dtype=np.int8).reshape(-1, n_lists)


def pattern_bits(patterns: np.ndarray) -> np.ndarray:
    """Encode 0/1 patterns as integers with bit ``i`` for list ``i``."""
    weights = (1 << np.arange(patterns.shape[1], dtype=np.int64)).astype(np.int64)
    return patterns.astype(np.int64) @ weights


@dataclass(frozen=True)
class CaptureTable:
    """A validated capture-recapture table on the full set of observable patterns.

    Attributes
    ----------
    lists : tuple of str
        List (source) names, in column order.
    counts : numpy.ndarray
        Counts of the ``2**t - 1`` observable patterns in :func:`all_patterns` order.
    source : str
        Where the table came from (a file name or ``"<frame>"``), used in messages.
    """

    lists: tuple[str, ...]
    counts: np.ndarray
    source: str = "<table>"
    _patterns: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t = len(self.lists)
        if t < 2:
            raise TableError(f"{self.source}: need at least two lists, found {t}")
        if t > MAX_LISTS:
            raise TableError(
                f"{self.source}: {t} lists; at most {MAX_LISTS} are supported (merge lists)"
            )
        counts = np.asarray(self.counts, dtype=np.int64)
        if counts.shape != (2**t - 1,):
            raise TableError(f"{self.source}: expected {2**t - 1} pattern counts")
        if (counts < 0).any():
            raise TableError(f"{self.source}: negative count")
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "_patterns", all_patterns(t))

    # -- constructors ---------------------------------------------------------------
    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, count: str = "count", source: str = "<frame>"
    ) -> CaptureTable:
        """Build a table from one 0/1 column per list plus a count column.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per capture pattern. Absent patterns count zero.
        count : str
            Name of the count column (matched case-insensitively).
        source : str
            Name used in error messages (e.g. the file name).

        Raises
        ------
        TableError
            Non-0/1 list values, negative or fractional counts, a duplicated or
            all-zero pattern, missing values, fewer than two lists or no count column.
        """
        cols = [str(c) for c in frame.columns]
        matches = [c for c in cols if c.strip().lower() == count.lower()]
        if not matches:
            raise TableError(
                f"{source}: no '{count}' column (columns: {', '.join(cols) or 'none'})"
            )
        count_col = matches[0]
        lists = [c for c in cols if c != count_col]
        if len(lists) < 2:
            raise TableError(f"{source}: need at least two list columns, found {len(lists)}")
        check_list_names(lists, source)
        if len(frame) == 0:
            raise TableError(f"{source}: no rows")
        frame = frame.copy()
        frame.columns = cols
        t = len(lists)
        flags = np.zeros((len(frame), t), dtype=np.int8)
        for j, name in enumerate(lists):
            values = frame[name].tolist()
            for i, v in enumerate(values):
                b = _as_binary(v)
                if b is None:
                    raise TableError(
                        f"{source}: list column '{name}' must be 0 or 1, {_row(i)}: {v!r}"
                    )
                flags[i, j] = b
        counts_in = np.zeros(len(frame), dtype=np.int64)
        for i, v in enumerate(frame[count_col].tolist()):
            c = _as_count(v)
            if c is None:
                raise TableError(
                    f"{source}: count must be a whole number written in digits (e.g. 1000), "
                    f"{_row(i)}: {v!r}"
                )
            if c > MAX_COUNT:
                raise TableError(f"{source}: count above {MAX_COUNT:.0e}, {_row(i)}: {v!r}")
            counts_in[i] = c
        bits = pattern_bits(flags)
        for i in np.flatnonzero(bits == 0):
            raise TableError(
                f"{source}: all-zero capture pattern, {_row(int(i))}: the dark figure "
                "cannot be observed; drop the row"
            )
        seen: dict[int, int] = {}
        for i, b in enumerate(bits.tolist()):
            if b in seen:
                raise TableError(
                    f"{source}: duplicated capture pattern "
                    f"{','.join(map(str, flags[i].tolist()))}, {_row(i)} repeats "
                    f"{_row(seen[b])}"
                )
            seen[b] = i
        full_bits = pattern_bits(all_patterns(t))
        index = {int(b): k for k, b in enumerate(full_bits.tolist())}
        counts = np.zeros(len(full_bits), dtype=np.int64)
        for b, c in zip(bits.tolist(), counts_in.tolist(), strict=True):
            counts[index[int(b)]] = c
        return cls(tuple(lists), counts, source)

    @classmethod
    def from_csv(cls, path: str | Path, *, count: str = "count") -> CaptureTable:
        """Read a CSV table (see :meth:`from_frame`); unreadable files raise TableError."""
        import pandas as pd

        p = Path(path)
        name = str(path)
        try:
            # the header as written: pandas renames blank ("Unnamed: 2") and repeated
            # ("A.1") column names
            with p.open(newline="", encoding="utf-8-sig") as f:
                header = next(csv.reader(f), [])
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
        except FileNotFoundError:
            raise TableError(f"{name}: file not found") from None
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TableError(f"{name}: cannot read as CSV: {reason}") from None
        except OSError as exc:
            raise TableError(f"{name}: cannot read: {exc.strerror or exc}") from None
        names = [h.strip() for h in header]
        check_list_names([h for h in names if h.lower() != count.lower()], name)
        return cls.from_frame(frame, count=count, source=name)

    @classmethod
    def from_records(
        cls,
        frame: pd.DataFrame,
        lists: list[str] | tuple[str, ...],
        *,
        weight: str | None = None,
        source: str = "<records>",
    ) -> CaptureTable:
        """Aggregate per-person list-membership flags into a table.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per person (or per group of people, with ``weight``).
        lists : sequence of str
            The 0/1 (or boolean) list columns.
        weight : str, optional
            Column of non-negative integer multiplicities; default one per row.
        source : str
            Name used in messages.

        Notes
        -----
        Rows on no list are people not captured by any list; they cannot exist in
        real registrations and raise TableError rather than being silently dropped.
        """
        lists = list(lists)
        missing = [c for c in lists if c not in frame.columns]
        if missing:
            raise TableError(f"{source}: missing list column(s) {', '.join(missing)}")
        if len(lists) < 2:
            raise TableError(f"{source}: need at least two lists, found {len(lists)}")
        check_list_names(lists, source)
        flags = np.zeros((len(frame), len(lists)), dtype=np.int8)
        for j, name in enumerate(lists):
            for i, v in enumerate(frame[name].tolist()):
                b = _as_binary(v)
                if b is None:
                    raise TableError(
                        f"{source}: list column '{name}' must be 0 or 1, {_row(i)}: {v!r}"
                    )
                flags[i, j] = b
        if weight is None:
            w = np.ones(len(frame), dtype=np.int64)
        else:
            w = np.zeros(len(frame), dtype=np.int64)
            for i, v in enumerate(frame[weight].tolist()):
                c = _as_count(v)
                if c is None:
                    raise TableError(
                        f"{source}: weight must be a non-negative integer, {_row(i)}: {v!r}"
                    )
                w[i] = c
        bits = pattern_bits(flags)
        zero = np.flatnonzero((bits == 0) & (w > 0))
        if zero.size:
            raise TableError(
                f"{source}: person on no list, {_row(int(zero[0]))}: every record must be "
                "on at least one list"
            )
        t = len(lists)
        full_bits = pattern_bits(all_patterns(t))
        lookup = np.zeros(2**t, dtype=np.int64)
        lookup[full_bits] = np.arange(len(full_bits))
        counts = np.bincount(lookup[bits[w > 0]], weights=w[w > 0], minlength=len(full_bits))
        return cls(tuple(lists), counts.astype(np.int64), source)

    # -- views ----------------------------------------------------------------------
    @property
    def patterns(self) -> np.ndarray:
        """``(2**t - 1, t)`` 0/1 patterns matching :attr:`counts`."""
        return self._patterns

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct individuals observed on at least one list."""
        return int(self.counts.sum())

    def pattern_labels(self) -> list[str]:
        """Patterns as list-name strings, e.g. ``"LA+NG"``."""
        return [
            "+".join(n for n, f in zip(self.lists, row, strict=True) if f) for row in self._patterns
        ]

    def list_totals(self) -> dict[str, int]:
        """Individuals on each list (whatever other lists they are on)."""
        tot = self.counts @ self._patterns
        return {n: int(v) for n, v in zip(self.lists, tot, strict=True)}

    def pair_overlaps(self) -> dict[tuple[str, str], int]:
        """Individuals on both lists of each pair (whatever other lists they are on)."""
        out = {}
        for i, j in combinations(range(self.n_lists), 2):
            both = self._patterns[:, i] * self._patterns[:, j]
            out[(self.lists[i], self.lists[j])] = int(self.counts @ both)
        return out

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        """Same lists and cells with other counts (bootstrap, jackknife)."""
        return CaptureTable(self.lists, np.asarray(counts, dtype=np.int64), self.source)

    def drop_lists(self, names: list[str]) -> CaptureTable:
        """Collapse the table over the named lists (their members stay, unlisted)."""
        keep = [i for i, n in enumerate(self.lists) if n not in set(names)]
        sub = self._patterns[:, keep]
        t = len(keep)
        full_bits = pattern_bits(all_patterns(t))
        lookup = np.zeros(2**t, dtype=np.int64) - 1
        lookup[full_bits] = np.arange(len(full_bits))
        bits = pattern_bits(sub)
        counts = np.zeros(len(full_bits), dtype=np.int64)
        nz = bits > 0
        np.add.at(counts, lookup[bits[nz]], self.counts[nz])
        return CaptureTable(tuple(self.lists[i] for i in keep), counts, self.source)

    def to_frame(self, *, include_zeros: bool = True) -> pd.DataFrame:
        """The table as a DataFrame (one 0/1 column per list plus ``count``)."""
        import pandas as pd

        df = pd.DataFrame(self._patterns.astype(int), columns=list(self.lists))
        df["count"] = self.counts
        if not include_zeros:
            df = df[df["count"] > 0].reset_index(drop=True)
        return df


def check_list_names(names: list[str], source: str) -> None:
    """Refuse list names the model syntax cannot name: blank, repeated, or holding a
    separator of the model syntax."""
    for i, name in enumerate(names):
        if not str(name).strip():
            raise TableError(f"{source}: list column {i + 1} has no name")
        bad = [c for c in MODEL_SEPARATORS if c in str(name)]
        if bad:
            raise TableError(
                f"{source}: list name {name!r} holds {' and '.join(repr(c) for c in bad)}, "
                "which the model syntax uses to join names (A:B, C:D); rename the list"
            )
    seen = set()
    for name in names:
        key = str(name).strip()
        if key in seen:
            raise TableError(f"{source}: list name {key!r} appears twice")
        seen.add(key)


def _row(i: int) -> str:
    # Data rows count from 1 after the header; line numbers include the header line.
    return f"row {i + 1} (line {i + 2})"


def _as_binary(v: Any) -> int | None:
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        if s in ("0", "1"):
            return int(s)
        try:
            f = float(s)
        except ValueError:
            return None
        return int(f) if f in (0.0, 1.0) else None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if math.isnan(f):
        return None
    return int(f) if f in (0.0, 1.0) else None


def _as_count(v: Any) -> int | None:
    """A count: digits only in text (``1000``; not ``1e3``, ``10.0`` or ``1.000``), or a
    whole, finite, non-negative number from a frame."""
    if isinstance(v, bool | np.bool_):
        return None
    if isinstance(v, str):
        s = v.strip()
        return int(s) if s.isascii() and s.isdigit() else None
    if isinstance(v, int | np.integer):
        return int(v) if v >= 0 else None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or f < 0 or f != int(f):
        return None
    return int(f)
