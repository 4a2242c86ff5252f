"""The members of an edition's stored tables, made again from its microdata.

Disclosure control asks, for every published table, which units each count cell is made of
(:mod:`traffickingmonitor.analysis.members`). The members come from the same person-years,
registrations and places the table was counted from, matched to the stored table's rows; they
are accepted only where they make every count of the table (:func:`members.mismatches`), so a
table whose definition drifted from its members is reported, never modelled wrongly.

A table no function here knows yet is listed with the reason, so that a check can say "not
attacked" instead of "ok".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from traffickingmonitor.analysis import members as m
from traffickingmonitor.analysis.descriptive import TABLE_IDS, registrations_of, with_all_members
from traffickingmonitor.analysis.hidden_number import primary_group
from traffickingmonitor.analysis.local_figures import person_places
from traffickingmonitor.analysis.local_figures import with_members as local_with_members
from traffickingmonitor.analysis.persons import person_years
from traffickingmonitor.analysis.tables import MonitorTable


@dataclass
class Microdata:
    """The edition's unit-level records, read once."""

    person_years: pd.DataFrame
    registrations: pd.DataFrame
    places: pd.DataFrame
    con: duckdb.DuckDBPyConnection | None = None
    edition_id: str = ""
    config: dict = field(default_factory=dict)
    _rebuilt: dict | None = None

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, edition_id: str, config=None) -> Microdata:
        return cls(
            person_years(con, edition_id),
            registrations_of(con, edition_id),
            person_places(con, edition_id),
            con,
            edition_id,
            config or {},
        )

    def rebuilt(self) -> dict[str, MonitorTable]:
        """The cohort chapters' tables counted again, with their members (once)."""
        if self._rebuilt is None:
            from traffickingmonitor.analysis import cohort_steps
            from traffickingmonitor.analysis.steps import StepInput

            inputs = StepInput(
                self.con, self.edition_id, self.person_years, self.config, members=True
            )
            tables = [
                *cohort_steps.run_revictimisation(inputs).tables,
                *cohort_steps.run_crime_overlap(inputs).tables,
                *cohort_steps.run_care_reach(inputs).tables,
            ]
            self._rebuilt = {t.table_id: t for t in tables}
        return self._rebuilt


