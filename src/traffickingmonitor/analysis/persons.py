"""Person-years of an edition: one row per linked person and year of registration.

A person's characteristics in a year are taken from all their registrations of that year,
because organisations record different things: the most frequent known sex and nationality
(a tie goes to the first in alphabetical order, so that a recount gives the same person-years),
the age at the first registration with a known age, the union of exploitation forms.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from traffickingmonitor.codes import api as codes

EDITION_REGISTRATIONS = """
SELECT p.person_id, year(r.registered_on) AS year, r.*
FROM registrations r
JOIN edition_persons p
  ON p.edition_id = $edition AND p.file_hash = r.file_hash
 AND p.registration_id = r.registration_id
"""

#: The one place of a person-year in every regional figure (chapter 2's police units and
#: provinces, the local figures, need and effort): the municipality of exploitation, else of
#: residence, of the year's first registration that has either (SQL over ``reg``).
PLACE = """arg_min(coalesce(exploitation_municipality, residence_municipality),
        (registered_on, file_hash, registration_id))
        FILTER (WHERE coalesce(exploitation_municipality, residence_municipality) IS NOT NULL)"""

_PERSON_YEARS = f"""
WITH reg AS ({EDITION_REGISTRATIONS}),
forms AS (
    SELECT person_id, year, list_distinct(flatten(list(exploitation_forms))) AS all_forms
    FROM reg GROUP BY person_id, year
)
SELECT
    reg.person_id,
    reg.year,
    count(*) AS registrations,
    min(registered_on) AS first_registered_on,
    list_sort(list_distinct(list(reporting_org))) AS orgs,
    -- the most frequent known sex, published as female, male or other_unknown (SEX_GROUP)
    CASE coalesce(mode(sex ORDER BY sex) FILTER (WHERE sex <> 'unknown'), 'unknown')
        WHEN 'female' THEN 'female' WHEN 'male' THEN 'male' ELSE 'other_unknown' END AS sex,
    coalesce(mode(nationality ORDER BY nationality) FILTER (WHERE nationality <> 'unknown'), 'unknown') AS nationality,
    coalesce(mode(residence_status ORDER BY residence_status) FILTER (WHERE residence_status <> 'unknown'), 'unknown')
        AS residence_status,
    arg_min(age_at_registration, (registered_on, file_hash, registration_id)) FILTER (WHERE age_at_registration IS NOT NULL)
        AS age,
    {PLACE} AS municipality,
    CASE WHEN len(list_filter(any_value(forms.all_forms), lambda f: f <> 'unknown')) > 0
         THEN list_sort(list_filter(any_value(forms.all_forms), lambda f: f <> 'unknown'))
         ELSE ['unknown'] END AS forms
FROM reg JOIN forms USING (person_id, year)
GROUP BY reg.person_id, reg.year
ORDER BY reg.year, reg.person_id
"""

_AGE_BINS = [-1, 11, 17, 22, 29, 49, 200]
_AGE_LABELS = ["0-11", "12-17", "18-22", "23-29", "30-49", "50+"]


def person_years(con: duckdb.DuckDBPyConnection, edition_id: str) -> pd.DataFrame:
    """Person-years with derived groups (age group, minor, nationality group, victim groups)."""
    py = con.execute(_PERSON_YEARS, {"edition": edition_id}).df()
    for col in ("orgs", "forms"):  # DuckDB lists arrive as arrays
        py[col] = py[col].map(list)
    age = py["age"].astype("Float64")
    py["age_group"] = (
        pd.cut(age, bins=_AGE_BINS, labels=_AGE_LABELS)
        .astype(object)
        .where(age.notna(), codes.UNKNOWN)
    )
    py["minor"] = "adult"
    py.loc[age < 18, "minor"] = "minor"
    py.loc[age.isna(), "minor"] = codes.UNKNOWN
    py["nationality_group"] = py["nationality"].map(codes.nationality_group)
    py["victim_groups"] = [
        victim_groups(list(f), n) for f, n in zip(py["forms"], py["nationality"], strict=True)
    ]
    reference = codes.municipalities().set_index("code")
    py["police_unit"] = py["municipality"].map(reference["police_unit"]).fillna(codes.UNKNOWN)
    py["province"] = py["municipality"].map(reference["province"]).fillna(codes.UNKNOWN)
    return py


def victim_groups(forms: list[str], nationality: str) -> list[str]:
    """The monitor's victim groups of one person-year; a person may be in several.

    Sexual exploitation of a person whose nationality is Dutch is domestic; of anyone else
    (unknown nationality included) cross-border, as in the printed monitor.
    """
    groups = []
    if "sexual" in forms:
        groups.append("domestic_sexual" if nationality == "NL" else "crossborder_sexual")
    if "labour" in forms:
        groups.append("labour")
    if "criminal" in forms:
        groups.append("criminal")
    return groups or ["other_unknown"]
