"""The primary rule, and the only door to ``ProtectedTable``.

``publish`` accepts nothing but a ``ProtectedTable``, and only this package can make one, so
an unprotected frame cannot reach a page, a PDF or a CSV by accident.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable, row_positions
from traffickingmonitor.disclosure.rule import (
    SUPPRESSED_SYMBOL_PREFIX,
    DisclosureRule,
    PrimaryRule,
)

__all__ = [
    "SUPPRESSED_SYMBOL_PREFIX",
    "PrimaryRule",
    "ProtectedTable",
    "protect",
    "require_protected",
]

_DOOR = object()  # only this package holds it

PRIMARY, SECONDARY, ROUNDED, NOISY, WITHHELD = (
    "primary",
    "secondary",
    "rounded",
    "noisy",
    "withheld",
)


class ProtectedTable:
    """A table that has passed disclosure control. Cells of count columns are ints or a symbol.

    ``spec`` is the table's declaration (dimensions, count and estimate columns, titles,
    notes, metadata) with an empty frame: the shown ``frame`` is the only frame it holds.

    ``suppressed`` marks hidden cells (any string is hidden for publishing code); ``status``
    says why per cell (``primary``, ``secondary``, ``rounded``, ``noisy``, ``withheld`` or
    empty); ``accuracy`` is, for noisy counts, the half-width of a 95% interval per cell.
    """

    __slots__ = (
        "_accuracy",
        "_frame",
        "_hidden",
        "_rows_by",
        "_status",
        "rule",
        "spec",
        "suppressed",
    )

    def __init__(
        self,
        door,
        source: MonitorTable,
        frame: pd.DataFrame,
        suppressed: pd.DataFrame,
        rule,
        status: pd.DataFrame | None = None,
        accuracy: pd.DataFrame | None = None,
    ):
        if door is not _DOOR:
            raise TypeError("a ProtectedTable is made by disclosure.protect() only")
        # what the table is (dimensions, counts, notes), without a number: publishing code
        # cannot reach a raw count through a protected table
        self.spec = dataclasses.replace(source, frame=source.frame.iloc[:0].copy(), members=None)
        self._frame = frame
        self.suppressed = suppressed
        self.rule = rule
        if status is None:
            status = suppressed.replace({True: PRIMARY, False: ""}).astype(object)
        self._status = status
        self._accuracy = accuracy
        self._rows_by: dict[tuple, dict] = {}  # (as text, keys): see _rows
        self._hidden: dict[str | None, int] = {}

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame.copy()

    @property
    def status(self) -> pd.DataFrame:
        return self._status.copy()

    @property
    def accuracy(self) -> pd.DataFrame | None:
        return None if self._accuracy is None else self._accuracy.copy()

    @property
    def method(self) -> str:
        return getattr(self.rule, "method", "suppression")

    @property
    def table_id(self) -> str:
        return self.spec.table_id

    def title(self, lang: str) -> str:
        return self.spec.title(lang)

    def n_cells(self) -> int:
        """Count cells published (a number or a symbol; an empty cell is no cell)."""
        counts = [c for c in self.spec.counts if c in self._frame]
        return int(self._frame[counts].notna().to_numpy().sum())

    def n_hidden(self, kind: str | None = None) -> int:
        """Hidden count cells (``kind``: ``primary`` or ``secondary``; None: both)."""
        # counted once per kind: the chapters ask every table (the cells never change)
        if kind not in self._hidden:
            counts = [c for c in self.spec.counts if c in self._status]
            if kind is None:
                self._hidden[kind] = int(self.suppressed[counts].to_numpy().sum())
            else:
                self._hidden[kind] = int((self._status[counts].to_numpy() == kind).sum())
        return self._hidden[kind]

    def value(self, row: dict, column: str):
        """The shown value (int or symbol) of ``column`` in the row whose dimensions match ``row``."""
        hits = self._rows(tuple(row), as_text=False).get(tuple(row.values()), [])
        if len(hits) != 1:
            raise KeyError(f"{self.table_id}: {row} matches {len(hits)} rows")
        return self._frame[column].iloc[hits[0]]

    def rows_matching(self, where: dict) -> list[int]:
        """Positions of the rows whose dimensions equal ``where``'s values as text, in order."""
        return self._rows(tuple(where), as_text=True).get(tuple(map(str, where.values())), [])

    def _rows(self, keys: tuple, *, as_text: bool) -> dict[tuple, list[int]]:
        """The rows' positions by their values of ``keys`` (or those values as text), made
        once per set of keys: the chapters and the municipality pages ask a table hundreds
        of times (the frame never changes)."""
        if (as_text, keys) not in self._rows_by:
            self._rows_by[(as_text, keys)] = row_positions(self._frame, keys, as_text=as_text)
        return self._rows_by[(as_text, keys)]

    @property
    def withheld(self) -> bool:
        """Whether the table publishes no number at all (:func:`withhold`)."""
        counts = [c for c in self.spec.counts if c in self._status]
        return bool(counts) and bool((self._status[counts] == WITHHELD).to_numpy().all())

    def shown_count(self, row: dict, column: str) -> int | None:
        """The count if it may be shown, else None (for derived figures: rates, shares)."""
        v = self.value(row, column)
        return None if isinstance(v, str) or v is None else int(v)


