"""Re-victimisation and other events, computed from the truth events of registered persons."""

from __future__ import annotations

import pandas as pd
import pytest

YEAR = 365.25
PUBLISHED = {  # 2016-2020 monitor: share of registered victims with a new victimisation
    "revictimisation": {"any_5y": 0.45, "any_7y": 0.50},
    "revictimisation_5y_by_group": {
        "property": 0.33,
        "violence": 0.25,
        "human_trafficking": 0.08,
        "sexual": 0.08,
    },
}


@pytest.fixture(scope="module")
def victimisations(edition) -> pd.DataFrame:
    ev = edition.truth_events
    ev = ev[ev["event_type"] == "victimisation"].join(
        edition.persons["first_registered_on"], on="person_id"
    )
    days = pd.to_datetime(ev["event_date"]) - pd.to_datetime(ev["first_registered_on"])
    return ev.assign(days=days.dt.days)


def _share(edition, v: pd.DataFrame) -> float:
    return v["person_id"].nunique() / len(edition.persons)


@pytest.mark.parametrize(("years", "key"), [(5, "any_5y"), (7, "any_7y")])
def test_revictimisation_within_years(edition, victimisations, years, key):
    v = victimisations[victimisations["days"] <= years * YEAR]
    share = _share(edition, v)
    target = PUBLISHED["revictimisation"][key]
    assert abs(share - target) <= 0.03, (years, share, target)


@pytest.mark.parametrize(
    ("group", "tol"),
    [("property", 0.03), ("violence", 0.03), ("human_trafficking", 0.02), ("sexual", 0.02)],
)
def test_revictimisation_by_offence_group_5y(edition, victimisations, group, tol):
    v = victimisations[
        (victimisations["days"] <= 5 * YEAR) & (victimisations["offence_group"] == group)
    ]
    share = _share(edition, v)
    target = PUBLISHED["revictimisation_5y_by_group"][group]
    assert abs(share - target) <= tol, (group, share, target)


def test_events_follow_first_registration(edition, victimisations):
    assert (victimisations["days"] > 0).all()


def test_observed_events_match_input_events(edition):
    tev = edition.truth_events
    ev = edition.file("events.csv")
    obs = tev[tev["observed"] == "true"]
    assert set(tev["observed"]) == {"true", "false"}
    assert (pd.to_datetime(obs["event_date"]) <= pd.Timestamp("2025-12-31")).all()
    assert (pd.to_datetime(tev.loc[tev["observed"] == "false", "event_date"]) > "2025-12-31").all()
    first = edition.persons["first_registration_id"]
    mapped = obs.assign(registration_id=obs["person_id"].map(first))
    cols = ["registration_id", "event_date", "event_type", "offence_group", "source"]
    a = mapped[cols].sort_values(cols).reset_index(drop=True)
    b = ev[cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_competing_events(edition):
    tev = edition.truth_events
    ends = tev[tev["event_type"].isin(["death", "emigration"])]
    assert ends.groupby("person_id").size().max() == 1  # at most one
    counts = ends["event_type"].value_counts()
    assert counts["emigration"] > counts["death"] > 0
    # nothing happens after death or emigration
    last = ends.set_index("person_id")["event_date"]
    after = tev[tev["person_id"].isin(last.index)]
    assert (after["event_date"] <= after["person_id"].map(last)).all()
    # emigration more often for non-Dutch victims
    nat = edition.persons["nationality"]
    emig = set(ends.loc[ends["event_type"] == "emigration", "person_id"])
    is_emig = edition.persons.index.isin(list(emig))
    assert is_emig[nat != "NL"].mean() > 2 * is_emig[nat == "NL"].mean()


def test_suspect_drug_offences_cluster_among_young_criminal_victims(edition):
    tev = edition.truth_events
    drug = set(
        tev.loc[(tev["event_type"] == "suspect") & (tev["offence_group"] == "drugs"), "person_id"]
    )
    p = edition.persons
    age = (
        pd.to_datetime(p["first_registered_on"]) - pd.to_datetime(p["birth_date"])
    ).dt.days / YEAR
    young_crim = p["exploitation_form"].str.contains("criminal") & (age < 23)
    has = p.index.isin(list(drug))
    assert has[young_crim].mean() > 3 * has[~young_crim].mean()
    groups = set(tev.loc[tev["event_type"] == "suspect", "offence_group"])
    assert {"drugs", "property", "violence"} <= groups


def test_care_shelter_and_permits(edition):
    tev = edition.truth_events
    p = edition.persons
    undoc = p["residence_status"] == "undocumented"
    care = p.index.isin(tev.loc[tev["event_type"] == "care_start", "person_id"])
    shelter = p.index.isin(tev.loc[tev["event_type"] == "shelter_admission", "person_id"])
    assert care[undoc].mean() < care[~undoc].mean()
    assert shelter[undoc].mean() < shelter[~undoc].mean()
    permit = p.loc[p.index.isin(tev.loc[tev["event_type"] == "residence_permit", "person_id"])]
    from traffickingmonitor.codes.api import EU_COUNTRIES

    assert len(permit) > 50
    assert not permit["nationality"].isin(EU_COUNTRIES).any()
