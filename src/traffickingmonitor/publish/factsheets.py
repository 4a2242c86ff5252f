"""Factsheets: one A4 page per municipality, police unit, safety region and province.

A factsheet repeats, for one area, figures the report already publishes: the rows of the
local chapters' tables (counts and rates per 100,000 over the years combined, care reach,
need versus effort, the municipal approach) and the per-year table the dashboard shows for
a region. It computes no figure of its own: one figure, one definition, and only from
``ProtectedTable`` shown values (through the chapters' blocks and the dashboard's
``table_block``), so a hidden cell stays hidden on every page.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from traffickingmonitor.analysis import local_figures
from traffickingmonitor.analysis.local_figures import BASES, LEVELS_PER_YEAR
from traffickingmonitor.codes import api as codes
from traffickingmonitor.disclosure.api import ProtectedTable, require_protected
from traffickingmonitor.progress import no_progress
from traffickingmonitor.publish import report
from traffickingmonitor.publish.chapters import CHAPTERS, Block, ChapterContext, edition_years
from traffickingmonitor.publish.chapters._local import area_name, populations, reference
from traffickingmonitor.publish.charts import chart_language
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import TEXT as REPORT_TEXT
from traffickingmonitor.publish.stored_chapters import edition_chapters
from traffickingmonitor.publish.web.figures import table_block

#: the levels, in the order the CLI writes them and the index lists them
LEVELS = tuple(local_figures.LEVELS)

#: the chapters whose blocks a factsheet takes its rows from (others are not built)
SOURCE_CHAPTERS = ("local", "care-reach", "need-effort", "approach")

# a basis by its column (analysis.local_figures.BASES)
TEXT = catalog("factsheets", dynamic=("level.*", "levels.*", "place", "residence"))

# the chapters' block ids per level: the row of the area in each (by its name)
_PERIOD_BLOCK = {
    "municipality": "local-municipalities",
    "police_unit": "local-police-unit",
    "safety_region": "local-safety-region",
    "province": "local-map-province",
}
_CARE_BLOCK = {"municipality": "care-municipality", "police_unit": "care-police-unit"}


@dataclass(frozen=True)
class Area:
    """An area with a factsheet: ``key`` is its value in the tables, ``file`` its file stem."""

    level: str
    key: str
    file: str
    name: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@cache
def areas(level: str) -> tuple[Area, ...]:
    """Every area of ``level`` in the reference data, by name.

    Municipalities, safety regions and provinces are filed under their CBS code (GM, VR,
    PV); police units have no such code and are filed under their name made URL-safe.
    """
    ref = reference()
    if level == "municipality":
        pairs = zip(ref["code"], ref["code"], strict=True)
    elif level == "police_unit":
        pairs = ((u, _slug(u)) for u in ref["police_unit"])
    else:
        pairs = zip(ref[level], ref[f"{level}_code"], strict=True)
    found = {key: Area(level, key, file, area_name(level, key, "nl")) for key, file in pairs}
    return tuple(sorted(found.values(), key=lambda a: a.name))


def find_area(level: str, file: str) -> Area | None:
    """The area filed as ``file`` (``GM0363``, ``den-haag``), or None."""
    if level not in LEVELS:
        return None
    return next((a for a in areas(level) if a.file == file), None)


@dataclass
class Sources:
    """What the factsheets of one edition and language are made of (built once).

    ``blocks``: the source chapters' blocks by id, each with its rows by first cell (the
    area's name), so every factsheet reads the same row the report prints.
    """

    tables: dict[str, ProtectedTable]
    edition: object
    rule: object
    lang: str
    years: list[int]
    blocks: dict = field(default_factory=dict)

    @classmethod
    def build(
        cls, tables: dict, edition, rule, lang: str, chapters: list[dict] | None = None
    ) -> Sources:
        """``chapters``: the built chapters (the dashboard has them); else the source
        chapters are built here."""
        for table in tables.values():
            require_protected(table)
        years = edition_years(tables)
        if chapters is None:
            ctx = ChapterContext(tables, edition, rule, lang, REPORT_TEXT[lang], years)
            with chart_language(lang):
                chapters = [
                    {"id": c.id, "content": c.build(ctx)}
                    for c in CHAPTERS
                    if c.id in SOURCE_CHAPTERS
                ]
        blocks = {}
        for ch in chapters:
            if ch["id"] not in SOURCE_CHAPTERS or ch["content"] is None:
                continue
            content = ch["content"]
            # the chapters' rows of every area, where the report prints only some
            extra = [
                Block(id=bid, title="", chart=False, header=header, rows=rows)
                for bid, (header, rows) in content.data.get("area_rows", {}).items()
            ]
            for b in [*content.blocks, *extra]:
                rows = {}
                for r in b.rows:
                    rows.setdefault(str(r[0]), r)
                blocks[b.id] = (b, rows)
        return cls(tables, edition, rule, lang, years, blocks)

    def row(self, block_id: str, name: str):
        """The block and the area's row in it, or (None, None)."""
        block, rows = self.blocks.get(block_id, (None, {}))
        return block, rows.get(name)


