"""Chapter: re-victimisation after the first registration (Aalen-Johansen, with a method annex).

Every percentage comes from a published estimate whose counts (persons, at risk, events) are
shown; a curve point needs at least ``threshold`` persons at risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from traffickingmonitor.publish import cohort_charts as cc
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.chapters.cohort_common import (
    GROUP_BY_LABEL,
    group_label,
    number,
    offence_label,
    pct_interval,
    percent,
    years_label,
)
from traffickingmonitor.publish.format import date_text, shown
from traffickingmonitor.publish.i18n import catalog

MAIN_HORIZON = 5  # years: the monitor's headline
CURVE_GROUP_BY = ("victim_group", "minor", "age_group")  # drawn as curves, the others as dots
SUBGROUPS = (
    "victim_group",
    "minor",
    "age_group",
    "sex",
    "nationality_group",
    "residence_status",
    "cohort_year",
)
RESIDUAL = ("unknown", "other", "other_unknown")

TEXT = catalog("revictimisation", dynamic=("category", "the_group"))


def _estimate(row, threshold: int) -> tuple[float, float, float] | None:
    """(cif, low, high) as fractions when the row's estimate and its counts may be shown.

    The counts it rests on (at risk, events) must be shown and at least ``threshold`` persons
    must still be at risk; otherwise there is no percentage at all (never a 0% or 100% from
    a hidden denominator).
    """
    if row is None:
        return None
    if any(math.isnan(row[c]) for c in ("at_risk", "events", "cif_per_10000")):
        return None
    if row["at_risk"] < threshold:
        return None
    return (
        row["cif_per_10000"] / cc.PER,
        row["ci_low_per_10000"] / cc.PER,
        row["ci_high_per_10000"] / cc.PER,
    )


def _cell(row, threshold: int, lang: str) -> str:
    est = _estimate(row, threshold)
    return "–" if est is None else pct_interval(*est, lang)


def _at(frame: pd.DataFrame, month: int):
    # by position: selecting the rows of a month first copies every column (a chapter's
    # tenth of a second, many times over)
    hits = np.flatnonzero(frame["month"].to_numpy() == month)
    return frame.iloc[hits[0]] if len(hits) else None


def _month_label(month: int, lang: str) -> str:
    return years_label(month // 12, lang) if month % 12 == 0 else f"{month} mnd"


ALL_LABEL = catalog("categories")


def _span(ctx: ChapterContext) -> str:
    """The years of first registration followed (``2016–2020``)."""
    years = []
    if "revictimisation_cohort_year" in ctx.tables:
        years = sorted(
            ctx.tables["revictimisation_cohort_year"].frame["cohort_year"].astype(str).unique()
        )
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else "".join(years)


@dataclass(frozen=True)
class Headline:
    """The chapter's headline: re-victimised within ``MAIN_HORIZON`` years (fractions)."""

    persons: object  # the shown cohort size (a count or the hidden symbol)
    years: str  # the years of first registration
    cif: float
    low: float
    high: float


