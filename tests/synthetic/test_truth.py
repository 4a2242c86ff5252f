"""The ground truth is consistent with itself and with the written files."""

from __future__ import annotations

import json

import pandas as pd

GROUPS = ["domestic_sexual", "crossborder_sexual", "labour", "criminal", "other_unknown"]


def test_every_registration_has_a_true_person(edition):
    regs = edition.registrations
    rp = edition.file("truth/registration_person.csv")
    assert len(rp) == len(regs)
    assert rp["registration_id"].is_unique
    assert (regs["person_id"] != "").all() and regs["person_id"].notna().all()
    assert set(regs["person_id"]) == set(edition.persons.index)


def test_first_registration_of_persons(edition):
    regs = edition.registrations.sort_values(["registered_on"])
    first_date = regs.groupby("person_id")["registered_on"].min()
    p = edition.persons
    assert (p["first_registered_on"] == first_date.reindex(p.index)).all()
    by_id = regs.set_index("registration_id")
    assert (by_id.loc[p["first_registration_id"], "person_id"].to_numpy() == p.index).all()
    years = regs.groupby("person_id")["year"].agg(lambda s: ";".join(map(str, sorted(set(s)))))
    assert (p["registered_years"] == years.reindex(p.index)).all()


def _registered_by_stratum(edition, primary: bool) -> pd.Series:
    regs = edition.registrations
    py = regs[["year", "person_id"]].drop_duplicates()
    p = edition.persons.loc[py["person_id"]]
    forms = p["exploitation_form"].str.split(";")
    nl = (p["nationality"] == "NL").to_numpy()
    sexual = forms.apply(lambda f: "sexual" in f).to_numpy()
    labour = forms.apply(lambda f: "labour" in f).to_numpy()
    criminal = forms.apply(lambda f: "criminal" in f).to_numpy()
    flags = pd.DataFrame(
        {
            "domestic_sexual": sexual & nl,
            "crossborder_sexual": sexual & ~nl,
            "labour": labour,
            "criminal": criminal,
            "other_unknown": ~(sexual | labour | criminal),
        }
    )
    if primary:  # priority criminal > labour > sexual > other_unknown
        first = flags[["criminal", "labour", "domestic_sexual", "crossborder_sexual"]]
        first = first.assign(other_unknown=True).idxmax(axis=1)
        flags = pd.get_dummies(first).reindex(columns=GROUPS, fill_value=False)
    birth = pd.to_datetime(p["birth_date"]).reset_index(drop=True)
    july = pd.to_datetime(py["year"].astype(str) + "-07-01").reset_index(drop=True)
    age = (
        july.dt.year
        - birth.dt.year
        - (
            (july.dt.month < birth.dt.month)
            | ((july.dt.month == birth.dt.month) & (july.dt.day < birth.dt.day))
        )
    )
    base = pd.DataFrame(
        {
            "year": py["year"].astype(str).to_numpy(),
            "sex": p["sex"].to_numpy(),
            "minor": (age < 18).map({True: "minor", False: "adult"}).to_numpy(),
        }
    )
    long = pd.concat([base.assign(victim_group=g)[flags[g].to_numpy()] for g in GROUPS])
    return long.groupby(["year", "victim_group", "sex", "minor"]).size()


def _population(edition, name: str) -> pd.Series:
    pop = edition.file(f"truth/{name}.csv")
    return pop.assign(count=pop["count"].astype(int)).set_index(
        ["year", "victim_group", "sex", "minor"]
    )["count"]


def test_population_at_least_registered_per_stratum(edition):
    for name, primary in (("population", False), ("population_primary", True)):
        pop = _population(edition, name)
        reg = _registered_by_stratum(edition, primary)
        assert set(reg.index) <= set(pop.index)
        joined = pd.concat([pop.rename("pop"), reg.rename("reg")], axis=1).fillna(0)
        assert (joined["pop"] >= joined["reg"]).all(), joined[joined["pop"] < joined["reg"]]
        # and the latent population is much larger than the registered one
        assert joined["pop"].sum() > 4 * joined["reg"].sum()


def test_population_files_agree(edition):
    members = _population(edition, "population").groupby("year").sum()
    primary = _population(edition, "population_primary").groupby("year").sum()
    assert (members >= primary).all()
    assert (members > primary).all()  # some persons have two forms
    summary = json.loads((edition.path / "truth" / "summary.json").read_text())
    latent = {int(k): v for k, v in summary["counts"]["latent_per_year"].items()}
    assert {int(k): v for k, v in primary.items()} == latent


def test_events_reference_existing_persons(edition):
    tev = edition.truth_events
    assert set(tev["person_id"]) <= set(edition.persons.index)
    assert set(tev["observed"]) <= {"true", "false"}


def test_summary_json(edition):
    summary = json.loads((edition.path / "truth" / "summary.json").read_text())
    assert summary["parameters"]["seed"] == edition.summary.seed
    assert summary["counts"]["registrations"] == len(edition.registrations)
    assert summary["counts"]["registered_persons"] == len(edition.persons)
    assert summary["counts"]["events"] == len(edition.truth_events)
    assert "victim_group_rule" in summary
    assert edition.summary.registrations == len(edition.registrations)