def _number(n: int) -> str:
    return f"{int(n):,}".replace(",", "\u202f")


def _facts(area: Area, w: dict, lang: str) -> str:
    """The line under the name: where the area lies and how many live there."""
    ref = reference()
    if area.level == "municipality":
        m = ref[ref["code"] == area.key].iloc[0]
        where = w["in_regions"].format(
            province=m["province"], police=m["police_unit"], region=m["safety_region"]
        )
        return f"{where} · {w['inhabitants'].format(n=_number(m['population']))}"
    n = int((ref[area.level] == area.key).sum())
    population = populations(area.level).get(area.key, 0)
    return f"{w['municipalities'].format(n=n)} · {w['inhabitants'].format(n=_number(population))}"


def _period(src: Sources, area: Area, w: dict) -> dict | None:
    """Counts and rates of the years combined: the area's row of the local chapter's table."""
    _, row = src.row(_PERIOD_BLOCK[area.level], area_name(area.level, area.key, src.lang))
    if row is None:
        return None
    # the row is [name, (province,) place, residence, rate by place, rate by residence]
    here, res, r_here, r_res = row[-4:]
    return {
        "title": w["period"].format(y0=src.years[0], y1=src.years[-1]),
        "header": [w["basis"], w["persons"], w["rate"]],
        "rows": [[w["place"], here, r_here], [w["residence"], res, r_res]],
        "note": w["period_note"].format(date=codes.REFERENCE_DATE),
        "counts": True,
    }


def _trend(src: Sources, area: Area, w: dict) -> dict | None:
    """Per year, both bases: the dashboard's table of the area (``table_block``); for a
    municipality or a safety region, that of the police unit it lies in (single years are
    counted from the police unit up, ``LEVELS_PER_YEAR``)."""
    level, key, title, note = area.level, area.key, w["trend"], ""
    if level not in LEVELS_PER_YEAR:
        level = "police_unit"
        ref = reference()
        # a safety region lies in one police unit
        key = ref.loc[ref[local_figures.LEVELS[area.level]] == area.key, level].iloc[0]
        title = w["trend_in"].format(unit=area_name(level, key, src.lang))
        note = w["trend_in_note"]
    table = src.tables.get(f"local_{level}_year")
    if table is None:
        return None
    block = table_block(table, {level: key}, src.lang, title)
    if block is None:
        return None
    # years across, the two bases down: a short table that keeps the page to one sheet
    years = [r[0] for r in block["rows"]]
    return {
        "title": title,
        "header": [w["basis"], *years],
        "rows": [[w[basis], *[r[i + 1] for r in block["rows"]]] for i, basis in enumerate(BASES)],
        "note": note,
    }


def _chapter_row(src: Sources, block_id: str, area: Area, title: str, note: str) -> dict | None:
    """The area's row of a chapter's table, under that table's header (as the report
    prints it, the area's name first)."""
    name = area_name(area.level, area.key, src.lang)
    block, row = src.row(block_id, name)
    if row is None:
        # the approach chapter's province rows are keyed by the CBS code (PV..)
        block, row = src.row(block_id, area.file)
    if row is None:
        return None
    return {
        "title": title,
        "header": block.header,
        "rows": [[name, *row[1:]]],
        "note": note,
        "counts": block.person_counts,
    }


def _approach(src: Sources, area: Area, w: dict) -> dict | None:
    """The municipality's self-assessment per criterion and year, its score and basic level.

    Not counts of persons (the chapter says so): the protected table's frame as the
    chapter reads it.
    """
    table = src.tables.get("approach_municipality")
    if table is None:
        return None
    frame = table.frame
    frame = frame[frame["municipality"] == area.key].sort_values("year")
    if frame.empty:
        return None
    lang = src.lang
    years = [int(y) for y in frame["year"]]
    value = codes.ASSESSMENT_VALUE
    rows = []
    for c in codes.ASSESSMENT_CRITERION.order():
        if c in frame:
            rows.append(
                [
                    codes.ASSESSMENT_CRITERION.label(c, lang).capitalize(),
                    *[value.label(v, lang) if isinstance(v, str) else "–" for v in frame[c]],
                ]
            )
    # score and basic level exactly as the chapter's table of all municipalities prints them
    _, chapter_row = src.row("approach-municipalities", area_name(area.level, area.key, lang))
    if chapter_row is not None:
        block, _ = src.blocks["approach-municipalities"]
        score_years = [int(h) for h in block.header[2:-1]]
        scores = dict(zip(score_years, chapter_row[2:-1], strict=True))
        rows.append([w["score"], *[scores.get(y, "–") for y in years]])
        rows.append([f"{w['basic']} ({years[-1]})", *[""] * (len(years) - 1), chapter_row[-1]])
    return {
        "title": w["approach"],
        "header": [w["criterion"], *years],
        "rows": rows,
        "note": w["approach_note"],
        "counts": False,
    }


