"""The report: self-contained HTML, a tagged PDF of the same content, protected open data."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from traffickingmonitor import pipeline
from traffickingmonitor.intake.pseudonymise import Key
from traffickingmonitor.publish.api import write_report

from helpers import KEY, make_input_dir


@pytest.fixture(scope="module")
def small_edition(tmp_path_factory):
    folder = make_input_dir(tmp_path_factory.mktemp("in"))
    db = tmp_path_factory.mktemp("db") / "s.duckdb"
    pipeline.run(folder, db, Key(KEY.encode()))
    return db


@pytest.fixture(scope="module", params=["nl", "en"])
def report(request, small_edition, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"report_{request.param}")
    written = write_report(small_edition, out, lang=request.param)
    return request.param, written


def _small_counts(values) -> list[str]:
    return [v for v in values if re.fullmatch(r"[1-9]", str(v).strip())]


def test_html_is_self_contained_and_complete(report):
    lang, written = report
    html = written.html.read_text("utf-8")
    assert f'<html lang="{lang}">' in html
    assert not re.search(r"<link\b|<script\b|src=\"https?:|url\(https?:|@import", html)
    blocks = re.findall(r'<section class="figure-block".*?</section>', html, flags=re.S)
    assert len(blocks) >= 10
    # every block: a summary, a data table, and a chart or the reason there is none
    no_chart = "Geen figuur" if lang == "nl" else "No figure"
    for block in blocks:
        assert '<table class="data' in block
        assert 'class="summary"' in block
        assert ("<svg" in block) != (no_chart in block)
    assert html.count("<svg") >= 1
    title = (
        "Slachtoffermonitor mensenhandel" if lang == "nl" else "Human trafficking victim monitor"
    )
    assert title in html
    assert written.edition_id in html


def test_no_count_from_1_to_9_in_html_tables(report):
    _, written = report
    html = written.html.read_text("utf-8")
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert cells and "&lt;10" in cells
    assert _small_counts(cells) == []


def test_csv_tables_are_protected_and_described(report):
    _, written = report
    meta = json.loads((written.tables_dir / "metadata.json").read_text("utf-8"))
    assert meta["edition"] == written.edition_id
    assert meta["disclosure"]["threshold"] == 10
    files = {t["file"] for t in meta["tables"]}
    assert files == {p.name for p in written.tables_dir.glob("*.csv")}
    suppressed = 0
    for t in meta["tables"]:
        frame = pd.read_csv(written.tables_dir / t["file"], dtype=str)
        for col in t["counts"]:
            assert _small_counts(frame[col]) == [], (t["file"], col)
            suppressed += int((frame[col] == "<10").sum())
        assert t["title"]
    assert suppressed > 0


def test_pdf_is_tagged_and_has_the_report(report):
    from pypdf import PdfReader

    _, written = report
    reader = PdfReader(written.pdf)
    assert len(reader.pages) >= 4
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert written.edition_id in text
    assert "<10" in text


def test_unknown_edition_is_a_clear_error(small_edition, tmp_path):
    from traffickingmonitor.errors import UserError

    with pytest.raises(UserError, match="no edition 'nope'"):
        write_report(small_edition, tmp_path, edition_id="nope")


def test_an_approved_real_edition_has_no_marks(report):
    _, written = report
    html = written.html.read_text("utf-8")
    assert 'class="report-mark' not in html and "@top-left" not in html
    meta = json.loads((written.tables_dir / "metadata.json").read_text("utf-8"))
    assert (meta["status"], meta["synthetic"], meta["notice"]) == ("approved", False, [])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_draft_of_synthetic_data_says_so_on_every_page(
    small_edition, tmp_path, monkeypatch, lang
):
    """``report`` on a draft: "concept / draft" on every PDF page, in the HTML and in the
    metadata; a synthetic edition says so beside it (issue 16.5, 16.6)."""
    import dataclasses

    from pypdf import PdfReader

    from traffickingmonitor import editions
    from traffickingmonitor.publish.report import MARKS

    read = editions.read_edition

    def synthetic(db, edition_id=None):
        edition, tables = read(db, edition_id)
        return dataclasses.replace(
            edition, notes={**edition.notes, "synthetic": {"seed": 1}}
        ), tables

    monkeypatch.setattr(editions, "read_edition", synthetic)
    written = write_report(small_edition, tmp_path, lang=lang, draft=True)
    draft, synth = MARKS[lang]["draft"], MARKS[lang]["synthetic"]
    assert ("CONCEPT" in draft) == (lang == "nl") and "DRAFT" in draft
    pages = [p.extract_text() for p in PdfReader(written.pdf).pages]
    assert len(pages) >= 4
    for n, text in enumerate(pages, start=1):
        assert draft in text and synth in text, f"page {n} without the marks"
    html = written.html.read_text("utf-8")
    assert html.index(draft) < html.index("<h1>")  # before the title, not only in print CSS
    assert synth in html
    meta = json.loads((written.tables_dir / "metadata.json").read_text("utf-8"))
    assert (meta["status"], meta["synthetic"], meta["notice"]) == ("draft", True, [draft, synth])


def test_report_command_reads_the_status_from_the_state(small_edition, tmp_path):
    from typer.testing import CliRunner

    from traffickingmonitor.cli import app as cli
    from traffickingmonitor.publish.web import accounts
    from traffickingmonitor.publish.web.state import make_engine, session_factory

    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with session_factory(make_engine(state))() as s:
        accounts.add_user(s, "ana", "a long password!", "analyst")
    runner = CliRunner()
    args = ["--db", str(small_edition), "--state", state, "--no-pdf", "--lang", "en"]
    r = runner.invoke(cli, ["report", *args, "--out", str(tmp_path / "draft")])
    assert r.exit_code == 0, r.output
    assert "DRAFT" in (tmp_path / "draft" / "report.html").read_text("utf-8")
    edition_id = json.loads((tmp_path / "draft" / "tables" / "metadata.json").read_text())[
        "edition"
    ]
    r = runner.invoke(
        cli,
        [
            "editions",
            "approve",
            edition_id,
            "--by",
            "ana",
            "--db",
            str(small_edition),
            "--state",
            state,
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["report", *args, "--out", str(tmp_path / "final")])
    assert r.exit_code == 0, r.output
    assert "DRAFT" not in (tmp_path / "final" / "report.html").read_text("utf-8")


def test_every_table_is_presented_by_one_chapter(small_edition):
    from traffickingmonitor import editions
    from traffickingmonitor.publish.chapters import CHAPTERS

    _, tables = editions.read_edition(small_edition, None)
    for tid in tables:
        owners = [c.id for c in CHAPTERS if c.claims(tid)]
        assert len(owners) == 1, (tid, owners)


def test_hidden_share_per_chapter_adds_up_to_the_edition(report):
    _, written = report
    html = written.html.read_text("utf-8")
    start = html.index('class="data disclosure"')
    rows = re.findall(
        r'<tr><th scope="row">[^<]*</th>((?:<td class="cells">[^<]*</td>)+)</tr>',
        html[start : html.index("</table>", start)],
    )
    # whole numbers as the text writes them (a narrow space between thousands)
    numbers = [
        [int(v.replace("\u202f", "")) for v in re.findall(r">(\d{1,3}(?:\u202f\d{3})*)<", r)]
        for r in rows
    ]
    *chapters, total = numbers
    assert len(chapters) >= 3
    for col in range(3):  # cells, hidden below the threshold, hidden to protect them
        assert sum(r[col] for r in chapters) == total[col]
    meta = json.loads((written.tables_dir / "metadata.json").read_text("utf-8"))
    assert total[1] == sum(t["suppressed_primary"] for t in meta["tables"])


def test_sources_chapter_states_the_linkage_used_and_fields_filled(report, small_edition):
    import duckdb

    from traffickingmonitor import editions

    lang, written = report
    html = written.html.read_text("utf-8")
    start = html.index('id="sources"')
    section = html[start : html.index('id="method"')]
    edition, _ = editions.read_edition(small_edition, None)
    method = edition.notes["linkage"]["method"]
    assert ("Splink" in section) == method.lower().startswith("splink")
    assert "version 0" not in html and "versie 0" not in html
    # the share of registrations with a municipality of exploitation, counted apart
    con = duckdb.connect(str(small_edition), read_only=True)
    filled, n = con.execute(
        "SELECT count(*) FILTER (WHERE exploitation_municipality NOT IN ('', 'unknown')), "
        "count(*) FROM registrations WHERE file_hash IN "
        "(SELECT file_hash FROM edition_inputs WHERE edition_id = ?)",
        [written.edition_id],
    ).fetchone()
    con.close()
    label = "gemeente van uitbuiting" if lang == "nl" else "municipality of exploitation"
    row = re.search(rf">{label}</th><td[^>]*>(\d+)%<", section)
    assert row, label
    assert int(row.group(1)) == round(100 * filled / n)


def test_dutch_open_data_label_codes_in_dutch(report):
    """The ``_label`` columns of the Dutch CSVs name categories in words: no code with an
    underscore and no English offence, period or form left (a ``_label`` column that only
    repeats codes a list has no words for is allowed where the code is a name, as places)."""
    lang, written = report
    if lang != "nl":
        pytest.skip("the Dutch open data")
    english = {"any", "property", "violence", "before", "after", "sexual", "labour", "suspect"}
    for path in written.tables_dir.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in (c for c in frame.columns if c.endswith("_label")):
            values = set(frame[col])
            assert not {v for v in values if "_" in v}, (path.name, col)
            assert not values & english, (path.name, col)


def test_charts_print_as_drawn_by_vl_convert_on_the_same_pages(report, tmp_path, caplog):
    """``write_pdf`` lays each chart out as an image of its size and puts the chart drawn by
    vl-convert in its place (``pdf_charts``): the pages look as those of the inline SVGs that
    WeasyPrint draws itself, maps (their own width) included, every chart is one form of the
    PDF, and WeasyPrint asks for no alternative text the inline charts did not have. Where
    WeasyPrint draws the charts (``placeholders=False``), its PDF is byte for byte the one of
    the inline SVGs."""
    import logging

    import weasyprint
    from pypdf import PdfReader

    from traffickingmonitor.publish import pdf_charts
    from traffickingmonitor.publish.report import _print_sized, write_pdf

    _, written = report
    html = written.html.read_text("utf-8")
    head = html[: html.index("<body>")]
    blocks = re.findall(r'<section class="figure-block".*?</section>', html, flags=re.S)
    charts = [b for b in blocks if "<svg" in b]
    maps = [b for b in charts if re.search(r'id="[^"]*-map', b)]
    assert maps, "the small edition draws a map"
    page = f"{head}<body><main>{''.join(charts[:3] + maps[:1])}</main></body></html>"

    def typeset(html: str) -> bytes:
        return weasyprint.HTML(string=html, base_url=None).write_pdf(
            pdf_tags=True, custom_metadata=True
        )

    inline = typeset(_print_sized(page))
    as_images, _ = pdf_charts.with_placeholders(_print_sized(page), placeholders=False)
    assert typeset(as_images) == inline
    caplog.clear()  # WeasyPrint asks for an alt of each image it typesets without the filter
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        write_pdf(page, tmp_path / "forms.pdf", None, "en")
    assert not [r for r in caplog.records if "alt" in r.getMessage()]
    forms = PdfReader(tmp_path / "forms.pdf")
    names = {
        str(name)
        for p in forms.pages
        for name in p["/Resources"].get("/XObject", {})
        if str(name).startswith("/Chart")
    }
    assert len(names) == 4
    (tmp_path / "inline.pdf").write_bytes(inline)
    placeholders, _ = pdf_charts.with_placeholders(_print_sized(page))
    (tmp_path / "placeholders.pdf").write_bytes(typeset(placeholders))
    inline_pages = _pages_as_grey(tmp_path / "inline.pdf")
    assert len(_pages_as_grey(tmp_path / "forms.pdf")) == len(inline_pages)
    # grey levels 0-255 per pixel; the placeholders' dark rectangles are far off, so the
    # comparison sees the charts
    assert _mean_difference(tmp_path / "placeholders.pdf", inline_pages) > 20
    assert _mean_difference(tmp_path / "forms.pdf", inline_pages) < 1.5


def _pages_as_grey(pdf) -> list:
    """Each page rendered by poppler at 50 dpi, as grey levels."""
    import shutil
    import subprocess

    import numpy as np
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to look at the PDF's pages")
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(prefix)], check=True)
    pages = sorted(pdf.parent.glob(f"{prefix.name}-*.pgm"))
    return [np.asarray(Image.open(p), dtype=float) for p in pages]


def _mean_difference(pdf, pages) -> float:
    """The largest, over the pages, of the mean absolute difference from ``pages``."""
    import numpy as np

    return max(float(np.abs(a - b).mean()) for a, b in zip(_pages_as_grey(pdf), pages, strict=True))
