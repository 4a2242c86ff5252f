"""The report of an edition: self-contained HTML, PDF from the same HTML, open-data CSVs.

Only ``ProtectedTable`` objects enter here; every figure and sentence is computed from their
shown values, so a suppressed count can never leak through a chart, a share or a summary.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from traffickingmonitor import editions
from traffickingmonitor.analysis.tables import KNOWLEDGE
from traffickingmonitor.disclosure.api import (
    PrimaryRule,
    ProtectedTable,
    require_protected,
    rule_from_config,
)
from traffickingmonitor.errors import UserError
from traffickingmonitor.progress import no_progress
from traffickingmonitor.publish import csv_safe
from traffickingmonitor.publish.chapters import ChapterContext, build_chapters, edition_years
from traffickingmonitor.publish.foreword import foreword_context, read_foreword
from traffickingmonitor.publish.format import is_words
from traffickingmonitor.publish.labels import TEXT, category_label
from traffickingmonitor.publish.quality import EditionQuality
from traffickingmonitor.publish.stored_chapters import edition_chapters

# The marks of a report that is not (only) what it seems: a draft, synthetic data.
MARKS = {
    "nl": {
        "draft": "CONCEPT / DRAFT — niet goedgekeurd, niet openbaar",
        "synthetic": "Synthetische gegevens — geen echte personen",
    },
    "en": {
        "draft": "DRAFT — not approved, not public",
        "synthetic": "Synthetic data — no real persons",
    },
}


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
    """Write ``report.html``, ``report.pdf`` and ``tables/`` of an edition into ``out``.

    ``draft``: the edition is not approved (``editions approve``): every page, and the
    metadata of the tables, say "concept / draft". ``foreword``: the analyst's Markdown file.
    """
    step = step or no_progress
    foreword_text = read_foreword(foreword) if foreword is not None else None
    edition, rule, protected = protected_edition(db, edition_id, threshold, disclosure)
    make_folder(out)
    advance = step("Writing tables (CSV)", 1)
    tables_dir = write_tables(protected, edition, out / "tables", lang, draft=draft)
    advance(1)
    advance = step("Drawing charts and writing HTML", 1)
    html = render_html(
        protected,
        edition,
        rule,
        lang,
        draft=draft,
        foreword=foreword_text,
        chapters=edition_chapters(db, edition, rule, lang, protected, read_only=False),
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


def write_pdf(html: str, path: Path, edition, lang: str) -> None:
    import logging

    import weasyprint

    # WeasyPrint warns about CSS it ignores (screen-only rules); that is not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=_print_sized(html), base_url=None)
    tmp = path.with_name(path.name + ".part")
    document.write_pdf(tmp, pdf_tags=True, custom_metadata=True)
    tmp.replace(path)