def _make(source, frame, suppressed, rule, status=None, accuracy=None) -> ProtectedTable:
    """For the engines of this package (suppression, rounding, noise)."""
    return ProtectedTable(_DOOR, source, frame, suppressed, rule, status, accuracy)


#: the note a withheld table carries (Dutch, English)
WITHHELD_NOTE = (
    "Niet gepubliceerd in deze editie: met zo weinig personen waren de verborgen cellen van "
    "deze tabel niet te beschermen tegen wat de andere tabellen laten zien.",
    "Withheld in this edition: with so few persons, the hidden cells of this table could not "
    "be protected against what the other tables show.",
)


def withhold(table: ProtectedTable) -> ProtectedTable:
    """``table`` without a number: every count and estimate cell withheld (shown as ``x``).

    Publishing nothing of a table only takes away from what a reader knows, so no other
    table's hidden cell becomes easier to recover; the rows stay, so that every channel
    shows the table's categories with the reason in its note.
    """
    frame = table.frame
    cols = [c for c in (*table.spec.counts, *table.spec.estimates) if c in frame]
    suppressed = pd.DataFrame(False, index=frame.index, columns=cols)
    status = pd.DataFrame("", index=frame.index, columns=cols, dtype=object)
    for col in cols:
        present = frame[col].notna().to_numpy()
        frame[col] = frame[col].astype(object).where(~present, table.rule.secondary_symbol)
        suppressed[col] = present
        status.loc[present, col] = WITHHELD
    spec = dataclasses.replace(
        table.spec,
        note_nl=" ".join(filter(None, (table.spec.note_nl, WITHHELD_NOTE[0]))),
        note_en=" ".join(filter(None, (table.spec.note_en, WITHHELD_NOTE[1]))),
    )
    return _make(spec, frame, suppressed, table.rule, status)


def primary_mask(table: MonitorTable, rule: DisclosureRule) -> pd.DataFrame:
    """Cells of count columns from 1 to threshold-1."""
    mask = pd.DataFrame(False, index=table.frame.index, columns=list(table.counts))
    for col in table.counts:
        values = pd.to_numeric(table.frame[col], errors="coerce")
        mask[col] = ((values > 0) & (values < rule.threshold)).fillna(False).to_numpy()
    return mask


def small_symbol(table: MonitorTable) -> bool:
    """Whether a primary cell of ``table`` is shown as ``<t`` (telling 1..t-1).

    A table of mostly small counts (persons per municipality and year) shows every hidden
    cell as ``x``: a page of ``<10`` would tell that each of those cells is at least 1, and
    then their sum (a municipality's persons over the years) could not be protected downwards.
    """
    return not table.extra.get("hidden_as_x", False)


def apply_pattern(
    table: MonitorTable, rule: DisclosureRule, primary: pd.DataFrame, secondary: pd.DataFrame
) -> ProtectedTable:
    """The published table for a suppression pattern (primary ``<t``, secondary ``x``)."""
    frame = table.frame.copy()
    symbol = rule.symbol if small_symbol(table) else rule.secondary_symbol
    cols = [*table.counts, *table.estimates]
    suppressed = pd.DataFrame(False, index=frame.index, columns=cols)
    status = pd.DataFrame("", index=frame.index, columns=cols, dtype=object)
    for col in table.counts:
        p = primary[col].to_numpy()
        s = secondary[col].to_numpy() & ~p
        shown = frame[col].astype(object)
        shown = shown.where(~p, symbol).where(~s, rule.secondary_symbol)
        frame[col] = shown
        suppressed[col] = p | s
        status.loc[p, col] = PRIMARY
        status.loc[s, col] = SECONDARY
    # An estimate beside a hidden count could give the count away (estimate = observed + dark
    # figure), so it is hidden with it.
    row_hidden = (
        suppressed[list(table.counts)].any(axis=1)
        if table.counts
        else pd.Series(False, index=frame.index)
    )
    for col in table.estimates:
        frame[col] = _rounded_estimates(table.frame[col], rule).where(~row_hidden, rule.symbol)
        suppressed[col] = row_hidden
        status.loc[row_hidden, col] = SECONDARY
    return _make(table, frame, suppressed, rule, status)


def _rounded_estimates(values: pd.Series, rule) -> pd.Series:
    values = pd.to_numeric(values, errors="coerce")
    rounded = (values / rule.estimate_rounding).round() * rule.estimate_rounding
    return rounded.astype("Int64").astype(object).where(rounded.notna(), None)


def protect(table: MonitorTable, rule: DisclosureRule | None = None) -> ProtectedTable:
    """The primary rule on one table alone (no secondary suppression).

    Only for a table that is published on its own; an edition's tables go through
    ``protect_edition`` so that they are protected together.
    """
    rule = rule or PrimaryRule()
    primary = primary_mask(table, rule)
    return apply_pattern(table, rule, primary, primary & False)


def require_protected(obj) -> ProtectedTable:
    """Guard for publishing code: fail loudly on anything but a ``ProtectedTable``."""
    if not isinstance(obj, ProtectedTable):
        raise TypeError(f"publish accepts only ProtectedTable, got {type(obj).__name__}")
    return obj
