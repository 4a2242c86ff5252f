"""Chapter: does care reach all victims? Shares within 30/90/365 days and time to care.

Shares are computed here from shown counts only. A group is flagged when the upper end of
the 95% interval of its 90-day share is below the national share (``falls_behind``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.care_reach import FLAG_WINDOW, falls_behind
from traffickingmonitor.publish import cohort_charts as cc
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.chapters.cohort_common import (
    GROUP_BY_LABEL,
    group_label,
    join_words,
    percent,
    percent_or_dash,
)
from traffickingmonitor.publish.format import shown
from traffickingmonitor.publish.i18n import catalog

BREAKDOWNS = ("residence_status", "age_group", "victim_group", "police_unit", "municipality")
RESIDUAL = ("unknown", "other", "other_unknown")
FLAG = "▼"

TEXT = catalog("care_reach")


def _wilson(persons: int, reached: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval of a share (as ``falls_behind`` takes its upper end)."""
    p = reached / persons
    centre = (p + z**2 / (2 * persons)) / (1 + z**2 / persons)
    half = z * math.sqrt(p * (1 - p) / persons + z**2 / (4 * persons**2)) / (1 + z**2 / persons)
    return centre - half, centre + half


def _median(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else str(round(v / 10))


def _prepared(ctx: ChapterContext):
    """The stacked tables with their shares, the windows, the flag window, and the rows of
    the longest window (where the median sits)."""
    raw, num = _stacked(ctx)
    num["share"] = cc.share(num["reached"], num["persons"])
    windows = sorted(int(d) for d in raw["days"].unique())
    flag_days = FLAG_WINDOW if FLAG_WINDOW in windows else windows[len(windows) // 2]
    longest = num["days"] == max(windows)
    return raw, num, windows, flag_days, raw[longest], num[longest]


@dataclass(frozen=True)
class Reach:
    """The chapter's headline: reached by care or shelter within ``days`` and within
    ``longest`` days (fractions), and the median days to care of those reached."""

    days: int
    within: float
    longest: int
    within_longest: float
    median_days: str


def _headline(num, windows, flag_days, t_num) -> Reach | None:
    sel = num["group_by"] == "all"

    def share_at(d):
        s = sel & (num["days"] == d)
        return num.loc[s, "share"].iloc[0] if s.any() else math.nan

    median = None
    if t_num is not None:
        m = t_num[t_num["group_by"] == "all"]
        if len(m) and not math.isnan(m.iloc[0]["median_days_x10"]):
            median = _median(m.iloc[0]["median_days_x10"])
    within, within_longest = share_at(flag_days), share_at(max(windows))
    if median is None or math.isnan(within) or math.isnan(within_longest):
        return None
    return Reach(flag_days, within, max(windows), within_longest, median)


def headline(ctx: ChapterContext) -> Reach | None:
    """Reach of care and shelter for all persons, from shown counts only."""
    if "care_reach" not in ctx.tables or ctx.tables["care_reach"].frame.empty:
        return None
    _, num, windows, flag_days, _, t_num = _prepared(ctx)
    return _headline(num, windows, flag_days, t_num)


def build(ctx: ChapterContext) -> ChapterContent | None:
    p = ctx.tables
    if "care_reach" not in p or p["care_reach"].frame.empty:
        return None
    w = TEXT[ctx.lang]
    table = p["care_reach"]
    raw, num, windows, flag_days, t_raw, t_num = _prepared(ctx)

    def national(d):
        sel = (num["group_by"] == "all") & (num["days"] == d)
        return num.loc[sel].iloc[0] if sel.any() else None

    nat = national(flag_days)
    nat_share = nat["share"] if nat is not None else math.nan
    blocks = [_national_block(ctx, w, raw, num, windows, flag_days, t_raw, t_num, table)]
    for group_by in BREAKDOWNS:
        if (raw["group_by"] == group_by).any():
            blocks.append(
                _group_block(
                    ctx, w, group_by, raw, num, windows, flag_days, nat_share, t_raw, t_num
                )
            )
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(flag_days=flag_days, flag=FLAG)],
        blocks=blocks,
    )


