"""Chapter: key figures of the latest year."""

from __future__ import annotations

from traffickingmonitor.disclosure.api import ProtectedTable
from traffickingmonitor.publish.chapters import hidden_number
from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import clearly_larger, pct, shown
from traffickingmonitor.publish.labels import category_label


def change_pct(totals: ProtectedTable, year: int, before_year: int | None) -> int | None:
    """Persons registered in ``year`` against ``before_year``, in whole percent (shown counts
    only: a hidden count gives no change)."""
    if before_year is None:
        return None
    now = totals.shown_count({"year": year}, "persons")
    before = totals.shown_count({"year": before_year}, "persons")
    if now is None or not before:
        return None
    return round(100 * (now - before) / before)


def shown_share(
    table: ProtectedTable, dim: str, year: int, numerator: list[str], known: list[str]
) -> int | None:
    """The share (whole percent) of ``numerator`` among the ``known`` categories in ``year``,
    or None when one of their counts is hidden."""
    values = {c: table.shown_count({"year": year, dim: c}, "persons") for c in known}
    if any(v is None for v in values.values()):
        return None
    return pct(sum(values[c] for c in numerator), sum(values.values()))


# the shares of the key figures: table, dimension, numerator, the known categories
WOMEN = ("sex", "sex", ["female"], ["female", "male"])
MINORS = ("minor", "minor", ["minor"], ["minor", "adult"])


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, t, last, prev = ctx.tables, ctx.t, ctx.last, ctx.prev
    if "totals" not in p:
        return None
    totals = p["totals"]
    persons = totals.shown_count({"year": last}, "persons")
    change = None
    pc = change_pct(totals, last, prev)
    if pc is not None:
        change = t["kf_change"].format(sign="+" if pc >= 0 else "−", pct=abs(pc), prev=prev)
    figures = [
        (shown(totals.value({"year": last}, "persons")), t["kf_persons"].format(year=last), change),
        (
            shown(totals.value({"year": last}, "registrations")),
            t["kf_registrations"].format(year=last),
            None,
        ),
    ]

    def share(table_id: str, dim: str, numerator: list[str], known: list[str]) -> str:
        share_pct = shown_share(p[table_id], dim, last, numerator, known)
        return t["not_shown"] if share_pct is None else f"{share_pct}%"

    if "sex" in p:
        figures.append((share(*WOMEN), t["kf_women"], None))
    if "minor" in p:
        figures.append((share(*MINORS), t["kf_minors"], None))
    if "org_overlap" in p:
        single = p["org_overlap"].shown_count({"year": last, "n_orgs": "1"}, "persons")
        multi = (
            pct(persons - single, persons) if persons is not None and single is not None else None
        )
        figures.append((t["not_shown"] if multi is None else f"{multi}%", t["kf_multi"], None))
    if "top_nationalities" in p:
        nat = p["top_nationalities"]
        frame = nat.frame
        mask = (
            (frame["year"] == last)
            & ~nat.suppressed["persons"]
            & ~frame["nationality"].isin(["other", "unknown"])
        )
        counts = frame[mask]["persons"].astype(int).sort_values(ascending=False)
        # the most frequent only when clearly above the next (as the chapters name a largest)
        clear = len(counts) == 1 or (
            len(counts) > 1
            and persons is not None
            and clearly_larger(counts.iloc[0], counts.iloc[1], persons)
        )
        if mask.any() and clear:
            best = frame.loc[counts.index[0]]
            figures.append(
                (category_label("nationality", best["nationality"], ctx.lang), t["kf_top"], None)
            )
    # the hidden number's latest year with an estimate, as its chapter and the summary read it
    r = hidden_number.latest(ctx) if "hidden_number" in p else None
    if r is not None:
        note = t["kf_hidden_interval"].format(low=shown(r["ci_low"]), high=shown(r["ci_high"]))
        figures.append((shown(r["estimate"]), t["kf_hidden"].format(year=int(r["year"])), note))
    return ChapterContent(
        title=f"{t['key_figures']} {last}",
        template="key_figures.html.j2",
        data={"figures": [{"value": v, "label": label, "note": n} for v, label, n in figures]},
    )


# Minors are shown here only; the other tables it reads are presented by their chapters.
CHAPTER = Chapter("key-figures", build, tables=("minor",), cost=0)
