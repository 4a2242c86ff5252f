"""What the analyst's workspace shows, computed from the store and the protected tables.

Read-only: the store is opened read-only, and nothing here writes it. Table comparisons use
the protected (shown) values only, so a hidden cell stays hidden in the comparison too.
Registration fields are summarised as shares filled, never as values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from traffickingmonitor.disclosure.api import DisclosureRule, ProtectedTable
from traffickingmonitor.linkage.labels import level_label
from traffickingmonitor.publish import charts
from traffickingmonitor.publish.web import workspace_fit
from traffickingmonitor.publish.web.workspace_words import WORDS

# Probability thresholds at which the linkage page counts links.
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _digits(v) -> int | None:
    """A shown count as an integer (``"1 234"`` and ``"958"``), else None (a symbol)."""
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = v.replace(" ", "").replace("\u202f", "")
        if s.isdigit():
            return int(s)
    return None


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return str(v)


def _diff_label(old, new, threshold: int) -> str | None:
    """The change between two shown counts; fewer than ``threshold`` either way is shown as
    ``<threshold`` (as ``figures.changes`` does), never as its number."""
    a, b = _digits(old), _digits(new)
    if a is None or b is None:
        return None
    d = b - a
    if 0 < abs(d) < threshold:
        return f"+<{threshold}" if d > 0 else f"-<{threshold}"
    return f"{d:+d}"


def compare_table(
    now: ProtectedTable | None, before: ProtectedTable | None, threshold: int
) -> dict:
    """The rows of one table that differ between two editions, cell by cell.

    Returns ``{"dims", "cols", "rows", "added", "removed", "changed_cells"}``; each row is
    ``{"key": [...], "cells": [{"text", "changed", "diff"}], "status"}`` with status
    ``changed``, ``added`` or ``removed``. Rows are matched on the table's dimensions.
    """
    spec = (now or before).spec
    dims = list(spec.dimensions)
    cols = [*spec.counts, *spec.estimates]

    def index(table):
        if table is None:
            return {}
        out = {}
        for rec in table.frame.to_dict("records"):
            out[tuple(str(rec[d]) for d in dims)] = rec
        return out

    a, b = index(before), index(now)
    rows = []
    changed_cells = 0
    for key in list(b) + [k for k in a if k not in b]:
        old, new = a.get(key), b.get(key)
        if old is None or new is None:
            status = "added" if old is None else "removed"
            rec = new if old is None else old
            cells = [{"text": _text(rec.get(c)), "changed": True, "diff": None} for c in cols]
            rows.append({"key": list(key), "cells": cells, "status": status})
            continue
        cells = []
        differs = False
        for c in cols:
            o, n = _text(old.get(c)), _text(new.get(c))
            if o == n:
                cells.append({"text": n, "changed": False, "diff": None})
            else:
                differs = True
                changed_cells += 1
                cells.append(
                    {"text": f"{o} → {n}", "changed": True, "diff": _diff_label(o, n, threshold)}
                )
        if differs:
            rows.append({"key": list(key), "cells": cells, "status": "changed"})
    return {
        "dims": dims,
        "cols": cols,
        "rows": rows,
        "added": sum(r["status"] == "added" for r in rows),
        "removed": sum(r["status"] == "removed" for r in rows),
        "changed_cells": changed_cells,
    }


def compare_tables(
    now: dict[str, ProtectedTable], before: dict[str, ProtectedTable], threshold: int, lang: str
) -> list[dict]:
    """``compare_table`` for every table id of either edition, in this edition's order."""
    out = []
    for tid in list(now) + [t for t in before if t not in now]:
        table = now.get(tid) or before.get(tid)
        diff = compare_table(now.get(tid), before.get(tid), threshold)
        diff.update(
            id=tid,
            title=table.title(lang),
            new_table=tid not in before,
            dropped_table=tid not in now,
        )
        out.append(diff)
    return out


def input_changes(edition, prev) -> list[dict]:
    """Input files added, removed or changed (another hash under the same name)."""

    def files(e):
        return {
            r["file_name"]: {"kind": r["kind"], "hash": r["file_hash"]}
            for r in e.inputs.to_dict("records")
        }

    now, before = files(edition), files(prev)
    out = []
    for name in sorted(set(now) | set(before)):
        n, b = now.get(name), before.get(name)
        if n and b and n["hash"] == b["hash"]:
            continue
        change = "added" if b is None else "removed" if n is None else "changed"
        f = n or b
        out.append(
            {
                "file_name": name,
                "kind": f["kind"],
                "change": change,
                "before": b["hash"][:12] if b else "–",
                "now": n["hash"][:12] if n else "–",
            }
        )
    return out


