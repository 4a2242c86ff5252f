"""The charts' font: a small copy of DejaVu Sans that measures as DejaVu Sans does."""

from __future__ import annotations

import json
import subprocess
import sys

import altair as alt
import pandas as pd
import pytest

from traffickingmonitor.publish import chart_font
from traffickingmonitor.publish.charts import (
    FONT,
    NUMBER_LOCALES,
    chart_language,
    to_svg,
    vega_lite,
)

SOURCES = chart_font.find_sources()
needs_dejavu = pytest.mark.skipif(
    SOURCES is None, reason="DejaVu Sans is not installed (Debian: fonts-dejavu-core)"
)


def test_sources_are_found_per_style_or_not_at_all(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a" / "DejaVuSans.ttf").write_bytes(b"")
    assert chart_font.find_sources([tmp_path]) is None  # no bold: measured as before
    (tmp_path / "b" / "deep" / "DejaVuSans-Bold.ttf").write_bytes(b"")
    assert chart_font.find_sources([tmp_path]) == {
        "Book": tmp_path / "a" / "DejaVuSans.ttf",
        "Bold": tmp_path / "b" / "deep" / "DejaVuSans-Bold.ttf",
    }


def test_without_a_home_folder_the_systems_fonts_are_looked_in(monkeypatch, tmp_path):
    (tmp_path / ".fonts").mkdir()
    monkeypatch.setattr(chart_font.Path, "home", staticmethod(lambda: tmp_path))
    assert tmp_path / ".fonts" in chart_font._font_folders()  # a home's fonts are looked in

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(chart_font.Path, "home", staticmethod(no_home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert not any(tmp_path in f.parents for f in chart_font._font_folders())
    chart_font.folder.cache_clear()
    try:
        assert chart_font.folder() is None  # nowhere to keep a copy: measured as before
    finally:
        chart_font.folder.cache_clear()


@needs_dejavu
def test_the_copy_has_its_own_name_and_the_same_advance_widths(tmp_path):
    from fontTools.ttLib import TTFont

    folder = chart_font.make_copy(SOURCES, tmp_path)
    for style, source in SOURCES.items():
        copy = TTFont(next(folder.glob(f"*-{style}.ttf")))
        full = TTFont(source)
        assert copy["name"].getDebugName(1) == chart_font.FAMILY
        assert "DejaVu" not in copy["name"].getDebugName(4)
        copy_cmap, full_cmap = copy.getBestCmap(), full.getBestCmap()
        assert len(copy_cmap) < len(full_cmap) / 2
        for char in "Aaz09 ,.–€\u202fëŁ≥":
            assert copy_cmap[ord(char)] is not None
            assert copy["hmtx"][copy_cmap[ord(char)]][0] == full["hmtx"][full_cmap[ord(char)]][0], (
                char
            )
    assert list(tmp_path.iterdir()) == [folder]  # nothing half-made left beside it


@needs_dejavu
def test_the_copy_is_made_once_per_installed_font(tmp_path, monkeypatch):
    first = chart_font.make_copy(SOURCES, tmp_path)
    made = []
    monkeypatch.setattr(chart_font, "_subset", lambda *a: made.append(a))
    assert chart_font.make_copy(SOURCES, tmp_path) == first and made == []
    touched = dict(SOURCES)
    (tmp_path / "other").mkdir()
    touched["Bold"] = tmp_path / "other" / "DejaVuSans-Bold.ttf"
    touched["Bold"].write_bytes(SOURCES["Bold"].read_bytes())
    assert chart_font.make_copy(touched, tmp_path) != first and len(made) == 2


@needs_dejavu
def test_without_a_folder_to_write_to_charts_are_measured_as_before(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(chart_font, "_cache_root", lambda: blocked / "cache")
    chart_font.folder.cache_clear()
    try:
        assert chart_font.folder() is None
    finally:
        chart_font.folder.cache_clear()


_DRAW_WITHOUT_COPY = """
import json, sys, vl_convert
spec = json.loads(sys.stdin.read())
sys.stdout.write(vl_convert.vegalite_to_svg(spec["spec"], format_locale=spec["locale"]))
"""


@needs_dejavu
def test_charts_measured_on_the_copy_equal_those_measured_on_dejavu_sans():
    """A fresh process without the copy draws the chart with DejaVu Sans first in the list:
    the same SVG but for the family's name, so labels and titles take the same room."""
    assert chart_font.folder() is not None
    frame = pd.DataFrame(
        {"category": ["Súdwest-Fryslân", "Den Haag", "’s-Hertogenbosch"], "value": [12345, 6, 78]}
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(alt.X("value:Q", title="Personen – 2023"), alt.Y("category:N", title=None))
        .properties(title="Geregistreerde slachtoffers")
        .configure(font=FONT)
    )
    with chart_language("nl"):
        ours = to_svg(chart)
    spec = vega_lite(chart)
    spec["config"]["font"] = FONT.replace(f"{chart_font.FAMILY}, ", "")
    done = subprocess.run(
        [sys.executable, "-c", _DRAW_WITHOUT_COPY],
        input=json.dumps({"spec": spec, "locale": NUMBER_LOCALES["nl"]}),
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = done.stdout
    assert chart_font.FAMILY in ours and chart_font.FAMILY not in theirs
    assert (
        ours.replace(f"{chart_font.FAMILY}, ", "")
        .partition("<svg ")[2]
        .replace('role="img" focusable="false" ', "")
        == theirs.partition("<svg ")[2]
    )


@needs_dejavu
def test_the_pdf_draws_the_charts_text_from_the_copy_it_was_measured_on():
    from traffickingmonitor.publish.pdf_charts import ChartDrawing, PrintedChart

    frame = pd.DataFrame({"k": ["Utrecht", "Zwolle"], "v": [3, 5]})
    svg = to_svg(alt.Chart(frame).mark_bar().encode(x="k:N", y="v:Q").configure(font=FONT))
    with ChartDrawing([PrintedChart(svg, 100.0, 60.0)]) as drawing:
        (pdf,) = drawing.pdfs()
    assert chart_font._STEM.encode() in pdf
    assert b"DejaVu" not in pdf
