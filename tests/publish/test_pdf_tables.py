"""The PDF's tables get the columns' widths WeasyPrint's automatic layout would give them."""

from __future__ import annotations

from importlib import resources

import pytest

from traffickingmonitor.publish import chart_font, pdf_tables

needs_dejavu = pytest.mark.skipif(
    chart_font.find_sources() is None, reason="DejaVu Sans is not installed (fonts-dejavu-core)"
)

LABELS = [
    "binnenlandse seksuele uitbuiting",
    "grensoverschrijdende seksuele uitbuiting",
    "Zeeland-West-Brabant",
    "registrations_labour_inspectorate.csv",
    "’s-Hertogenbosch & Súdwest-Fryslân",
]


def _table(header: list[str], rows: list[list[str]], *, wide: bool = False, cls: str = "") -> str:
    head = "".join(f'<th scope="col">{h}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row">{r[0]}</th>' + "".join(f"<td{cls}>{v}</td>" for v in r[1:]) + "</tr>"
        for r in rows
    )
    return (
        f'<table class="data{" wide" if wide else ""}"><caption>Tabel</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _page(*tables: str) -> str:
    css = resources.files("traffickingmonitor.publish").joinpath("templates", "report.css")
    return (
        f"<html><head><style>{css.read_text('utf-8')}</style></head><body><section>"
        + "".join(tables)
        + "</section></body></html>"
    )


def _column_widths(html: str) -> list[list[float]]:
    import weasyprint
    from weasyprint.formatting_structure import boxes

    found: list[list[float]] = []

    def walk(box) -> None:
        if isinstance(box, boxes.TableBox):
            found.append(list(box.column_widths))
        for child in getattr(box, "children", None) or []:
            walk(child)

    for page in weasyprint.HTML(string=html).render().pages:
        walk(page._page_box)
    return found


TABLES = [
    # narrow: every column at its widest
    _table(["Jaar", "Meldingen", "Personen"], [["2016", "1\u202f112", "959"], ["2017", "7", "x"]]),
    # labels that fit on one line beside five years
    _table(["Categorie", *map(str, range(2016, 2021))], [[lab, *"12345"] for lab in LABELS]),
    # a wide table: the columns share all of the width in proportion to their widest
    _table(
        ["Gemeente", "Personen", "Aandeel"], [[lab, "123", "4,5%"] for lab in LABELS], wide=True
    ),
    # too wide for the page: the labels and text cells break, the numbers never
    _table(
        ["Bron", "Toelichting", *[f"kolom {i}" for i in range(8)]],
        [[lab, f"{lab} {lab}", *["12\u202f345"] * 8] for lab in LABELS],
        wide=True,
    ),
    # squeezed: a name breaks after its hyphens
    _table(
        ["Regio", *map(str, range(2014, 2024))],
        [
            [r, *["1\u202f234\u202f567"] * 10]
            for r in ("Zeeland-West-Brabant", "Amsterdam-Amstelland")
        ],
    ),
    _table(["Wat", "Tekst"], [[lab, f"{lab} en {lab}"] for lab in LABELS], cls=' class="text"'),
]


@needs_dejavu
def test_the_widths_given_are_those_weasyprint_finds():
    html = _page(*TABLES)
    fixed = pdf_tables.with_column_widths(html)
    assert fixed.count("table-layout: fixed") == len(TABLES)
    automatic, given = _column_widths(html), _column_widths(fixed)
    assert [len(w) for w in given] == [len(w) for w in automatic]
    for auto_widths, given_widths in zip(automatic, given, strict=True):
        # Pango kerns (a text a point or two narrower than its advances add up to); the
        # rest is the same arithmetic
        assert given_widths == pytest.approx(auto_widths, abs=2.5)
        assert sum(given_widths) == pytest.approx(sum(auto_widths), abs=3)


@pytest.mark.parametrize(
    "table",
    [
        '<table class="data"><caption>T</caption><tbody><tr><th>a</th>'
        '<td colspan="2">1</td></tr></tbody></table>',
        '<table class="data"><caption>T</caption><tbody><tr><th><a href="#x">a</a></th>'
        "<td>1</td></tr></tbody></table>",
        '<table class="data"><caption>T</caption><tbody><tr><th>漢字</th><td>1</td></tr>'
        "</tbody></table>",
        '<table class="data"><tbody><tr><th>a</th><td>1</td></tr></tbody></table>',
        '<table class="data"><caption>T</caption><tbody><tr><th>a</th><td>1</td></tr>'
        "<tr><th>b</th></tr></tbody></table>",
    ],
    ids=["span", "markup", "glyph-missing", "no-caption", "ragged"],
)
@needs_dejavu
def test_a_table_it_cannot_measure_keeps_the_automatic_layout(table):
    html = _page(table, TABLES[0])
    fixed = pdf_tables.with_column_widths(html)
    assert table in fixed
    assert fixed.count("table-layout: fixed") == 1


def test_without_dejavu_sans_every_table_keeps_the_automatic_layout(monkeypatch):
    monkeypatch.setattr(chart_font, "find_sources", lambda folders=None: None)
    pdf_tables._faces.cache_clear()
    try:
        html = _page(*TABLES)
        assert pdf_tables.with_column_widths(html) == html
    finally:
        pdf_tables._faces.cache_clear()