def config_changes(edition, prev) -> list[dict]:
    """Settings that differ between the two editions' configurations (dotted keys)."""
    a, b = _flatten(prev.config or {}), _flatten(edition.config or {})
    return [
        {"key": k, "before": json.dumps(a.get(k)), "now": json.dumps(b.get(k))}
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _connect(db: Path):
    from traffickingmonitor import store

    return store.connect(db, read_only=True)


def _shown(table, year: int, org: str):
    """The protected registrations of ``org`` in ``year`` (0 where the table has no row)."""
    try:
        return table.value({"year": year, "reporting_org": org}, "registrations")
    except KeyError:
        return 0


def quality(db: Path, edition_id: str, protected: dict, threshold: int) -> dict:
    """Per reporting organisation: registrations, and the share of each field filled.

    A field counts as filled when it is not empty and not ``unknown`` (an empty list is
    empty). Only shares and counts leave this function, never a value. Registrations per
    organisation and year are the protected ``reporting_org`` cells (one figure, one
    definition, and no count past disclosure control); an organisation's total below the
    threshold is shown as ``<threshold``.
    """
    from traffickingmonitor.publish.quality import field_completeness, registration_fields

    con = _connect(db)
    try:
        fields = registration_fields(con)
        per_org = field_completeness(con, edition_id, per_org=True)
    finally:
        con.close()
    orgs = [
        {
            "org": r[0],
            "n": int(r[1]) if int(r[1]) >= threshold else f"<{threshold}",
            "shares": [float(s) for s in r[2:]],
        }
        for r in per_org
    ]
    frame = protected["reporting_org"].frame
    years = sorted(int(y) for y in frame["year"].unique())
    by_year = [
        {
            "org": o["org"],
            "counts": [_shown(protected["reporting_org"], y, o["org"]) for y in years],
        }
        for o in orgs
    ]
    return {"fields": [n for n, _ in fields], "orgs": orgs, "years": years, "by_year": by_year}


def linkage(db: Path, edition_id: str, lang: str = "en") -> dict | None:
    """Match weights of the stored pairs, links per threshold and the model's m/u by level.

    The store keeps the scored pairs at or above the link floor (``edition_links``): the
    histogram and the counts are of those; a link counts at a threshold when its probability
    shared out among competing persons (what clustering applied the threshold to) reaches
    it. None: the edition has no linkage model.
    """
    from traffickingmonitor.linkage import store_io
    from traffickingmonitor.publish.quality import match_weight_histogram

    con = _connect(db)
    try:
        model = store_io.load_model(con, edition_id)
        if model is None:
            return None
        floor_row = con.execute(
            "SELECT count(*), min(match_probability) FROM edition_links WHERE edition_id = ?",
            [edition_id],
        ).fetchone()
        found = match_weight_histogram(con, edition_id)
        # links per threshold as clustering counts them: shared out among competing persons
        shared = store_io.shared_link_probabilities(con, edition_id)
        notes = store_io.load_notes(con, edition_id)
    finally:
        con.close()
    # Bins without pairs too, so the histogram's x axis is even.
    bins = list(range(min(found), max(found) + 1)) if found else []
    top = max(found.values(), default=1)
    histogram = [{"bin": b, "n": found.get(b, 0), "width": found.get(b, 0) / top} for b in bins]
    threshold = float(model.threshold)
    thresholds = sorted(set(THRESHOLDS) | {threshold})
    counts = {t: int((shared >= t).sum()) for t in thresholds}
    top_links = max(counts.values(), default=1) or 1
    links = [
        {
            "threshold": t,
            "n": int(counts[t]),
            "width": counts[t] / top_links,
            "used": t == threshold,
        }
        for t in thresholds
    ]
    comparisons = parameters(model.splink, lang)
    for c in comparisons:
        # Splink's match weights chart: a bar per level, left of zero against a match
        shown = [v for v in c["levels"] if v["weight"] is not None]
        c["chart"] = charts.diverging_bar_chart(
            [v["label"] for v in shown],
            [v["weight"] for v in shown],
            f"{WORDS[lang]['weight']} (log2 m/u)",
        )
    return {
        "pairs": int(floor_row[0]),
        "threshold": threshold,
        "histogram": histogram,
        "links": links,
        "comparisons": comparisons,
        "histogram_chart": charts.histogram_chart(
            [h["bin"] for h in histogram],
            [h["n"] for h in histogram],
            WORDS[lang]["weight"],
            WORDS[lang]["pairs"],
        ),
        "prior": notes.get("prior"),
    }


def parameters(splink: dict, lang: str = "en") -> list[dict]:
    """m, u and match weight (log2 m/u) per comparison level, as Splink's
    ``match_weights_chart`` shows them; the null level has none (it is neutral)."""
    out = []
    for comp in splink.get("comparisons", []):
        levels = []
        for level in comp.get("comparison_levels", []):
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            levels.append(
                {
                    "label": level_label(
                        level.get("label_for_charts", level.get("sql_condition", "")), lang
                    ),
                    "null": bool(level.get("is_null_level")),
                    "m": m,
                    "u": u,
                    "weight": weight,
                    "fixed": bool(level.get("fix_m_probability") or level.get("fix_u_probability")),
                }
            )
        out.append({"name": comp.get("output_column_name", ""), "levels": levels})
    # One scale for all comparisons, so bars compare across them as in Splink's chart.
    weights = [abs(v["weight"]) for c in out for v in c["levels"] if v["weight"] is not None]
    span = max(weights, default=1) or 1
    for c in out:
        for v in c["levels"]:
            v["width"] = abs(v["weight"]) / span if v["weight"] is not None else 0
    return out


def hidden_number(
    tables: dict[str, ProtectedTable], notes: dict, rule: DisclosureRule, lang: str = "en"
) -> dict | None:
    """The hidden-number diagnostics of an edition from its protected tables and run notes:
    per year the models compared (``hidden_number_sensitivity``: stepwise, BIC, AIC, main
    effects) with their estimates and intervals, the stratified estimates with the model each
    group chose, the lists used, merged and warned about, and the year-level model against its
    table (``workspace_fit``). None: no hidden number."""
    main, sens = tables.get("hidden_number"), tables.get("hidden_number_sensitivity")
    if main is None and sens is None:
        return None
    years: dict[int, dict] = {}

    def year(y) -> dict:
        return years.setdefault(int(y), {"year": int(y), "models": [], "groups": []})

    for rec in sens.frame.to_dict("records") if sens is not None else []:
        year(rec["year"])["models"].append(_estimate_row(rec, "method"))
    for rec in main.frame.to_dict("records") if main is not None else []:
        row = _estimate_row(rec, "victim_group")
        row["status"] = _text(rec.get("status"))
        year(rec["year"])["groups"].append(row)
    run = (notes or {}).get("years", {})
    for y, entry in years.items():
        found = run.get(str(y)) or run.get(y) or {}
        entry["lists"] = found.get("lists", [])
        entry["merged"] = found.get("merged_into_other", [])
        entry["warnings"] = found.get("warnings", [])
        entry["fit"] = workspace_fit.model_fit(found.get("fit"), y, rule, lang)
        # one scale per year: the widest interval of the models compared
        highs = [r["bar"]["high"] for r in entry["models"] if r["bar"]]
        top = max(highs, default=0) or 1
        for r in entry["models"]:
            if r["bar"]:
                r["bar"] = {k: 100 * v / top for k, v in r["bar"].items()}
    settings = (notes or {}).get("settings", {})
    return {"years": [years[y] for y in sorted(years)], "settings": settings}


def _estimate_row(rec: dict, label: str) -> dict:
    est, low, high = (_digits(rec.get(c)) for c in ("estimate", "ci_low", "ci_high"))
    bar = None
    if None not in (est, low, high) and high >= low:
        bar = {"low": low, "high": high, "estimate": est}
    return {
        "label": _text(rec.get(label)),
        "observed": _text(rec.get("observed")),
        "estimate": _text(rec.get("estimate")),
        "ci_low": _text(rec.get("ci_low")),
        "ci_high": _text(rec.get("ci_high")),
        "model": _text(rec.get("model")) or "–",
        "bar": bar,
    }
