"""Chapter: local figures, registered persons per municipality and region, with maps."""

from __future__ import annotations

import math

from traffickingmonitor.analysis.local_figures import BASES
from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import (
    area_name,
    fmt_decimal,
    names,
    of_all,
    populations,
    province_codes,
    rate,
    shown_values,
)
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import shown, worked_out
from traffickingmonitor.publish.i18n import catalog

# The report lists these municipalities by name; the others are in their factsheets.
LARGE_MUNICIPALITY = 100_000

# a basis by its column (analysis.local_figures.BASES)
TEXT = catalog(
    "local_figures",
    dynamic=("area.*", "table_police_unit", "table_safety_region", "place", "residence"),
)


def area_rows(ctx: ChapterContext, level: str) -> tuple[list, dict, dict]:
    """Rows of the pooled table of ``level`` and the map values (rate, 0 or "hidden") by code."""
    table = ctx.tables[f"local_{level}"]
    frame = table.frame
    n_years = len(ctx.years)
    pop = populations(level)
    here = shown_values(table, "place")
    res = shown_values(table, "residence")
    rows, values, rates = [], {}, {}
    for i, code in enumerate(frame[level]):
        r_here = rate(here[i], pop.get(code), n_years)
        r_res = rate(res[i], pop.get(code), n_years)
        row = [area_name(level, code, ctx.lang)]
        if level == "municipality":
            row.append(names("municipality_province").get(code, "–"))
        row += [
            shown(frame["place"].iloc[i]),
            shown(frame["residence"].iloc[i]),
            fmt_decimal(r_here, ctx.lang) if code != codes.UNKNOWN else "–",
            fmt_decimal(r_res, ctx.lang) if code != codes.UNKNOWN else "–",
        ]
        rows.append(row)
        if code == codes.UNKNOWN:
            continue
        # the province boundaries are keyed by the CBS code, the tables by name
        geo = province_codes()[code] if level == "province" else code
        if here[i] is None:
            values[geo] = local_charts.HIDDEN
        elif here[i] == 0:
            values[geo] = 0
        else:
            values[geo] = r_here
            rates[code] = r_here
    return rows, values, rates


def clearly_highest(ctx: ChapterContext, level: str, rates: dict) -> str | None:
    """The area whose rate is clearly the highest, or None: the 95% interval of its rate
    (Poisson, of its shown count) lies above that of every other area, and above the most a
    hidden count below the threshold could give (a hidden count of any size: None)."""
    if not rates:
        return None
    table = ctx.tables[f"local_{level}"]
    pop = populations(level)
    per = len(ctx.years) / 100_000  # person-years per inhabitant, per 100,000

    def bounds(count: int, code) -> tuple[float, float]:
        half = 1.96 * math.sqrt(count)
        return (count - half) / (pop[code] * per), (count + half) / (pop[code] * per)

    best = max(rates, key=rates.get)
    counts = dict(zip(table.frame[level], shown_values(table, "place"), strict=True))
    low = bounds(int(counts[best]), best)[0]
    symbols = dict(zip(table.frame[level], table.frame["place"], strict=True))
    for code, count in counts.items():
        if code in (best, codes.UNKNOWN) or not pop.get(code):
            continue
        if count is None:
            if not str(symbols[code]).startswith("<"):
                return None
            count = ctx.rule.threshold - 1
        if bounds(int(count), code)[1] >= low:
            return None
    return best


def class_rows(values: dict, words: dict, lang: str) -> list[list]:
    """The map's legend as a table: areas not shown, with zero, and per class of shown rates."""
    shown_rates = [v for v in values.values() if not isinstance(v, str) and v]
    rows = [
        [
            words["hidden"],
            of_all(sum(v == local_charts.HIDDEN for v in values.values()), len(values), lang),
        ],
        [words["zero"], of_all(sum(v == 0 for v in values.values()), len(values), lang)],
    ]
    edges = local_charts.class_edges(shown_rates)
    for k in range(len(edges) - 1):
        n = sum(local_charts.class_of(r, edges) == k for r in shown_rates)
        rows.append(
            [
                local_charts.class_label(edges[k], edges[k + 1], _decimal(lang)),
                of_all(n, len(values), lang),
            ]
        )
    return rows


def _decimal(lang: str) -> str:
    return "," if lang == "nl" else "."


