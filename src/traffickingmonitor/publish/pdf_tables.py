"""The report's tables in its PDF with their columns' widths given, rather than found by WeasyPrint.

A table of automatic layout is measured cell by cell before it is laid out: the narrowest
and the widest each cell can be, each a Pango layout of its text. For the demo report's 63
tables that was a sixth of the PDF's time (about 0.8 of 4.8 s). The widths follow from the
text and the font alone, so :func:`with_column_widths` measures the text here, from DejaVu
Sans's advance widths (fontTools), computes the columns as WeasyPrint's automatic layout does
(`CSS 2.1 17.5.2.2 <https://www.w3.org/TR/CSS21/tables.html#auto-table-layout>`_, with the
distribution of ``css-tables-3``) and gives each table those widths as a fixed layout, which
WeasyPrint takes as they are.

Only the report's own tables (``table.data``) of plain text cells, one column each, are
given widths; a table without a caption, with a cell of markup or a span, or a text with a
character DejaVu Sans lacks, keeps the automatic layout, as does every table where DejaVu
Sans is not installed. The sizes below are those of ``report.css`` in print; a test compares the widths
with those WeasyPrint finds itself.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
from dataclasses import dataclass

from traffickingmonitor.publish import chart_font

#: A4 less the page's margins (``report.css``, ``@page``), in points
_AVAILABLE_PT = (210 - 18 - 18) / 25.4 * 72
#: the tables' text: 9.5pt (body in print) times 0.8 (``table.data`` in print)
_FONT_PT = 9.5 * 0.8
#: a cell's padding left and right (0.5em each)
_PADDING_PT = 2 * 0.5 * _FONT_PT

_TABLE = re.compile(r'<table class="data( [^"]*)?">(.*?)</table>', re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(th|td)([^>]*)>(.*?)</\1>", re.S)
_CAPTION_END = "</caption>"
_SPACE = re.compile(r"[ \t\n\r\f]+")
#: where a line may break (Unicode's line breaking as Pango applies it): at a space (not a
#: no-break space) and after a hyphen before anything but a digit
_BREAK = re.compile(r" |(?<=-)(?=\D)")


@dataclass(frozen=True)
class _Face:
    """Advance widths of one style of the font, in points at the tables' size."""

    widths: dict[int, float]

    def width(self, text: str) -> float | None:
        try:
            return sum(self.widths[ord(c)] for c in text)
        except KeyError:  # a character the font lacks: measured on another, not here
            return None


@functools.cache
def _faces() -> dict[str, _Face] | None:
    """DejaVu Sans's book and bold faces, or None where it is not installed."""
    from fontTools.ttLib import TTFont

    sources = chart_font.find_sources()
    if sources is None:
        return None
    faces = {}
    for style, path in sources.items():
        font = TTFont(path, lazy=True)
        scale = _FONT_PT / font["head"].unitsPerEm
        hmtx = font["hmtx"]
        faces[style] = _Face({cp: hmtx[g][0] * scale for cp, g in font.getBestCmap().items()})
        font.close()
    return faces


@dataclass(frozen=True)
class _Cell:
    text: str
    bold: bool
    wraps: bool


def _cells(table: str) -> list[list[_Cell]] | None:
    """The table's rows of cells, or None where a cell is not plain text in one column."""
    rows = []
    head_end = table.find("</thead>")
    for row in _ROW.finditer(table):
        in_head = row.start() < head_end
        cells = []
        for i, (tag, attrs, inner) in enumerate(_CELL.findall(row.group(1))):
            if "<" in inner or "span=" in attrs:
                return None
            cells.append(
                _Cell(
                    _SPACE.sub(" ", html_lib.unescape(inner)).strip(),
                    bold=in_head and tag == "th" and i > 0,
                    wraps=tag == "th" or 'class="text"' in attrs,
                )
            )
        rows.append(cells)
    if not rows or len({len(r) for r in rows}) != 1:
        return None
    return rows


def _content_widths(cell: _Cell, faces: dict[str, _Face]) -> tuple[float, float] | None:
    """The narrowest and the widest the cell's text can be set (without padding)."""
    face = faces["Bold" if cell.bold else "Book"]
    widest = face.width(cell.text)
    if widest is None:
        return None
    if not cell.wraps:
        return widest, widest
    words = [face.width(w) for w in _BREAK.split(cell.text)]
    if any(w is None for w in words):
        return None
    return max(words, default=0.0), widest


def _column_widths(
    rows: list[list[_Cell]], wide: bool, faces: dict[str, _Face]
) -> list[float] | None:
    """The columns' widths (points, padding included) as WeasyPrint's automatic layout
    gives them: at their widest where they fit (a ``wide`` table's share out the rest of
    the width in proportion to that), between narrowest and widest where they do not.
    WeasyPrint leaves the tables' ``min-width`` (a share of the page) aside, as here."""
    n = len(rows[0])
    low, high = [0.0] * n, [0.0] * n
    for row in rows:
        for i, cell in enumerate(row):
            measured = _content_widths(cell, faces)
            if measured is None:
                return None
            low[i] = max(low[i], measured[0] + _PADDING_PT)
            high[i] = max(high[i], measured[1] + _PADDING_PT)
    table_low, table_high = sum(low), sum(high)
    width = max(table_low, _AVAILABLE_PT if wide else min(_AVAILABLE_PT, table_high))
    if width < table_high:
        if width <= table_low:
            return low
        ratio = (width - table_low) / (table_high - table_low)
        return [lo + (hi - lo) * ratio for lo, hi in zip(low, high, strict=True)]
    ratio = width / table_high if table_high else 1.0
    return [hi * ratio for hi in high]


def with_column_widths(html: str) -> str:
    """The report's HTML with each ``table.data`` of plain text given its columns' widths
    and a fixed layout (see the module); the others, and all of them without DejaVu Sans,
    as they were."""
    faces = _faces()
    if faces is None:
        return html

    def fixed(m: re.Match) -> str:
        classes, body = m.group(1) or "", m.group(2)
        rows = _cells(body) if _CAPTION_END in body else None  # the columns follow it
        widths = _column_widths(rows, " wide" in classes, faces) if rows else None
        if widths is None:
            return m.group(0)
        cols = "".join(f'<col style="width: {w:.2f}pt">' for w in widths)
        head, _, rest = body.partition(_CAPTION_END)
        return (
            f'<table class="data{classes}" style="table-layout: fixed; '
            f'width: {sum(widths):.2f}pt">{head}{_CAPTION_END}<colgroup>{cols}</colgroup>{rest}'
            "</table>"
        )

    return _TABLE.sub(fixed, html)
