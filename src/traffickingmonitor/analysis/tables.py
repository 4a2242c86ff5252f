"""``MonitorTable``: an analysis result before disclosure control (never published as is).

Its title and note come from the catalogs (context ``tables``) through :func:`table_words`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from traffickingmonitor.publish.i18n import LANGS
from traffickingmonitor.publish.table_words import TEXT

#: Keys of ``MonitorTable.extra`` that tell every reader something about the cells, written
#: into the open data's metadata so that disclosure control and its attacker know it too:
#: ``registrations_per_person`` (dimension -> category -> fewest registrations a person of the
#: row has), ``union_rows`` (dimension -> the category that counts everyone of the other rows
#: once, "any offence"), ``same_cells`` (cells that repeat another table's: one number, one
#: cell; see ``disclosure.model``), ``adds_to`` (rows that together count another table's
#: cell: the areas of a year are the year's persons) and ``follow_up`` (a curve over time: the
#: ``time`` dimension, the ``at_risk`` column of those still followed, and the ``exits``
#: columns that count, from the time on, those who left by an event; anyone may also leave
#: unseen, censored) and ``follow_windows`` (an outcome within windows of time: the ``time``
#: dimension, the ``followed`` column of those followed at least that long, and the
#: ``within`` column of those among them with the outcome by then: care within 90 days) and
#: ``pooled_years`` (the number of years pooled: each year of a unit counts once in every
#: count column, a sum of yearly figures) and ``long_form`` (rows that name the dimension
#: they break down by in one column, ``dimension``, and its value in another, ``value``: a
#: Cox table's level "minor" of covariate "minor" counts the group "minor" of a table
#: with the dimension ``minor``).
KNOWLEDGE = (
    "registrations_per_person",
    "union_rows",
    "same_cells",
    "adds_to",
    "follow_up",
    "follow_windows",
    "pooled_years",
    "long_form",
)


@dataclass(frozen=True)
class MonitorTable:
    """A tidy table of counts: dimension columns, then count columns.

    ``counts`` name the columns that are frequencies of persons or registrations (these are
    what disclosure control protects); ``estimates`` name model results such as the hidden
    number (rounded on publication, and hidden where the row's count is); ``overlapping`` marks tables where one person can be
    counted in several rows (forms, reporting organisations), so rows do not add to a total.

    The remaining fields tell disclosure control how tables of one edition hang together, so
    that a cell hidden in one table cannot be subtracted back from another (all optional; left
    empty, ``disclosure`` infers them and knows the tables of the descriptive chapter):

    ``margin_of``
        id of the table whose rows are this table's margins: the rows of this table that agree
        on the margin table's dimensions add up to (or, for ``overlapping`` tables, each are at
        most) the margin row, e.g. ``"totals"`` for persons per year and sex. ``None``: infer
        (``"totals"`` when it exists and the table has a ``year``); ``""``: a table of its own.
    ``margin_columns``
        own count column -> the margin table's column where the names differ
        (``{"observed": "persons"}``).
    ``total_categories``
        dimension -> the category that is the sum of the others in this table (``"all"``), or
        ``"*"`` when every row repeats the margin (one row per model of the same population).
    ``additive_counts``
        count columns of an ``overlapping`` table whose rows do add up (each registration has
        one reporting organisation, though a person may have several).
    """

    table_id: str
    title_nl: str
    title_en: str
    frame: pd.DataFrame
    dimensions: tuple[str, ...]
    counts: tuple[str, ...]
    estimates: tuple[str, ...] = ()  # model results (not counts): rounded when published
    unit: str = "persons"
    overlapping: bool = False
    note_nl: str = ""
    note_en: str = ""
    extra: dict = field(default_factory=dict)
    margin_of: str | None = None
    margin_columns: dict = field(default_factory=dict)
    total_categories: dict = field(default_factory=dict)
    additive_counts: tuple[str, ...] = ()
    # the units behind each count cell (``analysis.members``); kept in memory only: they are
    # made again from the stored edition when disclosure control needs them
    members: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def title(self, lang: str) -> str:
        return self.title_nl if lang == "nl" else self.title_en

    def note(self, lang: str) -> str:
        return self.note_nl if lang == "nl" else self.note_en

    def meta(self) -> dict:
        return {
            "table_id": self.table_id,
            "title_nl": self.title_nl,
            "title_en": self.title_en,
            "dimensions": list(self.dimensions),
            "counts": list(self.counts),
            "estimates": list(self.estimates),
            "unit": self.unit,
            "overlapping": self.overlapping,
            "note_nl": self.note_nl,
            "note_en": self.note_en,
            "extra": self.extra,
            "margin_of": self.margin_of,
            "margin_columns": self.margin_columns,
            "total_categories": self.total_categories,
            "additive_counts": list(self.additive_counts),
        }

    def to_json(self) -> tuple[str, str]:
        return json.dumps(self.meta()), self.frame.to_json(orient="split", index=False)

    @classmethod
    def from_json(cls, meta: str, data: str) -> MonitorTable:
        from io import StringIO

        m = json.loads(meta)
        frame = pd.read_json(StringIO(data), orient="split", dtype=False)
        return cls(
            table_id=m["table_id"],
            title_nl=m["title_nl"],
            title_en=m["title_en"],
            frame=frame,
            dimensions=tuple(m["dimensions"]),
            counts=tuple(m["counts"]),
            estimates=tuple(m.get("estimates", ())),
            unit=m["unit"],
            overlapping=m["overlapping"],
            note_nl=m["note_nl"],
            note_en=m["note_en"],
            extra=m.get("extra", {}),
            margin_of=m.get("margin_of"),
            margin_columns=m.get("margin_columns", {}),
            total_categories=m.get("total_categories", {}),
            additive_counts=tuple(m.get("additive_counts", ())),
        )


def row_positions(frame: pd.DataFrame, keys: tuple, *, as_text: bool = False) -> dict:
    """The positions of ``frame``'s rows by their values of the columns ``keys`` (or those
    values as text), in order: what a table asked for row after row looks its rows up in
    (every row under the empty key when there are no keys)."""
    index: dict[tuple, list[int]] = {(): list(range(len(frame)))} if not keys else {}
    columns = (frame[k].astype(str) if as_text else frame[k] for k in keys)
    for pos, values in enumerate(zip(*columns, strict=True)):
        index.setdefault(values, []).append(pos)
    return index


def _field_values(lang: str, fields: dict) -> dict:
    return {k: v[lang] if isinstance(v, dict) else v for k, v in fields.items()}


def words(key: str, /, **fields) -> dict[str, str]:
    """One text of the context ``tables`` in both languages (``{"nl": ..., "en": ...}``), its
    fields filled; a field's value is the same in both languages, or such a pair."""
    return {lang: TEXT[lang][key].format(**_field_values(lang, fields)) for lang in LANGS}


