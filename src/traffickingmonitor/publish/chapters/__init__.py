"""The chapters of the report, in order. A chapter with nothing to show is left out."""

from traffickingmonitor.publish.chapters import hidden_number, key_figures, method, registered
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext

CHAPTERS: list[Chapter] = [
    key_figures.CHAPTER,
    registered.CHAPTER,
    hidden_number.CHAPTER,
    method.CHAPTER,
]

__all__ = ["CHAPTERS", "Block", "Chapter", "ChapterContent", "ChapterContext"]
