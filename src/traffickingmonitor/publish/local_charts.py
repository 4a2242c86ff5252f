"""Charts of the local chapters: choropleth maps, approach trend, indicators, funnel, gaps.

Maps colour only shown values. An area whose count is hidden by disclosure control is drawn in
grey as "not shown", an area with zero in white: the two must never look alike, and neither
may look like a small shown value (the colour scale starts at a visible blue).
"""

from __future__ import annotations

import json
import textwrap
from functools import cache
from itertools import pairwise

import altair as alt
import numpy as np
import pandas as pd

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish.charts import PALETTE, WIDTH, stand_in, to_svg

HIDDEN_FILL = "#9a9a9a"
ZERO_FILL = "#ffffff"
BLUES = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
SHOWN, ZERO, HIDDEN, NONE = "shown", "zero", "hidden", "none"


def class_edges(values, n: int = len(BLUES)) -> list[float]:
    """Equal-width classes over the shown values, rounded outwards: ``n + 1`` edges.

    Classes rather than a continuous scale: a reader can match a colour to a row of the table
    under the map, and the legend prints the same in every renderer.
    """
    shown = [float(v) for v in values if not isinstance(v, str) and v]
    if not shown:
        return []
    lo, hi = min(shown), max(shown)
    if hi - lo < 1e-9:
        return [lo, hi + 1]
    step = (hi - lo) / n
    magnitude = 10 ** np.floor(np.log10(step))
    step = float(np.ceil(step / magnitude * 2) / 2 * magnitude)  # 1, 1.5, 2, ... x 10^k
    start = float(np.floor(lo / step) * step)
    edges = [round(start + i * step, 6) for i in range(n + 1)]
    while edges[-1] < hi:
        edges.append(round(edges[-1] + step, 6))
    while len(edges) > 2 and edges[-2] > hi:  # no empty class at the top
        edges.pop()
    return edges


def class_label(lo: float, hi: float, decimal: str = ".") -> str:
    return f"{lo:g}–{hi:g}".replace(".", decimal)


def class_of(value: float, edges: list[float]) -> int:
    for i in range(len(edges) - 1):
        if value < edges[i + 1] or i == len(edges) - 2:
            return i
    return len(edges) - 2


@cache
def _features(level: str) -> str:
    return codes.geojson_text(level)


def choropleth(
    level: str,
    values: dict,
    legend: str,
    words: dict,
    names: dict | None = None,
    height: int = 440,
    decimal: str = ".",
) -> str:
    """A map of ``level`` ("municipality" or "province") coloured by ``values``.

    ``values`` maps the area code to a number (shown), ``0`` (zero), the string ``"hidden"``
    (not shown) or None (no data). ``words`` has the legend labels ``zero``, ``hidden`` and
    ``none``.
    """
    features = json.loads(_features(level))["features"]
    for f in features:
        code = f["properties"]["statcode"]
        v = values.get(code)
        if v == HIDDEN:
            status = HIDDEN
        elif v is None:
            status = NONE
        elif v == 0:
            status = ZERO
        else:
            status = SHOWN
        f["properties"] = {
            "code": code,
            "name": (names or {}).get(code, f["properties"].get("statnaam", code)),
            "status": status,
            "label": words.get(status, ""),
            "value": float(v) if status == SHOWN else None,
        }
    edges = class_edges([f["properties"]["value"] for f in features if f["properties"]["value"]])
    # the threshold legend labels classes by their lower edge; name both edges instead
    names_of = [class_label(a, b, decimal) for a, b in pairwise(edges)]
    labels = "[" + ", ".join(f"'{n}'" for n in names_of) + "][datum.index]"
    data = stand_in("areas")  # the features go in after Altair (``charts.stand_in``)
    stroke = {"stroke": "#7a7a7a", "strokeWidth": 0.25 if level == "municipality" else 0.7}
    categories = [
        words[s]
        for s in (ZERO, HIDDEN, NONE)
        if any(f["properties"]["status"] == s for f in features)
    ]
    fills = {words[ZERO]: ZERO_FILL, words[HIDDEN]: HIDDEN_FILL, words[NONE]: "#e8e8e8"}
    layers = []
    if categories:
        layers.append(
            alt.Chart(data)
            .mark_geoshape(**stroke)
            .transform_filter("datum.properties.status != 'shown'")
            .encode(
                color=alt.Color(
                    "properties.label:N",
                    scale=alt.Scale(domain=categories, range=[fills[c] for c in categories]),
                    legend=alt.Legend(
                        title=None,
                        orient="right",
                        columns=1,
                        symbolStrokeColor="#7a7a7a",
                        symbolStrokeWidth=1,
                    ),
                ),
                tooltip=[alt.Tooltip("properties.name:N", title=""), "properties.label:N"],
            )
        )
    if any(f["properties"]["status"] == SHOWN for f in features):
        layers.append(
            alt.Chart(data)
            .mark_geoshape(**stroke)
            .transform_filter("datum.properties.status == 'shown'")
            .encode(
                color=alt.Color(
                    "properties.value:Q",
                    scale=alt.Scale(
                        type="threshold",
                        domain=edges[1:-1],
                        range=BLUES[: len(edges) - 1],
                    ),
                    legend=alt.Legend(
                        title=legend,
                        orient="right",
                        titleLimit=220,
                        labelExpr=labels,
                        symbolType="square",
                        symbolStrokeColor="#7a7a7a",
                        symbolStrokeWidth=0.5,
                    ),
                ),
                tooltip=[
                    alt.Tooltip("properties.name:N", title=""),
                    alt.Tooltip("properties.value:Q", title=legend, format=".1f"),
                ],
            )
        )
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .project("mercator")
        .properties(width=400, height=height)
    )
    return to_svg(chart, {"areas": features})


