"""The written files follow data standard v1 exactly (the intake validator's contract)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from traffickingmonitor.codes.api import (
    ASSESSMENT_CRITERION,
    ASSESSMENT_VALUE,
    CHAIN_STAGE,
    EVENT_TYPE,
    EXPLOITATION_FORM,
    OFFENCE_GROUP,
    REPORTING_ORG,
    RESIDENCE_STATUS,
    SECTOR,
    SEX,
    country_codes,
    municipality_codes,
)
from traffickingmonitor.synthetic.noise import bsn_valid

from .conftest import ORGS

REG_COLUMNS = [
    "registration_id",
    "registered_on",
    "reporting_org",
    "national_id",
    "family_name",
    "given_names",
    "birth_date",
    "birth_year",
    "sex",
    "nationality",
    "exploitation_form",
    "sector",
    "exploitation_country",
    "exploitation_municipality",
    "residence_municipality",
    "exploitation_start",
    "residence_status",
    "shelter_referral",
]
EVENT_COLUMNS = [
    "registration_id",
    "national_id",
    "family_name",
    "given_names",
    "birth_date",
    "birth_year",
    "event_date",
    "event_type",
    "offence_group",
    "source",
]
HEADERS = {
    "events.csv": EVENT_COLUMNS,
    "municipal_assessments.csv": ["municipality", "year", "criterion", "value", "note"],
    "programme_indicators.csv": [
        "action_line",
        "indicator",
        "unit",
        "year",
        "baseline",
        "target",
        "value",
    ],
    "perpetrator_chain.csv": ["year", "exploitation_form", "stage", "count"],
    "truth/registration_person.csv": ["registration_id", "person_id"],
    "truth/population.csv": ["year", "victim_group", "sex", "minor", "count"],
    "truth/population_primary.csv": ["year", "victim_group", "sex", "minor", "count"],
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _header(path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().rstrip("\n").split(",")


def _valid_dates(series: pd.Series) -> pd.Series:
    """Parsed dates of the non-empty values; fails on a malformed one."""
    values = series[series != ""]
    assert values.str.match(DATE).all(), values[~values.str.match(DATE)].head()
    return pd.to_datetime(values, format="%Y-%m-%d", errors="raise")


@pytest.mark.parametrize("org", ORGS)
def test_registration_files_exact_header_and_org(edition, org):
    path = edition.path / f"registrations_{org}.csv"
    assert _header(path) == REG_COLUMNS
    df = edition.file(f"registrations_{org}.csv")
    assert len(df) > 0
    assert (df["reporting_org"] == org).all()
    assert org in REPORTING_ORG.values


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_other_files_exact_header(edition, name):
    assert _header(edition.path / name) == HEADERS[name]


def test_files_are_utf8_without_quotes_or_bom(edition):
    for path in sorted(edition.path.glob("*.csv")) + sorted((edition.path / "truth").glob("*.csv")):
        raw = path.read_bytes()
        raw.decode("utf-8")
        assert not raw.startswith(b"\xef\xbb\xbf"), path
        assert b'"' not in raw, path


def test_registration_ids_unique_and_prefixed(edition):
    regs = edition.registrations
    assert regs["registration_id"].is_unique
    prefix = {"police": "POL", "kmar": "KMA", "labour_inspectorate": "NLA", "care": "ZRG"}
    prefix["other"] = "OVR"
    expected = regs["reporting_org"].map(prefix)
    assert (regs["registration_id"].str.split("-").str[0] == expected).all()
    assert regs["registration_id"].str.match(r"^[A-Z]{3}-\d{7,}$").all()


def test_coded_fields_in_code_lists(edition):
    regs = edition.registrations
    assert set(regs["sex"]) <= SEX.values
    assert set(regs["residence_status"]) <= RESIDENCE_STATUS.values
    assert set(regs["sector"]) - {""} <= SECTOR.values
    forms = regs["exploitation_form"].str.split(";").explode()
    assert set(forms) <= EXPLOITATION_FORM.values
    assert (regs["exploitation_form"] != "").all()
    # "unknown" never combined with a form
    multi = regs["exploitation_form"].str.contains(";")
    assert not regs.loc[multi, "exploitation_form"].str.contains("unknown").any()
    countries = country_codes()
    assert set(regs["nationality"]) - {"unknown"} <= countries
    assert set(regs["exploitation_country"]) - {""} <= countries
    ev = edition.file("events.csv")
    assert set(ev["event_type"]) <= EVENT_TYPE.values
    assert set(ev["offence_group"]) - {""} <= OFFENCE_GROUP.values
    with_group = ev["event_type"].isin(["victimisation", "suspect"])
    assert (ev.loc[with_group, "offence_group"] != "").all()
    assert (ev.loc[~with_group, "offence_group"] == "").all()
    assert set(ev["source"]) <= {"police", "cbs", "care", "ind", "brp"}


def test_municipality_codes_valid(edition):
    regs = edition.registrations
    valid = municipality_codes()
    for col in ("exploitation_municipality", "residence_municipality"):
        values = set(regs[col]) - {""}
        assert values <= valid, values - valid
        assert len(values) > 50  # spread over the country
    # exploitation municipality only for exploitation in the Netherlands
    has_muni = regs["exploitation_municipality"] != ""
    assert (regs.loc[has_muni, "exploitation_country"] == "NL").all()
    nl = regs["exploitation_country"] == "NL"
    share_missing = (regs.loc[nl, "exploitation_municipality"] == "").mean()
    assert 0.05 < share_missing < 0.30


def test_national_ids_pass_eleven_check(edition):
    regs = edition.registrations
    ids = regs.loc[regs["national_id"] != "", "national_id"]
    assert len(ids) > 100
    assert ids.str.fullmatch(r"\d{9}").all()
    assert all(bsn_valid(x) for x in ids.unique())
    # one national id belongs to one true person
    per_id = regs.loc[regs["national_id"] != ""].groupby("national_id")["person_id"].nunique()
    assert (per_id == 1).all()


def test_dates_parse_and_are_ordered(edition):
    regs = edition.registrations
    registered = _valid_dates(regs["registered_on"])
    assert len(registered) == len(regs)
    assert registered.dt.year.between(2016, 2020).all()
    birth = _valid_dates(regs["birth_date"])
    assert birth.max() < registered.max()
    start = _valid_dates(regs["exploitation_start"])
    assert (start < registered[start.index]).all()
    shelter = _valid_dates(regs["shelter_referral"])
    assert (shelter >= registered[shelter.index]).all()
    assert len(shelter) > 0 and len(start) > 0
    ev = edition.file("events.csv")
    ev_dates = _valid_dates(ev["event_date"])
    assert len(ev_dates) == len(ev)
    assert ev_dates.max() <= pd.Timestamp("2025-12-31")


def test_birth_year_filled_whenever_birth_date(edition):
    regs = edition.registrations
    has_date = regs["birth_date"] != ""
    assert (regs.loc[has_date, "birth_year"] == regs.loc[has_date, "birth_date"].str[:4]).all()
    year_only = ~has_date & (regs["birth_year"] != "")
    assert year_only.sum() > 0  # "birth year only" occurs
    assert regs["birth_year"].str.fullmatch(r"(\d{4})?").all()


def test_events_reference_first_registration_and_person_ref_empty(edition):
    ev = edition.file("events.csv")
    for col in ("national_id", "family_name", "given_names", "birth_date", "birth_year"):
        assert (ev[col] == "").all()
    regs = edition.registrations
    assert set(ev["registration_id"]) <= set(regs["registration_id"])
    first = edition.persons["first_registration_id"]
    assert set(ev["registration_id"]) <= set(first)


def test_small_files_codes(edition):
    ma = edition.file("municipal_assessments.csv")
    assert set(ma["criterion"]) == ASSESSMENT_CRITERION.values
    assert set(ma["value"]) <= ASSESSMENT_VALUE.values
    assert set(ma["municipality"]) == municipality_codes()
    ch = edition.file("perpetrator_chain.csv")
    assert set(ch["stage"]) == CHAIN_STAGE.values
    assert set(ch["exploitation_form"]) <= EXPLOITATION_FORM.values
