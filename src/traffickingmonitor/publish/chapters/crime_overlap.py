"""Chapter: crime before and after the first registration, and victims who become suspects.

Shares are computed here from shown counts only: a hidden count (or a zero denominator) gives
no share at all, never 0% or 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from traffickingmonitor.analysis.crime_overlap import OVERLAP_GROUP_BY
from traffickingmonitor.publish import cohort_charts as cc
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.chapters.cohort_common import (
    GROUP_BY_LABEL,
    group_label,
    offence_label,
    percent,
    percent_or_dash,
)
from traffickingmonitor.publish.format import date_text, shown
from traffickingmonitor.publish.i18n import catalog

RESIDUAL = ("unknown", "other", "other_unknown")
BREAKDOWNS = tuple(by for by in OVERLAP_GROUP_BY if by != "all")

TEXT = catalog("crime_overlap", dynamic=("before", "after", "victimisation", "suspect"))


def _rows_share(num: pd.DataFrame, numerator: str) -> pd.Series:
    return pd.Series(cc.share(num[numerator], num["persons"]), index=num.index)


@dataclass(frozen=True)
class Suspects:
    """The chapter's headline: suspect of any offence / of a drug offence within ``window``
    years after the first registration (fractions of the persons followed that long)."""

    window: int
    persons: object  # the shown number of persons followed (a count or the hidden symbol)
    any: float
    drugs: float


def _window(ctx: ChapterContext) -> int:
    return int(ctx.tables["crime_overlap"].spec.extra.get("window_years", 5))


def _headline(raw: pd.DataFrame, num: pd.DataFrame, window: int) -> Suspects | None:
    sel = (num["group_by"] == "all").to_numpy()
    part_raw, part_num = raw[sel], num[sel]
    any_sel = (part_num["offence_group"] == "any").to_numpy()
    drug_sel = (part_num["offence_group"] == "drugs").to_numpy()
    if not any_sel.any() or not drug_sel.any():
        return None
    a, d = part_num.loc[any_sel, "share"].iloc[0], part_num.loc[drug_sel, "share"].iloc[0]
    if math.isnan(a) or math.isnan(d):
        return None
    return Suspects(window, part_raw.loc[any_sel, "persons"].iloc[0], a, d)


def headline(ctx: ChapterContext) -> Suspects | None:
    """Victims who became a suspect (any offence, drug offence), from shown counts only."""
    p = ctx.tables
    if "crime_overlap" not in p or p["crime_overlap"].frame.empty:
        return None
    raw, num = _stacked(ctx)
    num["share"] = _rows_share(num, "suspects")
    return _headline(raw, num, _window(ctx))


def build(ctx: ChapterContext) -> ChapterContent | None:
    p = ctx.tables
    if "crime_overlap" not in p or p["crime_overlap"].frame.empty:
        return None
    w = TEXT[ctx.lang]
    window = _window(ctx)
    cutoff = ctx.edition.notes.get("revictimisation", {}).get("cutoff")
    last_full = "–"
    if cutoff:
        c = pd.Timestamp(cutoff) - pd.Timedelta(days=round(window * 365.25))
        last_full = date_text(c.date(), ctx.lang)
    raw, num = _stacked(ctx)
    num["share"] = _rows_share(num, "suspects")
    blocks = []
    if "crime_before_after" in p and not p["crime_before_after"].frame.empty:
        blocks.append(_before_after(ctx, w, window, raw, num))
    blocks.append(_suspects(ctx, w, window, raw, num))
    blocks.append(_flow(ctx, w, window, raw, num))
    blocks.append(_age(ctx, w, window, raw, num))
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(window=window, last_full=last_full)],
        blocks=[b for b in blocks if b is not None],
    )


def _stacked(ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The overlap tables one under the other (``group_by``, ``group``): shown values, numbers."""
    parts_raw, parts_num = [], []
    for by in ("all", *BREAKDOWNS):
        table = ctx.tables.get("crime_overlap" if by == "all" else f"crime_overlap_{by}")
        if table is None:
            continue
        for frame, parts in ((table.frame, parts_raw), (cc.published(table), parts_num)):
            frame["group_by"] = by
            frame["group"] = "all" if by == "all" else frame[by].astype(str)
            parts.append(frame[["group_by", "group", "offence_group", "persons", "suspects"]])
    return pd.concat(parts_raw, ignore_index=True), pd.concat(parts_num, ignore_index=True)


def _denominators(ctx, over_raw, over_num) -> dict:
    """Shown and numeric denominators of the before and after windows (never repeated in the
    before/after table: the cohort size, and the persons followed for the whole window)."""
    out = {"before": (None, math.nan), "after": (None, math.nan)}
    main = ctx.tables.get("revictimisation")
    if main is not None:
        f, n = main.frame, cc.published(main)
        sel = ((f["offence_group"] == "any") & (f["month"] == 0)).to_numpy()
        if sel.any():
            out["before"] = (f.loc[sel, "at_risk"].iloc[0], n.loc[sel, "at_risk"].iloc[0])
    sel = ((over_raw["group_by"] == "all") & (over_raw["offence_group"] == "any")).to_numpy()
    if sel.any():
        out["after"] = (over_raw.loc[sel, "persons"].iloc[0], over_num.loc[sel, "persons"].iloc[0])
    return out


