"""Charts as static SVG (Altair → Vega-Lite → vl-convert), from protected tables only.

Suppressed cells are left out of a chart (never drawn as a number); the data table under
every chart shows them with the disclosure symbol.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import altair as alt
import pandas as pd

from traffickingmonitor.disclosure.api import ProtectedTable, require_protected
from traffickingmonitor.publish import chart_font

FONT = f"{chart_font.FAMILY}, DejaVu Sans, Arial, sans-serif"
PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5", "#843c0c"]
WIDTH = 520

#: numbers on axes and in labels as the text writes them (``format.shown``): a narrow
#: no-break space between thousands, and a decimal comma in Dutch (d3-format locales)
NUMBER_LOCALES = {
    "nl": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["€\u00a0", ""]},
    "en": {"decimal": ".", "thousands": "\u202f", "grouping": [3], "currency": ["€", ""]},
}
# The language of the charts being drawn: the chapter builders set it once
# (``chart_language``) instead of every chart function taking the language.
_NUMBERS: ContextVar[dict] = ContextVar("chart_numbers", default=NUMBER_LOCALES["en"])
#: Altair's check of each spec against the Vega-Lite schema (on in the tests)
_VALIDATE = False


@contextmanager
def chart_language(lang: str) -> Iterator[None]:
    """Draw the charts of this block with the numbers of ``lang``."""
    token = _NUMBERS.set(NUMBER_LOCALES[lang])
    try:
        yield
    finally:
        _NUMBERS.reset(token)


@functools.cache
def _config() -> dict:
    """The ``config`` of every chart's spec, made (and checked) by Altair once. Configuring
    each chart instead copies it, data and all, at each of five steps: a tenth of the time
    the chapters take."""
    chart = (
        alt.Chart()
        .mark_point()
        .configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=11, titleFontSize=11, grid=True, gridColor="#e6e6e6", labelLimit=260
        )
        .configure_legend(
            labelFontSize=11, titleFontSize=11, orient="bottom", columns=2, labelLimit=320
        )
        .configure_range(category=PALETTE)
    )
    return chart.to_dict(validate=True)["config"]


def _numeric(table: ProtectedTable, column: str) -> pd.Series:
    return pd.to_numeric(table.frame[column].where(~table.suppressed[column]), errors="coerce")


def trend_chart(
    table: ProtectedTable, dimension: str, labels: dict, measure: str, lang_title: str
) -> str | None:
    """Lines per category over the years (few categories); None when nothing can be shown."""
    require_protected(table)
    df = table.frame[["year", dimension]].copy()
    df["value"] = _numeric(table, measure)
    df["category"] = df[dimension].map(labels)
    df["year"] = df["year"].astype(str)
    df = df.dropna(subset=["value"])
    # A category with nothing but zeros is a flat line that says nothing; the table keeps it.
    df = df[df.groupby("category")["value"].transform("max") > 0]
    if df.empty:
        return None
    order = list(dict.fromkeys(df["category"]))
    chart = (
        alt.Chart(df)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=lang_title),
            color=alt.Color("category:N", title=None, sort=order),
        )
        .properties(width=WIDTH, height=220)
    )
    return to_svg(chart)


def totals_chart(table: ProtectedTable, labels: dict) -> str | None:
    """Registrations and persons per year, side by side."""
    require_protected(table)
    rows = []
    for measure in ("registrations", "persons"):
        part = pd.DataFrame(
            {"year": table.frame["year"].astype(str), "value": _numeric(table, measure)}
        )
        part["measure"] = labels[measure]
        rows.append(part)
    df = pd.concat(rows).dropna(subset=["value"])
    if df.empty:
        return None
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N", sort=[labels["registrations"], labels["persons"]]),
            y=alt.Y("value:Q", title=None),
            color=alt.Color(
                "measure:N", title=None, sort=[labels["registrations"], labels["persons"]]
            ),
        )
        .properties(width=WIDTH, height=220)
    )
    return to_svg(chart)


def bar_chart(
    table: ProtectedTable, dimension: str, year: int, labels: dict, measure: str, title: str
) -> str | None:
    """Horizontal bars of one year (many categories)."""
    require_protected(table)
    frame = table.frame
    # Residual categories stay in the table; as bars they would crowd out the named ones.
    keep = ((frame["year"] == year) & ~frame[dimension].isin(["other", "unknown"])).to_numpy()
    df = pd.DataFrame(
        {
            "category": frame.loc[keep, dimension].map(labels),
            "value": _numeric(table, measure)[keep],
        }
    )
    df = df[df["value"] > 0]
    if df.empty:
        return None
    chart = (
        alt.Chart(df)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("category:N", title=None, sort="-x"),
            x=alt.X("value:Q", title=title),
        )
        .properties(width=WIDTH - 120, height=max(60, 18 * len(df)))
    )
    return to_svg(chart)


#: the one key of a stand-in's single row (:func:`stand_in`)
_STAND_IN = "traffickingmonitor_stand_in"


def stand_in(name: str) -> alt.Data:
    """Inline data that :func:`to_svg` replaces by ``data[name]`` once Altair has made the
    spec. Altair copies inline data value by value at every step of building a chart and
    walks it again to make the spec: a third of a second for the municipalities' outlines.
    The values are put in as given, so they must be what Altair would have made of them
    (JSON's types: dicts, lists, text, numbers, None)."""
    return alt.Data(values=[{_STAND_IN: name}])


def _put_data(spec, data: dict[str, list]):
    if isinstance(spec, dict):
        values = spec.get("values")
        if isinstance(values, list) and len(values) == 1 and isinstance(values[0], dict):
            name = values[0].get(_STAND_IN)
            if name is not None:
                return {**spec, "values": data[name]}
        return {k: _put_data(v, data) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_put_data(v, data) for v in spec]
    return spec


def vega_lite(chart: alt.TopLevelMixin, data: dict[str, list] | None = None) -> dict:
    """The chart's Vega-Lite spec as :func:`to_svg` draws it: in the report's look
    (:func:`_config`, under what the chart configures itself); ``data``: the values of its
    :func:`stand_in` data."""
    # the schema check costs about a second per language: the charts are this package's own,
    # and a test draws an edition's charts with it on
    spec = chart.to_dict(validate=_VALIDATE)
    config = copy.deepcopy(_config())
    for key, value in spec.get("config", {}).items():  # Altair's theme gives a view's size
        both = isinstance(value, dict) and isinstance(config.get(key), dict)
        config[key] = {**config[key], **value} if both else value
    spec["config"] = config
    return _put_data(spec, data) if data else spec


def to_svg(chart: alt.TopLevelMixin, data: dict[str, list] | None = None) -> str:
    """The chart drawn as inline SVG (:func:`vega_lite`)."""
    import vl_convert as vlc

    spec = vega_lite(chart, data)
    chart_font.register()
    svg = vlc.vegalite_to_svg(spec, format_locale=_NUMBERS.get())
    # Inline SVG inside HTML: drop the XML prolog and give the figure an accessible role.
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def estimate_chart(table: ProtectedTable, labels: dict) -> str | None:
    """Estimated total per year with its interval, above the registered (observed) number."""
    require_protected(table)
    frame = table.frame
    rows = frame[(frame["victim_group"] == "all") & ~table.suppressed["estimate"]].copy()
    rows = rows[rows["estimate"].notna()]
    if rows.empty:
        return None
    df = pd.DataFrame(
        {
            "year": rows["year"].astype(str),
            "estimate": pd.to_numeric(rows["estimate"]),
            "low": pd.to_numeric(rows["ci_low"]),
            "high": pd.to_numeric(rows["ci_high"]),
            "observed": pd.to_numeric(rows["observed"], errors="coerce"),
        }
    )
    base = alt.Chart().encode(x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)))
    observed = base.mark_bar(color="#a5a5a5", size=28).encode(
        y=alt.Y("observed:Q", title=labels["axis"]),
        tooltip=["observed:Q"],
    )
    interval = base.mark_rule(color=PALETTE[0], strokeWidth=2).encode(y="low:Q", y2="high:Q")
    point = base.mark_point(color=PALETTE[0], filled=True, size=70).encode(y="estimate:Q")
    chart = alt.layer(observed, interval, point, data=df).properties(width=WIDTH, height=240)
    return to_svg(chart)


