"""Differentially private counts (OpenDP): noise instead of suppression.

For interactive or repeated releases (a dashboard, an API, monthly figures) suppression
patterns of different releases can be combined against each other; noise with a stated
privacy budget composes instead. Each person-count column of each table is one release of
the discrete Laplace mechanism; the edition's budget ``epsilon`` is split evenly over them
(basic composition). The privacy unit is a person: in one year a person is in one row of a
partition table, in up to every row of an overlapping one, and in ``max_years_per_person``
years, which fixes each release's sensitivity.

What is not a person count cannot be bounded without microdata (a person may have many
registrations), and model estimates have no bounded sensitivity at all: both are withheld.
Noisy counts are clamped at 0 (post-processing costs no privacy), so rows need not add up to
totals. The noise is drawn anew on every call: all channels of one report run share one
draw, but every new run is a new release that spends the budget again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.model import resolve_linkage
from traffickingmonitor.disclosure.primary import NOISY, WITHHELD, ProtectedTable, _make
from traffickingmonitor.disclosure.rule import DisclosureRule

ALPHA = 0.05  # accuracy is the half-width of a 95% interval


def person_columns(tables: dict[str, MonitorTable]) -> dict[str, list[str]]:
    """Count columns that count persons (directly, via their margin's column, or declared in
    ``extra["person_counts"]``: persons by municipality of exploitation, of residence)."""
    linkage = resolve_linkage(tables)
    out = {}
    for tid, t in tables.items():
        cols = []
        for c in t.counts:
            mapped = linkage[tid].margin_columns.get(c, c)
            declared = c in t.extra.get("person_counts", ())
            if declared or mapped == "persons" or (t.unit == "persons" and c == "persons"):
                cols.append(c)
        out[tid] = cols
    return out


def sensitivity(table: MonitorTable, rule: DisclosureRule, total_categories: dict) -> int:
    """Most rows of one count column a single person can change, over the edition's years."""
    dims = [d for d in table.dimensions if d != "year"]
    if not dims:
        per_year = 1
    elif table.overlapping:
        per_year = max(1, len(table.frame.drop_duplicates(dims)))
    else:
        per_year = 1
        for d in dims:
            total = total_categories.get(d)
            if total == "*":
                per_year *= max(1, table.frame[d].nunique())
            elif total is not None:
                per_year *= 2  # their own row and the total row
    # a table pooled over years (``extra["pooled_years"]``) counts a person once per year
    years = min(
        rule.max_years_per_person,
        table.frame["year"].nunique()
        if "year" in table.frame
        else int(table.extra.get("pooled_years", 1)),
    )
    return per_year * max(1, years)


def protect_noisy(
    tables: dict[str, MonitorTable], rule: DisclosureRule
) -> dict[str, ProtectedTable]:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    columns = person_columns(tables)
    linkage = resolve_linkage(tables)
    releases = sum(len(c) for c in columns.values())
    eps_each = rule.epsilon / max(1, releases)
    protected = {}
    for tid, table in tables.items():
        frame = table.frame.copy()
        cols = [*table.counts, *table.estimates]
        suppressed = pd.DataFrame(False, index=frame.index, columns=cols)
        status = pd.DataFrame("", index=frame.index, columns=cols, dtype=object)
        accuracy = pd.DataFrame(np.nan, index=frame.index, columns=list(table.counts))
        d_in = sensitivity(table, rule, linkage[tid].total_categories)
        scale = d_in / eps_each
        for col in table.counts:
            if col not in columns[tid]:
                frame[col] = rule.secondary_symbol
                suppressed[col] = True
                status[col] = WITHHELD
                continue
            values = pd.to_numeric(table.frame[col], errors="coerce")
            known = values.notna().to_numpy()
            meas = dp.m.make_laplace(
                dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
            )
            assert meas.map(d_in) <= eps_each * (1 + 1e-9)  # the budget the docs promise
            noisy = np.asarray(meas([int(v) for v in values[known]]), dtype=np.int64)
            shown = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            shown[known] = [int(max(0, v)) for v in noisy]
            frame[col] = shown
            status[col] = NOISY
            accuracy[col] = dp.discrete_laplacian_scale_to_accuracy(scale, ALPHA)
        for col in table.estimates:
            frame[col] = None
            suppressed[col] = True
            status[col] = WITHHELD
        protected[tid] = _make(table, frame, suppressed, rule, status, accuracy)
    return protected
