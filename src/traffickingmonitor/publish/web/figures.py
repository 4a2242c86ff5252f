"""Figures the web shows beyond the report's chapters: edition changes and local figures.

All from ``ProtectedTable`` shown values: a hidden cell stays hidden, and a difference is only
computed between two shown counts.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from traffickingmonitor.disclosure.api import ProtectedTable, require_protected
from traffickingmonitor.publish.chapters._local import fmt_decimal
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import category_label

# Dimension names under which a table may hold municipalities or regions (the local-figures
# chapter adds municipality tables; the page uses them as soon as an edition has them).
MUNICIPALITY_DIMS = ("municipality", "residence_municipality", "exploitation_municipality")
REGION_DIMS = {
    "police_unit": "police_unit",
    "province": "province",
    "province_code": "province_code",
    "safety_region": "safety_region",
    "safety_region_code": "safety_region_code",
}


def changes(data, edition, prev, threshold: int) -> list[dict]:
    """Persons per year in this and the previous edition, where both are shown; a change of
    fewer than ``threshold`` persons either way is shown as such, never as its number."""
    now = data.tables(edition.edition_id).get("totals")
    before = data.tables(prev.edition_id).get("totals")
    if now is None or before is None:
        return []
    rows = []
    years = sorted(set(now.frame["year"]) | set(before.frame["year"]))
    for y in years:
        a = _count(now, {"year": y}, "persons")
        b = _count(before, {"year": y}, "persons")
        diff = a - b if isinstance(a, int) and isinstance(b, int) else None
        if diff is not None and 0 < abs(diff) < threshold:
            diff = f"<{threshold}" if diff > 0 else f"-<{threshold}"
        rows.append({"year": int(y), "now": a, "before": b, "diff": diff})
    return rows


def _count(table: ProtectedTable, row: dict, column: str):
    try:
        v = table.value(row, column)
    except KeyError:
        return "–"
    return v if isinstance(v, str) else int(v)


def table_block(table: ProtectedTable, where: dict, lang: str, title: str) -> dict | None:
    """A data table (header + rows) of the rows of ``table`` that match ``where``."""
    require_protected(table)
    frame = table.frame
    if where:
        frame = frame.iloc[table.rows_matching(where)]
    if frame.empty:
        return None
    dims = [d for d in table.spec.dimensions if d not in where]
    cols = [*table.spec.counts, *table.spec.estimates]
    t = _TEXT(lang)
    header = [t.get(d, d) for d in dims] + [t.get(c, c) for c in cols]
    at = {c: i for i, c in enumerate(frame.columns)}
    rows = []
    for r in frame.to_numpy():  # the values iterrows would give, without a Series per row
        rows.append(
            [category_label(d, r[at[d]], lang) if d != "year" else int(r[at[d]]) for d in dims]
            + [_cell(r[at[c]], _scale(c), lang) for c in cols]
        )
    return {"title": title, "header": header, "rows": rows}


def _scale(column: str) -> int:
    """Columns stored as integers times 10 or 1,000 (``median_days_x10``): the divisor."""
    match = re.search(r"_x(10+)$", column)
    return int(match.group(1)) if match else 1


def _cell(v, scale: int = 1, lang: str = "nl"):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, str):
        return v
    if scale > 1:
        return fmt_decimal(v / scale, lang, len(str(scale)) - 1)
    return f"{int(v):,}".replace(",", " ")


def _TEXT(lang: str) -> dict:
    from traffickingmonitor.publish.web.words import WORDS

    w = WORDS[lang]
    return {
        "year": w["year"],
        "persons": w["persons"],
        "province": w["province"],
        "police_unit": w["police_unit"],
        "safety_region": w["safety_region"],
        **_COLUMNS[lang],
    }


# headers of count and estimate columns that are not persons (and "registrations")
_COLUMNS = catalog("web_figures", dynamic=("*",))


def region_blocks(tables: dict[str, ProtectedTable], m: dict, lang: str):
    """Own figures of the municipality (where an edition has them) and of its regions."""
    own = []
    for table in tables.values():
        for dim in MUNICIPALITY_DIMS:
            if dim in table.spec.dimensions:
                block = table_block(table, {dim: m["code"]}, lang, table.title(lang))
                if block and _has_shown(block):
                    own.append(block)
    region = []
    for table in tables.values():
        for dim, key in REGION_DIMS.items():
            if dim in table.spec.dimensions and key in m:
                title = f"{table.title(lang)}: {m[key]}"
                block = table_block(table, {dim: m[key]}, lang, title)
                if block:
                    region.append(block)
    return own, region


@functools.cache
def _nearest(code: str, n: int) -> tuple:
    """The ``n`` other municipalities closest to ``code``'s population on a log scale, the
    most populous first (reference data: the same for every page of ``code``)."""
    from traffickingmonitor.codes.api import municipalities

    frame = municipalities()
    own = frame["code"] == code
    others = frame[~own].copy()
    population = float(frame.loc[own, "population"].iloc[0])
    others["distance"] = (others["population"].map(math.log) - math.log(population)).abs()
    nearest = others.nsmallest(n, "distance").sort_values("population", ascending=False)
    return tuple(nearest[["code", "name", "population"]].itertuples(index=False))


def _has_shown(block: dict) -> bool:
    return any(isinstance(v, str) and v[:1].isdigit() for r in block["rows"] for v in r[1:])


def similar_municipalities(
    tables: dict[str, ProtectedTable], m: dict, lang: str, n: int = 6
) -> list[dict]:
    """The ``n`` municipalities closest in population (on a log scale), with own figures."""
    nearest = _nearest(m["code"], n)
    # The first table with a municipality dimension (persons per municipality, if any).
    local = next(
        (
            (t, d)
            for t in tables.values()
            for d in MUNICIPALITY_DIMS
            if d in t.spec.dimensions and t.spec.counts
        ),
        None,
    )
    if local is not None:  # its latest year, by municipality
        table, dim = local
        latest = table.frame
        if "year" in latest.columns:
            latest = latest[latest["year"] == latest["year"].max()]
        codes, counts = latest[dim].to_numpy(), latest[table.spec.counts[0]]
    rows = []
    for r in nearest:
        figure = None
        if local is not None:
            hit = np.flatnonzero(codes == r.code)
            if len(hit) == 1:
                figure = _cell(counts.iloc[hit[0]])
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "population": f"{r.population:,}".replace(",", " "),
                "figure": figure,
            }
        )
    return rows
