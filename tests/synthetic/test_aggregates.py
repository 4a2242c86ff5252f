"""The registrations reproduce the published aggregates of the 2016-2020 monitor.

Counts are of unique true persons (truth/registration_person.csv) per registration year; forms
and reporting organisations come from the written registrations.
"""

from __future__ import annotations

import pandas as pd
import pytest

# The published figures (Slachtoffermonitor mensenhandel 2016-2020), written out here rather
# than imported from the generator, so a change of the generator's targets cannot hide.
PUBLISHED = {
    "registered_persons": {2016: 952, 2017: 956, 2018: 668, 2019: 1334, 2020: 984},
    "forms_2019": {"sexual": 849, "labour": 424, "criminal": 196, "unknown": 61},
    "orgs_2019": {"police": 952, "care": 252, "labour_inspectorate": 46, "kmar": 10},
    "top_nationalities_2019": ["NG", "NL", "UG", "PL", "GM"],
    "minor_share_range": (0.10, 0.25),
    "latent_range": (5000, 7500),
}
REL_TOL = 0.05


def _persons_per_year(edition) -> pd.Series:
    return edition.registrations.groupby("year")["person_id"].nunique()


@pytest.mark.parametrize("year", [2016, 2017, 2018, 2019, 2020])
def test_registered_persons_per_year(edition, year):
    target = PUBLISHED["registered_persons"][year]
    got = _persons_per_year(edition)[year]
    assert abs(got - target) <= REL_TOL * target, (year, got, target)


def _first_reg_in_year(edition) -> pd.DataFrame:
    regs = edition.registrations.sort_values(["registered_on", "registration_id"])
    first = regs.drop_duplicates(["year", "person_id"])[["year", "person_id", "registered_on"]]
    return first.join(edition.persons[["sex", "birth_date"]], on="person_id")


def test_about_three_quarters_women(edition):
    first = _first_reg_in_year(edition)
    share = first.groupby("year")["sex"].apply(lambda s: (s == "female").mean())
    assert share.between(0.70, 0.80).all(), share
    assert abs(share.mean() - 0.75) < 0.03


def test_minors_between_10_and_25_percent(edition):
    first = _first_reg_in_year(edition)
    birth = pd.to_datetime(first["birth_date"])
    reg = pd.to_datetime(first["registered_on"])
    age = (
        reg.dt.year
        - birth.dt.year
        - (
            (reg.dt.month < birth.dt.month)
            | ((reg.dt.month == birth.dt.month) & (reg.dt.day < birth.dt.day))
        )
    )
    share = (age < 18).groupby(first["year"]).mean()
    lo, hi = PUBLISHED["minor_share_range"]
    assert share.between(lo, hi).all(), share
    assert share.max() - share.min() > 0.03  # depends on the year


def _forms_2019(edition) -> pd.DataFrame:
    regs = edition.registrations
    r = regs[regs["year"] == 2019]
    forms = r.assign(form=r["exploitation_form"].str.split(";")).explode("form")
    per_person = forms.groupby("person_id")["form"].agg(set)
    out = pd.DataFrame(
        {f: per_person.apply(lambda s, f=f: f in s) for f in ("sexual", "labour", "criminal")}
    )
    out["unknown"] = ~out.any(axis=1)
    return out


def test_forms_2019(edition):
    got = _forms_2019(edition).sum()
    for form, target in PUBLISHED["forms_2019"].items():
        assert abs(got[form] - target) <= REL_TOL * target, (form, got[form], target)


def test_about_15_percent_with_two_forms_2019(edition):
    f = _forms_2019(edition)
    share = (f[["sexual", "labour", "criminal"]].sum(axis=1) >= 2).mean()
    assert 0.12 <= share <= 0.18, share


def test_top_nationalities_2019_in_order(edition):
    regs = edition.registrations
    persons = regs.loc[regs["year"] == 2019, "person_id"].unique()
    truth_nat = edition.persons.loc[persons, "nationality"]
    top = truth_nat.value_counts().index[:5].tolist()
    assert top == PUBLISHED["top_nationalities_2019"]
    # the recorded nationality (most frequent known value per person) gives the same order
    r = regs[(regs["year"] == 2019) & (regs["nationality"] != "unknown")]
    recorded = r.groupby("person_id")["nationality"].agg(lambda s: s.value_counts().index[0])
    assert recorded.value_counts().index[:5].tolist() == PUBLISHED["top_nationalities_2019"]


def test_reporting_organisations_2019(edition):
    regs = edition.registrations
    r = regs[regs["year"] == 2019]
    got = r.groupby("reporting_org")["person_id"].nunique()
    abs_tol = {"labour_inspectorate": 5, "kmar": 3}  # small counts: absolute tolerance
    for org, target in PUBLISHED["orgs_2019"].items():
        tol = max(REL_TOL * target, abs_tol.get(org, 0))
        assert abs(got[org] - target) <= tol, (org, got[org], target)
    # "other" fills the rest; the lists overlap
    assert got["other"] > 0
    assert got.sum() > r["person_id"].nunique()


def test_lists_overlap_and_differ(edition):
    regs = edition.registrations
    r = regs[regs["year"] == 2019]
    lists = pd.crosstab(r["person_id"], r["reporting_org"]).clip(upper=1)
    both = (lists["police"] & lists["care"]).sum()
    assert both > 30  # police and care report many of the same persons
    forms = r.assign(sexual=r["exploitation_form"].str.contains("sexual"))
    forms = forms.assign(labour=r["exploitation_form"].str.contains("labour"))
    by_org = forms.groupby("reporting_org")[["sexual", "labour"]].mean()
    assert by_org.loc["labour_inspectorate", "labour"] > 0.8
    assert by_org.loc["police", "sexual"] > by_org.loc["labour_inspectorate", "sexual"]


def test_latent_population_in_published_range(edition):
    pop = edition.file("truth/population_primary.csv")
    per_year = pop.assign(count=pop["count"].astype(int)).groupby("year")["count"].sum()
    lo, hi = PUBLISHED["latent_range"]
    assert per_year.between(lo, hi).all(), per_year


def test_some_persons_registered_in_several_years(edition):
    years = edition.registrations.groupby("person_id")["year"].nunique()
    share = (years > 1).mean()
    assert 0.005 < share < 0.10, share
