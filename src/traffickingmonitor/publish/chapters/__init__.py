"""The chapters of the report, in order. A chapter with nothing to show is left out."""

from traffickingmonitor.publish.chapters import (
    care_reach,
    crime_overlap,
    eurostat_annex,
    hidden_number,
    key_figures,
    local_figures,
    method,
    municipal_approach,
    need_effort,
    perpetrator_chain,
    programme,
    registered,
    revictimisation,
    sources_quality,
    summary,
)
from traffickingmonitor.publish.chapters.base import (
    Block,
    Chapter,
    ChapterContent,
    ChapterContext,
    edition_years,
)
from traffickingmonitor.publish.chapters.bases import base_line

CHAPTERS: list[Chapter] = [
    summary.CHAPTER,
    key_figures.CHAPTER,
    registered.CHAPTER,
    revictimisation.CHAPTER,
    crime_overlap.CHAPTER,
    care_reach.CHAPTER,
    hidden_number.CHAPTER,
    local_figures.CHAPTER,
    municipal_approach.CHAPTER,
    need_effort.CHAPTER,
    programme.CHAPTER,
    perpetrator_chain.CHAPTER,
    sources_quality.CHAPTER,
    method.CHAPTER,
    eurostat_annex.CHAPTER,
]


def build_chapters(ctx: ChapterContext) -> list[dict]:
    """``[{"id", "content"}]`` of every chapter with something to show, in report order; each
    chapter sees the ones built before it (``ctx.built``)."""
    from traffickingmonitor.publish.charts import chart_language

    out = []
    with chart_language(ctx.lang):
        for chapter in CHAPTERS:
            content = chapter.build(ctx)
            if content is not None:
                content.base = content.base or base_line(chapter.id, ctx)
                out.append({"id": chapter.id, "content": content})
                ctx.built.append((chapter, content))
    return out


__all__ = [
    "CHAPTERS",
    "Block",
    "Chapter",
    "ChapterContent",
    "ChapterContext",
    "build_chapters",
    "edition_years",
]
