"""Chapter: the executive summary (about two pages): key findings, trend, editions, caveats.

Every sentence is made from shown values of the protected tables, through the same functions
the chapters use for the same figure (one figure, one definition): a hidden count leaves the
finding out, never a number. A ranking ("the largest group") is said only when the largest
group is clearly above the next one (``clearly_larger``); otherwise the sentence says the
groups do not differ clearly. Counts of another edition are never shown here (comparing
editions is a disclosure matter of its own): the summary only names an earlier edition.
"""

from __future__ import annotations

from traffickingmonitor.disclosure.api import ProtectedTable
from traffickingmonitor.publish.chapters import (
    care_reach,
    crime_overlap,
    hidden_number,
    key_figures,
    revictimisation,
)
from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.chapters.cohort_common import percent
from traffickingmonitor.publish.format import clearly_larger, pct, shown, worked_out
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import category_label

RESIDUAL = ("unknown", "other", "other_unknown")

TEXT = catalog("summary", dynamic=("findings", "trend", "caveats"))


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _registered(ctx: ChapterContext, w: dict) -> str | None:
    totals = ctx.tables.get("totals")
    if totals is None:
        return None
    last, prev = ctx.last, ctx.prev
    n = totals.shown_count({"year": last}, "persons")
    if n is None:
        return None
    parts = []
    change = key_figures.change_pct(totals, last, prev)
    if change is not None:
        n_prev = shown(totals.shown_count({"year": prev}, "persons"))
        if change == 0:
            parts.append(w["vs_prev_same"].format(prev=prev))
        else:
            word = w["more" if change > 0 else "fewer"].format(pct=abs(change))
            parts.append(w["vs_prev"].format(change=word, prev=prev, n_prev=n_prev))
    earlier = ctx.years[:-1]
    if len(earlier) >= 2:
        counts = [totals.shown_count({"year": y}, "persons") for y in earlier]
        if all(c is not None for c in counts):
            mean = round(sum(counts) / len(counts))
            if mean:
                change = round(100 * (n - mean) / mean)
                fmt = {"first": earlier[0], "until": earlier[-1], "mean": worked_out(mean)}
                if change == 0:
                    parts.append(w["vs_mean_same"].format(**fmt))
                else:
                    word = w["more" if change > 0 else "fewer"].format(pct=abs(change))
                    parts.append(w["vs_mean"].format(change=word, **fmt))
    text = w["registered"].format(last=last, n=shown(n))
    return text + (", " + w["and"].join(parts) if parts else "") + "."


def _who(ctx: ChapterContext, w: dict) -> str | None:
    p, last = ctx.tables, ctx.last

    def share(spec) -> int | None:
        table_id, dim, numerator, known = spec
        if table_id not in p:
            return None
        return key_figures.shown_share(p[table_id], dim, last, numerator, known)

    women, minors = share(key_figures.WOMEN), share(key_figures.MINORS)
    if women is not None and minors is not None:
        return w["women_minors"].format(last=last, women=women, minors=minors)
    if women is not None:
        return w["women"].format(last=last, women=women)
    if minors is not None:
        return w["minors"].format(last=last, minors=minors)
    return None


def _largest(ctx: ChapterContext, w: dict) -> str | None:
    """The largest victim group, or that the two largest do not differ clearly."""
    table: ProtectedTable | None = ctx.tables.get("victim_group")
    totals = ctx.tables.get("totals")
    if table is None or totals is None:
        return None
    last = ctx.last
    total = totals.shown_count({"year": last}, "persons")
    frame = table.frame
    groups = [
        g
        for g in dict.fromkeys(frame.loc[frame["year"] == last, "victim_groups"])
        if g not in RESIDUAL
    ]
    counts = {g: table.shown_count({"year": last, "victim_groups": g}, "persons") for g in groups}
    # a hidden group could be any size: no ranking at all
    if not total or len(counts) < 2 or any(v is None for v in counts.values()):
        return None
    (g1, n1), (g2, n2) = sorted(counts.items(), key=lambda kv: -kv[1])[:2]
    words = {
        "last": last,
        "g1": _lower(category_label("victim_groups", g1, ctx.lang)),
        "n1": shown(n1),
        "s1": pct(n1, total),
        "g2": _lower(category_label("victim_groups", g2, ctx.lang)),
        "n2": shown(n2),
        "s2": pct(n2, total),
    }
    return w["largest" if clearly_larger(n1, n2, total) else "no_largest"].format(**words)


