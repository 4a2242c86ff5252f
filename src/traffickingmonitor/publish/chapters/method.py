"""Chapter: method, definitions, disclosure control and the sources of the edition."""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import worked_out
from traffickingmonitor.publish.i18n import catalog

_WORDS = catalog("method")
METHOD = _WORDS


def _by_chapter(ctx: ChapterContext) -> list[tuple[str, list]]:
    """The protected tables grouped by the chapter that presents them, in report order;
    tables no chapter presents are in the open data only."""
    groups = [(content.title, []) for _, content in ctx.built]
    rest: list = []
    for tid, table in ctx.tables.items():
        owner = next((i for i, (chapter, _) in enumerate(ctx.built) if chapter.claims(tid)), None)
        (rest if owner is None else groups[owner][1]).append(table)
    if rest:
        groups.append((_WORDS[ctx.lang]["csv_only"], rest))
    return [(title, tables) for title, tables in groups if tables]


def _disclosure(ctx: ChapterContext) -> dict:
    w, rule = _WORDS[ctx.lang], ctx.rule
    method = getattr(rule, "method", "suppression")
    rows, cells, primary, secondary, withheld = [], 0, 0, 0, 0
    for title, tables in _by_chapter(ctx):
        n = sum(t.n_cells() for t in tables)
        p = sum(t.n_hidden("primary") for t in tables)
        s = sum(t.n_hidden("secondary") for t in tables)
        hid = sum(t.n_hidden() for t in tables)
        cells, primary, secondary, withheld = (
            cells + n,
            primary + p,
            secondary + s,
            withheld + hid - p - s,
        )
        if method == "dp":
            margins = [
                float(t.accuracy.max().max())
                for t in tables
                if t.accuracy is not None and t.accuracy.notna().any().any()
            ]
            rows.append(
                [title, worked_out(n), round(max(margins)) if margins else "–", worked_out(hid)]
            )
        elif method == "suppression":
            rows.append([title, *map(worked_out, (n, p, s)), _share(p + s, n, ctx.lang)])
    if method == "dp":
        header = [w["chapter"], w["cells"], w["accuracy"], w["withheld"]]
        summary = w["summary_dp"].format(
            noisy=worked_out(cells - withheld), withheld=worked_out(withheld)
        )
    elif method == "rounding":
        header, rows = [], []
        summary = w["summary_rounding"].format(cells=worked_out(cells), base=rule.rounding_base)
    else:
        header = [w["chapter"], w["cells"], w["primary"], w["secondary"], w["share"]]
        rows.append(
            [
                w["total"],
                *map(worked_out, (cells, primary, secondary)),
                _share(primary + secondary, cells, ctx.lang),
            ]
        )
        summary = w["summary"].format(
            cells=worked_out(cells),
            primary=worked_out(primary),
            secondary=worked_out(secondary),
            threshold=rule.threshold,
        )
    return {"text": rule.describe(ctx.lang), "summary": summary, "header": header, "rows": rows}


def _share(part: int, whole: int, lang: str) -> str:
    if not whole:
        return "–"
    s = f"{100 * part / whole:.1f}%"
    return s.replace(".", ",") if lang == "nl" else s


def build(ctx: ChapterContext) -> ChapterContent:
    return ChapterContent(
        title=ctx.t["method"],
        template="method.html.j2",
        data={
            "method": {"definitions": METHOD[ctx.lang].paragraphs("definitions")},
            "disclosure": _disclosure(ctx),
        },
    )


CHAPTER = Chapter("method", build)