def factsheet_context(src: Sources, area: Area, *, draft: bool = False) -> dict:
    """What the template of one factsheet needs."""
    lang = src.lang
    w = TEXT[lang]
    sections, other = [], []  # count tables; tables of shares, scores and ranks
    for s in (_period(src, area, w), _trend(src, area, w)):
        if s:
            sections.append(s)
    if area.level in _CARE_BLOCK:
        s = _chapter_row(src, _CARE_BLOCK[area.level], area, w["care"], w["care_note"])
        if s:
            other.append(s)
    if area.level == "police_unit":
        s = _chapter_row(src, "need-effort", area, w["need"], w["need_note"])
        if s:
            other.append(s)
    if area.level == "province":
        s = _chapter_row(src, "approach-provinces", area, w["approach_share"], "")
        if s:
            other.append(s)
    if area.level == "municipality":
        s = _approach(src, area, w)
        if s:
            other.append(s)
    name = area_name(area.level, area.key, lang)
    return {
        "lang": lang,
        "w": w,
        "area": area,
        "name": name,
        "level": w["level"][area.level],
        "facts": _facts(area, w, lang),
        "base": w["base"].format(y0=src.years[0], y1=src.years[-1]),
        "sections": sections,
        "other": other,
        "hidden": w["hidden"].format(symbol=src.rule.secondary_symbol, t=src.rule.threshold),
        "rule": src.rule.describe(lang),
        "edition": src.edition,
        "generated": dt.date.today().isoformat(),
        "marks": report.marks(src.edition, lang, draft),
        "draft": draft,
        "css": _css(),
    }


@cache
def _css() -> str:
    """The report's stylesheet and the factsheet's own (one page, smaller type)."""
    folder = resources.files("traffickingmonitor.publish").joinpath("templates")
    return folder.joinpath("report.css").read_text("utf-8") + folder.joinpath(
        "factsheet.css"
    ).read_text("utf-8")


@cache
def _template(name: str):
    # compiled once: 389 factsheets share it
    return report._environment().get_template(name)


def render_factsheet(src: Sources, area: Area, *, draft: bool = False) -> str:
    """The HTML of one factsheet (self-contained: its CSS inline)."""
    return _template("factsheet.html.j2").render(**factsheet_context(src, area, draft=draft))


def factsheet_pdf(html: str) -> bytes:
    """The PDF of a factsheet's HTML (WeasyPrint, tagged, as the report)."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=None).write_pdf(pdf_tags=True)


@dataclass(frozen=True)
class WrittenFactsheets:
    edition_id: str
    folder: Path
    counts: dict  # level -> number of factsheets written
    n_pdf: int
    seconds: float


def write_factsheets(
    db: Path,
    out: Path,
    *,
    lang: str = "nl",
    edition_id: str | None = None,
    threshold: int | None = None,
    disclosure: str | None = None,
    draft: bool = False,
    pdf: bool = True,
    step: Callable | None = None,
) -> WrittenFactsheets:
    """Write ``out/factsheets/<level>/<file>.html`` (and ``.pdf``) and ``index.html``.

    Parameters
    ----------
    db : Path
        The DuckDB store.
    out : Path
        The output folder (the report's ``--out``); the factsheets go into ``factsheets/``.
    lang : str
        ``nl`` or ``en``.
    edition_id : str, optional
        The edition (default: the latest).
    threshold, disclosure : optional
        Overrides of the edition's disclosure rule, as for the report.
    draft : bool
        The edition is not approved: every factsheet carries the draft mark.
    pdf : bool
        Also write a PDF per factsheet.
    step : callable, optional
        ``step(description, total)`` returning ``advance(n)``: a progress bar per level.

    Returns
    -------
    WrittenFactsheets
        The folder, the number written per level and the time taken.
    """
    started = time.perf_counter()
    step = step or no_progress
    edition, rule, protected = report.protected_edition(db, edition_id, threshold, disclosure)
    chapters = edition_chapters(db, edition, rule, lang, protected, read_only=False)
    src = Sources.build(protected, edition, rule, lang, chapters)
    folder = out / "factsheets"
    report.make_folder(folder)
    counts, n_pdf, listed = {}, 0, {}
    w = TEXT[lang]
    for level in LEVELS:
        (folder / level).mkdir(exist_ok=True)
        todo = areas(level)
        advance = step(f"Factsheets: {w['levels'][level].lower()}", len(todo))
        for area in todo:
            html = render_factsheet(src, area, draft=draft)
            report._atomic_write(folder / level / f"{area.file}.html", html.encode("utf-8"))
            if pdf:
                report._atomic_write(folder / level / f"{area.file}.pdf", factsheet_pdf(html))
                n_pdf += 1
            advance(1)
        counts[level] = len(todo)
        listed[level] = [(a, area_name(level, a.key, lang)) for a in todo]
    index = _template("factsheet_index.html.j2")
    html = index.render(
        lang=lang,
        w=w,
        levels=listed,
        pdf=pdf,
        edition=edition,
        marks=report.marks(edition, lang, draft),
        draft=draft,
        css=_css(),
    )
    report._atomic_write(folder / "index.html", html.encode("utf-8"))
    return WrittenFactsheets(
        edition.edition_id, folder, counts, n_pdf, time.perf_counter() - started
    )
