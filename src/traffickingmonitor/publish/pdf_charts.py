"""The report's charts in its PDF, drawn by vl-convert rather than by WeasyPrint.

WeasyPrint draws an SVG node by node in Python: the demo report's 45 charts took 1.7 of the
6.3 seconds of its PDF. vl-convert draws the same SVG into a PDF in Rust (svg2pdf), in about
a sixtieth of a second per chart. So WeasyPrint lays the report out with, in place of each
chart, an image of the chart's size that is one rectangle in a colour that numbers it
(:func:`with_placeholders`), and that rectangle is then replaced, in the page's content, by
the chart as a form XObject (:func:`draw_charts`, with pikepdf). What is typeset, numbered and
tagged is WeasyPrint's (the rectangle is drawn where the chart would be, inside the same
``Figure``); only the drawing inside each figure is vl-convert's, from the same SVG.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from traffickingmonitor.publish import chart_font

log = logging.getLogger(__name__)

#: how an image's data is given to WeasyPrint (``report`` filters its "no alt" warning by it)
SVG_IMAGE = "data:image/svg+xml;base64,"
_INLINE_SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)
# A placeholder's colour: red 7/255 marks it, green and blue give its number. WeasyPrint
# writes a colour as three numbers with up to six decimals before ``rg``, and the rectangle
# a few operators later, at the origin of the image's own coordinates.
_MARK = 7
_MARKED_COLOUR = re.compile(rb"(?<![\d.])%s (\S+) (\S+) rg\n" % f"{_MARK / 255:.6f}".encode())
_RECTANGLE = re.compile(rb"0 0 (\S+) (\S+) re\nf\n")
_RECTANGLE_WITHIN = 160  # bytes after the colour (line style operators come between)


@dataclass(frozen=True)
class PrintedChart:
    """A chart of the report as its SVG, and the size of its ``viewBox``."""

    svg: str
    width: float
    height: float


class ChartsNotPlaced(RuntimeError):
    """The PDF does not have each placeholder once, where a chart could replace it."""


def with_placeholders(html: str, *, placeholders: bool = True) -> tuple[str, list[PrintedChart]]:
    """The report's HTML for WeasyPrint, every inline chart an ``<img>``, and the charts.

    ``placeholders``: each image is the chart's numbered rectangle (:func:`draw_charts` puts
    the chart in its place); without, it is the chart's own SVG, which WeasyPrint draws.

    An image rather than inline SVG either way: WeasyPrint tokenises an inline SVG with its
    HTML parser and gives each of its thousands of nodes a style from the report's CSS, which
    none of them uses. The report's rules for ``.chart svg`` are given to ``.chart img``. An
    SVG with a ``<title>`` stays inline (WeasyPrint tags it with that text, an image with its
    ``alt``), as does one that is not well-formed XML or has no ``viewBox``; those are drawn
    by WeasyPrint and not among the charts returned.
    """
    charts: list[PrintedChart] = []

    def image(m: re.Match) -> str:
        svg = m.group(0)
        if "<title" in svg or svg.count("<svg") > 1:
            return svg
        try:
            box = ElementTree.fromstring(svg).get("viewBox", "").replace(",", " ").split()
            width, height = (float(v) for v in box[2:4])
        except (ElementTree.ParseError, ValueError):
            return svg
        if not (width > 0 and height > 0):
            return svg
        shown = svg
        if placeholders:
            # at the size the placeholder states, which is what the PDF will say
            chart = PrintedChart(svg, float(f"{width:g}"), float(f"{height:g}"))
            shown = _placeholder(len(charts), chart)
            charts.append(chart)
        style = re.match(r'<svg\b[^>]*?\sstyle="([^"]*)"', svg)
        style_attr = f' style="{style.group(1)}"' if style else ""
        data = base64.b64encode(shown.encode("utf-8")).decode("ascii")
        return f'<img{style_attr} src="{SVG_IMAGE}{data}">'

    head, sep, body = html.partition("</head>")
    if not sep:
        return html, []
    return head.replace(".chart svg", ".chart img") + sep + _INLINE_SVG.sub(image, body), charts


def _placeholder(number: int, chart: PrintedChart) -> str:
    if number >= 256 * 256:
        raise ChartsNotPlaced("more charts than placeholders can number")
    colour = f"#{_MARK:02x}{number // 256:02x}{number % 256:02x}"
    w, h = f"{chart.width:g}", f"{chart.height:g}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="{colour}"/></svg>'
    )


# Drawing the charts holds Python's lock (a second for the demo's 45): another process draws
# them while WeasyPrint typesets. It needs vl-convert only, so it starts in a tenth of a second.
_DRAW = """
import sys, json, vl_convert
if len(sys.argv) > 3:
    vl_convert.register_font_directory(sys.argv[3])
with open(sys.argv[1], encoding="utf-8") as f:
    svgs = json.load(f)
with open(sys.argv[2], "wb") as out:
    for svg in svgs:
        pdf = vl_convert.svg_to_pdf(svg)
        out.write(len(pdf).to_bytes(8, "big") + pdf)
