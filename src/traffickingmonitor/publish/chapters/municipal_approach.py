"""Chapter: the municipal approach monitor (criteria, score, basic level, trend since 2019)."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.municipal_approach import BASIC_LEVEL, MIN_ANSWERED, NATIONAL
from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import area_name, fmt_decimal, names, of_all
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import pct

TEXT = {
    "nl": {
        "title": "Gemeentelijke aanpak",
        "intro": (
            "Het programma Samen tegen mensenhandel heeft als doel dat elke gemeente sinds 2022 "
            "een duidelijke en geborgde aanpak van mensenhandel heeft; een wettelijke plicht is "
            "dat niet. Gemeenten beoordelen hun aanpak elk jaar op negen criteria (ja, deels, "
            "nee). Dit hoofdstuk toont hoeveel gemeenten aan elk criterium en aan het "
            "basisniveau voldoen, een score per gemeente en de ontwikkeling sinds {y0}."
        ),
        "trend": "Aandeel gemeenten dat aan een criterium voldoet",
        "trend_axis": "% van de gemeenten (ja)",
        "basic": "basisniveau",
        "trend_summary": (
            "In {last} voldeed {share}% van de gemeenten met bekende status aan het "
            "basisniveau ({n} van {d}), tegen {share0}% in {y0}."
        ),
        "criterion": "Criterium",
        "map": "Score van de aanpak per gemeente",
        "map_legend": "score (0-100)",
        "map_zero": "score 0",
        "map_none": "geen score (te weinig antwoorden)",
        "map_summary": (
            "In {last} was de gemiddelde score {mean}; {n} van de {total} gemeenten hebben "
            "een score."
        ),
        "municipality": "Gemeente",
        "municipalities": "Gemeenten",
        "every_municipality": (
            "Score en basisniveau van elke gemeente per jaar: de factsheet per gemeente "
            "(factsheets/), tables/approach_municipality.csv en het dashboard."
        ),
        "province": "Provincie",
        "basic_h": "Basisniveau {last}",
        "yes": "ja",
        "no": "nee",
        "partly": "deels",
        "unknown": "onbekend",
        "by_province": "Aandeel gemeenten op basisniveau per provincie",
        "movers": "Gemeenten die in {last} het basisniveau haalden of verloren",
        "movers_summary": "{up} gemeenten haalden het basisniveau in {last}, {down} verloren het.",
        "direction": "Richting",
        "up": "omhoog",
        "down": "omlaag",
        "score_from": "Score {y}",
        "annex": "Toelichting: score en basisniveau",
        "annex_lines": [
            "Score: per beantwoord criterium ja = 1, deels = ½, nee = 0; het gemiddelde over de "
            "beantwoorde criteria maal 100 (0-100). Met minder dan {min} van de negen criteria "
            "beantwoord krijgt een gemeente dat jaar geen score.",
            "Basisniveau (CCV): {basic} alle 'ja'. Eén daarvan 'nee' of 'deels': niet gehaald; "
            "anders (een element onbekend): onbekend. Aandelen zijn berekend over gemeenten "
            "met bekende status.",
            "De zelfevaluaties gaan over de organisatie van gemeenten, niet over personen; ze "
            "vallen daarom niet onder de geheimhoudingsregel voor aantallen personen.",
        ],
    },
    "en": {
        "title": "Municipal approach",
        "intro": (
            "The programme Together against human trafficking aims for every municipality to "
            "have a clear and secured approach to human trafficking since 2022; it is not a "
            "legal duty. Municipalities assess their approach every year on nine criteria (yes, "
            "partly, no). This chapter shows how many municipalities meet each criterion and the "
            "basic level, a score per municipality, and the trend since {y0}."
        ),
        "trend": "Share of municipalities meeting a criterion",
        "trend_axis": "% of municipalities (yes)",
        "basic": "basic level",
        "trend_summary": (
            "In {last}, {share}% of the municipalities with a known status met the basic level "
            "({n} of {d}), against {share0}% in {y0}."
        ),
        "criterion": "Criterion",
        "map": "Approach score per municipality",
        "map_legend": "score (0-100)",
        "map_zero": "score 0",
        "map_none": "no score (too few answers)",
        "map_summary": "In {last}, the mean score was {mean}; {n} of the {total} municipalities have a score.",
        "municipality": "Municipality",
        "municipalities": "Municipalities",
        "every_municipality": (
            "The score and basic level of every municipality per year: the factsheet of each "
            "municipality (factsheets/), tables/approach_municipality.csv and the dashboard."
        ),
        "province": "Province",
        "basic_h": "Basic level {last}",
        "yes": "yes",
        "no": "no",
        "partly": "partly",
        "unknown": "unknown",
        "by_province": "Share of municipalities meeting the basic level per province",
        "movers": "Municipalities that reached or lost the basic level in {last}",
        "movers_summary": "{up} municipalities reached the basic level in {last}, {down} lost it.",
        "direction": "Direction",
        "up": "up",
        "down": "down",
        "score_from": "Score {y}",
        "annex": "Annex: score and basic level",
        "annex_lines": [
            "Score: each answered criterion counts yes = 1, partly = ½, no = 0; the mean over the "
            "answered criteria times 100 (0-100). With fewer than {min} of the nine criteria "
            "answered a municipality gets no score that year.",
            "Basic level (CCV): {basic} all 'yes'. One of them 'no' or 'partly': not met; "
            "otherwise (an element unknown): unknown. Shares are over municipalities with a "
            "known status.",
            "The self-assessments are about how municipalities are organised, not about persons; "
            "they are therefore not subject to the disclosure rule for counts of persons.",
        ],
    },
}


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
        outro=[line.format(min=MIN_ANSWERED, basic=basic) for line in w["annex_lines"]],
        data={"area_rows": {"approach-municipalities": (area_header, area_rows)}},
    )


CHAPTER = Chapter("approach", build, tables=("approach",))
