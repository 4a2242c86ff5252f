"""The chapters of the report, in order. A chapter with nothing to show is left out."""

from collections.abc import Collection, Mapping

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
#: the chapters that read the ones before them (``ctx.built``: the method chapter lists
#: every chapter's tables under its title)
READS_BUILT = frozenset({method.CHAPTER.id})


def build_chapters(
    ctx: ChapterContext,
    *,
    only: Collection[str] | None = None,
    given: Mapping[str, ChapterContent | None] | None = None,
) -> list[dict]:
    """``[{"id", "content"}]`` of every chapter with something to show, in report order; each
    chapter sees the ones built before it (``ctx.built``).

    ``only``: just these chapters (none of them may read ``ctx.built``: see :data:`READS_BUILT`);
    ``given``: chapters built elsewhere (None: nothing to show), taken instead of building them
    (``chapter_workers`` builds a language's chapters in two processes this way).
    """
    from traffickingmonitor.publish.charts import chart_language

    if only is not None and READS_BUILT & set(only):
        raise ValueError(f"{sorted(READS_BUILT & set(only))} read the chapters before them")
    given = given or {}
    out = []
    with chart_language(ctx.lang):
        for chapter in CHAPTERS:
            if only is not None and chapter.id not in only:
                continue
            content = given[chapter.id] if chapter.id in given else chapter.build(ctx)
            if content is not None:
                content.base = content.base or base_line(chapter.id, ctx)
                out.append({"id": chapter.id, "content": content})
                ctx.built.append((chapter, content))
    return out


__all__ = [
    "CHAPTERS",
    "READS_BUILT",
    "Block",
    "Chapter",
    "ChapterContent",
    "ChapterContext",
    "build_chapters",
    "edition_years",
]
