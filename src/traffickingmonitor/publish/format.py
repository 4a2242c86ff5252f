"""Formatting of published numbers (shown counts, shares, intervals)."""

from __future__ import annotations

import math

from traffickingmonitor.disclosure.api import DisclosureRule, ProtectedTable
from traffickingmonitor.publish.labels import category_label


def shown(v) -> str:
    """A shown value: an int with a thin-space thousands separator, or the symbol as is."""
    if v is None:
        return "–"
    return v if isinstance(v, str) else f"{int(v):,}".replace(",", "\u202f")


_HIDDEN = DisclosureRule().secondary_symbol


def is_words(v) -> bool:
    """A table cell of words (set left, as text), not a number, a share or the hidden symbol."""
    return isinstance(v, str) and v[:1].isalpha() and v != _HIDDEN


def pct(numerator: int | None, denominator: int | None) -> int | None:
    """A share only from publishable counts: a suppressed input gives no share at all."""
    if numerator is None or not denominator:
        return None
    return round(100 * numerator / denominator)


# "clearly larger": the gap between two counts is beyond chance (a 95% test of two Poisson
# counts, |a − b| > 1.96 √(a + b)) and at least this many percentage points of all persons
CLOSE_POINTS = 5
Z95 = 1.96


def clearly_larger(a: int, b: int, total: int) -> bool:
    """Whether count ``a`` is clearly above count ``b`` (out of ``total`` persons): only then
    does a report call a group the largest."""
    if total <= 0 or a <= b:
        return False
    return a - b > Z95 * math.sqrt(a + b) and 100 * (a - b) / total >= CLOSE_POINTS


def interval(low, high) -> str:
    if low is None or high is None:
        return "–"
    return f"{shown(low)}–{shown(high)}"


def labels_for(table: ProtectedTable, dimension: str, lang: str) -> dict:
    return {c: category_label(dimension, c, lang) for c in table.frame[dimension].unique()}


def wide(table: ProtectedTable, dimension: str, labels: dict, measure: str) -> tuple[list, list]:
    """Categories as rows, years as columns; categories that are zero throughout are left out."""
    frame = table.frame
    years = sorted(frame["year"].unique())
    rows = []
    for cat in dict.fromkeys(frame[dimension]):
        sub = frame[frame[dimension] == cat].set_index("year")[measure]
        if all(not isinstance(v, str) and v == 0 for v in sub):
            continue
        rows.append([labels[cat], *[shown(sub.get(y, 0)) for y in years]])
    return [int(y) for y in years], rows
