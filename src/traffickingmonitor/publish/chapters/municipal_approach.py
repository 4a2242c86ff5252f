"""Chapter: the municipal approach monitor (criteria, score, basic level, trend since 2019)."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.municipal_approach import BASIC_LEVEL, MIN_ANSWERED, NATIONAL
from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import area_name, fmt_decimal, names, of_all
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import pct
from traffickingmonitor.publish.i18n import catalog

TEXT = catalog("municipal_approach", dynamic=("up", "down", "yes", "partly", "no", "unknown"))


def _share(frame: pd.DataFrame, year, area: str, criterion: str) -> tuple[int | None, int, int]:
    row = frame[
        (frame["year"] == year) & (frame["area"] == area) & (frame["criterion"] == criterion)
    ]
    if row.empty:
        return None, 0, 0
    r = row.iloc[0]
    known = int(r["yes"]) + int(r["partly"]) + int(r["no"])
    return pct(int(r["yes"]), known), int(r["yes"]), known


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, lang = ctx.tables, ctx.lang
    if "approach_municipality" not in p or "approach_shares" not in p:
        return None
    w = TEXT[lang]
    status = p["approach_municipality"].frame
    shares = p["approach_shares"].frame
    years = sorted(int(y) for y in status["year"].unique())
    y0, last = years[0], years[-1]
    crit = [*codes.ASSESSMENT_CRITERION.order(), "basic_level"]

    def crit_label(c: str) -> str:
        return w["basic"] if c == "basic_level" else codes.ASSESSMENT_CRITERION.label(c, lang)

    trend_rows, table_rows = [], []
    for c in crit:
        row = [crit_label(c)]
        for y in years:
            share, _, _ = _share(shares, y, NATIONAL, c)
            trend_rows.append(
                {
                    "year": y,
                    "category": crit_label(c),
                    "value": share,
                    "emphasis": c == "basic_level",
                }
            )
            row.append("–" if share is None else f"{share}%")
        table_rows.append(row)
    s_last, n_last, d_last = _share(shares, last, NATIONAL, "basic_level")
    s0, _, _ = _share(shares, y0, NATIONAL, "basic_level")
    blocks = [
        Block(
            id="approach-trend",
            person_counts=False,
            title=f"{w['trend']}, {y0}–{last}",
            summary=w["trend_summary"].format(
                last=last, share=s_last, n=n_last, d=d_last, share0=s0, y0=y0
            ),
            svg=local_charts.share_trend(pd.DataFrame(trend_rows), w["trend_axis"]),
            header=[w["criterion"], *years],
            rows=table_rows,
            note=p["approach_shares"].spec.note(lang),
        )
    ]
    latest = status[status["year"] == last].set_index("municipality")
    scores = latest["score"].to_dict()
    values = {m: (None if pd.isna(v) else float(v)) for m, v in scores.items()}
    known = [v for v in values.values() if v is not None]
    # Every municipality's scores and basic level: not printed in the report (its factsheet
    # has them), read by the factsheets under this block id.
    wide = status.pivot(index="municipality", columns="year", values="score")
    area_rows = [
        [
            area_name("municipality", m, lang),
            names("municipality_province").get(m, "–"),
            *[fmt_decimal(wide.at[m, y], lang, 1) for y in years],
            w[latest.at[m, "basic_level"]],
        ]
        for m in sorted(wide.index, key=lambda c: area_name("municipality", c, lang))
    ]
    area_header = [w["municipality"], w["province"], *years, w["basic_h"].format(last=last)]
    decimal = "," if lang == "nl" else "."
    scored = [v for v in values.values() if v]
    edges = local_charts.class_edges(scored)
    class_rows = [
        [w["map_none"], of_all(sum(v is None for v in values.values()), len(values), lang)],
        [w["map_zero"], of_all(sum(v == 0 for v in values.values()), len(values), lang)],
    ]
    for k in range(len(edges) - 1):
        n = sum(local_charts.class_of(v, edges) == k for v in scored)
        class_rows.append(
            [
                local_charts.class_label(edges[k], edges[k + 1], decimal),
                of_all(n, len(values), lang),
            ]
        )
    blocks.append(
        Block(
            id="approach-map",
            person_counts=False,
            title=f"{w['map']}, {last}",
            summary=w["map_summary"].format(
                last=last,
                mean=fmt_decimal(sum(known) / len(known), lang, 0) if known else "–",
                n=len(known),
                total=len(values),
            ),
            svg=local_charts.choropleth(
                "municipality",
                values,
                w["map_legend"],
                {"zero": w["map_zero"], "hidden": "", "none": w["map_none"]},
                names("municipality"),
                400,
                decimal,
            ),
            header=[w["map_legend"], w["municipalities"]],
            rows=class_rows,
            note=f"{p['approach_municipality'].spec.note(lang)} {w['every_municipality']}",
        )
    )
    prov_rows = []
    for area in [NATIONAL, *sorted(a for a in shares["area"].unique() if a != NATIONAL)]:
        row = [area_name("province", area, lang)]
        for y in years:
            share, _, _ = _share(shares, y, area, "basic_level")
            row.append("–" if share is None else f"{share}%")
        prov_rows.append(row)
    blocks.append(
        Block(
            id="approach-provinces",
            person_counts=False,
            title=w["by_province"],
            chart=False,
            wide=True,
            header=[w["province"], *years],
            rows=prov_rows,
        )
    )
    if "approach_changes" in p:
        ch = p["approach_changes"].frame
        moved = ch[ch["direction"].isin(["up", "down"])].copy()
        moved["name"] = moved["municipality"].map(lambda c: area_name("municipality", c, lang))
        moved = moved.sort_values(["direction", "name"], ascending=[False, True])
        prev = int(ch["from_year"].iloc[0]) if len(ch) else last - 1
        blocks.append(
            Block(
                id="approach-movers",
                person_counts=False,
                title=w["movers"].format(last=last),
                chart=False,
                wide=True,
                note=w["movers_summary"].format(
                    up=int((ch["direction"] == "up").sum()),
                    down=int((ch["direction"] == "down").sum()),
                    last=last,
                ),
                header=[
                    w["municipality"],
                    w["direction"],
                    w["score_from"].format(y=prev),
                    w["score_from"].format(y=last),
                ],
                rows=[
                    [
                        r.name,
                        w[r.direction],
                        fmt_decimal(r.score_from, lang, 1),
                        fmt_decimal(r.score_to, lang, 1),
                    ]
                    for r in moved.itertuples()
                ],
            )
        )
    basic = ", ".join(codes.ASSESSMENT_CRITERION.label(c, lang) for c in BASIC_LEVEL)
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(y0=y0)],
        blocks=blocks,
        outro_title=w["annex"],
        outro=[line.format(min=MIN_ANSWERED, basic=basic) for line in w.paragraphs("annex_lines")],
        data={"area_rows": {"approach-municipalities": (area_header, area_rows)}},
    )


CHAPTER = Chapter("approach", build, tables=("approach",), cost=4)
