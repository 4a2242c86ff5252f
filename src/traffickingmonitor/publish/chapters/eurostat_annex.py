"""Annex: the figures in the layout of Eurostat's ``crim_thb`` tables (``publish.eurostat``).

The annex repeats published cells only (one block per Eurostat dataset, the monitor's
category beside each Eurostat code); its CSVs are in the report's ``tables/eurostat``.
"""

from __future__ import annotations

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import eurostat
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import shown
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import category_label

TEXT = catalog("eurostat_annex", dynamic=("notes.*",))


def _monitor_label(cell: eurostat.Cell, table, lang: str, w: dict) -> str:
    if cell.table == "totals":
        return w["total"]
    if cell.table == "perpetrator_chain":
        return f"{w['chain']}: {codes.CHAIN_STAGE.label(cell.column, lang)}"
    dim, cat = cell.row[0]
    return f"{table.title(lang)}, {category_label(dim, cat, lang)}"


def _star(confirmed: bool) -> str:
    return "" if confirmed else "*"


def _block(dataset: eurostat.Dataset, ctx: ChapterContext, w: dict) -> Block | None:
    cells = [c for c in eurostat.CELLS if c.dataset == dataset.code and c.table in ctx.tables]
    if not cells:
        return None
    years = sorted({int(y) for c in cells for y in ctx.tables[c.table].frame["year"].unique()})
    rows = []
    for c in cells:
        table = ctx.tables[c.table]
        values = []
        for year in years:
            try:
                values.append(shown(table.value({"year": year, **dict(c.row)}, c.column)))
            except KeyError:
                values.append("–")
        code = " · ".join(f"{v}{_star(c.source != eurostat.UNCONFIRMED)}" for _, v in c.codes)
        rows.append([code, _monitor_label(c, table, ctx.lang, w), *values])
    dims = " · ".join(dataset.dimensions)
    return Block(
        id=f"eurostat-{dataset.code.replace('_', '-')}",
        title=f"{dataset.code}{_star(dataset.confirmed)}: {dataset.title(ctx.lang)}",
        chart=False,
        wide=True,
        header=[f"{w['code']} ({dims})", w["monitor"], *years],
        rows=rows,
        note=w["notes"][dataset.code],
    )


def _left_out(ctx: ChapterContext) -> list[str]:
    """One line per reason: the categories left out for it."""
    by_reason: dict[str, list[str]] = {}
    for lo in eurostat.LEFT_OUT:
        if lo.table not in ctx.tables:
            continue
        table = ctx.tables[lo.table]
        if lo.dimension == "column":
            label = codes.CHAIN_STAGE.label(lo.category, ctx.lang)
        elif lo.table == "perpetrator_chain":
            label = codes.CHAIN_FORM.label(lo.category, ctx.lang)
        else:
            label = category_label(lo.dimension, lo.category, ctx.lang)
        name = TEXT[ctx.lang]["chain"].split(",")[0] if lo.table == "perpetrator_chain" else None
        by_reason.setdefault(lo.reason, [name or table.title(ctx.lang)]).append(label)
    return [
        f"{names[0]}: {', '.join(names[1:])}. {eurostat.REASONS[ctx.lang][reason]}"
        for reason, names in by_reason.items()
    ]


def build(ctx: ChapterContext) -> ChapterContent | None:
    w = TEXT[ctx.lang]
    blocks = [b for d in eurostat.DATASETS if (b := _block(d, ctx, w)) is not None]
    if not blocks:
        return None
    return ChapterContent(
        title=w["title"],
        intro=w.paragraphs("intro"),
        blocks=blocks,
        outro_title=w["left_out"],
        outro=_left_out(ctx),
    )


# repeats cells of other chapters' tables only: it claims none (``Chapter.tables``)
CHAPTER = Chapter("eurostat", build, cost=0)
