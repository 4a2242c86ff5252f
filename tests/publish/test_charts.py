"""Numbers in charts are written as the text writes them (``format.shown``)."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from traffickingmonitor.publish.charts import chart_language, to_svg
from traffickingmonitor.publish.format import shown


def _tick_labels(svg: str) -> list[str]:
    return [t for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg) if re.search(r"\d", t)]


@pytest.mark.parametrize(("lang", "decimal"), [("nl", ","), ("en", ".")])
def test_axis_numbers_follow_the_language_of_the_text(lang, decimal):
    frame = pd.DataFrame({"x": ["a", "b"], "y": [2400, 1234]})
    bars = alt.Chart(frame).mark_bar().encode(x="x:N", y="y:Q")
    with chart_language(lang):
        labels = _tick_labels(to_svg(bars))
        fractions = _tick_labels(
            to_svg(
                alt.Chart(pd.DataFrame({"x": ["a"], "y": [0.9]}))
                .mark_bar()
                .encode(x="x:N", y="y:Q")
            )
        )
    assert shown(2000) in labels and shown(1000) in labels  # 2 000 with a narrow space
    assert not any(re.fullmatch(r"\d+[,.]\d{3}", t) for t in labels)  # never 1,000 or 1.000
    assert f"0{decimal}5" in fractions
    # after the block the default is back: the language does not leak into later charts
    after = _tick_labels(to_svg(bars))
    with chart_language("en"):
        assert after == _tick_labels(to_svg(bars))


@pytest.mark.parametrize("validate", [False, True])
def test_stand_in_data_draw_as_the_inline_data(monkeypatch, validate):
    """A chart whose inline data go in after Altair (``charts.stand_in``, the maps' outlines)
    is drawn exactly as the chart that carries them: layers sharing them, filters, schema
    check on or off."""
    import json

    from traffickingmonitor.codes import api as codes
    from traffickingmonitor.publish import charts

    monkeypatch.setattr(charts, "_VALIDATE", validate)
    features = json.loads(codes.geojson_text("province"))["features"]
    for i, f in enumerate(features):
        f["properties"] = {
            "code": f["properties"]["statcode"],
            "value": float(i) if i % 3 else None,
        }

    def chart(data):
        # classes, as the maps have: a gradient legend would be numbered by Vega's counter,
        # which runs on from one drawing to the next in a process
        classes = alt.Scale(
            type="threshold", domain=[3, 6], range=["#c6dbef", "#6baed6", "#08519c"]
        )
        shown = (
            alt.Chart(data)
            .mark_geoshape(stroke="#777")
            .encode(color=alt.Color("properties.value:Q", scale=classes))
        )
        rest = (
            alt.Chart(data)
            .mark_geoshape(fill="#eee")
            .transform_filter("datum.properties.value == null")
        )
        return alt.layer(rest, shown).project("mercator").properties(width=300, height=300)

    inline = to_svg(chart(alt.Data(values=features)))
    assert to_svg(chart(charts.stand_in("areas")), {"areas": features}) == inline
    assert inline.count("<path") >= len(features)
