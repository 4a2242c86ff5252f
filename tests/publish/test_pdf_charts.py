"""The PDF's charts: laid out by WeasyPrint as numbered placeholders, drawn by vl-convert."""

from __future__ import annotations

import io
import logging
import re

import pytest

from traffickingmonitor.publish import pdf_charts
from traffickingmonitor.publish.pdf_charts import ChartDrawing, ChartsNotPlaced


def _chart(values=(3, 5, 2)) -> str:
    import vl_convert as vlc

    spec = {
        "data": {"values": [{"k": f"k{i}", "v": v} for i, v in enumerate(values)]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "k", "type": "nominal", "title": "Provincie"},
            "y": {"field": "v", "type": "quantitative"},
        },
    }
    return vlc.vegalite_to_svg(spec)


def _page(*svgs: str) -> str:
    figures = "".join(f'<figure class="chart">{s}</figure>' for s in svgs)
    return (
        "<html><head><style>.chart svg { width: 90mm }</style></head>"
        f"<body><p>Tekst</p>{figures}</body></html>"
    )


def _typeset(html: str) -> bytes:
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    return weasyprint.HTML(string=html, base_url=None).write_pdf(pdf_tags=True)


def _chart_forms(pdf: bytes) -> set[str]:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {
            str(name)
            for page in doc.pages
            for name in page.Resources.get("/XObject", {})
            if str(name).startswith("/Chart")
        }


def test_each_chart_gets_a_numbered_placeholder_of_its_size():
    svgs = [_chart(), _chart((1, 2))]
    html, charts = pdf_charts.with_placeholders(_page(*svgs))
    assert [c.svg for c in charts] == svgs
    assert "<svg" not in html.partition("</head>")[2] and ".chart img" in html
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    import base64

    shown = [base64.b64decode(i).decode() for i in images]
    assert 'fill="#070000"' in shown[0] and 'fill="#070001"' in shown[1]
    for chart, placeholder in zip(charts, shown, strict=True):
        assert f'viewBox="0 0 {chart.width:g} {chart.height:g}"' in placeholder
    # without placeholders the images are the charts themselves, and none is returned
    as_images, none = pdf_charts.with_placeholders(_page(*svgs), placeholders=False)
    assert none == [] and svgs[0] in [
        base64.b64decode(i).decode() for i in re.findall(r'base64,([^"]+)"', as_images)
    ]


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>t</title></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><g></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 10"></svg>',
    ],
    ids=["title", "not XML", "no viewBox", "empty viewBox"],
)
def test_what_weasyprint_draws_itself_stays_inline(svg):
    html, charts = pdf_charts.with_placeholders(_page(svg))
    assert svg in html and charts == []


def test_the_charts_are_put_in_place_of_their_placeholders():
    svgs = [_chart(), _chart((4, 1, 1, 4))]
    html, charts = pdf_charts.with_placeholders(_page(*svgs))
    with ChartDrawing(charts) as drawing:
        pdf = pdf_charts.draw_charts(_typeset(html), charts, drawing.pdfs())
    assert len(_chart_forms(pdf)) == 2
    # no placeholder's rectangle is left in any page's content (its colour may stay: the
    # form draws with its own)
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        content = b"".join(p.Contents.read_bytes() for p in doc.pages)
    marks = [m.end() for m in re.finditer(rb"0\.027451 \S+ \S+ rg\n", content)]
    assert len(marks) == 2
    assert not [at for at in marks if b" re\nf\n" in content[at : at + 160]]
    from pypdf import PdfReader

    assert "Provincie" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_pdf_without_the_placeholders_is_refused():
    svgs = [_chart()]
    _, charts = pdf_charts.with_placeholders(_page(*svgs))
    drawn = ChartDrawing(charts).pdfs()
    as_images, _ = pdf_charts.with_placeholders(_page(*svgs), placeholders=False)
    with pytest.raises(ChartsNotPlaced, match="1 of 1 charts not found"):
        pdf_charts.draw_charts(_typeset(as_images), charts, drawn)
    # twice the same placeholder is refused as well
    html, _ = pdf_charts.with_placeholders(_page(*svgs))
    body = html.partition("<body>")[2]
    doubled = html.replace("</body>", body.replace("</body></html>", "") + "</body>")
    with pytest.raises(ChartsNotPlaced):
        pdf_charts.draw_charts(_typeset(doubled), charts, drawn)


def _pages_and_text(pdf: bytes) -> list[tuple[list, str]]:
    from pypdf import PdfReader

    return [
        ([float(v) for v in p.mediabox], p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages
    ]


def test_drawing_in_a_process_or_here_gives_the_same_charts(monkeypatch):
    _, charts = pdf_charts.with_placeholders(_page(_chart(), _chart((7,))))
    with ChartDrawing(charts) as drawing:
        there = drawing.pdfs()
        assert drawing._proc is not None and drawing._proc.returncode == 0  # drawn there
    here = [ChartDrawing._draw(c) for c in charts]
    assert [_pages_and_text(p) for p in there] == [_pages_and_text(p) for p in here]
    # no process: drawn here
    monkeypatch.setattr(pdf_charts.sys, "executable", "/nonexistent/python")
    with ChartDrawing(charts) as drawing:
        assert drawing._proc is None
        assert [_pages_and_text(p) for p in drawing.pdfs()] == [_pages_and_text(p) for p in here]
    # a process that fails: drawn here
    monkeypatch.undo()
    monkeypatch.setattr(pdf_charts, "_DRAW", "raise SystemExit(3)")
    with ChartDrawing(charts) as drawing:
        assert [_pages_and_text(p) for p in drawing.pdfs()] == [_pages_and_text(p) for p in here]
        assert drawing._proc.returncode == 3  # the process ran and failed


def test_charts_not_placed_are_drawn_by_weasyprint(tmp_path, monkeypatch, caplog):
    """``write_pdf`` never fails over the placing: WeasyPrint then draws each chart."""
    from traffickingmonitor.publish.report import write_pdf

    def not_placed(*args):
        raise ChartsNotPlaced("test")

    monkeypatch.setattr(pdf_charts, "draw_charts", not_placed)
    with caplog.at_level(logging.WARNING, logger="traffickingmonitor.publish.report"):
        write_pdf(_page(_chart()), tmp_path / "r.pdf", None, "nl")
    assert "drawn by WeasyPrint (test)" in caplog.text
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert _chart_forms(pdf) == set()
    from pypdf import PdfReader

    assert "Provincie" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
