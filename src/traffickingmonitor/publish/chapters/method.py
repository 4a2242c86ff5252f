"""Chapter: method, definitions, disclosure control and the sources of the edition."""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.labels import METHOD


def build(ctx: ChapterContext) -> ChapterContent:
    return ChapterContent(
        title=ctx.t["method"],
        template="method.html.j2",
        data={
            "method": METHOD[ctx.lang],
            "disclosure": ctx.rule.describe(ctx.lang),
            "inputs": list(ctx.edition.inputs.itertuples()),
        },
    )


CHAPTER = Chapter("method", build)
