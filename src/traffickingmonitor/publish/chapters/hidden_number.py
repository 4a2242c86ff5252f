"""Chapter: the hidden number (multiple systems estimate) per year and victim group."""

from __future__ import annotations

from traffickingmonitor.publish import charts
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import interval, shown
from traffickingmonitor.publish.labels import category_label, model_label


def _estimate(v) -> str:
    return "–" if v is None else shown(v)


def latest(ctx: ChapterContext):
    """The row (all groups) of the latest year with a shown estimate, or None."""
    frame = ctx.tables["hidden_number"].frame
    totals = frame[frame["victim_group"] == "all"]
    known = totals[totals["estimate"].map(lambda v: v is not None and not isinstance(v, str))]
    return None if known.empty else known.iloc[-1]


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, t, lang = ctx.tables, ctx.t, ctx.lang
    if "hidden_number" not in p or p["hidden_number"].frame.empty:
        return None
    table = p["hidden_number"]
    frame = table.frame
    status = t["hn_status"]
    totals = frame[frame["victim_group"] == "all"]
    rows = [
        [
            int(r.year),
            shown(r.observed),
            _estimate(r.estimate),
            interval(r.ci_low, r.ci_high),
            status.get(r.status, r.status),
        ]
        for r in totals.itertuples()
    ]
    summary = t["summary_none"].format(last=ctx.last)
    r = latest(ctx)
    if r is not None:
        summary = t["hn_summary"].format(
            year=int(r["year"]),
            estimate=shown(r["estimate"]),
            interval=interval(r["ci_low"], r["ci_high"]),
            observed=shown(r["observed"]),
        )
    blocks = [
        Block(
            id="hidden-total",
            title=f"{t['hidden']} {ctx.years[0]}–{ctx.last}",
            summary=summary,
            svg=charts.estimate_chart(
                table,
                {
                    "axis": t["Persons"],
                    "observed": t["hn_registered"],
                    "estimate": t["hn_estimate"],
                },
            ),
            caption=t["hn_caption"],
            header=[
                t["year"],
                t["hn_registered"],
                t["hn_estimate"],
                t["hn_interval"],
                t["hn_status_h"],
            ],
            rows=rows,
            note=table.spec.note(lang),
        ),
        Block(
            id="hidden-groups",
            title=t["hn_by_group"],
            chart=False,
            wide=True,
            header=[
                t["year"],
                t["hn_group"],
                t["hn_registered"],
                t["hn_estimate"],
                t["hn_interval"],
                t["hn_model"],
                t["hn_status_h"],
            ],
            rows=[
                [
                    int(r.year),
                    category_label("victim_group", r.victim_group, lang),
                    shown(r.observed),
                    _estimate(r.estimate),
                    interval(r.ci_low, r.ci_high),
                    # "all" is the sum of the groups: no model of its own
                    "–" if r.victim_group == "all" else model_label(r.model, lang),
                    status.get(r.status, r.status),
                ]
                for r in frame.itertuples()
            ],
        ),
    ]
    if "hidden_number_sensitivity" in p and not p["hidden_number_sensitivity"].frame.empty:
        sens = p["hidden_number_sensitivity"]
        blocks.append(
            Block(
                id="hidden-sensitivity",
                title=t["hn_sensitivity"],
                chart=False,
                wide=True,
                header=[
                    t["year"],
                    t["hn_method"],
                    t["hn_estimate"],
                    t["hn_interval"],
                    t["hn_model"],
                ],
                rows=[
                    [
                        int(r.year),
                        t["hn_methods"].get(r.method, r.method),
                        _estimate(r.estimate),
                        interval(r.ci_low, r.ci_high),
                        model_label(r.model, lang),
                    ]
                    for r in sens.frame.itertuples()
                ],
                note=sens.spec.note(lang),
            )
        )
    years_notes = ctx.edition.notes.get("hidden_number", {}).get("years", {})
    lists = []
    for year, n in sorted(years_notes.items()):
        names = ", ".join(category_label("reporting_org", o, lang) for o in n.get("lists", []))
        merged = ", ".join(
            category_label("reporting_org", o, lang) for o in n.get("merged_into_other", [])
        )
        lists.append(
            t["hn_lists"].format(year=year, lists=names)
            + (t["hn_merged"].format(merged=merged) if merged else "")
        )
    return ChapterContent(
        title=t["hidden"], blocks=blocks, outro_title=t["hn_lists_title"], outro=lists
    )


CHAPTER = Chapter("hidden", build, tables=("hidden_number",))