def headline(ctx: ChapterContext) -> Headline | None:
    """Victimised again within five years (Aalen-Johansen, 95% interval), from shown values
    only; None when the table has no shown estimate at five years."""
    table = ctx.tables.get("revictimisation")
    if table is None or table.frame.empty:
        return None
    raw, num = table.frame, cc.published(table)
    overall = raw["offence_group"] == "any"
    est = _estimate(_at(num[overall], MAIN_HORIZON * 12), ctx.rule.threshold)
    size = _at(raw[overall], 0)
    if est is None or size is None:
        return None
    return Headline(size["at_risk"], _span(ctx), *est)


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "revictimisation" not in ctx.tables or ctx.tables["revictimisation"].frame.empty:
        return None
    w = TEXT[ctx.lang]
    threshold = ctx.rule.threshold
    table = ctx.tables["revictimisation"]
    raw, num = table.frame, cc.published(table)
    months = list(table.spec.extra.get("horizon_months", [12, 24, 60, 84]))
    notes = ctx.edition.notes.get("revictimisation", {})
    main = MAIN_HORIZON * 12 if MAIN_HORIZON * 12 in months else months[-1]

    overall = raw["offence_group"] == "any"
    o_raw, o_num = raw[overall], num[overall]
    blocks = [
        _overall_block(ctx, w, o_raw, o_num, months, threshold),
        _offence_block(ctx, w, raw, num, months, threshold),
    ]
    reference = _estimate(_at(o_num, main), threshold)
    for group_by in SUBGROUPS:
        sub = ctx.tables.get(f"revictimisation_{group_by}")
        if sub is not None and not sub.frame.empty:
            blocks.append(
                _subgroup_block(ctx, w, group_by, sub, months, main, reference, threshold)
            )
    if "revictimisation_cox" in ctx.tables and not ctx.tables["revictimisation_cox"].frame.empty:
        blocks.append(_cox_block(ctx, w))
    if "km_per_10000" in raw:
        blocks.append(_method_block(ctx, w, o_raw, o_num, months, main, threshold))
    intro = [
        w["intro"].format(cutoff=date_text(notes.get("cutoff", "–"), ctx.lang)),
        w["intro_method"].format(threshold=threshold),
    ]
    return ChapterContent(title=w["title"], intro=intro, blocks=[b for b in blocks if b])


def _curve(num: pd.DataFrame, threshold: int, series: str | None = None) -> pd.DataFrame:
    """Drawable curve points; with ``series``, each line starts at (0, 0%), true by definition
    (the table keeps month 0 once, for the cohort size)."""
    points = cc.curve_points(num, threshold)
    if series and not points.empty:
        start = points.drop_duplicates(subset=[series])
        start = start.assign(month=0, years=0.0, cif=0.0, ci_low=0.0, ci_high=0.0)
        points = pd.concat([start, points[points["month"] > 0]], ignore_index=True)
    return points


def _overall_block(ctx, w, o_raw, o_num, months, threshold) -> Block:
    lang = ctx.lang
    svg = cc.cif_curves(
        _curve(o_num, threshold), None, {}, {"x": w["axis_x"], "y": w["axis_y"]}, band=True
    )
    rows = []
    for m in months:
        r_raw, r_num = _at(o_raw, m), _at(o_num, m)
        if r_raw is None:
            continue
        rows.append(
            [
                _month_label(m, lang),
                shown(r_raw["at_risk"]),
                shown(r_raw["events"]),
                _cell(r_num, threshold, lang),
            ]
        )
    summary = w["overall_none"]
    head = headline(ctx)
    if head is not None:
        summary = w["overall_summary"].format(
            persons=shown(head.persons),
            years=head.years,
            p5=percent(head.cif, lang, 1),
            low=percent(head.low, lang, 1),
            high=percent(head.high, lang, 1),
        )
        est7 = _estimate(_at(o_num, 84), threshold)
        summary += w["overall_summary_7"].format(p7=percent(est7[0], lang, 1)) if est7 else "."
    return Block(
        id="revictimisation-overall",
        title=w["overall"],
        summary=summary,
        svg=svg,
        caption=w["band"],
        header=[w["horizon"], w["at_risk"], w["events"], w["cif"]],
        rows=rows,
        note=ctx.tables["revictimisation"].spec.note(lang),
    )


def _offence_block(ctx, w, raw, num, months, threshold) -> Block:
    lang = ctx.lang
    mask = raw["offence_group"] != "any"
    f_raw, f_num = raw[mask], num[mask]
    offences = list(dict.fromkeys(f_raw["offence_group"]))
    labels = {g: offence_label(g, lang) for g in offences}
    svg = cc.cif_curves(
        _curve(f_num, threshold, series="offence_group"),
        "offence_group",
        labels,
        {"x": w["axis_x"], "y": w["axis_y"]},
    )
    rows, at_main = [], []
    for g in offences:
        part = f_num[f_num["offence_group"] == g]
        rows.append(
            [
                labels[g],
                *[
                    _cell(_at(part, m), threshold, lang) if _at(part, m) is not None else "–"
                    for m in months
                ],
            ]
        )
        est = _estimate(_at(part, MAIN_HORIZON * 12), threshold)
        if est is not None and g != "other":
            at_main.append((*est, g))
    summary = w["overall_none"]
    if len(at_main) >= 2:
        (p1, low1, _, g1), (p2, _, high2, g2) = sorted(at_main, reverse=True)[:2]
        # "most often ... followed by" only where the 95% intervals of the two separate
        frame = w["offence_summary"] if low1 > high2 else w["offence_summary_close"]
        summary = frame.format(
            g1=labels[g1], p1=percent(p1, lang, 1), g2=labels[g2], p2=percent(p2, lang, 1)
        )
    return Block(
        id="revictimisation-offence",
        title=w["offence"],
        summary=summary,
        svg=svg,
        header=[w["offence_col"], *[_month_label(m, lang) for m in months]],
        rows=rows,
        wide=True,
    )


