"""Local figures: registered persons per municipality, police unit, safety region and province.

A person-year is placed twice: by its place (``persons.PLACE``: the municipality of
exploitation, else of residence, of the year's first registration that has either; the base of
every regional figure of the monitor) and, as a labelled variant, by the first municipality of
residence known that year (a person with neither known, or exploited abroad without a known
residence, is counted under ``unknown``). Counts are pooled over the
edition's years (the sum of the years, so a person registered in two years counts twice, as in
a sum of yearly figures). Rates per 100,000
inhabitants are derived in the report from shown counts only, with the population of
:data:`traffickingmonitor.codes.api.REFERENCE_DATE`.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from traffickingmonitor.analysis import members
from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS, PLACE
from traffickingmonitor.analysis.tables import MonitorTable, table_words, words
from traffickingmonitor.codes import api as codes

#: area level -> column of the reference data holding the area key; the keys are those of
#: disclosure's geographic hierarchy (codes for municipalities, names above)
LEVELS = {
    "municipality": "code",
    "police_unit": "police_unit",
    "safety_region": "safety_region",
    "province": "province",
}
#: The counts of the local tables: persons by their place (``persons.PLACE``, the base of
#: every regional figure) and, as a labelled variant, by their municipality of residence.
BASES = ("place", "residence")
#: the area levels counted per year: chapter 2 (``descriptive``) counts them by place too, so
#: their place column is chapter 2's cell. Municipalities and safety regions are counted for
#: the years together only: a safety region that is a police unit minus provinces (Gooi en
#: Vechtstreek is Midden-Nederland minus Utrecht and Flevoland) would give its small years
#: away from those key figures, so a single year of it could only be hidden by hiding a police
#: unit or a province; and single years of a municipality are nearly all below the threshold.
LEVELS_PER_YEAR = ("police_unit", "province")

_PLACES = f"""
WITH reg AS ({EDITION_REGISTRATIONS})
SELECT person_id, year,
    {PLACE} AS place,
    arg_min(residence_municipality, (registered_on, file_hash, registration_id))
        FILTER (WHERE residence_municipality IS NOT NULL) AS residence
FROM reg GROUP BY person_id, year
"""


def edition_rows(con, edition_id: str, table: str, file_hashes=()) -> pd.DataFrame:
    """Rows of a store table that belong to the edition (their file is one of its inputs).

    During the pipeline run the edition's inputs are not yet recorded, so the step passes the
    file hashes; afterwards they are read from ``edition_inputs``.
    """
    return con.execute(
        f"SELECT * FROM {table} WHERE list_contains($h, file_hash)",
        {"h": edition_hashes(con, edition_id, file_hashes)},
    ).df()


def edition_hashes(con, edition_id: str, file_hashes=()) -> list[str]:
    """The hashes of the edition's input files: ``file_hashes`` if given (see
    :func:`edition_rows`), else those recorded in ``edition_inputs``."""
    if file_hashes:
        return list(file_hashes)
    rows = con.execute(
        "SELECT file_hash FROM edition_inputs WHERE edition_id = ?", [edition_id]
    ).fetchall()
    return [r[0] for r in rows]


def person_places(con, edition_id: str) -> pd.DataFrame:
    """One row per person-year: year, place and residence municipality (or unknown)."""
    places = con.execute(_PLACES, {"edition": edition_id}).df()
    known = set(codes.municipality_codes())
    for basis in BASES:
        places[basis] = places[basis].where(places[basis].isin(known), codes.UNKNOWN)
    places["year"] = places["year"].astype(int)
    return places


def area_of(municipality: pd.Series, level: str) -> pd.Series:
    """The area (code or name) of ``level`` that each municipality lies in; unknown stays."""
    if level == "municipality":
        return municipality
    reference = codes.municipalities().set_index("code")[LEVELS[level]]
    return municipality.map(reference).fillna(codes.UNKNOWN)


def areas(level: str) -> list[str]:
    return [*sorted(codes.municipalities()[LEVELS[level]].unique()), codes.UNKNOWN]


def _per_area(places: pd.DataFrame, level: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            b: area_of(places[b], level).value_counts().reindex(areas(level), fill_value=0)
            for b in BASES
        }
    ).astype(int)
    frame.index.name = level
    return frame.reset_index()


def local_tables(con, edition_id: str) -> list[MonitorTable]:
    """Persons per area pooled over the edition's years (every area level), and per area and
    year (the levels of :data:`LEVELS_PER_YEAR`).

    Disclosure control must see how these tables hang together: every table is a margin of
    ``local_total`` (all person-years of the edition, one row), with the areas levels of its
    geographic hierarchy and the year a dimension of its own, so a hidden municipality cannot
    be recovered from its province, nor a hidden year from the pooled years.
    """
    places = person_places(con, edition_id)
    years = sorted(places["year"].unique())
    span = [int(years[0]), int(years[-1])]
    # person counts (for noise), and for the pooled tables: a person counts once a year
    per_year = {"years": span, "person_counts": list(BASES)}
    pooled = {**per_year, "pooled_years": len(years)}
    total = pd.DataFrame({b: [len(places)] for b in BASES})
    tables = [
        MonitorTable(
            "local_total",
            frame=total,
            dimensions=(),
            counts=BASES,
            margin_of="",
            **table_words("local_total"),
            extra={**pooled},
        )
    ]
    for level in LEVELS:
        tables.append(
            MonitorTable(
                f"local_{level}",
                frame=_per_area(places, level),
                dimensions=(level,),
                counts=BASES,
                **table_words(
                    "local_area",
                    area=words(f"by.{level}"),
                    first=span[0],
                    last=span[1],
                    pooled=words("local_area.pooled"),
                ),
                margin_of="local_total",
                extra={**pooled},
            )
        )
    for level in LEVELS_PER_YEAR:
        frame = pd.concat(
            [
                _per_area(group, level).assign(year=int(year))
                for year, group in places.groupby("year")
            ],
            ignore_index=True,
        )
        tables.append(
            MonitorTable(
                f"local_{level}_year",
                frame=frame[["year", level, *BASES]],
                dimensions=("year", level),
                counts=BASES,
                **table_words(
                    "local_area_year",
                    note="local_area.note",
                    area=words(f"by.{level}"),
                    pooled="",
                ),
                margin_of="local_total",
                extra={
                    **per_year,
                    # the areas of a year, "unknown" included, are the year's persons
                    "adds_to": [
                        {
                            "columns": list(BASES),
                            "by": ["year"],
                            "table": "totals",
                            "as_column": "persons",
                        }
                    ],
                    # one number, one cell: by place, a police unit's or a province's persons
                    # of a year are chapter 2's (the same base, persons.PLACE)
                    "same_cells": [
                        {
                            "column": "place",
                            "table": level,
                            "as_column": "persons",
                            "in_hierarchy": True,
                        }
                    ],
                },
            )
        )
    return tables


def with_members(table: MonitorTable, places: pd.DataFrame) -> MonitorTable:
    """``table`` with its members: each person-year in the area of its basis (a person
    counts once per year in a pooled table)."""
    level = next((d for d in table.dimensions if d != "year"), None)
    parts = []
    for basis in BASES:
        people = places.rename(columns={"person_id": "unit_id"})
        if level is not None:
            people = people.assign(**{level: area_of(places[basis], level)})
        parts.append(
            members.members(table.frame, table.dimensions, people, unit="person", column=basis)
        )
    return dataclasses.replace(table, members=members.combine(*parts))
