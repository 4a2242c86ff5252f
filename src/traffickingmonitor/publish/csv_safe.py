"""CSV that a spreadsheet shows as text and never runs as a formula (CSV injection).

Some text in the tables comes from input files (a programme indicator's name, a note), and
a spreadsheet takes a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula: ``=HYPERLINK(...)`` would become a live link in the
reader's spreadsheet. Following OWASP's CSV injection guidance such a text cell gets a
single quote in front, which spreadsheets show as text. Only text cells: a count or a rate
stays a number, negative or not, and so does text that is a plain number ("-3.5").

Every CSV the system writes for people (report tables, dashboard downloads, the API's
``format=csv``) goes through ``to_csv``.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number is never read as a formula, so "-3.5" in a text column stays as it is.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value):
    """``value`` with a leading single quote when a spreadsheet would take it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) escaped."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[col] = series.map(escape_cell, na_action="ignore")
    out.columns = [escape_cell(c) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index), its text cells escaped against formula injection."""
    return escape_frame(frame).to_csv(index=False)
