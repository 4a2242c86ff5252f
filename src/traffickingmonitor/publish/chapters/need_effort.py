"""Chapter: need versus effort per police unit, ranked by the gap, with intervals."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.need_effort import N_DRAWS
from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import fmt_decimal, shown_values
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import interval, shown
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import CATEGORIES

TEXT = catalog("need_effort", dynamic=("gap",))


def _per100k(v, population: int) -> float | None:
    if v is None or isinstance(v, str) or not population:
        return None
    return round(100_000 * float(v) / population, 1)


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "need_effort" not in ctx.tables:
        return None
    table = ctx.tables["need_effort"]
    w, lang = TEXT[ctx.lang], ctx.lang
    frame = table.frame.reset_index(drop=True)
    n_years = int(frame["years"].iloc[0])
    cols = {
        c: shown_values(table, c)
        for c in (
            "registered",
            "estimate",
            "ci_low",
            "ci_high",
            "gap",
            "gap_low",
            "gap_high",
            "care_starts",
        )
    }
    frame["order"] = frame["rank"].fillna(999)
    rows, chart = [], []
    year = frame["approach_year"].dropna()
    ayear = int(year.iloc[0]) if len(year) else ""
    for i in frame.sort_values("order").index:
        r = frame.loc[i]
        pop = int(r["population"])
        reg = cols["registered"][i]
        reg_year = None if reg is None else reg / n_years
        rate = [_per100k(cols[c][i], pop) for c in ("gap", "gap_low", "gap_high")]
        name = (
            r["police_unit"] if r["police_unit"] != codes.UNKNOWN else CATEGORIES[lang]["unknown"]
        )
        ranked = pd.notna(r["rank"])
        rows.append(
            [
                name,
                f"{int(r['rank'])} ({int(r['rank_low'])}–{int(r['rank_high'])})" if ranked else "–",
                shown(table.frame.loc[i, "registered"])
                if reg is None
                else fmt_decimal(reg_year, lang, 1),
                f"{shown(table.frame.loc[i, 'estimate'])} ({interval(cols['ci_low'][i], cols['ci_high'][i])})",
                f"{fmt_decimal(rate[0], lang)} ({fmt_decimal(rate[1], lang)}–{fmt_decimal(rate[2], lang)})"
                if ranked and rate[0] is not None
                else "–",
                shown(table.frame.loc[i, "care_starts"]),
                fmt_decimal(r.get("approach_score"), lang, 0),
                "–" if pd.isna(r.get("basic_level_share")) else f"{int(r['basic_level_share'])}%",
            ]
        )
        if ranked and rate[0] is not None:
            chart.append(
                {
                    "unit": name,
                    "gap": rate[0],
                    "low": rate[1],
                    "high": rate[2],
                    "registered": _per100k(reg_year, pop),
                }
            )
    top = frame[frame["rank"] == 1]
    if len(top) and cols["gap"][top.index[0]] is not None:
        t = top.iloc[0]
        # "the largest" only when the unit is first in (nearly) every draw
        sure = int(t["rank_high"]) == 1
        summary = w["summary" if sure else "summary_unclear"].format(
            unit=t["police_unit"],
            rank=1,
            low=int(t["rank_low"]),
            high=int(t["rank_high"]),
            gap=shown(table.frame.loc[top.index[0], "gap"]),
        )
    else:
        summary = w["summary_none"]
    block = Block(
        id="need-effort",
        title=f"{w['chart']}, {ctx.years[0]}–{ctx.last}",
        summary=summary,
        svg=local_charts.gap_chart(pd.DataFrame(chart), {"axis": w["axis"]}),
        caption=w["caption"],
        header=[
            w["unit"],
            w["rank"],
            w["registered"],
            w["estimate"],
            w["gap_rate"],
            w["care"],
            w["score"].format(year=ayear),
            w["basic"].format(year=ayear),
        ],
        rows=rows,
        note=table.spec.note(lang),
    )
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(y0=ctx.years[0], y1=ctx.last)],
        blocks=[block],
        outro_title=w["annex"],
        outro=[
            line.format(draws=N_DRAWS, date=codes.REFERENCE_DATE)
            for line in w.paragraphs("annex_lines")
        ],
    )


CHAPTER = Chapter("need-effort", build, tables=("need_effort",))
