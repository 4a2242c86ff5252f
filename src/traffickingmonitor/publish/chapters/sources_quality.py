"""Chapter: sources and quality: the legal frame, the files, fields filled, linkage diagnostics.

Completeness and the linkage's pair counts are not in the protected tables, so they are shown
coarsened: shares in whole percents over all the edition's registrations, pair counts rounded
to tens and never a count below the threshold. Registrations are the protected totals.
"""

from __future__ import annotations

from traffickingmonitor.publish import charts
from traffickingmonitor.publish.chapters._local import fmt_decimal
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import date_text, worked_out
from traffickingmonitor.publish.i18n import catalog

# Stored column -> the data-standard field a reader knows; in this order in the table.
FIELDS = (
    "nid_token",
    "name_token",
    "birth_date_token",
    "birth_year",
    "sex",
    "nationality",
    "residence_status",
    "residence_municipality",
    "exploitation_forms",
    "sector",
    "exploitation_country",
    "exploitation_municipality",
    "exploitation_start",
    "shelter_referral",
)

TEXT = catalog("sources_quality", dynamic=("kinds.*", "labels.*", "rows.*"))

# Splink's comparisons as the report names them.
_COMPARED = catalog("sources_quality", "compared", dynamic=("compared.*",))
_NEVER = catalog("sources_quality", "never", dynamic=("never.*",))


def rounded_count(n: int, threshold: int, lang: str) -> str:
    """A count that is in no protected table: rounded to tens, and below the threshold only
    said to be so."""
    if n < threshold:
        return TEXT[lang]["fewer"].format(t=threshold)
    return worked_out(round(n, -1))


def _enumerate(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {TEXT[lang]['and']} {items[-1]}"


def _registrations(ctx: ChapterContext) -> int | None:
    """All registrations of the edition: the sum of the shown yearly totals (None if hidden)."""
    totals = ctx.tables.get("totals")
    if totals is None:
        return None
    values = [totals.shown_count({"year": y}, "registrations") for y in ctx.years]
    return None if any(v is None for v in values) else sum(values)


def _sources(ctx: ChapterContext, w: dict) -> Block:
    inputs = list(ctx.edition.inputs.itertuples())
    return Block(
        id="sources-files",
        title=w["files"],
        chart=False,
        person_counts=False,
        summary=w["delivered"].format(
            edition=ctx.edition.edition_id,
            date=date_text(ctx.edition.created_at, ctx.lang),
            last=ctx.last,
        ),
        header=[w["file"], w["kind"], w["hash"]],
        rows=[
            [r.file_name, w["kinds"].get(r.kind, r.kind), f"{r.file_hash[:16]}…"] for r in inputs
        ],
    )


def _completeness(ctx: ChapterContext, w: dict, n: int | None) -> Block | None:
    shares = getattr(ctx.quality, "completeness", None)
    if not shares:
        return None
    rows = [[w["labels"][f], f"{round(100 * shares[f])}%"] for f in FIELDS if f in shares]
    missing = shares.get("exploitation_municipality")
    return Block(
        id="sources-completeness",
        title=w["completeness"],
        chart=False,
        person_counts=False,
        summary=(
            w["completeness_summary"].format(missing=round(100 * (1 - missing)))
            if missing is not None
            else ""
        ),
        header=[w["field"], w["filled"]],
        rows=rows,
        note=w["completeness_note"].format(n=f" {worked_out(n)}" if n is not None else ""),
    )


def _linkage(ctx: ChapterContext, w: dict, n: int | None) -> list[Block]:
    notes = (getattr(ctx.edition, "notes", None) or {}).get("linkage") or {}
    lang, t = ctx.lang, ctx.rule.threshold
    settings = notes.get("settings") or {}
    threshold = notes.get("threshold")
    low, high = settings.get("review_band") or (None, None)
    fmt = lambda v: fmt_decimal(v, lang, 2)  # noqa: E731
    if str(notes.get("method", "")).lower().startswith("splink"):
        text = w["splink"].format(
            compared=_enumerate(
                [_COMPARED[lang].get(c, c) for c in notes.get("comparisons", [])], lang
            ),
            never=_enumerate(
                [_NEVER[lang].get(c, c) for c in notes.get("never_compared", [])], lang
            ),
            threshold=fmt(threshold),
            low=fmt(low),
            high=fmt(high),
        )
    else:
        text = w["deterministic"]
    estimate = notes.get("estimate") or {}
    reviews = notes.get("reviews") or {}
    r = w["rows"]
    splink = str(notes.get("method", "")).lower().startswith("splink")
    rows = [[r["method"], r["splink" if splink else "deterministic"]]]
    persons = notes.get("persons")
    if n and persons is not None:
        rows.append([r["merged"], f"{round(100 * (n - persons) / n)}%"])
    if "links_kept" in estimate:
        rows.append(
            [
                r["links"].format(threshold=fmt(threshold)),
                rounded_count(int(estimate["links_kept"]), t, lang),
            ]
        )
    for key in ("precision", "recall"):
        value = estimate.get(f"expected_{key}")
        if value is not None:
            rows.append([r[key], f"{fmt_decimal(100 * value, lang, 1)}%"])
    if "uncertain_pairs" in estimate and low is not None:
        rows.append(
            [
                r["review"].format(low=fmt(low), high=fmt(high)),
                rounded_count(int(estimate["uncertain_pairs"]), t, lang),
            ]
        )
    if reviews:
        applied = int(reviews.get("matches_applied", 0)) + int(reviews.get("no_matches_applied", 0))
        rows.append([r["reviewed"], "0" if applied == 0 else rounded_count(applied, t, lang)])
    blocks = [
        Block(
            id="sources-linkage",
            title=w["linkage"],
            chart=False,
            person_counts=False,
            summary=text,
            header=[w["item"], w["value"]],
            rows=rows,
        )
    ]
    histogram = getattr(ctx.quality, "histogram", None)
    if histogram:
        bins = list(range(min(histogram), max(histogram) + 1))
        counts = [int(round(histogram.get(b, 0), -1)) for b in bins]
        total = sum(histogram.values())
        bands = _bands(histogram)
        linked = estimate.get("links_kept")
        blocks.append(
            Block(
                id="sources-weights",
                title=w["weights"],
                person_counts=False,
                summary=(
                    w["weights_summary"].format(
                        pairs=rounded_count(total, t, lang),
                        share=round(100 * linked / total),
                        threshold=fmt(threshold),
                    )
                    if linked is not None and total
                    else ""
                ),
                svg=charts.histogram_chart(bins, counts, w["weight"], w["pairs"]),
                header=[w["band"], w["pairs"].capitalize()],
                rows=[[label, rounded_count(k, t, lang)] for label, k in bands],
                note=w["weights_note"],
            )
        )
    return blocks


def _bands(histogram: dict[int, int]) -> list[tuple[str, int]]:
    """Pairs per band of five match weights (the chart has them per unit)."""
    out: dict[int, int] = {}
    for b, k in histogram.items():
        start = 5 * (b // 5)
        out[start] = out.get(start, 0) + k
    return [(f"{s} – {s + 5}", out[s]) for s in sorted(out)]


def build(ctx: ChapterContext) -> ChapterContent:
    w = TEXT[ctx.lang]
    n = _registrations(ctx)
    blocks = [_sources(ctx, w)]
    completeness = _completeness(ctx, w, n)
    if completeness is not None:
        blocks.append(completeness)
    blocks += _linkage(ctx, w, n)
    return ChapterContent(title=w["title"], intro=[w["frame"]], blocks=blocks)


CHAPTER = Chapter("sources", build)
