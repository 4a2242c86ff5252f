"""The report of an edition: self-contained HTML, PDF from the same HTML, open-data CSVs.

Only ``ProtectedTable`` objects enter here; every figure and sentence is computed from their
shown values, so a suppressed count can never leak through a chart, a share or a summary.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from traffickingmonitor import editions
from traffickingmonitor.analysis.tables import KNOWLEDGE
from traffickingmonitor.collector import fewer_collections
from traffickingmonitor.disclosure.api import (
    PrimaryRule,
    ProtectedTable,
    require_protected,
    rule_from_config,
)
from traffickingmonitor.errors import UserError
from traffickingmonitor.progress import no_progress
from traffickingmonitor.publish import csv_safe, eurostat, pdf_charts, pdf_tables
from traffickingmonitor.publish.chapters import ChapterContext, build_chapters, edition_years
from traffickingmonitor.publish.foreword import foreword_context, read_foreword
from traffickingmonitor.publish.format import is_words
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import TEXT, category_label
from traffickingmonitor.publish.quality import EditionQuality
from traffickingmonitor.publish.stored_chapters import edition_chapters

log = logging.getLogger(__name__)

# The marks of a report that is not (only) what it seems: a draft, synthetic data.
MARKS = catalog("marks")


def synthetic(edition) -> bool:
    """The edition was made from ``synth`` data (``run`` records it in its notes)."""
    return bool((getattr(edition, "notes", None) or {}).get("synthetic"))


def marks(edition, lang: str, draft: bool) -> list[str]:
    """The marks every page of the edition's report (and its metadata) carries."""
    words = MARKS[lang]
    out = [words["draft"]] if draft else []
    if synthetic(edition):
        out.append(words["synthetic"])
    return out


@dataclass(frozen=True)
class WrittenReport:
    edition_id: str
    html: Path
    pdf: Path | None
    tables_dir: Path
    n_tables: int


def write_report(
    db: Path,
    out: Path,
    *,
    lang: str = "nl",
    edition_id: str | None = None,
    threshold: int | None = None,
    pdf: bool = True,
    step: Callable | None = None,
    disclosure: str | None = None,
    draft: bool = False,
    foreword: Path | None = None,
) -> WrittenReport:
    """Write ``report.html``, ``report.pdf`` and ``tables/`` of an edition into ``out``;
    ``tables/eurostat/`` holds the same cells in Eurostat's ``crim_thb`` layout (``eurostat``).

    ``draft``: the edition is not approved (``editions approve``): every page, and the
    metadata of the tables, say "concept / draft". ``foreword``: the analyst's Markdown file.
    """
    edition, rule, protected = protected_edition(db, edition_id, threshold, disclosure)
    chapters = edition_chapters(db, edition, rule, lang, protected, read_only=False)
    return write_report_from(
        edition,
        rule,
        protected,
        chapters,
        out,
        lang=lang,
        pdf=pdf,
        step=step,
        draft=draft,
        foreword=foreword,
    )


def write_report_from(
    edition,
    rule: PrimaryRule,
    protected: dict[str, ProtectedTable],
    chapters: list[dict],
    out: Path,
    *,
    lang: str = "nl",
    pdf: bool = True,
    step: Callable | None = None,
    draft: bool = False,
    foreword: Path | None = None,
) -> WrittenReport:
    """:func:`write_report` of an edition already read: its protected tables and its
    chapters in ``lang`` as the store holds them (``run`` hands them to the demo's report
    while it builds the other languages)."""
    step = step or no_progress
    foreword_text = read_foreword(foreword) if foreword is not None else None
    make_folder(out)
    advance = step("Writing tables (CSV)", 1)
    tables_dir = write_tables(protected, edition, out / "tables", lang, draft=draft)
    eurostat.write_annex(protected, tables_dir / "eurostat", lang)
    advance(1)
    advance = step("Writing HTML", 1)
    html = render_html(
        protected,
        edition,
        rule,
        lang,
        draft=draft,
        foreword=foreword_text,
        chapters=chapters,
    )
    html_path = out / "report.html"
    _atomic_write(html_path, html.encode("utf-8"))
    advance(1)
    pdf_path = None
    if pdf:
        advance = step("Typesetting the PDF", 1)
        pdf_path = out / "report.pdf"
        write_pdf(html, pdf_path, edition, lang)
        advance(1)
    return WrittenReport(edition.edition_id, html_path, pdf_path, tables_dir, len(protected))