def _stacked(ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The care tables one under the other (``group_by``, ``group``): shown values, numbers."""
    parts_raw, parts_num = [], []
    for by in ("all", *BREAKDOWNS):
        table = ctx.tables.get("care_reach" if by == "all" else f"care_reach_{by}")
        if table is None:
            continue
        for frame, parts in ((table.frame, parts_raw), (cc.published(table), parts_num)):
            frame["group_by"] = by
            frame["group"] = "all" if by == "all" else frame[by].astype(str)
            parts.append(
                frame[["group_by", "group", "days", "persons", "reached", "median_days_x10"]]
            )
    return pd.concat(parts_raw, ignore_index=True), pd.concat(parts_num, ignore_index=True)


def _national_block(ctx, w, raw, num, windows, flag_days, t_raw, t_num, table) -> Block:
    lang = ctx.lang
    sel = num["group_by"] == "all"
    rows, chart_rows = [], []
    for d in windows:
        s = sel & (num["days"] == d)
        if not s.any():
            continue
        r_raw, r_num = raw[s].iloc[0], num[s].iloc[0]
        rows.append(
            [
                w["days"].format(d=d),
                shown(r_raw["persons"]),
                shown(r_raw["reached"]),
                percent_or_dash(r_num["share"], lang),
            ]
        )
        chart_rows.append(
            {"label": w["days"].format(d=d), "series": "", "value": 100 * r_num["share"]}
        )
    svg = cc.grouped_bars(
        pd.DataFrame(chart_rows, columns=["label", "series", "value"]),
        w["axis_national"],
        [""],
    )

    summary = w["none"]
    head = _headline(num, windows, flag_days, t_num)
    if head is not None:
        summary = w["national_summary"].format(
            p90=percent(head.within, lang),
            p365=percent(head.within_longest, lang),
            median=head.median_days,
            flag_days=flag_days,
        )
    return Block(
        id="care-national",
        title=w["national"],
        summary=summary,
        svg=svg,
        header=[w["within"], w["persons"], w["reached"], w["share"]],
        rows=rows,
        note=table.spec.note(lang),
    )


def _group_block(ctx, w, group_by, raw, num, windows, flag_days, nat_share, t_raw, t_num):
    lang = ctx.lang
    dim = GROUP_BY_LABEL[lang][group_by]
    # rows by position, from arrays made once: selecting rows per group and window copies
    # every column each time (a municipality's, hundreds of times)
    sel = (num["group_by"] == group_by).to_numpy()
    group, days_of = raw["group"].astype(str).to_numpy(), raw["days"].to_numpy()
    groups = list(dict.fromkeys(group[sel]))
    if group_by == "municipality":
        groups.sort(key=lambda g: group_label(group_by, g, lang))
    if t_num is not None:
        t_sel = (t_num["group_by"] == group_by).to_numpy()
        t_group = t_raw["group"].astype(str).to_numpy()
    rows, chart_rows, behind, ranked = [], [], [], []
    for grp in groups:
        g_sel = sel & (group == grp)
        label = group_label(group_by, grp, lang)
        cells, flag = [], False
        persons_cell = "–"
        for d in windows:
            hits = np.flatnonzero(g_sel & (days_of == d))
            if not len(hits):
                cells.append("–")
                continue
            r_raw, r_num = raw.iloc[hits[0]], num.iloc[hits[0]]
            cells.append(percent_or_dash(r_num["share"], lang))
            if d == flag_days:
                persons_cell = shown(r_raw["persons"])
                if not math.isnan(r_num["share"]) and not math.isnan(nat_share):
                    flag = falls_behind(int(r_num["persons"]), int(r_num["reached"]), nat_share)
                    if grp not in RESIDUAL:
                        ranked.append(
                            (r_num["share"], label, int(r_num["persons"]), int(r_num["reached"]))
                        )
                        chart_rows.append(
                            {
                                "label": label,
                                "series": "",
                                "value": 100 * r_num["share"],
                                "flag": flag,
                            }
                        )
                if flag and grp not in RESIDUAL:
                    behind.append(f"{label} ({percent(r_num['share'], lang)})")
        median = "–"
        if t_num is not None:
            hits = np.flatnonzero(t_sel & (t_group == grp))
            if len(hits):
                days = _median(t_num["median_days_x10"].iloc[hits[0]])
                # with its unit: a number of days, not a count of persons
                median = "–" if days == "–" else w["n_days"].format(n=days)
        rows.append([label, persons_cell, *cells, median, FLAG if flag else ""])
    svg = cc.grouped_bars(
        pd.DataFrame(chart_rows, columns=["label", "series", "value", "flag"]),
        w["axis"].format(d=flag_days),
        [""],
        reference=100 * nat_share if not math.isnan(nat_share) else None,
        highlight=cc.DRUGS_COLOUR,
    )
    national = percent(nat_share, lang) or "–"
    if behind:
        summary = w["by_summary_behind"].format(
            d=flag_days, groups=join_words(behind, lang), national=national
        )
    elif len(ranked) >= 2:
        (p_hi, hi, *n_hi), (p_lo, lo, *n_lo) = max(ranked), min(ranked)
        # a highest and a lowest only when their 95% intervals separate
        separate = _wilson(*n_hi)[0] > _wilson(*n_lo)[1]
        summary = w["by_summary_ok" if separate else "by_summary_even"].format(
            d=flag_days,
            national=national,
            hi=hi,
            p_hi=percent(p_hi, lang),
            lo=lo,
            p_lo=percent(p_lo, lang),
        )
    else:
        summary = w["none"]
    note = ""
    if group_by == "municipality":
        n = ctx.tables["care_reach_municipality"].spec.extra.get("min_municipality", 50)
        note = w["municipality_note"].format(n=n)
    return Block(
        id=f"care-{group_by.replace('_', '-')}",
        title=w["by"].format(dim=dim.lower()),
        summary=summary,
        svg=svg,
        caption=w["by_caption"].format(d=flag_days),
        header=[
            dim,
            f"{w['persons']} ({w['days'].format(d=flag_days)})",
            *[w["days"].format(d=d) for d in windows],
            w["median"],
            w["behind"],
        ],
        rows=rows,
        note=note,
        wide=True,
    )


CHAPTER = Chapter("care-reach", build, tables=("care_reach",), cost=5)
