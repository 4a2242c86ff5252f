"""Annex: the figures in the layout of Eurostat's ``crim_thb`` tables (``publish.eurostat``).

The annex repeats published cells only (one block per Eurostat dataset, the monitor's
category beside each Eurostat code); its CSVs are in the report's ``tables/eurostat``.
"""

from __future__ import annotations

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import eurostat
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import shown
from traffickingmonitor.publish.labels import category_label

TEXT = {
    "nl": {
        "title": "Bijlage: levering aan Eurostat (crim_thb)",
        "intro": [
            "Deze bijlage zet de cijfers van de monitor in de tabellen van Eurostats collectie "
            "crim_thb (mensenhandel), zodat ze zonder handwerk te leveren zijn. De map "
            "tables/eurostat bevat per tabel een CSV in Eurostats lange vorm (DATAFLOW, geo NL, "
            "TIME_PERIOD, OBS_VALUE, OBS_FLAG, CONF_STATUS), de koppeling van de categorieën "
            "(mapping.csv) en metadata.json.",
            "Elke waarde is een cel die dit rapport publiceert, met dezelfde waarde; er wordt "
            "niets opgeteld. Een verborgen cel (<10 of x) gaat zonder waarde mee, met Eurostats "
            "vlag voor vertrouwelijk: c in OBS_FLAG, sinds 27 januari 2025 C in CONF_STATUS.",
            "Codes met * staan niet in een bron die we konden raadplegen: controleer ze vóór "
            "levering tegen Eurostats codelijsten.",
        ],
        "code": "Eurostat-code",
        "monitor": "Monitor: tabel, categorie",
        "total": "totalen: alle personen",
        "chain": "Daderketen, alle vormen",
        "notes": {
            "crim_thb_vctz": (
                "EU: de 27 lidstaten vanaf 2020 zonder Nederland; buiten de EU: alle andere."
            ),
            "crim_thb_vexp": (
                "Eén persoon kan in meer vormen voorkomen; de rijen tellen niet op tot het totaal."
            ),
            "crim_thb_vsage": (
                "Geslacht naar leeftijd wordt niet geleverd: de monitor kruist die niet, en een "
                "kruising zou nieuwe, onbeschermde cellen maken. Geleverd worden de twee randen: "
                "geslacht bij leeftijd TOTAL, leeftijd bij geslacht T. Geslacht UNK is 'anders of "
                "onbekend'."
            ),
            "crim_thb_sex": (
                "De daderketen telt zaken per fase (eenheid: zaken), alle vormen samen; geslacht "
                "is er niet bekend (T). Instroom OM staat voor vervolgd."
            ),
        },
        "left_out": "Niet geleverd",
    },
    "en": {
        "title": "Annex: delivery to Eurostat (crim_thb)",
        "intro": [
            "This annex puts the monitor's figures in the tables of Eurostat's collection "
            "crim_thb (trafficking in human beings), so that they can be delivered without hand "
            "work. The folder tables/eurostat holds one CSV per table in Eurostat's long format "
            "(DATAFLOW, geo NL, TIME_PERIOD, OBS_VALUE, OBS_FLAG, CONF_STATUS), the mapping of "
            "categories (mapping.csv) and metadata.json.",
            "Every value is a cell this report publishes, with the same value; nothing is added "
            "up. A hidden cell (<10 or x) goes without a value, with Eurostat's flag for "
            "confidential: c in OBS_FLAG, since 27 January 2025 C in CONF_STATUS.",
            "Codes marked * are in no source we could consult: check them against Eurostat's "
            "code lists before a delivery.",
        ],
        "code": "Eurostat code",
        "monitor": "Monitor: table, category",
        "total": "totals: all persons",
        "chain": "Perpetrator chain, all forms",
        "notes": {
            "crim_thb_vctz": (
                "EU: the 27 member states from 2020 without the Netherlands; non-EU: all others."
            ),
            "crim_thb_vexp": (
                "One person can be in several forms; the rows do not add up to the total."
            ),
            "crim_thb_vsage": (
                "Sex by age is not delivered: the monitor does not cross them, and a crossing "
                "would make new, unprotected cells. The two margins are delivered: sex with age "
                "TOTAL, age with sex T. Sex UNK is 'other or unknown'."
            ),
            "crim_thb_sex": (
                "The perpetrator chain counts cases per stage (unit: cases), all forms together; "
                "sex is not known there (T). Prosecution inflow stands for prosecuted."
            ),
        },
        "left_out": "Not delivered",
    },
}


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
        intro=list(w["intro"]),
        blocks=blocks,
        outro_title=w["left_out"],
        outro=_left_out(ctx),
    )


# repeats cells of other chapters' tables only: it claims none (``Chapter.tables``)
CHAPTER = Chapter("eurostat", build)
