"""Chapter: method, definitions, disclosure control and the sources of the edition."""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.labels import METHOD

_WORDS = {
    "nl": {
        "table": "Tabel",
        "cells": "Cellen",
        "primary": "Verborgen (<drempel)",
        "secondary": "Verborgen ter bescherming",
        "accuracy": "Nauwkeurigheid (95%, ±)",
        "withheld": "Niet gepubliceerd",
        "total": "Totaal",
        "summary": (
            "Van de {cells} aantallen in de tabellen van deze editie zijn er {primary} verborgen "
            "omdat ze kleiner zijn dan {threshold} en {secondary} om die te beschermen."
        ),
        "summary_rounding": "Alle {cells} aantallen zijn afgerond op veelvouden van {base}.",
        "summary_dp": (
            "Alle aantallen personen ({noisy}) bevatten ruis; {withheld} andere aantallen "
            "(meldingen) en de schattingen zijn niet gepubliceerd."
        ),
    },
    "en": {
        "table": "Table",
        "cells": "Cells",
        "primary": "Hidden (<threshold)",
        "secondary": "Hidden to protect them",
        "accuracy": "Accuracy (95%, ±)",
        "withheld": "Not published",
        "total": "Total",
        "summary": (
            "Of the {cells} counts in the tables of this edition, {primary} are hidden because "
            "they are below {threshold} and {secondary} to protect those."
        ),
        "summary_rounding": "All {cells} counts are rounded to multiples of {base}.",
        "summary_dp": (
            "All counts of persons ({noisy}) contain noise; {withheld} other counts "
            "(registrations) and the estimates are not published."
        ),
    },
}


def _disclosure(ctx: ChapterContext) -> dict:
    w, rule = _WORDS[ctx.lang], ctx.rule
    method = getattr(rule, "method", "suppression")
    rows, cells, primary, secondary, withheld = [], 0, 0, 0, 0
    for table in ctx.tables.values():
        n = table.n_cells()
        p, s = table.n_hidden("primary"), table.n_hidden("secondary")
        hid = table.n_hidden()
        cells, primary, secondary, withheld = (
            cells + n,
            primary + p,
            secondary + s,
            withheld + hid - p - s,
        )
        if method == "dp":
            acc = table.accuracy
            margin = (
                round(float(acc.max().max()))
                if acc is not None and acc.notna().any().any()
                else None
            )
            rows.append([table.title(ctx.lang), n, "–" if margin is None else margin, hid])
        elif method == "suppression":
            rows.append([table.title(ctx.lang), n, p, s])
    if method == "dp":
        header = [w["table"], w["cells"], w["accuracy"], w["withheld"]]
        summary = w["summary_dp"].format(noisy=cells - withheld, withheld=withheld)
    elif method == "rounding":
        header, rows = [], []
        summary = w["summary_rounding"].format(cells=cells, base=rule.rounding_base)
    else:
        header = [w["table"], w["cells"], w["primary"], w["secondary"]]
        rows.append([w["total"], cells, primary, secondary])
        summary = w["summary"].format(
            cells=cells, primary=primary, secondary=secondary, threshold=rule.threshold
        )
    return {"text": rule.describe(ctx.lang), "summary": summary, "header": header, "rows": rows}


def build(ctx: ChapterContext) -> ChapterContent:
    return ChapterContent(
        title=ctx.t["method"],
        template="method.html.j2",
        data={
            "method": METHOD[ctx.lang],
            "disclosure": _disclosure(ctx),
            "inputs": list(ctx.edition.inputs.itertuples()),
        },
    )


CHAPTER = Chapter("method", build)