def diverging_bar_chart(
    labels: list[str], values: list[float], title: str, band: float | None = None
) -> str | None:
    """Horizontal bars left and right of zero, one per label in the order given (a residual
    per capture pattern, a match weight per comparison level); ``band`` draws dashed rules at
    ±band. The caller passes shown values only."""
    df = pd.DataFrame({"label": labels, "value": values}).dropna()
    if df.empty:
        return None
    df["side"] = (df["value"] >= 0).map({True: "+", False: "-"})
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=list(df["label"]), axis=alt.Axis(labelLimit=480)),
            x=alt.X("value:Q", title=title),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["+", "-"], range=[PALETTE[0], PALETTE[1]]),
                legend=None,
            ),
            tooltip=["label:N", alt.Tooltip("value:Q", format=".2f")],
        )
    )
    layers = [bars, alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")]
    if band:
        rules = pd.DataFrame({"x": [-band, band]})
        layers.append(alt.Chart(rules).mark_rule(color="#777", strokeDash=[4, 3]).encode(x="x:Q"))
    chart = alt.layer(*layers).properties(width=WIDTH - 200, height=max(60, 18 * len(df)))
    return to_svg(chart)


def histogram_chart(bins: list[float], counts: list[int], x_title: str, y_title: str) -> str | None:
    """Bars of counts per unit-wide bin starting at each ``bins`` value (match weights)."""
    df = pd.DataFrame({"bin": bins, "n": counts})
    if df.empty:
        return None
    df["end"] = df["bin"] + 1
    chart = (
        alt.Chart(df)
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X("bin:Q", bin="binned", title=x_title),
            x2="end:Q",
            y=alt.Y("n:Q", title=y_title),
            tooltip=["bin:Q", "n:Q"],
        )
        .properties(width=WIDTH - 80, height=200)
    )
    return to_svg(chart)
