"""Charts and shown values of the cohort chapters (re-victimisation, crime overlap, care reach).

Everything here starts from a ``ProtectedTable``: ``published`` turns its shown cells into
numbers and every hidden cell into NaN, so a chart or a share can only be made of what may
be published. A proportion is drawn only where the counts it rests on are shown, and a curve
point only where at least ``threshold`` persons are at risk.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from traffickingmonitor.disclosure.api import ProtectedTable, require_protected
from traffickingmonitor.publish.charts import PALETTE, WIDTH, to_svg

PER = 10_000  # proportions are stored per 10,000 (analysis.revictimisation.PER)
DRUGS_COLOUR = "#c55a11"


def published(table: ProtectedTable) -> pd.DataFrame:
    """The table's frame with shown numbers as floats and hidden or empty cells as NaN."""
    require_protected(table)
    frame = table.frame
    for col in [*table.spec.counts, *table.spec.estimates]:
        values = frame[col].where(~table.suppressed[col].to_numpy())
        frame[col] = pd.to_numeric(
            values.map(lambda v: np.nan if v is None or isinstance(v, str) else v),
            errors="coerce",
        ).astype(float)
    return frame


def share(numerator, denominator):
    """Share (fraction) of shown counts; NaN when either is hidden or the denominator is 0.

    A hidden denominator never gives 0% or 100%: it gives nothing.
    """
    num = pd.to_numeric(pd.Series(numerator, dtype=float))
    den = pd.to_numeric(pd.Series(denominator, dtype=float))
    ok = num.notna() & den.notna() & (den > 0)
    return (num / den.where(ok)).where(ok).to_numpy()


def curve_points(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Curve rows that may be drawn: estimate shown and at least ``threshold`` at risk."""
    ok = frame["cif_per_10000"].notna() & (frame["at_risk"] >= threshold)
    out = frame[ok].copy()
    out["years"] = out["month"] / 12
    for col in ("cif", "ci_low", "ci_high"):
        out[col] = out[f"{col}_per_10000"] / PER * 100
    return out


def cif_curves(
    points: pd.DataFrame, series: str | None, labels: dict, axis: dict, band: bool = False
) -> str | None:
    """Cumulative incidence (%) over years since registration; one line per ``series``."""
    if points.empty:
        return None
    df = points.copy()
    df["series"] = df[series].map(labels) if series else axis.get("series", "")
    order = list(dict.fromkeys(df["series"]))
    x = alt.X(
        "years:Q", title=axis["x"], scale=alt.Scale(domain=[0, 8]), axis=alt.Axis(tickMinStep=1)
    )
    y = alt.Y("cif:Q", title=axis["y"])
    color = alt.Color(
        "series:N", title=None, sort=order, legend=None if not series else alt.Legend()
    )
    layers = []
    if band:
        layers.append(
            alt.Chart()
            .mark_area(opacity=0.18, color=PALETTE[0])
            .encode(x=x, y="ci_low:Q", y2="ci_high:Q")
        )
    layers.append(
        alt.Chart()
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=18))
        .encode(x=x, y=y, color=color)
    )
    chart = alt.layer(*layers, data=df).properties(width=WIDTH, height=240)
    return to_svg(chart)


def interval_dots(
    rows: pd.DataFrame, reference: float | None, axis: str, ref_label: str
) -> str | None:
    """Estimate (%) with its 95% interval per category, beside a reference line (all persons).

    ``rows``: ``label``, ``value``, ``low``, ``high`` in percent, shown values only.
    """
    df = rows.dropna(subset=["value"])
    if df.empty:
        return None
    order = list(df["label"])
    y = alt.Y("label:N", title=None, sort=order)
    layers = [
        alt.Chart()
        .mark_rule(color=PALETTE[0], strokeWidth=2)
        .encode(y=y, x=alt.X("low:Q", title=axis), x2="high:Q"),
        alt.Chart().mark_point(color=PALETTE[0], filled=True, size=60).encode(y=y, x="value:Q"),
    ]
    if reference is not None and np.isfinite(reference):
        ref = pd.DataFrame({"x": [reference], "label": [ref_label]})
        layers.append(
            alt.Chart(ref)
            .mark_rule(color="#7f7f7f", strokeDash=[4, 3])
            .encode(x="x:Q", tooltip=["label:N"])
        )
    chart = alt.layer(*layers, data=df).properties(width=WIDTH - 120, height=max(60, 22 * len(df)))
    return to_svg(chart)


def grouped_bars(
    rows: pd.DataFrame,
    axis: str,
    series_order: list[str],
    facet: str | None = None,
    reference: float | None = None,
    highlight: str | None = None,
) -> str | None:
    """Horizontal bars (%) per ``label``, side by side per ``series`` (and small multiples per
    ``facet``). ``rows``: ``label``, ``series``, ``value`` (percent, shown values only) and,
    with ``highlight``, a boolean ``flag`` column drawn in ``highlight`` colour.
    """
    df = rows.dropna(subset=["value"])
    if df.empty:
        return None
    order = list(dict.fromkeys(df["label"]))
    enc = {
        "y": alt.Y("label:N", title=None, sort=order),
        "x": alt.X("value:Q", title=axis),
    }
    if len(series_order) > 1:
        enc["yOffset"] = alt.YOffset("series:N", sort=series_order)
        enc["color"] = alt.Color("series:N", title=None, sort=series_order)
    elif highlight is not None:
        enc["color"] = alt.Color(
            "flag:N",
            scale=alt.Scale(domain=[False, True], range=[PALETTE[0], highlight]),
            legend=None,
        )
    bars = alt.Chart().mark_bar(
        **({} if len(series_order) > 1 or highlight else {"color": PALETTE[0]})
    )
    n_series = max(1, len(series_order))
    height = max(60, 14 * n_series * len(order) + 6 * len(order))
    if facet is not None:
        chart = (
            bars.encode(**enc)
            .properties(width=200, height=height)
            .facet(
                facet=alt.Facet("facet:N", title=None, sort=list(dict.fromkeys(df["facet"]))),
                columns=2,
                data=df,
            )
        )
        return to_svg(chart)
    layers = [bars.encode(**enc)]
    if reference is not None and np.isfinite(reference):
        layers.append(
            alt.Chart(pd.DataFrame({"x": [reference]}))
            .mark_rule(color="#7f7f7f", strokeDash=[4, 3], strokeWidth=2)
            .encode(x="x:Q")
        )
    chart = alt.layer(*layers, data=df).properties(width=WIDTH - 140, height=height)
    return to_svg(chart)


def two_curves(df: pd.DataFrame, labels: dict, axis: dict) -> str | None:
    """Aalen-Johansen beside 1 − Kaplan-Meier (method annex): ``years``, ``series``, ``value``."""
    df = df.dropna(subset=["value"])
    if df.empty:
        return None
    order = [labels[k] for k in labels]
    df = df.assign(series=df["series"].map(labels))
    chart = (
        alt.Chart(df)
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X(
                "years:Q",
                title=axis["x"],
                scale=alt.Scale(domain=[0, 8]),
                axis=alt.Axis(tickMinStep=1),
            ),
            y=alt.Y("value:Q", title=axis["y"]),
            color=alt.Color("series:N", title=None, sort=order),
            strokeDash=alt.StrokeDash("series:N", sort=order, legend=None),
        )
        .properties(width=WIDTH, height=220)
    )
    return to_svg(chart)
