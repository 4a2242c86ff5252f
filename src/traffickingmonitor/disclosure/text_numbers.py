"""The numbers in the chapters' words, read against the shown and the hidden counts.

A chapter's sentences (its introduction, block summaries, captions, notes, key figures and
the summary's sections) are built from shown cells and their arithmetic: sums over years,
shares, estimates. A sentence written from an unprotected number would show a hidden count
as it is. This reader takes every whole number in those words and sorts it:

* a year (four digits from 1900 to 2100, written without a thousands separator, as the
  chapters write years and never counts of a thousand or more);
* a count some published table shows;
* a number below the threshold: not judged, since "5 years", "month 6" and a small count
  look alike;
* any other number (estimates, rates per 100,000, numbers of municipalities, sums of shown
  cells). Such a number must not be the true count of a hidden cell: if it is, the check
  fails and names the cell.

Arithmetic on several hidden cells in a sentence is not attacked: the check says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: a whole number: digits with thousands separators (comma, point, narrow or plain no-break
#: space), not part of a decimal number ("3.9", "7,1")
_NUMBER = re.compile(
    r"(?<![\d.,\u202f\u00a0])(\d{1,3}(?:[,.\u202f\u00a0]\d{3})+|\d+)(?![\d]|[.,\u202f\u00a0]\d)"
)
_YEARS = range(1900, 2101)


@dataclass
class TextReading:
    """How the whole numbers of a text sort, and any that is a hidden count."""

    years: int = 0
    shown: int = 0
    small: int = 0
    other: int = 0
    hidden: list[str] = field(default_factory=list)

    def line(self, threshold: int) -> str:
        found = (
            f"{len(self.hidden)} a hidden count: {'; '.join(self.hidden[:3])}"
            if self.hidden
            else "none a hidden count"
        )
        return (
            f"their words: {self.shown} numbers shown in a table, {self.years} years, "
            f"{self.other} other numbers ({found}), {self.small} below {threshold} not judged; "
            "arithmetic on hidden cells not attacked"
        )


def whole_numbers(text: str) -> Iterator[tuple[int, bool]]:
    """Each whole number of ``text``, and whether it was written with a thousands separator."""
    for m in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        yield int(digits), len(digits) != len(m.group(1))


def words_of(content) -> Iterator[str]:
    """Every piece of text of a chapter (``publish.chapters.ChapterContent``) outside its
    tables' cells: title, base, introduction, blocks' titles, summaries, captions and
    notes, the closing words, and the strings and whole numbers of its template data."""
    yield from (content.title, content.base, content.outro_title, *content.intro, *content.outro)
    for block in content.blocks:
        yield from (block.title, block.summary, block.caption, block.note)
    yield from _strings(content.data)


def _strings(obj) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, bool) or obj is None or isinstance(obj, float):
        return
    elif isinstance(obj, int):
        yield str(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _strings(v)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _strings(getattr(obj, f.name))


def read_numbers(
    texts: Iterable[str], shown: set[int], hidden: dict[int, str], threshold: int
) -> TextReading:
    """Sort the whole numbers of ``texts``. ``shown``: every count a published table shows;
    ``hidden``: the true count of each hidden cell -> that cell, named."""
    out = TextReading()
    for text in texts:
        for n, separated in whole_numbers(text or ""):
            if n in _YEARS and not separated:
                out.years += 1
            elif n in shown:
                out.shown += 1
            elif n < threshold:
                out.small += 1
            else:
                out.other += 1
                if n in hidden:
                    out.hidden.append(f"{n} ({hidden[n]})")
    return out
