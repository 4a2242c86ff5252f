"""Chapter: registered possible victims per year and their characteristics."""

from __future__ import annotations

from dataclasses import dataclass

from traffickingmonitor.disclosure.api import ProtectedTable
from traffickingmonitor.publish import charts
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import clearly_larger, labels_for, shown, wide


@dataclass(frozen=True)
class Section:
    table_id: str
    dimension: str | None
    chart: str  # "totals" | "trend" | "bar"
    measure: str = "persons"


SECTIONS = (
    Section("totals", None, "totals"),
    Section("victim_group", "victim_groups", "trend"),
    Section("exploitation_form", "forms", "trend"),
    Section("sex", "sex", "trend"),
    Section("age_group", "age_group", "trend"),
    Section("nationality_group", "nationality_group", "trend"),
    Section("top_nationalities", "nationality", "bar"),
    Section("residence_status", "residence_status", "bar"),
    Section("reporting_org", "reporting_org", "trend"),
    Section("org_overlap", "n_orgs", "trend"),
    Section("police_unit", "police_unit", "bar"),
    Section("province", "province", "bar"),
)


def _summary(table: ProtectedTable, section: Section, labels: dict, ctx: ChapterContext) -> str:
    t, last, prev = ctx.t, ctx.last, ctx.prev
    if section.chart == "totals":
        now = table.shown_count({"year": last}, "persons")
        before = table.shown_count({"year": prev}, "persons") if prev is not None else None
        if now is None:
            return t["summary_none"].format(last=last)
        if before:
            change = round(100 * (now - before) / before)
            word = t["more"] if change >= 0 else t["fewer"]
            return t["summary_trend"].format(
                last=last,
                value=shown(now),
                what=t["persons"],
                change=f"{abs(change)}% {word}",
                prev=prev,
            )
        return t["summary_trend_nochange"].format(last=last, value=shown(now), what=t["persons"])
    frame = table.frame
    mask = (frame["year"] == last) & ~table.suppressed[section.measure]
    mask &= ~frame[section.dimension].isin(["unknown", "other"])
    candidates = frame[mask]
    if candidates.empty or candidates[section.measure].astype(int).max() == 0:
        return t["summary_none"].format(last=last)
    ranked = candidates.assign(n=candidates[section.measure].astype(int)).nlargest(2, "n")
    first = ranked.iloc[0]
    total = (
        ctx.tables["totals"].shown_count({"year": last}, "persons")
        if "totals" in ctx.tables
        else None
    )
    if len(ranked) == 1 or (total and clearly_larger(int(first.n), int(ranked.iloc[1].n), total)):
        return t["summary_largest"].format(
            last=last, label=labels[first[section.dimension]], value=shown(first.n)
        )
    second = ranked.iloc[1]
    return t["summary_close"].format(
        last=last,
        l1=labels[first[section.dimension]],
        v1=shown(first.n),
        l2=labels[second[section.dimension]],
        v2=shown(second.n),
    )


def build(ctx: ChapterContext) -> ChapterContent | None:
    t = ctx.t
    blocks = []
    for s in SECTIONS:
        if s.table_id not in ctx.tables:
            continue
        table = ctx.tables[s.table_id]
        if s.chart == "totals":
            svg = charts.totals_chart(
                table, {"registrations": t["Registrations"], "persons": t["Persons"]}
            )
            header = [t["year"], t["Registrations"], t["Persons"]]
            rows = [
                [int(r.year), shown(r.registrations), shown(r.persons)]
                for r in table.frame.itertuples()
            ]
            labels, unit = {}, ""
        else:
            labels = labels_for(table, s.dimension, ctx.lang)
            if s.chart == "trend":
                svg = charts.trend_chart(table, s.dimension, labels, s.measure, t["Persons"])
            else:
                svg = charts.bar_chart(
                    table, s.dimension, ctx.last, labels, s.measure, f"{t['Persons']} {ctx.last}"
                )
            years, rows = wide(table, s.dimension, labels, s.measure)
            header = [t["category"], *years]
            unit = t["Persons"].lower()
        title = table.title(ctx.lang)
        blocks.append(
            Block(
                id=s.table_id,
                title=title,
                summary=_summary(table, s, labels, ctx),
                svg=svg,
                caption=f"({unit})" if unit else "",
                header=header,
                rows=rows,
                note=table.spec.note(ctx.lang),
            )
        )
    if not blocks:
        return None
    return ChapterContent(title=t["registered"], blocks=blocks)


CHAPTER = Chapter("registered", build, tables=tuple(s.table_id for s in SECTIONS), cost=9)