def share_trend(frame: pd.DataFrame, axis: str) -> str | None:
    """Lines of a share (percent) per category over the years: columns year, category, value."""
    df = frame.dropna(subset=["value"]).copy()
    if df.empty:
        return None
    df["year"] = df["year"].astype(str)
    order = list(dict.fromkeys(df["category"]))
    chart = (
        alt.Chart(df)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=axis, scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "category:N",
                title=None,
                sort=order,
                scale=alt.Scale(range=[*PALETTE, "#000000", "#5b9bd5", "#70ad47"]),
            ),
            strokeDash=alt.condition(alt.datum.emphasis, alt.value([1, 0]), alt.value([4, 2])),
            size=alt.condition(alt.datum.emphasis, alt.value(3.5), alt.value(1.5)),
        )
        .properties(width=WIDTH, height=260)
    )
    return to_svg(chart)


def indicator_panels(frame: pd.DataFrame) -> str | None:
    """One small chart per indicator: value per year, baseline (dashed) and target (solid).

    ``frame``: label, year, value, baseline, target (value None where not shown).
    """
    df = frame.copy()
    # an indicator with fewer than two values draws no line: its table row says it all
    counts = df.dropna(subset=["value"]).groupby("label")["value"].size()
    df = df[df["label"].isin(counts[counts >= 2].index)]
    if df.empty:
        return None
    df["year"] = df["year"].astype(int)
    # long names on two or three lines above their panel, never cut
    df["label"] = df["label"].map(lambda t: "\n".join(textwrap.wrap(t, 28)))
    base = alt.Chart().properties(width=200, height=90)
    line = base.mark_line(point=True, color=PALETTE[0]).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=-90, labelFontSize=8)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
    )
    target = base.mark_rule(color=PALETTE[1]).encode(y="mean(target):Q")
    baseline = base.mark_rule(color="#7a7a7a", strokeDash=[3, 2]).encode(y="mean(baseline):Q")
    chart = (
        alt.layer(line, target, baseline, data=df)
        .facet(
            facet=alt.Facet(
                "label:N",
                title=None,
                header=alt.Header(
                    labelFontSize=9, labelLimit=0, labelExpr="split(datum.value, '\\n')"
                ),
            ),
            columns=3,
        )
        .resolve_scale(y="independent")
    )
    return to_svg(chart)


def funnel(frame: pd.DataFrame, axis: str) -> str | None:
    """Horizontal bars per stage (in order): columns stage, value."""
    df = frame.dropna(subset=["value"])
    if df.empty:
        return None
    chart = (
        alt.Chart()
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("stage:N", title=None, sort=list(frame["stage"])),
            x=alt.X("value:Q", title=axis),
        )
        .properties(width=WIDTH - 160, height=30 * len(frame))
    )
    text = chart.mark_text(align="left", dx=3, fontSize=10).encode(text="value:Q")
    return to_svg(alt.layer(chart, text, data=df))


def gap_chart(frame: pd.DataFrame, words: dict) -> str | None:
    """Per unit (sorted by rank): gap per 100,000 inhabitants with interval, registered beside.

    ``frame``: unit, gap, low, high, registered (per 100,000 a year; None where not shown). A
    log scale: the upper limits are several times the estimate, the registered figure a
    fraction of it, and both must stay readable.
    """
    # Under differential privacy the estimates are withheld: no unit has a gap to draw.
    if frame.empty or "gap" not in frame:
        return None
    df = frame.dropna(subset=["gap"])
    if df.empty:
        return None
    order = list(df["unit"])
    y = alt.Y("unit:N", title=None, sort=order)
    values = pd.concat([df["low"], df["high"], df["registered"]]).dropna()
    lo, hi = float(values[values > 0].min()), float(values.max())
    ticks = [
        t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if lo / 2 <= t <= hi * 2
    ]
    x = alt.X(
        "gap:Q",
        title=words["axis"],
        scale=alt.Scale(type="log"),
        axis=alt.Axis(values=ticks, format="~s"),
    )
    base = alt.Chart(df).properties(width=WIDTH - 160, height=24 * len(df))
    rule = base.mark_rule(color=PALETTE[1], strokeWidth=2).encode(y=y, x=x, x2="high:Q")
    rule_low = base.mark_rule(color=PALETTE[1], strokeWidth=2).encode(y=y, x="low:Q", x2="gap:Q")
    point = base.mark_point(color=PALETTE[1], filled=True, size=60).encode(y=y, x=x)
    registered = (
        alt.Chart(df.dropna(subset=["registered"]))
        .mark_point(color="#5a5a5a", shape="diamond", filled=True, size=50)
        .encode(y=y, x="registered:Q")
    )
    return to_svg(alt.layer(rule_low, rule, point, registered))
