"""Typed validation errors, Frictionless style: small checks yield them, a report collects them."""

from __future__ import annotations

from dataclasses import dataclass

from traffickingmonitor.errors import UserError

SHOWN_ERRORS = 20


@dataclass(frozen=True)
class CellError:
    """One broken rule in one cell (row is the line in the file; the header is line 1)."""

    row: int
    column: str
    value: str | None
    rule: str

    def describe(self) -> str:
        shown = "" if self.value is None else f" value {self.value!r}:"
        return f"row {self.row}, column {self.column!r}:{shown} {self.rule}"


@dataclass(frozen=True)
class RowError:
    """A row the parser cannot split into the header's columns (row 1 is the header).

    Never carries the row's text: a misaligned row puts names and ids anywhere.
    """

    row: int
    rule: str
    column: str | None = None
    unit: str = "row"  # "line" where only the physical line is known (an encoding error)

    def describe(self) -> str:
        where = f"{self.unit} {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.rule}"


@dataclass(frozen=True)
class FileError:
    """A problem with the whole file (encoding, emptiness, missing columns)."""

    rule: str

    def describe(self) -> str:
        return self.rule


class InvalidFile(UserError):
    """A file that breaks the data standard. Nothing of it has been loaded."""

    def __init__(self, file_name: str, errors: list, total: int | None = None):
        self.file_name = file_name
        self.errors = errors
        self.total = len(errors) if total is None else total
        first = errors[0].describe() if errors else "invalid"
        more = f" (and {self.total - 1} more error(s))" if self.total > 1 else ""
        super().__init__(f"{file_name}: {first}{more}; nothing of this file was loaded")

    def details(self) -> list[str]:
        """The first ``SHOWN_ERRORS`` errors, one line each, and the count of the rest."""
        lines = [f"{self.file_name}: {e.describe()}" for e in self.errors[:SHOWN_ERRORS]]
        if self.total > SHOWN_ERRORS:
            lines.append(f"... {self.total - SHOWN_ERRORS} more error(s) in {self.file_name}")
        return lines
