"""Chapter: key figures of the latest year."""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import pct, shown
from traffickingmonitor.publish.labels import category_label


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, t, last, prev = ctx.tables, ctx.t, ctx.last, ctx.prev
    if "totals" not in p:
        return None
    totals = p["totals"]
    persons = totals.shown_count({"year": last}, "persons")
    change = None
    if prev is not None:
        before = totals.shown_count({"year": prev}, "persons")
        if persons is not None and before:
            pc = round(100 * (persons - before) / before)
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
        table = p[table_id]
        values = {c: table.shown_count({"year": last, dim: c}, "persons") for c in known}
        if any(v is None for v in values.values()):
            return t["not_shown"]
        share_pct = pct(sum(values[c] for c in numerator), sum(values.values()))
        return t["not_shown"] if share_pct is None else f"{share_pct}%"

    if "sex" in p:
        figures.append((share("sex", "sex", ["female"], ["female", "male"]), t["kf_women"], None))
    if "minor" in p:
        figures.append(
            (share("minor", "minor", ["minor"], ["minor", "adult"]), t["kf_minors"], None)
        )
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
        if mask.any():
            best = frame[mask].loc[frame[mask]["persons"].astype(int).idxmax()]
            figures.append(
                (category_label("nationality", best["nationality"], ctx.lang), t["kf_top"], None)
            )
    if "hidden_number" in p:
        hn = p["hidden_number"]
        frame = hn.frame
        row = frame[(frame["year"] == last) & (frame["victim_group"] == "all")]
        if (
            not row.empty
            and row.iloc[0]["estimate"] is not None
            and not isinstance(row.iloc[0]["estimate"], str)
        ):
            r = row.iloc[0]
            note = t["kf_hidden_interval"].format(low=shown(r["ci_low"]), high=shown(r["ci_high"]))
            figures.append((shown(r["estimate"]), t["kf_hidden"].format(year=last), note))
    return ChapterContent(
        title=f"{t['key_figures']} {last}",
        template="key_figures.html.j2",
        data={"figures": [{"value": v, "label": label, "note": n} for v, label, n in figures]},
    )


# Minors are shown here only; the other tables it reads are presented by their chapters.
CHAPTER = Chapter("key-figures", build, tables=("minor",))
