"""Local figures: registered persons per municipality, police unit, safety region and province.

A person-year is placed twice, once by the municipality where the exploitation took place and
once by the municipality where the person lived, each the first one known that year (a person
with neither known, or exploited abroad, is counted under ``unknown``). Counts are pooled over the
edition's years (the sum of the years, so a person registered in two years counts twice, as in
a sum of yearly figures). Rates per 100,000
inhabitants are derived in the report from shown counts only, with the population of
:data:`traffickingmonitor.codes.api.REFERENCE_DATE`.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from traffickingmonitor.analysis import members
from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes

#: area level -> (column of the reference data holding the area key, Dutch and English name);
#: the keys are those of disclosure's geographic hierarchy (codes for municipalities, names above)
LEVELS = {
    "municipality": ("code", "gemeente", "municipality"),
    "police_unit": ("police_unit", "politie-eenheid", "police unit"),
    "safety_region": ("safety_region", "veiligheidsregio", "safety region"),
    "province": ("province", "provincie", "province"),
}
BASES = ("exploitation", "residence")

_PLACES = f"""
WITH reg AS ({EDITION_REGISTRATIONS})
SELECT person_id, year,
    arg_min(exploitation_municipality, (registered_on, file_hash, registration_id))
        FILTER (WHERE exploitation_municipality IS NOT NULL) AS exploitation,
    arg_min(residence_municipality, (registered_on, file_hash, registration_id))
        FILTER (WHERE residence_municipality IS NOT NULL) AS residence
FROM reg GROUP BY person_id, year
"""


def edition_rows(con, edition_id: str, table: str, file_hashes=()) -> pd.DataFrame:
    """Rows of a store table that belong to the edition (their file is one of its inputs).

    During the pipeline run the edition's inputs are not yet recorded, so the step passes the
    file hashes; afterwards they are read from ``edition_inputs``.
    """
    hashes = list(file_hashes)
    if not hashes:
        hashes = [
            r[0]
            for r in con.execute(
                "SELECT file_hash FROM edition_inputs WHERE edition_id = ?", [edition_id]
            ).fetchall()
        ]
    return con.execute(
        f"SELECT * FROM {table} WHERE list_contains($h, file_hash)", {"h": hashes}
    ).df()


def person_places(con, edition_id: str) -> pd.DataFrame:
    """One row per person-year: year, exploitation and residence municipality (or unknown)."""
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
    reference = codes.municipalities().set_index("code")[LEVELS[level][0]]
    return municipality.map(reference).fillna(codes.UNKNOWN)


def areas(level: str) -> list[str]:
    column = LEVELS[level][0]
    return [*sorted(codes.municipalities()[column].unique()), codes.UNKNOWN]


def _per_area(places: pd.DataFrame, level: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            b: area_of(places[b], level).value_counts().reindex(areas(level), fill_value=0)
            for b in BASES
        }
    ).astype(int)
    frame.index.name = level
    return frame.reset_index()


_NOTE_NL = (
    "Personen naar gemeente van uitbuiting en naar woongemeente (de eerste die in het jaar "
    "bekend is){pooled}; 'onbekend': geen Nederlandse gemeente bekend."
)
_NOTE_EN = (
    "Persons by municipality of exploitation and by municipality of residence (the first "
    "known in the year){pooled}; 'unknown': no Dutch municipality known."
)


def local_tables(con, edition_id: str) -> list[MonitorTable]:
    """Per area level two tables: persons per area pooled over the edition's years, and per
    area and year.

    Disclosure control must see how these tables hang together: every table is a margin of
    ``local_total`` (all person-years of the edition, one row), with the areas levels of its
    geographic hierarchy and the year a dimension of its own, so a hidden municipality cannot
    be recovered from its province, nor a hidden year from the pooled years. Persons per
    municipality and year are nearly all below the threshold; that table shows every hidden
    cell as ``x`` (see :func:`traffickingmonitor.disclosure.primary.small_symbol`).
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
            "Geregistreerde personen (persoonsjaren), alle jaren",
            "Registered persons (person-years), all years",
            total,
            dimensions=(),
            counts=BASES,
            margin_of="",
            extra={**pooled},
        )
    ]
    for level, (_, nl, en) in LEVELS.items():
        tables.append(
            MonitorTable(
                f"local_{level}",
                f"Geregistreerde personen per {nl}, {span[0]}–{span[1]} samen",
                f"Registered persons per {en}, {span[0]}–{span[1]} pooled",
                _per_area(places, level),
                dimensions=(level,),
                counts=BASES,
                note_nl=_NOTE_NL.format(pooled=", alle jaren samen (persoonsjaren)"),
                note_en=_NOTE_EN.format(pooled=", all years together (person-years)"),
                margin_of="local_total",
                extra={**pooled},
            )
        )
    for level, (_, nl, en) in LEVELS.items():
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
                f"Geregistreerde personen per {nl} en jaar",
                f"Registered persons per {en} and year",
                frame[["year", level, *BASES]],
                dimensions=("year", level),
                counts=BASES,
                note_nl=_NOTE_NL.format(pooled=""),
                note_en=_NOTE_EN.format(pooled=""),
                margin_of="local_total",
                extra={
                    **per_year,
                    "hidden_as_x": level == "municipality",
                    # the areas of a year, "unknown" included, are the year's persons
                    "adds_to": [
                        {
                            "columns": list(BASES),
                            "by": ["year"],
                            "table": "totals",
                            "as_column": "persons",
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