def _subgroup_block(ctx, w, group_by, table, months, main, reference, threshold):
    lang = ctx.lang
    dim = GROUP_BY_LABEL[lang][group_by]
    raw, num = table.frame, cc.published(table)
    keys = raw[group_by].astype(str).to_numpy()
    codes_ = list(dict.fromkeys(keys))
    labels = {g: group_label(group_by, g, lang) for g in codes_}
    rows, dots, ranked = [], [], []
    for g in codes_:
        sel = keys == g
        part_raw, part_num = raw[sel], num[sel]
        size = _at(part_raw, 0)
        rows.append(
            [
                labels[g],
                shown(size["at_risk"]) if size is not None else "–",
                *[
                    _cell(_at(part_num, m), threshold, lang)
                    if _at(part_num, m) is not None
                    else "–"
                    for m in months
                ],
            ]
        )
        est = _estimate(_at(part_num, main), threshold)
        if est is not None and g not in RESIDUAL:
            dots.append(
                {
                    "label": labels[g],
                    "value": 100 * est[0],
                    "low": 100 * est[1],
                    "high": 100 * est[2],
                }
            )
            ranked.append((est[0], est[1], est[2], labels[g]))
    caption = w["by_caption"]
    if group_by in CURVE_GROUP_BY:
        points = _curve(num, threshold)
        points = points[~points[group_by].astype(str).isin(RESIDUAL)]
        svg = cc.cif_curves(points, group_by, labels, {"x": w["axis_x"], "y": w["axis_y"]})
        caption = w["curve_caption"]
    else:
        svg = cc.interval_dots(
            pd.DataFrame(dots, columns=["label", "value", "low", "high"]),
            100 * reference[0] if reference else None,
            w["axis_y"],
            ALL_LABEL[lang]["all_persons"],
        )
    summary = w["overall_none"]
    if len(ranked) >= 2 and reference:
        (p_hi, low_hi, _, hi), (p_lo, _, high_lo, lo) = max(ranked), min(ranked)
        # a ranking only where the intervals of the highest and the lowest do not overlap;
        # otherwise the range, without naming a highest and a lowest
        frame = w["by_summary"] if low_hi > high_lo else w["by_summary_close"]
        summary = frame.format(
            hi=hi,
            p_hi=percent(p_hi, lang, 1),
            lo=lo,
            p_lo=percent(p_lo, lang, 1),
            p_all=percent(reference[0], lang, 1),
        )
    return Block(
        id=f"revictimisation-{group_by.replace('_', '-')}",
        title=w["by"].format(dim=dim.lower()),
        summary=summary,
        svg=svg,
        caption=caption,
        header=[dim, w["persons"], *[_month_label(m, lang) for m in months]],
        rows=rows,
        note=table.spec.note(lang),
        wide=True,
    )


def _hr(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v / 1000:.2f}"


