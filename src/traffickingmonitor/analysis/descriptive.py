"""The first monitor tables: registered possible victims per year and their characteristics."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd

from traffickingmonitor.analysis import members as m
from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS, person_years
from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.codes import api as codes

TOP_NATIONALITIES = 10
#: rows of ``org_overlap``: persons reported by three or more organisations are a handful a
#: year (hidden with a complement, and with it the persons per organisation), so the table
#: stops at "2 or more"
N_ORGS = ("1", "2+")
#: forms the yearly table publishes under another form: removal of organs is a case or two a
#: year, so its own row would be hidden, with a complement, every year
PUBLISHED_FORM = {"organ_removal": "other"}
FORMS = [f for f in codes.EXPLOITATION_FORM.order() if f not in PUBLISHED_FORM]
#: persons a nationality has in every year to be shown by name (the default threshold of the
#: disclosure rule: a smaller count would be hidden)
TOP_MINIMUM = 10
#: the tables :func:`descriptive_tables` makes
TABLE_IDS = (
    "totals",
    "victim_group",
    "exploitation_form",
    "sex",
    "age_group",
    "minor",
    "nationality_group",
    "top_nationalities",
    "residence_status",
    "reporting_org",
    "org_overlap",
    "police_unit",
    "province",
)


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


def registrations_of(con: duckdb.DuckDBPyConnection, edition_id: str) -> pd.DataFrame:
    """One row per registration of the edition: its key, person, year and organisation."""
    return con.execute(
        "SELECT file_hash || ':' || registration_id AS registration, person_id, year, "
        f"reporting_org FROM ({EDITION_REGISTRATIONS})",
        {"edition": edition_id},
    ).df()


def with_members(
    table: MonitorTable, people: pd.DataFrame, regs: pd.DataFrame, own_registrations=False
) -> MonitorTable:
    """``table`` with its members. ``people`` has a person-year per row with the table's
    dimensions (a list where a person is in several rows); a registration counts where its
    person-year does or, with ``own_registrations``, in its own row of ``regs``."""
    dims = list(table.dimensions)
    dim = next((d for d in dims if d != "year"), None)
    if dim and people[dim].map(type).eq(list).any():
        people = people.explode(dim)
    parts = [
        m.members(
            table.frame,
            dims,
            people.rename(columns={"person_id": "unit_id"}),
            unit="person",
            column="persons",
        )
    ]
    if "registrations" in table.counts:
        if not own_registrations:
            regs = regs[["registration", "person_id", "year"]].merge(
                people[["person_id", *dims]], on=["person_id", "year"]
            )
        parts.append(
            m.members(
                table.frame,
                dims,
                regs.rename(columns={"registration": "unit_id"}),
                unit="registration",
                column="registrations",
            )
        )
    return dataclasses.replace(table, members=m.combine(*parts))


def _table(
    table_id: str,
    frame: pd.DataFrame,
    dim: str,
    overlapping: bool = False,
    fields: dict | None = None,
    **kw,
) -> MonitorTable:
    """Persons and registrations per year and ``dim``; a table whose rows overlap (one person
    in several) says so in its note."""
    return MonitorTable(
        table_id=table_id,
        frame=frame,
        dimensions=("year", dim),
        counts=("persons", "registrations"),
        overlapping=overlapping,
        **table_words(table_id, note="overlapping.note" if overlapping else None, **(fields or {})),
        **kw,
    )


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
            frame=totals,
            dimensions=("year",),
            counts=("persons", "registrations"),
            **table_words("totals"),
        ),
        _table(
            "victim_group",
            _by(py, "victim_groups", codes.VICTIM_GROUP.order()),
            "victim_groups",
            overlapping=True,
        ),
        _table(
            "exploitation_form",
            _by(_published_forms(py), "forms", FORMS),
            "forms",
            overlapping=True,
        ),
        _table("sex", _by(py, "sex", codes.SEX_GROUP.order()), "sex"),
        _table(
            "age_group",
            _by(py, "age_group", codes.AGE_GROUP.order()),
            "age_group",
        ),
        _table(
            "minor",
            _by(py, "minor", codes.MINOR.order()),
            "minor",
        ),
        _table(
            "nationality_group",
            _by(py, "nationality_group", codes.NATIONALITY_GROUP.order()),
            "nationality_group",
        ),
        _top_nationalities(py),
        _table(
            "residence_status",
            _by(py, "residence_status", codes.RESIDENCE_STATUS.order()),
            "residence_status",
        ),
        _reporting_org(con, edition_id, py),
        _org_overlap(py),
        _table(
            "police_unit",
            _by(
                py,
                "police_unit",
                [*sorted(codes.municipalities()["police_unit"].unique()), codes.UNKNOWN],
            ),
            "police_unit",
        ),
        _table(
            "province",
            _by(
                py,
                "province",
                [*sorted(codes.municipalities()["province"].unique()), codes.UNKNOWN],
            ),
            "province",
        ),
    ]
    return tables


def with_all_members(
    tables: list[MonitorTable], py: pd.DataFrame, regs: pd.DataFrame
) -> list[MonitorTable]:
    """Each descriptive table with its members, from the person-years it was counted from."""
    out = []
    for t in tables:
        people, own = py, False
        if t.table_id == "top_nationalities":
            named = set(t.frame["nationality"])
            people = py.assign(
                nationality=py["nationality"].where(py["nationality"].isin(named), "other")
            )
        elif t.table_id == "exploitation_form":
            people = _published_forms(py)
        elif t.table_id == "reporting_org":
            people, own = py.assign(reporting_org=py["orgs"]), True
        elif t.table_id == "org_overlap":
            people = py.assign(n_orgs=_n_orgs(py))
        out.append(with_members(t, people, regs, own))
    return out


def _published_forms(py: pd.DataFrame) -> pd.DataFrame:
    return py.assign(
        forms=py["forms"].map(lambda forms: sorted({PUBLISHED_FORM.get(f, f) for f in forms}))
    )


def _n_orgs(py: pd.DataFrame) -> pd.Series:
    return py["orgs"].map(len).clip(upper=2).map(dict(enumerate(N_ORGS, start=1)))


def _top_nationalities(py: pd.DataFrame) -> MonitorTable:
    known = py[py["nationality"] != codes.UNKNOWN]
    ranked = known.groupby(["year", "nationality"]).size().unstack("year", fill_value=0)
    ranked = ranked.reindex(columns=sorted(py["year"].unique()), fill_value=0)
    # a nationality shown every year with at least TOP_MINIMUM persons: a nationality in the
    # top of one year only would be a small count in the others, hidden with a complement
    steady = ranked[ranked.min(axis=1) >= TOP_MINIMUM]
    latest = steady.columns.max() if len(steady.columns) else None
    # Most frequent in the latest year first, ties by the whole period.
    order = sorted(
        steady.index,
        key=lambda c: (-steady.at[c, latest], -steady.loc[c].sum(), c),
    )[:TOP_NATIONALITIES]
    top = set(order)
    label = py["nationality"].where(
        py["nationality"].isin(top) | (py["nationality"] == codes.UNKNOWN), "other"
    )
    frame = _by(py.assign(nationality=label), "nationality", [*order, "other", codes.UNKNOWN])
    return _table(
        "top_nationalities",
        frame,
        "nationality",
        fields={"top": TOP_NATIONALITIES, "minimum": TOP_MINIMUM},
        extra={"top": TOP_NATIONALITIES},
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
        frame,
        "reporting_org",
        overlapping=True,
    )


def _org_overlap(py: pd.DataFrame) -> MonitorTable:
    n_orgs = _n_orgs(py)
    # Persons only: a person reported by k organisations has at least k registrations, so a
    # row's registrations shown as <10 would cap its persons at 9 / k
    frame = _by(py.assign(n_orgs=n_orgs), "n_orgs", list(N_ORGS)).drop(columns="registrations")
    return MonitorTable(
        "org_overlap",
        frame=frame,
        dimensions=("year", "n_orgs"),
        counts=("persons",),
        **table_words("org_overlap"),
    )


def edition_totals(con: duckdb.DuckDBPyConnection, edition_id: str) -> dict:
    """Registrations and persons in an edition (for the edition list)."""
    row = con.execute(
        f"SELECT count(*), count(DISTINCT person_id) FROM ({EDITION_REGISTRATIONS})",
        {"edition": edition_id},
    ).fetchall()[0]
    return {"registrations": int(row[0]), "persons": int(row[1])}
