"""Formatting of published numbers (shown counts, shares, intervals).

Every count a chapter writes goes through :func:`shown` (a cell of a published table) or
:func:`worked_out` (a figure worked out from shown ones, or a count of something other than
persons). While :func:`recording` is on, each records what it formatted and where:
``disclosure-check`` builds the chapters that way, so that a count in their running text is
known to be a count without guessing it from the words around it.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from traffickingmonitor.disclosure.api import DisclosureRule, ProtectedTable
from traffickingmonitor.publish.labels import category_label


@dataclass(frozen=True)
class Formatted:
    """A number as formatted: ``kind`` is ``"cell"`` (:func:`shown`) or ``"worked_out"``;
    ``where`` the module and function that asked for it."""

    value: float
    kind: str
    where: str


# on only inside ``recording()`` (``disclosure-check``, which builds the chapters in one thread)
_RECORD: list[Formatted] | None = None


@contextlib.contextmanager
def recording() -> Iterator[list[Formatted]]:
    """Every number :func:`shown` and :func:`worked_out` format while inside, in order."""
    global _RECORD
    before, _RECORD = _RECORD, []
    try:
        yield _RECORD
    finally:
        _RECORD = before


def _record(v, kind: str) -> None:
    if _RECORD is None or v is None or isinstance(v, str):
        return
    frame = sys._getframe(2)
    while frame.f_globals.get("__name__") == __name__:  # interval() asks for shown()
        frame = frame.f_back
    _RECORD.append(Formatted(v, kind, f"{frame.f_globals['__name__']}.{frame.f_code.co_name}"))


def number_text(v) -> str:
    """A count as the report writes it (a narrow space between thousands), a symbol as is."""
    if v is None:
        return "–"
    return v if isinstance(v, str) else f"{int(v):,}".replace(",", "\u202f")


def shown(v) -> str:
    """A shown cell of a published table: an int with a thin-space thousands separator, or
    the symbol as is."""
    _record(v, "cell")
    return number_text(v)


def worked_out(v) -> str:
    """A figure worked out from shown ones (a sum, a difference, a mean), or a count of
    something other than persons (cells, pairs of registrations), written as :func:`shown`
    writes a count. It is in no table, so ``disclosure-check`` does not look for it there."""
    _record(v, "worked_out")
    return number_text(v)


_HIDDEN = DisclosureRule().secondary_symbol


def is_words(v) -> bool:
    """A table cell of words (set left, as text), not a number, a share or the hidden symbol."""
    return isinstance(v, str) and v[:1].isalpha() and v != _HIDDEN


def date_text(value, lang: str) -> str:
    """A date as the report's language writes it ("31 december 2025", "31 December 2025");
    an ISO string is read, anything else is returned as it is (e.g. "–")."""
    import datetime as dt

    from babel.dates import format_date

    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return str(value)
    return format_date(value, "long", locale="nl_NL" if lang == "nl" else "en_GB")


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


def interval(low, high, *, worked: bool = False) -> str:
    """``low–high`` of two shown cells (``worked``: of two figures worked out from them)."""
    if low is None or high is None:
        return "–"
    fmt = worked_out if worked else shown
    return f"{fmt(low)}–{fmt(high)}"


def labels_for(table: ProtectedTable, dimension: str, lang: str) -> dict:
    return {c: category_label(dimension, c, lang) for c in table.frame[dimension].unique()}


def wide(table: ProtectedTable, dimension: str, labels: dict, measure: str) -> tuple[list, list]:
    """Categories as rows, years as columns; categories that are zero throughout are left out."""
    frame = table.frame
    years = sorted(frame["year"].unique())
    # by position, from arrays made once: selecting a category's rows copies every column
    cats, year, values = (frame[c].to_numpy() for c in (dimension, "year", measure))
    rows = []
    for cat in dict.fromkeys(cats):
        at = np.flatnonzero(cats == cat)
        sub = dict(zip(year[at], values[at], strict=True))
        if all(not isinstance(v, str) and v == 0 for v in sub.values()):
            continue
        rows.append([labels[cat], *[shown(sub.get(y, 0)) for y in years]])
    return [int(y) for y in years], rows