def _cox_block(ctx, w) -> Block:
    lang = ctx.lang
    table = ctx.tables["revictimisation_cox"]
    raw, num = table.frame, cc.published(table)
    fmt = (lambda v: _hr(v).replace(".", ",")) if lang == "nl" else _hr
    rows, best = [], None
    for i in raw.index:
        r_raw, r_num = raw.loc[i], num.loc[i]
        var, level = str(r_raw["covariate"]), str(r_raw["level"])
        ref = str(r_raw["reference"])
        level_label = group_label(var, level, lang)
        ref_label = w["not_in"] if ref.startswith("not_") else group_label(var, ref, lang)
        hr, low, high = (r_num[c] for c in ("hr_x1000", "hr_ci_low_x1000", "hr_ci_high_x1000"))
        rows.append(
            [
                GROUP_BY_LABEL[lang].get(var, var),
                level_label,
                ref_label,
                shown(r_raw["events"]),
                fmt(hr),
                "–" if math.isnan(low) or math.isnan(high) else f"{fmt(low)}–{fmt(high)}",
            ]
        )
        significant = not math.isnan(low) and low > 1000
        if significant and level not in RESIDUAL and (best is None or hr > best[0]):
            best = (hr, level_label, ref_label)
    if best:
        summary = w["cox_summary"].format(level=best[1], hr=fmt(best[0]), ref=best[2])
    else:
        summary = w["cox_summary_none"]
    summary += "".join(" " + _own_model(d, w, lang) for d in table.spec.extra.get("own_model", ()))
    return Block(
        id="revictimisation-cox",
        title=w["cox"],
        summary=summary,
        chart=False,
        wide=True,
        header=[
            w["cox_covariate"],
            w["cox_level"],
            w["cox_reference"],
            w["events"],
            w["cox_hr"],
            w["cox_interval"],
        ],
        rows=rows,
        note=w["cox_note"],
    )


def _own_model(entry: dict, w: dict, lang: str) -> str:
    """The sentence on a covariate with a Cox model of its own (``extra["own_model"]``), with
    the labels of the breakdowns; Cramér's V is a measure, not a count: written as a decimal."""
    label = GROUP_BY_LABEL[lang]
    return w["cox_own_model"].format(
        covariate=label.get(entry["covariate"], entry["covariate"]).lower(),
        because_of=label.get(entry["because_of"], entry["because_of"]).lower(),
        v=number(entry["cramers_v"], lang, 2),
    )


def _method_block(ctx, w, o_raw, o_num, months, main, threshold) -> Block:
    lang = ctx.lang
    ok = o_num["at_risk"].notna() & (o_num["at_risk"] >= threshold)
    ok &= o_num["cif_per_10000"].notna() & o_num["km_per_10000"].notna()
    long = [
        pd.DataFrame(
            {
                "years": o_num.loc[ok, "month"] / 12,
                "series": key,
                "value": o_num.loc[ok, col] / cc.PER * 100,
            }
        )
        for key, col in (("aj", "cif_per_10000"), ("km", "km_per_10000"))
    ]
    svg = cc.two_curves(
        pd.concat(long), {"aj": w["aj"], "km": w["km"]}, {"x": w["axis_x"], "y": w["axis_y"]}
    )
    rows = []
    summary = w["method_text"]
    for m in months:
        r_raw, r_num = _at(o_raw, m), _at(o_num, m)
        if r_raw is None:
            continue
        good = bool(ok[o_num["month"] == m].any())
        aj = r_num["cif_per_10000"] / cc.PER if good else None
        km = r_num["km_per_10000"] / cc.PER if good else None
        diff = 100 * (km - aj) if good else None
        rows.append(
            [
                _month_label(m, lang),
                shown(r_raw["at_risk"]),
                shown(r_raw["competing"]),
                percent(aj, lang, 1) or "–",
                percent(km, lang, 1) or "–",
                number(diff, lang) if diff is not None else "–",
            ]
        )
        if m == main and good and not math.isnan(r_num["competing"]):
            summary = w["method_summary"].format(
                km=percent(km, lang, 1),
                diff=number(diff, lang),
                aj=percent(aj, lang, 1),
                competing=shown(r_raw["competing"]),
            )
    return Block(
        id="revictimisation-method",
        title=w["method"],
        summary=summary,
        svg=svg,
        header=[
            w["years_col"],
            w["at_risk"],
            w["competing"],
            "Aalen-Johansen",
            w["km"],
            w["difference"],
        ],
        rows=rows,
        note=w["method_text"],
        wide=True,
    )


CHAPTER = Chapter("revictimisation", build, tables=("revictimisation",), cost=9)
