"""The first monitor tables: registered possible victims per year and their characteristics."""

from __future__ import annotations

import duckdb
import pandas as pd

from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS, person_years
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes

TOP_NATIONALITIES = 10

_OVERLAP_NOTE_NL = (
    "Eén persoon kan in meer rijen voorkomen; de rijen tellen niet op tot het totaal."
)
_OVERLAP_NOTE_EN = "One person can be counted in several rows; rows do not add up to the total."


def _by(py: pd.DataFrame, column: str, order: list[str] | None = None) -> pd.DataFrame:
    """Persons and their registrations per year and category, every category of ``order`` shown."""
    exploded = py.explode(column) if py[column].map(type).eq(list).any() else py
    out = (
        exploded.groupby(["year", column], observed=True)
        .agg(persons=("person_id", "nunique"), registrations=("registrations", "sum"))
        .reset_index()
    )
    if order is not None:
        years = sorted(py["year"].unique())
        full = pd.MultiIndex.from_product([years, order], names=["year", column])
        extra = sorted(set(out[column]) - set(order))
        if extra:
            full = pd.MultiIndex.from_product([years, order + extra], names=["year", column])
        out = out.set_index(["year", column]).reindex(full, fill_value=0).reset_index()
    return out.astype({"persons": "int64", "registrations": "int64"})


def _table(table_id: str, nl: str, en: str, frame: pd.DataFrame, dim: str, **kw) -> MonitorTable:
    return MonitorTable(
        table_id=table_id,
        title_nl=nl,
        title_en=en,
        frame=frame,
        dimensions=("year", dim),
        counts=("persons", "registrations"),
        **kw,
    )


def _overlapping(**kw) -> dict:
    return {"overlapping": True, "note_nl": _OVERLAP_NOTE_NL, "note_en": _OVERLAP_NOTE_EN, **kw}


def descriptive_tables(
    con: duckdb.DuckDBPyConnection, edition_id: str, py: pd.DataFrame | None = None
) -> list[MonitorTable]:
    py = person_years(con, edition_id) if py is None else py
    totals = (
        py.groupby("year")
        .agg(persons=("person_id", "nunique"), registrations=("registrations", "sum"))
        .reset_index()
    )
    tables = [
        MonitorTable(
            "totals",
            "Geregistreerde mogelijke slachtoffers per jaar",
            "Registered possible victims per year",
            totals,
            dimensions=("year",),
            counts=("persons", "registrations"),
            note_nl="Personen: unieke personen na koppeling van meldingen van verschillende melders.",
            note_en="Persons: unique persons after linking reports of different organisations.",
        ),
        _table(
            "victim_group",
            "Slachtoffergroep",
            "Victim group",
            _by(py, "victim_groups", codes.VICTIM_GROUP.order()),
            "victim_groups",
            **_overlapping(),
        ),
        _table(
            "exploitation_form",
            "Vorm van uitbuiting",
            "Form of exploitation",
            _by(py, "forms", codes.EXPLOITATION_FORM.order()),
            "forms",
            **_overlapping(),
        ),
        _table("sex", "Geslacht", "Sex", _by(py, "sex", codes.SEX.order()), "sex"),
        _table(
            "age_group",
            "Leeftijd bij registratie",
            "Age at registration",
            _by(py, "age_group", codes.AGE_GROUP.order()),
            "age_group",
        ),
        _table(
            "minor",
            "Minderjarig of meerderjarig",
            "Minor or adult",
            _by(py, "minor", codes.MINOR.order()),
            "minor",
        ),
        _table(
            "nationality_group",
            "Nationaliteit (groep)",
            "Nationality (group)",
            _by(py, "nationality_group", codes.NATIONALITY_GROUP.order()),
            "nationality_group",
        ),
        _top_nationalities(py),
        _table(
            "residence_status",
            "Verblijfsstatus",
            "Residence status",
            _by(py, "residence_status", codes.RESIDENCE_STATUS.order()),
            "residence_status",
        ),
        _reporting_org(con, edition_id, py),
        _org_overlap(py),
        _table(
            "police_unit",
            "Politie-eenheid (plaats van uitbuiting, anders woonplaats)",
            "Police unit (place of exploitation, else residence)",
            _by(
                py,
                "police_unit",
                [*sorted(codes.municipalities()["police_unit"].unique()), codes.UNKNOWN],
            ),
            "police_unit",
        ),
        _table(
            "province",
            "Provincie (plaats van uitbuiting, anders woonplaats)",
            "Province (place of exploitation, else residence)",
            _by(
                py,
                "province",
                [*sorted(codes.municipalities()["province"].unique()), codes.UNKNOWN],
            ),
            "province",
        ),
    ]
    return tables