"""


class ChartDrawing:
    """The charts drawn as PDFs by vl-convert in a process of its own, started at once;
    :meth:`pdfs` waits for them. Where that process cannot start or fails, they are drawn
    here."""

    def __init__(self, charts: list[PrintedChart]):
        self._charts = charts
        self._proc: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="traffickingmonitor-charts-")
        if not charts:
            return
        given = Path(self._dir.name) / "charts.json"
        given.write_text(json.dumps([c.svg for c in charts]), encoding="utf-8")
        font = chart_font.folder()  # the charts' text drawn from the font it was measured on
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _DRAW, str(given), str(self._drawn())]
                + ([str(font)] if font else []),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            log.debug("the charts are drawn in this process: %s", exc)

    def __enter__(self) -> ChartDrawing:
        return self

    def __exit__(self, *exc) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()  # not waited for: the typesetting failed
            self._proc.wait()
        self._dir.cleanup()

    def _drawn(self) -> Path:
        return Path(self._dir.name) / "charts.pdfs"

    def pdfs(self) -> list[bytes]:
        return self._from_process() or [self._draw(c) for c in self._charts]

    def _from_process(self) -> list[bytes] | None:
        if self._proc is None:
            return None
        _, err = self._proc.communicate()
        if self._proc.returncode != 0:
            log.debug("the charts are drawn in this process: %s", err.decode(errors="replace"))
            return None
        data, pdfs, at = self._drawn().read_bytes(), [], 0
        while at < len(data):
            n = int.from_bytes(data[at : at + 8], "big")
            pdfs.append(data[at + 8 : at + 8 + n])
            at += 8 + n
        return pdfs if len(pdfs) == len(self._charts) else None

    @staticmethod
    def _draw(chart: PrintedChart) -> bytes:
        import vl_convert as vlc

        chart_font.register()
        try:
            return vlc.svg_to_pdf(chart.svg)
        except Exception as exc:  # vl-convert's own SVG, yet: then WeasyPrint draws it
            raise ChartsNotPlaced(f"vl-convert could not draw a chart: {exc}") from exc


def draw_charts(pdf: bytes, charts: list[PrintedChart], drawn: list[bytes]) -> bytes:
    """``pdf`` (typeset from :func:`with_placeholders`) with each placeholder replaced by its
    chart as ``drawn`` (:class:`ChartDrawing`). Raises :class:`ChartsNotPlaced` unless every
    chart's placeholder is found once, at the chart's size."""
    if not charts:
        return pdf
    import pikepdf

    try:
        return _placed(pdf, charts, drawn)
    except pikepdf.PdfError as exc:
        raise ChartsNotPlaced(f"pikepdf: {exc}") from exc


def _placed(pdf: bytes, charts: list[PrintedChart], drawn: list[bytes]) -> bytes:
    import pikepdf

    out = pikepdf.open(io.BytesIO(pdf))
    forms = []
    for chart, chart_pdf in zip(charts, drawn, strict=True):
        source = pikepdf.open(io.BytesIO(chart_pdf))
        x0, y0, x1, y1 = (float(v) for v in source.pages[0].mediabox)
        form = out.copy_foreign(source.pages[0].as_form_xobject())
        # the placeholder's coordinates run down from its top left (WeasyPrint turns the
        # page over); the form's up from its bottom left
        sx, sy = chart.width / (x1 - x0), chart.height / (y1 - y0)
        forms.append((form, (sx, 0, 0, -sy, -x0 * sx, chart.height + y0 * sy)))
    placed = [0] * len(charts)
    for page in out.pages:
        if "/Contents" not in page.obj:
            continue
        page.contents_coalesce()
        content = page.Contents.read_bytes()
        parts, last = [], 0
        for colour in _MARKED_COLOUR.finditer(content):
            rect = _RECTANGLE.search(content, colour.end(), colour.end() + _RECTANGLE_WITHIN)
            number = _number(colour.group(1), colour.group(2))
            if rect is None or number is None or number >= len(charts):
                continue
            chart = charts[number]
            if not _is_size(rect, chart):
                continue
            form, matrix = forms[number]
            name = page.add_resource(form, pikepdf.Name.XObject, prefix="Chart")
            cm = " ".join(f"{v:.6f}" for v in matrix)
            parts += [content[last : rect.start()], f"q\n{cm} cm\n{name} Do\nQ\n".encode()]
            last = rect.end()
            placed[number] += 1
        if parts:
            page.Contents = out.make_stream(b"".join([*parts, content[last:]]))
    if placed != [1] * len(charts):
        missing = sum(1 for n in placed if n != 1)
        raise ChartsNotPlaced(f"{missing} of {len(charts)} charts not found once in the PDF")
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _number(green: bytes, blue: bytes) -> int | None:
    try:
        g, b = round(float(green) * 255), round(float(blue) * 255)
    except ValueError:
        return None
    return g * 256 + b


def _is_size(rect: re.Match, chart: PrintedChart) -> bool:
    try:
        width, height = float(rect.group(1)), float(rect.group(2))
    except ValueError:
        return False
    return abs(width - chart.width) <= 1e-6 * chart.width and abs(height - chart.height) <= (
        1e-6 * chart.height
    )
