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
