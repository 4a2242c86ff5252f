"""Chapter: the perpetrator chain, from police suspects to custodial sentences."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import pct, shown
from traffickingmonitor.publish.i18n import catalog

TEXT = catalog("perpetrator_chain")


def conversions(table, year: int, form: str) -> list[tuple[str, object, int | None]]:
    """(stage, shown value, % of the previous stage from shown counts) along the chain."""
    out, before = [], None
    for stage in codes.CHAIN_STAGE.order():
        v = table.value({"year": year, "exploitation_form": form}, stage)
        count = table.shown_count({"year": year, "exploitation_form": form}, stage)
        out.append((stage, v, pct(count, before) if before is not None else None))
        before = count
    return out


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "perpetrator_chain" not in ctx.tables:
        return None
    table = ctx.tables["perpetrator_chain"]
    w, lang = TEXT[ctx.lang], ctx.lang
    frame = table.frame
    years = sorted(int(y) for y in frame["year"].unique())
    last = years[-1]
    chain = conversions(table, last, "all")
    funnel = pd.DataFrame(
        {
            "stage": [codes.CHAIN_STAGE.label(s, lang) for s, _, _ in chain],
            "value": [None if isinstance(v, str) else v for _, v, _ in chain],
        }
    )
    counts = {s: (None if isinstance(v, str) else int(v)) for s, v, _ in chain}
    if counts["police_suspects"] and counts["convictions"] is not None:
        summary = w["summary"].format(
            year=last,
            suspects=shown(counts["police_suspects"]),
            convictions=shown(counts["convictions"]),
            pct=pct(counts["convictions"], counts["police_suspects"]),
            custodial=shown(chain[-1][1]),
        )
    else:
        summary = w["summary_none"].format(year=last)
    note = table.spec.note(lang)
    if "programme_indicators" in ctx.tables:
        ind = ctx.tables["programme_indicators"].frame
        police = ind[ind["indicator"] == "police_suspects"]
        if not police.empty and pd.notna(police["target"].iloc[0]):
            note += " " + w["target"].format(
                target=shown(int(police["target"].iloc[0])),
                baseline=shown(int(police["baseline"].iloc[0])),
            )
    blocks = [
        Block(
            id="chain-funnel",
            title=w["funnel"].format(year=last),
            summary=summary,
            svg=local_charts.funnel(funnel, w["axis"]),
            header=[w["stage"], w["axis"].capitalize(), w["conversion"]],
            rows=[
                [codes.CHAIN_STAGE.label(s, lang), shown(v), "–" if c is None else f"{c}%"]
                for s, v, c in chain
            ],
            note=note,
        )
    ]
    rows = []
    for year in years:
        for form in dict.fromkeys(frame[frame["year"] == year]["exploitation_form"]):
            cells = []
            for _, v, c in conversions(table, year, form):
                cells.append(shown(v) if c is None else f"{shown(v)} ({c}%)")
            label = w["all_forms"] if form == "all" else codes.CHAIN_FORM.label(form, lang)
            rows.append([year, label, *cells])
    blocks.append(
        Block(
            id="chain-years",
            title=w["by_year"],
            chart=False,
            wide=True,
            header=[
                w["year"],
                w["form"],
                *[codes.CHAIN_STAGE.label(s, lang) for s in codes.CHAIN_STAGE.order()],
            ],
            rows=rows,
            note=note,
        )
    )
    return ChapterContent(title=w["title"], intro=[w["intro"]], blocks=blocks)


CHAPTER = Chapter("chain", build, tables=("perpetrator_chain",))