def _top_nationalities(py: pd.DataFrame) -> MonitorTable:
    known = py[py["nationality"] != codes.UNKNOWN]
    ranked = known.groupby(["year", "nationality"]).size().rename("n").reset_index()
    top = set()
    for _, grp in ranked.groupby("year"):
        top |= set(grp.nlargest(TOP_NATIONALITIES, "n")["nationality"])
    last = ranked[ranked["year"] == ranked["year"].max()].set_index("nationality")["n"]
    total = ranked.groupby("nationality")["n"].sum()
    # Most frequent in the latest year first, ties by the whole period.
    order = sorted(top, key=lambda c: (-last.get(c, 0), -total.get(c, 0), c))
    label = py["nationality"].where(
        py["nationality"].isin(top) | (py["nationality"] == codes.UNKNOWN), "other"
    )
    frame = _by(py.assign(nationality=label), "nationality", [*order, "other", codes.UNKNOWN])
    return _table(
        "top_nationalities",
        "Meest voorkomende nationaliteiten",
        "Most frequent nationalities",
        frame,
        "nationality",
        extra={"top": TOP_NATIONALITIES},
        note_nl=f"De {TOP_NATIONALITIES} meest voorkomende nationaliteiten van elk jaar; de rest als 'overig'.",
        note_en=f"The {TOP_NATIONALITIES} most frequent nationalities of each year; the rest as 'other'.",
    )


def _reporting_org(
    con: duckdb.DuckDBPyConnection, edition_id: str, py: pd.DataFrame
) -> MonitorTable:
    regs = con.execute(
        f"SELECT year, reporting_org, count(*) AS registrations FROM ({EDITION_REGISTRATIONS}) "
        "GROUP BY ALL",
        {"edition": edition_id},
    ).df()
    persons = _by(py, "orgs", codes.REPORTING_ORG.order()).drop(columns="registrations")
    persons = persons.rename(columns={"orgs": "reporting_org"})
    frame = persons.merge(regs, on=["year", "reporting_org"], how="left").fillna(
        {"registrations": 0}
    )
    frame["registrations"] = frame["registrations"].astype("int64")
    return _table(
        "reporting_org",
        "Melder",
        "Reporting organisation",
        frame,
        "reporting_org",
        **_overlapping(),
    )


def _org_overlap(py: pd.DataFrame) -> MonitorTable:
    n_orgs = py["orgs"].map(len).clip(upper=3).map({1: "1", 2: "2", 3: "3+"})
    # Persons only: a person reported by k organisations has at least k registrations, so a
    # row's registrations shown as <10 would cap its persons at 9 / k (3 or more: at most 3)
    frame = _by(py.assign(n_orgs=n_orgs), "n_orgs", ["1", "2", "3+"]).drop(columns="registrations")
    return MonitorTable(
        "org_overlap",
        "Aantal melders per persoon",
        "Number of reporting organisations per person",
        frame,
        dimensions=("year", "n_orgs"),
        counts=("persons",),
        note_nl="Personen gemeld door meer dan één organisatie; de basis van de schatting van het verborgen aantal.",
        note_en="Persons reported by more than one organisation: the basis of the hidden-number estimate.",
    )


def edition_totals(con: duckdb.DuckDBPyConnection, edition_id: str) -> dict:
    """Registrations and persons in an edition (for the edition list)."""
    row = con.execute(
        f"SELECT count(*), count(DISTINCT person_id) FROM ({EDITION_REGISTRATIONS})",
        {"edition": edition_id},
    ).fetchall()[0]
    return {"registrations": int(row[0]), "persons": int(row[1])}
