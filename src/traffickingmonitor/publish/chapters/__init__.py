"""The chapters of the report, in order. A chapter with nothing to show is left out."""

from traffickingmonitor.publish.chapters import (
    care_reach,
    crime_overlap,
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
    summary,
)
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext

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
    method.CHAPTER,
]

__all__ = ["CHAPTERS", "Block", "Chapter", "ChapterContent", "ChapterContext"]
