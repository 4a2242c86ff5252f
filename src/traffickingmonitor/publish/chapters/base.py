"""What a report chapter is: a title, text, and blocks (figure + data table + summary).

A chapter module declares ``CHAPTER = Chapter(id, build)``; ``build`` gets the protected
tables of the edition and returns the chapter's content, or None when the edition has
nothing for it. The generic template renders every block the same way, so a new chapter
needs no HTML of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from traffickingmonitor.disclosure.api import PrimaryRule, ProtectedTable


@dataclass
class Block:
    """One numbered figure and/or table with its one-sentence summary."""

    id: str
    title: str
    summary: str = ""
    svg: str | None = None
    chart: bool = True  # False: a table-only block (no "no figure" note)
    caption: str = ""  # extra words for the figure caption
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    note: str = ""
    wide: bool = False
    # False when the table's numbers are scores, rates or numbers of municipalities rather
    # than counts of persons: they are marked so that small-count checks tell them apart.
    person_counts: bool = True


@dataclass
class ChapterContent:
    title: str
    base: str = ""  # what the chapter counts, in one line under its title (``bases.py``)
    intro: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    outro_title: str = ""
    outro: list[str] = field(default_factory=list)
    template: str | None = None  # a partial of its own, in templates/chapters/
    data: dict = field(default_factory=dict)  # for that partial


def edition_years(tables: dict) -> list[int]:
    """The years of an edition: those of its ``totals`` table (none without it)."""
    if "totals" not in tables:
        return []
    return sorted(int(y) for y in tables["totals"].frame["year"].unique())


@dataclass
class ChapterContext:
    tables: dict[str, ProtectedTable]
    edition: object
    rule: PrimaryRule
    lang: str
    t: dict  # shared words of the report (labels.TEXT[lang])
    years: list[int]
    # the chapters built before this one, with their titles (the method chapter reads them)
    built: list[tuple[Chapter, ChapterContent]] = field(default_factory=list)
    # what the store tells of the edition's quality (``publish.quality``); None: not read
    quality: object = None
    # ids of the editions in the store made before this one (oldest first); None: not known
    editions_before: tuple[str, ...] | None = None

    @property
    def last(self) -> int:
        return self.years[-1]

    @property
    def prev(self) -> int | None:
        return self.years[-2] if len(self.years) > 1 else None


@dataclass(frozen=True)
class Chapter:
    """``tables``: the tables the chapter presents, by id or by prefix (``"local"`` claims
    ``local_municipality`` and the other ``local_*``); the method chapter counts what is
    hidden per chapter by them. A chapter that only repeats figures of others claims none.

    ``cost``: about how long it takes to build, in tenths of a second on the demo edition
    (mostly its charts): ``chapter_workers`` shares a language's chapters out between two
    processes by it."""

    id: str
    build: Callable[[ChapterContext], ChapterContent | None]
    tables: tuple[str, ...] = ()
    cost: int = 1

    def claims(self, table_id: str) -> bool:
        return any(table_id == t or table_id.startswith(f"{t}_") for t in self.tables)
