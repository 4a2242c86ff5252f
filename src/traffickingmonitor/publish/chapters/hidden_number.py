"""Chapter: the hidden number (multiple systems estimate) per year and victim group."""

from __future__ import annotations

from traffickingmonitor.analysis.hidden_number import PRIMARY_ORDER
from traffickingmonitor.publish import charts
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import interval, shown, worked_out
from traffickingmonitor.publish.labels import category_label, model_label


def _estimate(v) -> str:
    return "–" if v is None else shown(v)


def latest(ctx: ChapterContext):
    """The row (all groups) of the latest year with a shown estimate, or None."""
    frame = ctx.tables["hidden_number"].frame
    totals = frame[frame["victim_group"] == "all"]
    known = totals[totals["estimate"].map(lambda v: v is not None and not isinstance(v, str))]
    return None if known.empty else known.iloc[-1]


def _number(v) -> int | None:
    return None if v is None or isinstance(v, str) else int(v)


def not_registered(row) -> tuple[int, int, int] | None:
    """Estimate minus registered, with its interval, from the row's shown values (None when
    any of them is not shown); rounded to tens as the estimates are, so that the difference
    claims no more precision than the estimate has."""
    est, low, high, obs = (_number(row[c]) for c in ("estimate", "ci_low", "ci_high", "observed"))
    if None in (est, low, high, obs):
        return None
    return tuple(max(round(v - obs, -1), 0) for v in (est, low, high))


def list_changes(ctx: ChapterContext) -> list[str]:
    """The years whose lists differ from the year before, each as "year: lists", in the
    chapter's words (empty: the same lists every year)."""
    years = ctx.edition.notes.get("hidden_number", {}).get("years", {}) or {}
    out, before = [], None
    for year, n in sorted(years.items()):
        lists = tuple(sorted(n.get("lists", [])))
        if before is not None and lists != before:
            names = ", ".join(category_label("reporting_org", o, ctx.lang) for o in lists)
            out.append(f"{year}: {names}")
        before = lists
    return out


def _reconcile(ctx: ChapterContext, r) -> str:
    """The stratified sum beside the pooled models of the same year (shown values only)."""
    sens = ctx.tables.get("hidden_number_sensitivity")
    if sens is None or r is None:
        return ""
    rows = sens.frame[sens.frame["year"] == r["year"]]
    pooled = [v for v in map(_number, rows["estimate"]) if v is not None]
    total = _number(r["estimate"])
    if not pooled or total is None:
        return ""
    return ctx.t["hn_reconcile"].format(
        year=int(r["year"]), total=shown(total), low=shown(min(pooled)), high=shown(max(pooled))
    )


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, t, lang = ctx.tables, ctx.t, ctx.lang
    if "hidden_number" not in p or p["hidden_number"].frame.empty:
        return None
    table = p["hidden_number"]
    frame = table.frame
    status = t["hn_status"]
    totals = frame[frame["victim_group"] == "all"]
    rows = []
    for r in totals.itertuples():
        missing = not_registered(r._asdict())
        rows.append(
            [
                int(r.year),
                shown(r.observed),
                _estimate(r.estimate),
                interval(r.ci_low, r.ci_high),
                "–"
                if missing is None
                else f"{worked_out(missing[0])} ({interval(*missing[1:], worked=True)})",
                status.get(r.status, r.status),
            ]
        )
    summary = t["summary_none"].format(last=ctx.last)
    r = latest(ctx)
    missing = None if r is None else not_registered(r)
    if missing is not None:
        summary = t["hn_summary"].format(
            year=int(r["year"]),
            estimate=shown(r["estimate"]),
            interval=interval(r["ci_low"], r["ci_high"]),
            observed=shown(r["observed"]),
            missing=worked_out(missing[0]),
            missing_interval=interval(*missing[1:], worked=True),
        )
    changes = list_changes(ctx)
    note = table.spec.note(lang)
    if changes:
        note += " " + t["hn_lists_change"].format(changes="; ".join(changes))
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
                t["hn_missing"],
                t["hn_status_h"],
            ],
            rows=rows,
            note=note,
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
            note=t["hn_groups_note"].format(
                order=", ".join(category_label("victim_group", g, lang) for g in PRIMARY_ORDER)
            ),
        ),
    ]
    if "hidden_number_sensitivity" in p and not p["hidden_number_sensitivity"].frame.empty:
        sens = p["hidden_number_sensitivity"]
        blocks.append(
            Block(
                id="hidden-sensitivity",
                title=t["hn_sensitivity"],
                summary=_reconcile(ctx, r),
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