def lookback_observed(ctx: ChapterContext, window: int) -> tuple[bool, int | None]:
    """Whether the events cover the ``window`` years before every first registration, and
    the year the events begin (None: the edition does not say, as before it was recorded)."""
    notes = (getattr(ctx.edition, "notes", None) or {}).get("crime_overlap") or {}
    start = notes.get("events_from")
    if not start:
        return True, None
    first = int(str(start)[:4])
    # a whole look-back for a registration on 1 January of the first year
    return str(start) <= f"{ctx.years[0] - window}-01-01", first


def _before_after(ctx, w, window, over_raw, over_num) -> Block:
    lang = ctx.lang
    table = ctx.tables["crime_before_after"]
    raw, num = table.frame, cc.published(table)
    dens = _denominators(ctx, over_raw, over_num)
    num["persons"] = num["period"].map(lambda p: dens[p][1])
    num["share"] = _rows_share(num, "with_event")
    offences = list(dict.fromkeys(raw["offence_group"]))

    def get(event_type, offence, period, col="share"):
        sel = (
            (num["event_type"] == event_type)
            & (num["offence_group"] == offence)
            & (num["period"] == period)
        )
        return num.loc[sel, col].iloc[0] if sel.any() else math.nan

    observed, start = lookback_observed(ctx, window)
    periods = ("before", "after") if observed else ("after",)
    chart_rows, rows = [], []
    for g in offences:
        cells = []
        for et in ("victimisation", "suspect"):
            for period in periods:
                value = get(et, g, period)
                cells.append(percent_or_dash(value, lang))
                chart_rows.append(
                    {
                        "label": offence_label(g, lang),
                        "series": w[period],
                        "facet": w[et],
                        "value": 100 * value,
                    }
                )
        # an offence group nobody has in either period says nothing; the CSV keeps it
        if all(c in ("0%", "–") for c in cells) and g != "any":
            continue
        rows.append([offence_label(g, lang), *cells])
    rows.insert(
        0,
        [
            w["persons_row"],
            *[shown(dens[pe][0]) for _ in ("victimisation", "suspect") for pe in periods],
        ],
    )
    chart = pd.DataFrame(chart_rows)
    shown_labels = {r[0] for r in rows}
    chart = chart[chart["label"].isin(shown_labels)]
    svg = cc.grouped_bars(chart, w["axis_share"], [w[pe] for pe in periods], facet="facet")
    values = {
        f"{et[0]}_{pe}": percent(get(et, "any", pe), lang)
        for et in ("victimisation", "suspect")
        for pe in periods
    }
    summary = w["none"]
    if all(values.values()):
        summary = w["ba_summary" if observed else "ba_summary_after"].format(
            window=window, **values
        )
    if not observed:
        summary += " " + w["no_lookback"].format(
            window=window, start=start, y0=ctx.years[0], y1=ctx.last
        )
    header = [w["offence_col"]] + [
        f"{w[et]} {w[pe]}" for et in ("victimisation", "suspect") for pe in periods
    ]
    return Block(
        id="crime-before-after",
        title=w["before_after"].format(window=window),
        summary=summary,
        svg=svg,
        header=header,
        rows=rows,
        note=table.spec.note(lang),
        wide=True,
    )


def _suspects(ctx, w, window, raw, num) -> Block:
    lang = ctx.lang
    sel = num["group_by"] == "all"
    part_raw, part_num = raw[sel], num[sel]
    rows, chart_rows = [], []
    for i in part_raw.index:
        g = part_raw.at[i, "offence_group"]
        value = part_num.at[i, "share"]
        if g != "any" and part_num.at[i, "suspects"] == 0:
            continue
        rows.append(
            [
                offence_label(g, lang),
                shown(part_raw.at[i, "suspects"]),
                percent_or_dash(value, lang),
            ]
        )
        if g != "any":
            chart_rows.append(
                {
                    "label": offence_label(g, lang),
                    "series": "",
                    "value": 100 * value,
                    "flag": g == "drugs",
                }
            )
    summary = w["none"]
    head = _headline(raw, num, window)
    if head is not None:
        a, d = percent(head.any, lang), percent(head.drugs, lang)
        summary = w["suspects_summary"].format(any=a, drugs=d, window=window)
    svg = cc.grouped_bars(
        pd.DataFrame(chart_rows, columns=["label", "series", "value", "flag"]),
        w["axis_share"],
        [""],
        highlight=cc.DRUGS_COLOUR,
    )
    persons = part_raw.loc[part_raw["offence_group"] == "any", "persons"]
    return Block(
        id="crime-suspects",
        title=w["suspects"].format(window=window),
        summary=summary,
        svg=svg,
        caption=w["drugs_caption"],
        header=[w["offence_col"], w["suspects_col"], w["share_col"]],
        rows=rows,
        note=(f"{w['persons_row']}: {shown(persons.iloc[0])}. " if len(persons) else "")
        + ctx.tables["crime_overlap"].spec.note(lang),
    )


