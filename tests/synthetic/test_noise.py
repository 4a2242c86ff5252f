"""Recording noise is present, as in real registrations (and the linkage must cope with it)."""

from __future__ import annotations

import pandas as pd


def _multi(edition) -> pd.DataFrame:
    regs = edition.registrations
    n = regs.groupby("person_id")["registration_id"].transform("size")
    return regs[n >= 2]


def _share_varying(df: pd.DataFrame, col: str) -> float:
    return (df.groupby("person_id")[col].nunique() > 1).mean()


def test_names_and_birth_info_differ_between_reports_of_one_person(edition):
    multi = _multi(edition)
    assert multi["person_id"].nunique() > 200
    named = multi[multi["family_name"] != ""]
    assert _share_varying(named, "family_name") > 0.05
    assert _share_varying(multi, "birth_date") > 0.05
    assert _share_varying(multi, "birth_year") > 0.03


def test_names_differ_from_truth_in_known_ways(edition):
    regs = edition.registrations.join(
        edition.persons[["family_name", "given_names", "birth_date"]].add_prefix("true_"),
        on="person_id",
    )
    named = regs[regs["family_name"] != ""]
    swapped = (named["family_name"] == named["true_given_names"]) & (
        named["given_names"] == named["true_family_name"]
    )
    typo = (named["family_name"] != named["true_family_name"]) & ~swapped
    assert 0.01 < swapped.mean() < 0.05
    assert 0.02 < typo.mean() < 0.10
    missing_names = (regs["family_name"] == "").mean()
    assert 0.005 < missing_names < 0.08
    # care registrations are anonymous more often than police registrations
    by_org = regs.assign(m=regs["family_name"] == "").groupby("reporting_org")["m"].mean()
    assert by_org["care"] > by_org["police"]
    wrong_birth = (regs["birth_date"] != "") & (regs["birth_date"] != regs["true_birth_date"])
    assert 0.03 < wrong_birth.mean() < 0.15
    jan1 = regs["birth_date"].str.endswith("-01-01") & wrong_birth
    assert jan1.sum() > 20


def test_national_id_share_by_organisation(edition):
    regs = edition.registrations
    share = (regs["national_id"] != "").groupby(regs["reporting_org"]).mean()
    assert share["police"] > share["care"] > 0
    assert 0.2 < (regs["national_id"] != "").mean() < 0.6
    # only persons who have one (Dutch citizens and legal residents)
    has = edition.persons["national_id"] != ""
    with_id = regs.loc[regs["national_id"] != "", "person_id"]
    assert has.loc[with_id].all()
    status = edition.persons.loc[edition.persons["national_id"] == "", "residence_status"]
    assert "nl_citizen" not in set(status)


def test_some_persons_reported_twice_by_one_organisation(edition):
    regs = edition.registrations
    twice = regs.groupby(["year", "person_id", "reporting_org"]).size()
    assert (twice >= 2).sum() > 50


def test_reports_of_one_person_fall_in_a_short_window(edition):
    regs = edition.registrations
    d = pd.to_datetime(regs["registered_on"])
    spread = d.groupby([regs["year"], regs["person_id"]]).agg(lambda s: (s.max() - s.min()).days)
    assert spread.median() < 45