def _header(w: dict, level: str) -> list:
    head = [w["area"][level]]
    if level == "municipality":
        head.append(w["province_col"])
    return [*head, w["place"], w["residence"], w["rate_place"], w["rate_res"]]


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "local_municipality" not in ctx.tables:
        return None
    w, lang = TEXT[ctx.lang], ctx.lang
    y0, y1 = ctx.years[0], ctx.last
    words = {
        "zero": w["zero"],
        "hidden": w["hidden"].format(t=ctx.rule.threshold),
        "none": w["none"],
    }
    blocks = []
    rows, values, rates = area_rows(ctx, "municipality")
    order = [*sorted(range(len(rows) - 1), key=lambda i: rows[i][0]), len(rows) - 1]
    n_hidden = sum(v == local_charts.HIDDEN for v in values.values())
    n_zero = sum(v == 0 for v in values.values())
    best = clearly_highest(ctx, "municipality", rates)
    if rates:
        summary = w["summary_map" if best else "summary_map_counts"].format(
            y0=y0,
            y1=y1,
            shown=worked_out(len(rates)),
            hidden=worked_out(n_hidden),
            zero=worked_out(n_zero),
            best=area_name("municipality", best, lang) if best else "",
            rate=fmt_decimal(rates[best], lang) if best else "",
        )
    else:
        summary = w["summary_map_none"].format(y0=y0, y1=y1)
    table = ctx.tables["local_municipality"]
    blocks.append(
        Block(
            id="local-map-municipality",
            person_counts=False,
            title=f"{w['map_municipality']}, {y0}–{y1}",
            summary=summary,
            svg=local_charts.choropleth(
                "municipality",
                values,
                w["legend"],
                words,
                names("municipality"),
                400,
                _decimal(lang),
            ),
            caption=w["map_caption"],
            header=[w["class"], w["n_municipalities"]],
            rows=class_rows(values, words, lang),
            note=w["class_note"],
        )
    )
    # The large municipalities only, chosen by size rather than by their figures; every
    # municipality has its factsheet (``report --factsheets``), CSV row and dashboard page.
    pop = populations("municipality")
    codes_ = table.frame["municipality"].tolist()
    large = [i for i in order[:-1] if pop.get(codes_[i], 0) >= LARGE_MUNICIPALITY]
    all_rows = [rows[i] for i in order]
    blocks.append(
        Block(
            id="local-municipalities",
            title=w["table_municipality"].format(
                n=len(large),
                size=f"{LARGE_MUNICIPALITY:,}".replace(",", "\u202f" if lang == "nl" else ","),
                y0=y0,
                y1=y1,
            ),
            chart=False,
            header=_header(w, "municipality"),
            rows=[rows[i] for i in large],
            note=f"{table.spec.note(lang)} {w['municipality_note']}",
            wide=True,
        )
    )
    rows, values, rates = area_rows(ctx, "province")
    best = clearly_highest(ctx, "province", rates)
    blocks.append(
        Block(
            id="local-map-province",
            person_counts=False,
            title=f"{w['map_province']}, {y0}–{y1}",
            summary=(
                w["summary_region"].format(
                    y0=y0,
                    y1=y1,
                    best=area_name("province", best, lang),
                    rate=fmt_decimal(rates[best], lang),
                )
                if best
                else ""
                if rates
                else w["summary_map_none"].format(y0=y0, y1=y1)
            ),
            svg=local_charts.choropleth(
                "province", values, w["legend"], words, None, 380, _decimal(lang)
            ),
            caption=w["map_caption"],
            header=_header(w, "province"),
            rows=rows,
            note=ctx.tables["local_province"].spec.note(lang),
        )
    )
    for level in ("police_unit", "safety_region"):
        if f"local_{level}" not in ctx.tables:
            continue
        rows, _, rates = area_rows(ctx, level)
        best = clearly_highest(ctx, level, rates)
        blocks.append(
            Block(
                id=f"local-{level.replace('_', '-')}",
                title=f"{w['table_' + level]}, {y0}–{y1}",
                # a table-only block (the report's convention): no summary line, a wide table
                chart=False,
                wide=True,
                header=_header(w, level),
                rows=rows,
                note=" ".join(
                    [
                        w["summary_region"].format(
                            y0=y0,
                            y1=y1,
                            best=area_name(level, best, lang),
                            rate=fmt_decimal(rates[best], lang),
                        )
                        if best
                        else "",
                        ctx.tables[f"local_{level}"].spec.note(lang),
                    ]
                ).strip(),
            )
        )
    blocks += _yearly_blocks(ctx, w)
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(y0=y0, y1=y1, date=codes.REFERENCE_DATE)],
        blocks=blocks,
        # every municipality's row, as the table above prints it (the factsheets read it)
        data={"area_rows": {"local-municipalities": (_header(w, "municipality"), all_rows)}},
    )


def _per_year(ctx: ChapterContext, w: dict, table, level: str, areas) -> tuple[list, list]:
    """Header and rows (an area's two bases, one column per year) of a per-year table."""
    years = sorted(int(y) for y in table.frame["year"].unique())
    rows = []
    for code in areas:
        for basis in BASES:
            cells = [shown(table.value({"year": y, level: code}, basis)) for y in years]
            rows.append([area_name(level, code, ctx.lang), w[basis], *cells])
    return [w["area"][level], w["basis"], *map(str, years)], rows


def _yearly_blocks(ctx: ChapterContext, w: dict) -> list[Block]:
    """Per year: provinces (both bases). Police units per year are in the CSV tables and on
    the dashboard's region pages; municipalities and safety regions are counted for the years
    together only (``analysis.local_figures.LEVELS_PER_YEAR``)."""
    blocks = []
    table = ctx.tables.get("local_province_year")
    if table is not None:
        header, rows = _per_year(ctx, w, table, "province", dict.fromkeys(table.frame["province"]))
        blocks.append(
            Block(
                id="local-province-year",
                title=w["table_year"].format(area=w["area"]["province"].lower()),
                chart=False,
                wide=True,
                header=header,
                rows=rows,
                note=w["year_note"],
            )
        )
    return blocks


CHAPTER = Chapter("local", build, tables=("local",), cost=2)