@dataclass
class EditionMembers:
    """Members per table id, and the tables without (table id -> why)."""

    members: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def _descriptive(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    (done,) = with_all_members([table], data.person_years, data.registrations)
    return done.members


def _local(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    return local_with_members(table, data.places).members


def _hidden_number(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    """Observed persons per year: by first-ranked victim group and "all" (every model of the
    sensitivity table counts all persons of the year)."""
    py = data.person_years
    dim = next(d for d in table.dimensions if d != "year")
    labels = set(table.frame[dim].astype(str))
    if dim == "victim_group":
        own = py["victim_groups"].map(primary_group)
        rows = [[g, "all"] for g in own]
    else:
        rows = [sorted(labels)] * len(py)
    people = pd.DataFrame(
        {"unit_id": py["person_id"], "year": py["year"].astype(int), dim: rows}
    ).explode(dim)
    # a year without an estimate (too few lists) has no rows: its persons are in no cell
    cells = set(zip(table.frame["year"].astype(int), table.frame[dim].astype(str), strict=True))
    keep = [(y, g) in cells for y, g in zip(people["year"], people[dim], strict=True)]
    people = people[keep]
    return m.members(table.frame, table.dimensions, people, unit="person", column="observed")


def _programme(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    """Persons reported by care (numerator) among all persons (denominator) per year."""
    py = data.person_years
    people = pd.DataFrame(
        {
            "unit_id": py["person_id"],
            "year": py["year"].astype(int),
            "action_line": str(table.frame["action_line"].iloc[0]),
            "indicator": "care_registrations",
        }
    )
    care = py["orgs"].map(lambda orgs: "care" in orgs).to_numpy()
    return m.combine(
        m.members(table.frame, table.dimensions, people[care], unit="person", column="numerator"),
        m.members(table.frame, table.dimensions, people, unit="person", column="denominator"),
    )


def _rebuilt(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    """Members of a table that its builder makes with its counts (the cohort chapters):
    the chapter is counted again from the stored edition and its members taken."""
    made = data.rebuilt().get(table.table_id)
    if made is None or made.members is None:
        raise KeyError("the chapter made no such table again")
    return made.members


def _need_effort(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    """Registered person-years per police unit (pooled over the years), and those with a care
    start in their year."""
    from traffickingmonitor.analysis import need_effort

    py, level = data.person_years, need_effort.LEVEL
    units = set(table.frame[level].astype(str))
    people = pd.DataFrame(
        {
            "unit_id": py["person_id"].astype(str),
            "year": py["year"].astype(int),
            level: py[level].where(py[level].isin(units), "unknown"),
        }
    )
    care = need_effort.care_events(data.con, data.edition_id)
    started = care.assign(
        unit_id=care["person_id"].astype(str), year=pd.to_datetime(care["event_date"]).dt.year
    )[["unit_id", "year"]].drop_duplicates()
    dims = (level,)
    return m.combine(
        m.members(table.frame, dims, people, unit="person", column="registered"),
        m.members(
            table.frame,
            dims,
            people.merge(started, on=["unit_id", "year"]),
            unit="person",
            column="care_starts",
        ),
    )


def _aggregate(table: MonitorTable, data: Microdata) -> pd.DataFrame:
    """A table delivered as counts (the perpetrator chain: cases per year, form and stage)
    has no units in the store: its finest cells are its atoms. Each case of a finest cell is
    a unit of its own, counted there and in the rows that total it (``total_categories``)."""
    totals = table.total_categories
    frame = table.frame.reset_index(drop=True)
    is_total = pd.Series(False, index=frame.index)
    for dim, category in totals.items():
        is_total |= frame[dim].astype(str) == str(category)
    who = []
    for pos in frame.index[~is_total]:
        for column in table.counts:
            n = pd.to_numeric(frame.at[pos, column], errors="coerce")
            if pd.isna(n):
                continue
            cases = [f"{pos}:{column}:{k}" for k in range(int(n))]
            who += [(c, int(pos), column) for c in cases]
            # the same cases in every row that totals this one
            for tpos in frame.index[is_total]:
                if all(
                    str(frame.at[tpos, d]) == str(frame.at[pos, d])
                    for d in table.dimensions
                    if d not in totals
                ):
                    who += [(c, int(tpos), column) for c in cases]
    return m.from_records(who, unit="case")


_BUILDERS: dict[str, Callable[[MonitorTable, Microdata], pd.DataFrame]] = {
    **dict.fromkeys(TABLE_IDS, _descriptive),
    "hidden_number": _hidden_number,
    "hidden_number_sensitivity": _hidden_number,
    "programme_monitor": _programme,
    "need_effort": _need_effort,
    "perpetrator_chain": _aggregate,
}


def _builder(table_id: str):
    if table_id in _BUILDERS:
        return _BUILDERS[table_id]
    if table_id.startswith("local_"):
        return _local
    if table_id.startswith(("crime_", "revictimisation", "care_reach")):
        return _rebuilt
    return None


def edition_members(
    con: duckdb.DuckDBPyConnection,
    edition_id: str,
    tables: dict[str, MonitorTable],
    config: dict | None = None,
) -> EditionMembers:
    """The members of every count table of the edition that can be made from its microdata
    and that make all of the table's counts."""
    out = EditionMembers()
    data = None
    for tid, table in tables.items():
        if not table.counts:
            continue
        build = _builder(tid)
        if build is None:
            out.missing[tid] = "no members from the microdata yet"
            continue
        data = data or Microdata.read(con, edition_id, config)
        try:
            found = build(table, data)
        except (KeyError, ValueError) as exc:
            out.missing[tid] = f"members do not match the table's rows ({exc})"
            continue
        wrong = m.mismatches(table.frame, table.counts, found)
        if wrong:
            row, column, count, have = wrong[0]
            out.missing[tid] = (
                f"members make {have} where the table counts {count} (row {row + 1}, "
                f"{column}; {len(wrong)} cells)"
            )
            continue
        out.members[tid] = found
    return out


def stored_members(
    db: Path | duckdb.DuckDBPyConnection, edition_id: str, tables: dict[str, MonitorTable]
) -> EditionMembers:
    """:func:`edition_members` of an edition in a store (a file, opened read-only for the
    while, or an open connection), under the edition's own configuration."""
    from traffickingmonitor import editions, store

    con = db if isinstance(db, duckdb.DuckDBPyConnection) else store.connect(db, read_only=True)
    try:
        config = editions.get_edition(con, edition_id).config
        return edition_members(con, edition_id, tables, config)
    finally:
        if con is not db:
            con.close()