def breakdown(dimension: str | None) -> dict[str, str] | str:
    """A title's breakdown (its ``{by}``): ", naar leeftijdsgroep", ", by age group" for the
    name ``by.<dimension>``; nothing for ``None`` (the table of all)."""
    if dimension is None:
        return ""
    return words("breakdown", by=words(f"by.{dimension}"))


def table_words(
    key: str, /, *, note: str | None = None, also: Iterable[dict] = (), **fields
) -> dict[str, str]:
    """A table's ``title_nl``, ``title_en``, ``note_nl`` and ``note_en`` from the catalogs,
    for ``MonitorTable(table_id, ..., **table_words(key, ...))``.

    The title is ``<key>.title``; the note is ``note`` (a key: a note the table shares) or
    else ``<key>.note``, empty when the catalog has none, followed by the texts of ``also``
    (pairs from :func:`words`). ``fields`` fill both, as in :func:`words`."""
    also = list(also)
    out = {}
    for lang in LANGS:
        w, values = TEXT[lang], _field_values(lang, fields)
        own = w[note] if note else w.get(f"{key}.note")
        parts = [own.format(**values)] if own else []
        out[f"title_{lang}"] = w[f"{key}.title"].format(**values)
        out[f"note_{lang}"] = " ".join([*parts, *(a[lang] for a in also)])
    return out
