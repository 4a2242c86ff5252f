"""Observed against fitted for a year's hidden-number model, as the analyst's workspace shows it.

The run keeps, per year, the observed and fitted count of every capture pattern of the
year-level model (``analysis.hidden_number.fit_notes``). The observed counts are counts of
persons, so they are protected before they are shown: as a table of the lists (each list a
dimension "on it" / "not on it" / "all") that holds, beside the patterns, what the published
tables tell of them: each list's size (persons per reporting organisation) and the year's
total. A fitted count and its Pearson residual are shown only beside a shown count, and are
hidden with it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition
from traffickingmonitor.publish.charts import diverging_bar_chart
from traffickingmonitor.publish.labels import category_label

ALL = "all"
#: a Pearson residual beyond this many standard errors marks a pattern the model misses
RESIDUAL_BAND = 2.0


def fit_table(fit: dict, year: int) -> MonitorTable:
    """Persons per combination of lists, each list's size and the total (``all``)."""
    lists = list(fit["lists"])
    observed = {
        tuple(int(name in pattern.split("+")) for name in lists): count
        for pattern, count, _ in fit["patterns"]
    }
    rows = []
    for combo in itertools.product((0, 1, ALL), repeat=len(lists)):
        if 0 < sum(c == ALL for c in combo) < len(lists) - 1:
            continue  # a margin of several lists: no published table shows one
        count = sum(
            n
            for on, n in observed.items()
            if all(c in (ALL, o) for c, o in zip(combo, on, strict=True))
        )
        rows.append(
            {**{f"list_{x}": str(c) for x, c in zip(lists, combo, strict=True)}, "observed": count}
        )
    dims = tuple(f"list_{x}" for x in lists)
    return MonitorTable(
        f"hidden_number_fit_{year}",
        frame=pd.DataFrame(rows),
        dimensions=dims,
        counts=("observed",),
        margin_of="",
        total_categories=dict.fromkeys(dims, ALL),
        **table_words("hidden_number_fit", year=year),
    )


def model_fit(fit: dict | None, year: int, rule: DisclosureRule, lang: str) -> dict | None:
    """Per capture pattern: observed (protected), fitted and Pearson residual where shown;
    the deviance of the model with its degrees of freedom; a residual chart. None: no fit."""
    if not fit or not fit.get("patterns"):
        return None
    if rule.method != "suppression":
        # a rounded or noisy count beside an exact fitted one would tell the count
        return {"rows": [], "not_shown": rule.method}
    lists = list(fit["lists"])
    table = fit_table(fit, year)
    shown = protect_edition({table.table_id: table}, rule)[table.table_id]
    frame = shown.frame
    dims = list(table.dimensions)
    cells = frame[(frame[dims] != ALL).all(axis=1)]
    fitted = {
        tuple(int(name in p.split("+")) for name in lists): float(m) for p, _, m in fit["patterns"]
    }
    rows = []
    for idx, rec in cells.iterrows():
        on = tuple(int(rec[d]) for d in dims)
        if not any(on):
            continue  # persons on no list are the hidden number itself
        hidden = bool(shown.suppressed.loc[idx, "observed"])
        f = fitted.get(on, 0.0)
        residual = None
        if not hidden and f > 0:
            residual = (int(rec["observed"]) - f) / np.sqrt(f)
        rows.append(
            {
                "lists": [x for x, o in zip(lists, on, strict=True) if o],
                "pattern": " + ".join(
                    category_label("reporting_org", x, lang)
                    for x, o in zip(lists, on, strict=True)
                    if o
                ),
                "observed": rec["observed"],
                "fitted": None if hidden else f,
                "residual": residual,
                "hidden": hidden,
            }
        )
    # patterns in the order a reader scans them: one list, then two lists, ...
    order = {x: k for k, x in enumerate(lists)}
    rows.sort(key=lambda r: (len(r["lists"]), [order[x] for x in r["lists"]]))
    obs = np.array([n for _, n, _ in fit["patterns"]], dtype=float)
    mu = np.array([m for _, _, m in fit["patterns"]], dtype=float)
    positive = (obs > 0) & (mu > 0)
    deviance = float(
        2 * (np.sum(obs[positive] * np.log(obs[positive] / mu[positive])) - np.sum(obs - mu))
    )
    # parameters: the intercept, a main effect per list and each interaction of the model
    df = len(fit["patterns"]) - (1 + len(lists) + len(fit.get("model", [])))
    shown_rows = [r for r in rows if r["residual"] is not None]
    return {
        "rows": rows,
        "model": ", ".join(fit.get("model", [])) or "–",
        "deviance": deviance,
        "df": df,
        "p": float(stats.chi2.sf(deviance, df)) if df > 0 else None,
        "chart": diverging_bar_chart(
            [r["pattern"] for r in shown_rows],
            [r["residual"] for r in shown_rows],
            "Pearson-residu" if lang == "nl" else "Pearson residual",
            band=RESIDUAL_BAND,
        ),
        "band": RESIDUAL_BAND,
        "not_shown": None,
    }