def protected_edition(
    db: Path, edition_id: str | None, threshold: int | None, disclosure: str | None
) -> tuple:
    """The edition, its disclosure rule and its protected tables: what every output reads.

    The rule is the edition's method (config key "disclosure"); a command may override its
    threshold or method. The report and the factsheets share this, so both protect alike.
    The protection is the one ``run`` stored; an override, or a store from before that, is
    computed once and stored (``disclosure.stored``).
    """
    from traffickingmonitor.disclosure.stored import protected_tables

    edition, tables = editions.read_edition(db, edition_id)
    rule = rule_from_config(
        edition.config.get("disclosure"), threshold=threshold, method=disclosure
    )
    return edition, rule, protected_tables(db, edition.edition_id, tables, rule, read_only=False)


def make_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from exc


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


# --- open data ---------------------------------------------------------------------------


def write_tables(
    protected: dict[str, ProtectedTable], edition, folder: Path, lang: str, *, draft: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    described = []
    rule = None
    for tid, table in protected.items():
        require_protected(table)
        rule = table.rule
        frame = table.frame
        for dim in table.spec.dimensions:
            if dim != "year":
                frame.insert(
                    frame.columns.get_loc(dim) + 1,
                    f"{dim}_label",
                    frame[dim].map(lambda c, d=dim: category_label(d, c, lang)),
                )
        accuracy = table.accuracy  # noisy counts: the 95% margin beside each count
        if accuracy is not None:
            for col in accuracy.columns[accuracy.notna().any()]:
                margin = accuracy[col].round().astype("Int64")
                frame.insert(frame.columns.get_loc(col) + 1, f"{col}_accuracy95", margin)
        _atomic_write(folder / f"{tid}.csv", csv_safe.to_csv(frame).encode("utf-8"))
        meta = table.spec.meta()
        described.append(
            {
                "file": f"{tid}.csv",
                "table_id": tid,
                "title": meta[f"title_{lang}"],
                "description": meta[f"note_{lang}"],
                "dimensions": meta["dimensions"],
                "counts": meta["counts"],
                "overlapping_rows": meta["overlapping"],
                # what a reader knows of the cells (the attacker of ``disclosure`` reads it)
                **{k: meta["extra"][k] for k in KNOWLEDGE if k in meta["extra"]},
                "suppressed_cells": int(table.suppressed.to_numpy().sum()),
                "suppressed_primary": table.n_hidden("primary"),
                "suppressed_secondary": table.n_hidden("secondary"),
            }
        )
    metadata = {
        "edition": edition.edition_id,
        "edition_created_at": edition.created_at.isoformat(),
        "code_version": edition.code_version,
        "inputs_sha256": edition.inputs_hash,
        "inputs": [
            {"file": r.file_name, "kind": r.kind, "sha256": r.file_hash}
            for r in edition.inputs.itertuples()
        ],
        "language": lang,
        "status": "draft" if draft else "approved",
        "synthetic": synthetic(edition),
        "notice": marks(edition, lang, draft),
        "disclosure": {
            **(rule or PrimaryRule()).to_dict(),
            "description": (rule or PrimaryRule()).describe(lang),
        },
        "tables": described,
    }
    _atomic_write(
        folder / "metadata.json", json.dumps(metadata, indent=2, ensure_ascii=False).encode()
    )
    return folder


# --- HTML ---------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("traffickingmonitor.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["words"] = is_words
    return env


def render_html(
    protected: dict[str, ProtectedTable],
    edition,
    rule: PrimaryRule,
    lang: str,
    *,
    draft: bool = False,
    quality: EditionQuality | None = None,
    foreword: str | None = None,
    before: tuple[str, ...] | None = None,
    chapters: list[dict] | None = None,
) -> str:
    """The report's HTML. ``chapters``: as ``stored_chapters.edition_chapters`` gave them
    (``write_report``); built here from ``protected`` when not given."""
    for table in protected.values():
        require_protected(table)
    t = TEXT[lang]
    years = edition_years(protected)
    if chapters is None:
        ctx = ChapterContext(
            protected, edition, rule, lang, t, years, editions_before=before, quality=quality
        )
        chapters = build_chapters(ctx)
    context = {
        "lang": lang,
        "t": t,
        "edition": edition,
        "generated": dt.date.today().isoformat(),
        "years": f"{years[0]}–{years[-1]}",
        "rule": rule,
        "chapters": chapters,
        "marks": marks(edition, lang, draft),
        "draft": draft,
        "foreword": foreword_context(foreword, lang),
        "css": resources.files("traffickingmonitor.publish")
        .joinpath("templates", "report.css")
        .read_text("utf-8"),
    }
    return _environment().get_template("report.html.j2").render(**context)


# A chart of the usual width (``charts.WIDTH`` and its axes, about 570 px) prints 100 mm
# wide, two figures with their tables to a page; a wider one (small multiples) in proportion,
# up to the width of the text.
_MM_PER_PX = 100 / 570
_TEXT_WIDTH_MM = 170


def _print_sized(html: str) -> str:
    """The charts sized in millimetres instead of pixels.

    WeasyPrint lays an inline SVG out at its ``height`` attribute whatever CSS scales it to,
    which kept every printed chart on a page of its own; with the width as a style and no
    height the height follows the ``viewBox``.
    """

    def size(m: re.Match) -> str:
        mm = min(_TEXT_WIDTH_MM, float(m.group(2)) * _MM_PER_PX)
        return f'{m.group(1)}style="width: {mm:.0f}mm"'

    return re.sub(r'(<svg [^>]*?)width="([\d.]+)" height="[\d.]+"(?=[^>]*viewBox)', size, html)


class _NoAltOfCharts(logging.Filter):
    """WeasyPrint asks a tagged PDF's images for an ``alt``; a chart has none as an image,
    as it had none inline (its figure caption and data table say what it shows)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            "has no required alt description" in str(record.msg)
            and isinstance(record.args, tuple)
            and str(record.args[0] if record.args else "").startswith(pdf_charts.SVG_IMAGE)
        )


def load_pdf_engine() -> None:
    """Import WeasyPrint and pikepdf (about a second): ``demo`` does it while the run links
    (``warm_up``)."""
    import pikepdf  # noqa: F401
    import weasyprint  # noqa: F401


def write_pdf(html: str, path: Path, edition, lang: str) -> None:
    import weasyprint

    logger = logging.getLogger("weasyprint")
    # WeasyPrint warns about CSS it ignores (screen-only rules); that is not the user's concern.
    logger.setLevel(logging.ERROR)
    no_alt = _NoAltOfCharts()
    logger.addFilter(no_alt)
    html = pdf_tables.with_column_widths(_print_sized(html))

    def typeset(page: str) -> bytes:
        # WeasyPrint makes millions of objects: collecting cycles rarely saves a sixth
        with fewer_collections():
            document = weasyprint.HTML(string=page, base_url=None)
            return document.write_pdf(pdf_tags=True, custom_metadata=True)

    try:
        try:
            page, charts = pdf_charts.with_placeholders(html)
            with pdf_charts.ChartDrawing(charts) as drawing:
                pdf = pdf_charts.draw_charts(typeset(page), charts, drawing.pdfs())
        except pdf_charts.ChartsNotPlaced as exc:  # WeasyPrint draws them, as it can
            log.warning("the PDF's charts are drawn by WeasyPrint (%s)", exc)
            pdf = typeset(pdf_charts.with_placeholders(html, placeholders=False)[0])
    finally:
        logger.removeFilter(no_alt)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)