def _flow(ctx, w, window, raw, num) -> Block | None:
    lang = ctx.lang
    sel = num["group_by"] == "victim_group"
    if not sel.any():
        return None
    part_raw, part_num = raw[sel], num[sel]
    groups = list(dict.fromkeys(part_raw["group"].astype(str)))
    offences = [
        g
        for g in dict.fromkeys(part_raw["offence_group"])
        if g == "any" or (part_num.loc[part_num["offence_group"] == g, "suspects"] != 0).any()
    ]
    rows, chart_rows = [], []
    for grp in groups:
        g_sel = part_raw["group"].astype(str) == grp
        label = group_label("victim_group", grp, lang)
        cells = []
        for off in offences:
            o_sel = g_sel & (part_raw["offence_group"] == off)
            value = part_num.loc[o_sel, "share"].iloc[0] if o_sel.any() else math.nan
            cells.append(percent_or_dash(value, lang))
            if off != "any" and grp not in RESIDUAL:
                chart_rows.append(
                    {
                        "label": offence_label(off, lang),
                        "series": "",
                        "facet": label,
                        "value": 100 * value,
                    }
                )
        persons = part_raw.loc[g_sel, "persons"].iloc[0]
        rows.append([label, shown(persons), *cells])
    svg = cc.grouped_bars(pd.DataFrame(chart_rows), w["axis_share"], [""], facet="facet")

    def drug_share(group_by, group):
        s = (num["group_by"] == group_by) & (num["group"].astype(str) == group)
        s &= num["offence_group"] == "drugs"
        return num.loc[s, "share"].iloc[0] if s.any() else math.nan

    crim, everyone = (
        percent(drug_share("victim_group", "criminal"), lang),
        percent(drug_share("all", "all"), lang),
    )
    summary = w["none"]
    if crim and everyone:
        summary = w["flow_summary"].format(crim=crim, all=everyone, window=window)
    return Block(
        id="crime-flow",
        title=w["flow"],
        summary=summary,
        svg=svg,
        caption=w["flow_caption"],
        header=[w["group_col"], w["persons"], *[offence_label(o, lang) for o in offences]],
        rows=rows,
        wide=True,
    )


def _age(ctx, w, window, raw, num) -> Block | None:
    lang = ctx.lang
    rows, chart_rows, values = [], [], {}
    for group_by in ("minor", "age_group"):
        sel = num["group_by"] == group_by
        if not sel.any():
            continue
        groups = list(dict.fromkeys(raw.loc[sel, "group"].astype(str)))
        for grp in groups:
            g_sel = sel & (raw["group"].astype(str) == grp)
            label = group_label(group_by, grp, lang)
            shares = {}
            for off in ("any", "drugs"):
                o_sel = g_sel & (raw["offence_group"] == off)
                shares[off] = num.loc[o_sel, "share"].iloc[0] if o_sel.any() else math.nan
                values[(grp, off)] = shares[off]
            persons = raw.loc[g_sel & (raw["offence_group"] == "any"), "persons"]
            rows.append(
                [
                    label,
                    shown(persons.iloc[0]) if len(persons) else "–",
                    percent_or_dash(shares["any"], lang),
                    percent_or_dash(shares["drugs"], lang),
                ]
            )
            if grp not in RESIDUAL:
                for off, key in (("any", "any_suspect"), ("drugs", "drug_suspect")):
                    chart_rows.append(
                        {"label": label, "series": w[key], "value": 100 * shares[off]}
                    )
    if not rows:
        return None
    svg = cc.grouped_bars(
        pd.DataFrame(chart_rows, columns=["label", "series", "value"]),
        w["axis_share"],
        [w["any_suspect"], w["drug_suspect"]],
    )
    keys = {
        "minor_any": ("minor", "any"),
        "minor_drugs": ("minor", "drugs"),
        "adult_any": ("adult", "any"),
        "adult_drugs": ("adult", "drugs"),
    }
    texts = {k: percent(values.get(v, math.nan), lang) for k, v in keys.items()}
    summary = w["none"]
    if all(texts.values()):
        summary = w["age_summary"].format(window=window, **texts)
    return Block(
        id="crime-age",
        title=w["age"].format(window=window),
        summary=summary,
        svg=svg,
        header=[
            GROUP_BY_LABEL[lang]["age_group"],
            w["persons"],
            w["any_suspect"].capitalize(),
            w["drug_suspect"].capitalize(),
        ],
        rows=rows,
    )


CHAPTER = Chapter("crime-overlap", build, tables=("crime",), cost=3)
