"""The base of each chapter, in one line under its title: what is counted, where, when.

Kept together, so that an editor sees every chapter's base at once and the chapters that
share one (persons by year of registration) say it the same way.
"""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import ChapterContext
from traffickingmonitor.publish.format import date_text
from traffickingmonitor.publish.i18n import catalog

BASES = catalog("bases", dynamic=("*",))


def base_line(chapter_id: str, ctx: ChapterContext) -> str:
    """The chapter's base in the report's language ("" for a chapter without one)."""
    text = BASES[ctx.lang].get(chapter_id)
    if text is None:
        return ""
    notes = getattr(ctx.edition, "notes", None) or {}
    cutoff = date_text((notes.get("revictimisation") or {}).get("cutoff") or "–", ctx.lang)
    window = (notes.get("crime_overlap") or {}).get("window_years", 5)
    return text.format(y0=ctx.years[0], y1=ctx.last, cutoff=cutoff, window=window)
