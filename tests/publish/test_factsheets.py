"""Factsheets: one page per area, only published numbers, no internal names, the CLI flag."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from traffickingmonitor.publish import report
from traffickingmonitor.publish.factsheets import LEVELS, areas, write_factsheets
from traffickingmonitor.publish.web.channel_check import DataCells, read_page
from web_helpers import build_demo_db

from helpers import KEY, csv_numbers, run_cli

EXPECTED = {"municipality": 342, "police_unit": 10, "safety_region": 25, "province": 12}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The session's synthetic demo store (shared with the web tests)."""
    return build_demo_db(tmp_path_factory)


@pytest.fixture(scope="module")
def written(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("factsheets")
    return write_factsheets(demo_db, out, lang="nl", draft=True), out


@pytest.fixture(scope="module")
def published(demo_db, tmp_path_factory):
    """The whole numbers of the edition's open data (the report's CSVs)."""
    edition, _, protected = report.protected_edition(demo_db, None, None, None)
    folder = report.write_tables(protected, edition, tmp_path_factory.mktemp("csv"), "nl")
    return csv_numbers(folder)


class _Text(HTMLParser):
    """The visible text of a page (not its style sheet)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _pages(folder):
    return sorted((folder / "factsheets").glob("*/*.html"))


def test_one_html_and_one_pdf_per_area(written):
    sheets, out = written
    assert sheets.counts == EXPECTED
    for level in LEVELS:
        folder = out / "factsheets" / level
        html = sorted(p.stem for p in folder.glob("*.html"))
        pdf = sorted(p.stem for p in folder.glob("*.pdf"))
        assert len(html) == EXPECTED[level] and html == pdf, level
        assert html == sorted(a.file for a in areas(level))
    assert sheets.n_pdf == sum(EXPECTED.values())
    index = (out / "factsheets" / "index.html").read_text("utf-8")
    assert len(re.findall(r'href="[a-z_]+/[^"]+\.html"', index)) == sum(EXPECTED.values())
    assert len(re.findall(r'href="[a-z_]+/[^"]+\.pdf"', index)) == sum(EXPECTED.values())


def test_a_pdf_is_one_a4_page_with_the_area(written):
    import pypdf

    _, out = written
    for path, name in [
        ("municipality/GM0363.pdf", "Amsterdam"),
        ("police_unit/den-haag.pdf", "Den Haag"),
        ("province/PV27.pdf", "Noord-Holland"),
    ]:
        reader = pypdf.PdfReader(out / "factsheets" / path)
        assert len(reader.pages) == 1, path
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842), path
        text = reader.pages[0].extract_text()
        assert name in text and "CONCEPT" in text, path


def test_factsheets_show_only_published_counts(written, published):
    _, out = written
    seen = 0
    for path in _pages(out):
        (parser,) = read_page(path.read_text("utf-8"), DataCells())
        counts = [
            int(text.replace("\u202f", "").replace(" ", ""))
            for table, text in parser.cells
            if "persons" in table and re.fullmatch(r"\d{1,3}([\u202f ]\d{3})*", text)
        ]
        seen += len(counts)
        assert [n for n in counts if 0 < n < 10] == [], path
        assert sorted(set(counts) - published) == [], path
    # every area has its two counts and a trend: otherwise the check proves nothing
    assert seen > 4 * sum(EXPECTED.values())


def _section(html: str, title_start: str) -> str:
    start = html.index(f"<h2>{title_start}")
    return html[start : html.index("</section>", start)]


def test_a_municipality_and_a_safety_region_show_the_trend_of_their_police_unit(written):
    """Single years are counted from the police unit up: Hilversum's and Gooi en Vechtstreek's
    sheets show Midden-Nederland's years, the very rows of that unit's own sheet."""
    _, out = written
    folder = out / "factsheets"
    unit = (folder / "police_unit" / "midden-nederland.html").read_text("utf-8")
    rows = _section(unit, "Mogelijke slachtoffers per jaar")
    rows = rows[rows.index("<table") :]
    assert rows.count("<td") >= 6  # two bases, three years at least
    for path in ("municipality/GM0402.html", "safety_region/VR14.html"):
        html = (folder / path).read_text("utf-8")
        trend = _section(
            html, "Mogelijke slachtoffers per jaar in politie-eenheid Midden-Nederland"
        )
        assert (
            trend[trend.index("<table") : trend.index("</table>")] == rows[: rows.index("</table>")]
        )
        assert "bijna altijd kleiner dan de drempel" in trend


def test_text_has_no_internal_identifiers_and_says_what_it_is(written):
    _, out = written
    for path in _pages(out):
        html = path.read_text("utf-8")
        parser = _Text()
        parser.feed(html)
        text = " ".join(parser.parts)
        assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b", text), path
        assert not re.search(r"\b(GM|PV|VR)\d{2,4}\b", text), path
        assert "persoonsjaren" in text and "per 100\u202f000 inwoners" in text.lower(), path
        assert "CONCEPT / DRAFT" in text and "Synthetische gegevens" in text, path
    amsterdam = (out / "factsheets" / "municipality" / "GM0363.html").read_text("utf-8")
    assert "<h1>Amsterdam</h1>" in amsterdam
    assert "Gemeentelijke aanpak" in amsterdam and "Bereik van zorg" in amsterdam
    unit = (out / "factsheets" / "police_unit" / "den-haag.html").read_text("utf-8")
    assert "Behoefte en inzet" in unit


def test_report_command_writes_the_factsheets(demo_db, tmp_path):
    out = tmp_path / "out"
    r = run_cli(
        "report",
        "--db",
        demo_db,
        "--out",
        out,
        "--lang",
        "en",
        "--no-pdf",
        "--factsheets",
        env={"TRAFFICKINGMONITOR_KEY": KEY},
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    said = " ".join((r.stdout + r.stderr).split())  # Rich's console: stderr, wrapped lines
    assert "factsheets:" in said and "(389 HTML: 342 municipality, 10 police unit" in said, said
    for level, n in EXPECTED.items():
        assert len(list((out / "factsheets" / level).glob("*.html"))) == n, level
    assert not list((out / "factsheets").glob("*/*.pdf"))
    html = (out / "factsheets" / "safety_region" / "VR13.html").read_text("utf-8")
    assert '<html lang="en">' in html and "person-years" in html