def _revictimisation(ctx: ChapterContext, w: dict) -> str | None:
    if "revictimisation" not in ctx.tables:
        return None
    head = revictimisation.headline(ctx)
    if head is None or isinstance(head.persons, str):
        return None
    lang = ctx.lang
    return w["revictimisation"].format(
        persons=shown(head.persons),
        years=head.years,
        p=percent(head.cif, lang, 1),
        low=percent(head.low, lang, 1),
        high=percent(head.high, lang, 1),
    )


def _suspects(ctx: ChapterContext, w: dict) -> str | None:
    head = crime_overlap.headline(ctx)
    if head is None or isinstance(head.persons, str):
        return None
    return w["suspects"].format(
        persons=shown(head.persons),
        window=head.window,
        any=percent(head.any, ctx.lang),
        drugs=percent(head.drugs, ctx.lang),
    )


def _care(ctx: ChapterContext, w: dict) -> str | None:
    head = care_reach.headline(ctx)
    if head is None or head.median_days == "–":
        return None
    longest = w["year"] if head.longest == 365 else w["days"].format(d=head.longest)
    return w["care"].format(
        within=percent(head.within, ctx.lang),
        days=head.days,
        within_longest=percent(head.within_longest, ctx.lang),
        longest=longest,
        median=head.median_days,
    )


def _hidden(ctx: ChapterContext, w: dict) -> str | None:
    if "hidden_number" not in ctx.tables or ctx.tables["hidden_number"].frame.empty:
        return None
    r = hidden_number.latest(ctx)
    missing = None if r is None else hidden_number.not_registered(r)
    if missing is None:
        return None
    return w["hidden"].format(
        year=int(r["year"]),
        estimate=shown(r["estimate"]),
        low=shown(r["ci_low"]),
        high=shown(r["ci_high"]),
        observed=shown(r["observed"]),
        missing=worked_out(missing[0]),
        m_low=worked_out(missing[1]),
        m_high=worked_out(missing[2]),
    )


def _lists_differ(ctx: ChapterContext, w: dict) -> str | None:
    if not hidden_number.list_changes(ctx):
        return None
    return w["hidden_lists"].format(chapter=ctx.t["hidden"])


def _edition(ctx: ChapterContext, w: dict) -> str | None:
    before = ctx.editions_before
    if before is None:  # not known here (the dashboard): say nothing rather than guess
        return None
    if not before:
        return w["first_edition"]
    return w["earlier_edition"].format(previous=before[-1])


def _disclosure(ctx: ChapterContext, w: dict) -> str:
    rule = ctx.rule
    if getattr(rule, "method", "suppression") != "suppression":
        return rule.describe(ctx.lang)
    hidden = sum(t.n_hidden() for t in ctx.tables.values())
    cells = sum(t.n_cells() for t in ctx.tables.values())
    if not hidden or not cells:
        return w["caveat_disclosure_none"]
    return w["caveat_disclosure"].format(
        threshold=rule.threshold,
        hidden=worked_out(hidden),
        cells=worked_out(cells),
        share=pct(hidden, cells),
    )


def sentences(ctx: ChapterContext) -> dict[str, list[tuple[str, str]]]:
    """The summary's sentences per section, each as ``(kind, text)``; a finding whose figures
    are not shown is left out."""
    w = TEXT[ctx.lang]
    hidden = _hidden(ctx, w)
    findings = [
        ("who", _who(ctx, w)),
        ("largest", _largest(ctx, w)),
        ("revictimisation", _revictimisation(ctx, w)),
        ("suspects", _suspects(ctx, w)),
        ("care", _care(ctx, w)),
        ("hidden", hidden),
    ]
    trend = [
        ("registered", _registered(ctx, w)),
        ("edition", _edition(ctx, w)),
    ]
    caveats = [
        ("caveat_registrations", w["caveat_registrations"]),
        # the model's caveats go with a shown estimate
        ("caveat_model", w["caveat_model"] if hidden else None),
        ("hidden_lists", _lists_differ(ctx, w) if hidden else None),
        ("disclosure", _disclosure(ctx, w)),
    ]

    def keep(items):
        return [(k, s) for k, s in items if s]

    # the registered count leads the findings too: it is the headline of the edition
    registered = keep(trend[:1])
    return {
        "findings": registered + keep(findings),
        "trend": keep(trend[1:]),
        "caveats": keep(caveats),
    }


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "totals" not in ctx.tables:
        return None
    w = TEXT[ctx.lang]
    parts = sentences(ctx)
    sections = [
        {"title": w[key], "items": [text for _, text in parts[key]], "list": key != "trend"}
        for key in ("findings", "trend", "caveats")
        if parts[key]
    ]
    return ChapterContent(
        title=w["title"],
        intro=[w["lead"].format(first=ctx.years[0], last=ctx.last)],
        template="summary.html.j2",
        data={"sections": sections, "sentences": parts},
    )


CHAPTER = Chapter("summary", build)
