"""Disclosure control v0: the primary rule, and the only door to ``ProtectedTable``.

``publish`` accepts nothing but a ``ProtectedTable``, and only ``protect`` can make one, so
an unprotected frame cannot reach a page, a PDF or a CSV by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable

SUPPRESSED_SYMBOL_PREFIX = "<"
_DOOR = object()  # only this module holds it


@dataclass(frozen=True)
class PrimaryRule:
    """Counts from 1 to ``threshold - 1`` are not shown (0 stays 0: an empty cell)."""

    threshold: int = 10
    estimate_rounding: int = 10  # estimates are published to the nearest multiple of this

    def __post_init__(self):
        if self.threshold < 1:
            raise ValueError("the disclosure threshold must be at least 1")

    @property
    def symbol(self) -> str:
        return f"{SUPPRESSED_SYMBOL_PREFIX}{self.threshold}"

    def describe(self, lang: str = "en") -> str:
        if lang == "nl":
            return (
                f"Aantallen van 1 tot en met {self.threshold - 1} worden niet getoond "
                f"(weergegeven als '{self.symbol}'). Schattingen worden afgerond op "
                f"{self.estimate_rounding}-tallen."
            )
        return (
            f"Counts from 1 to {self.threshold - 1} are not shown (displayed as '{self.symbol}'). "
            f"Estimates are rounded to the nearest {self.estimate_rounding}."
        )

    def to_dict(self) -> dict:
        return {
            "rule": "primary_threshold",
            "threshold": self.threshold,
            "symbol": self.symbol,
            "estimate_rounding": self.estimate_rounding,
        }


class ProtectedTable:
    """A table that has passed disclosure control. Cells of count columns are ints or a symbol."""

    __slots__ = ("_frame", "rule", "source", "suppressed")

    def __init__(
        self, door, source: MonitorTable, frame: pd.DataFrame, suppressed: pd.DataFrame, rule
    ):
        if door is not _DOOR:
            raise TypeError("a ProtectedTable is made by disclosure.protect() only")
        self.source = source
        self._frame = frame
        self.suppressed = suppressed
        self.rule = rule

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame.copy()

    @property
    def table_id(self) -> str:
        return self.source.table_id

    def title(self, lang: str) -> str:
        return self.source.title(lang)

    def value(self, row: dict, column: str):
        """The shown value (int or symbol) of ``column`` in the row whose dimensions match ``row``."""
        mask = pd.Series(True, index=self._frame.index)
        for k, v in row.items():
            mask &= self._frame[k] == v
        hits = self._frame.loc[mask, column]
        if len(hits) != 1:
            raise KeyError(f"{self.table_id}: {row} matches {len(hits)} rows")
        return hits.iloc[0]

    def shown_count(self, row: dict, column: str) -> int | None:
        """The count if it may be shown, else None (for derived figures: rates, shares)."""
        v = self.value(row, column)
        return None if isinstance(v, str) else int(v)


def protect(table: MonitorTable, rule: PrimaryRule | None = None) -> ProtectedTable:
    rule = rule or PrimaryRule()
    frame = table.frame.copy()
    suppressed = pd.DataFrame(False, index=frame.index, columns=[*table.counts, *table.estimates])
    for col in table.counts:
        values = frame[col]
        small = (values > 0) & (values < rule.threshold)
        suppressed[col] = small.to_numpy()
        frame[col] = values.astype(object).where(~small, rule.symbol)
    # An estimate beside a hidden count could give the count away (estimate = observed + dark
    # figure), so it is hidden with it.
    row_hidden = (
        suppressed[list(table.counts)].any(axis=1)
        if table.counts
        else pd.Series(False, index=frame.index)
    )
    for col in table.estimates:
        values = pd.to_numeric(table.frame[col], errors="coerce")
        rounded = (values / rule.estimate_rounding).round() * rule.estimate_rounding
        suppressed[col] = row_hidden
        shown = rounded.astype("Int64").astype(object).where(rounded.notna(), None)
        frame[col] = shown.where(~row_hidden, rule.symbol)
    return ProtectedTable(_DOOR, table, frame, suppressed, rule)


def protect_edition(
    tables: dict[str, MonitorTable], rule: PrimaryRule | None = None
) -> dict[str, ProtectedTable]:
    """Protect all tables of an edition together: the one call every output channel makes.

    v0 applies the primary rule table by table; suppression that holds across the tables of
    an edition (secondary suppression) belongs here, so no channel can bypass it.
    """
    rule = rule or PrimaryRule()
    return {table_id: protect(table, rule) for table_id, table in tables.items()}


def require_protected(obj) -> ProtectedTable:
    """Guard for publishing code: fail loudly on anything but a ``ProtectedTable``."""
    if not isinstance(obj, ProtectedTable):
        raise TypeError(f"publish accepts only ProtectedTable, got {type(obj).__name__}")
    return obj
