"""Odd but valid editions (``synthetic.variants``): filtered at write time, files consistent."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from traffickingmonitor.errors import UserError
from traffickingmonitor.synthetic.api import write_synthetic_edition
from traffickingmonitor.synthetic.variants import Shape, parse_org_year

from helpers import run_cli

KW = {"seed": 3, "years": (2017, 2019), "scale": 0.2}
ORGS = ("police", "kmar", "labour_inspectorate", "care", "other")


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _digests(path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    write_synthetic_edition(out, **KW)
    return out


def _edition(tmp_path, shape: Shape):
    summary = write_synthetic_edition(tmp_path, **KW, shape=shape)
    return tmp_path, summary


def _registrations(path) -> pd.DataFrame:
    files = [path / f"registrations_{o}.csv" for o in ORGS]
    return pd.concat([_read(f) for f in files if f.exists()], ignore_index=True)


def _assert_consistent(path) -> pd.DataFrame:
    """Truth, persons and events describe exactly the written registrations."""
    regs = _registrations(path)
    ids = set(regs["registration_id"])
    rp = _read(path / "truth" / "registration_person.csv")
    persons = _read(path / "truth" / "persons.csv")
    truth_events = _read(path / "truth" / "events.csv")
    assert set(rp["registration_id"]) == ids
    assert set(persons["person_id"]) == set(rp["person_id"])
    assert set(persons["first_registration_id"]) <= ids
    assert set(truth_events["person_id"]) <= set(persons["person_id"])
    if (path / "events.csv").exists():
        events = _read(path / "events.csv")
        assert len(events) == (truth_events["observed"] == "true").sum()
        # an event points at its person's first written registration
        person = events.merge(rp, on="registration_id", how="left")["person_id"]
        first_id = persons.set_index("person_id")["first_registration_id"]
        assert (first_id.loc[person].to_numpy() == events["registration_id"].to_numpy()).all()
    # the first written registration of a person is the one events point at
    first = (
        regs.merge(rp, on="registration_id")
        .sort_values(["registered_on", "registration_id"])
        .groupby("person_id")["registered_on"]
        .first()
    )
    dates = persons.set_index("person_id")["first_registered_on"]
    assert (dates.loc[first.index] == first).all()
    return regs


def test_files_left_out_leave_the_others_byte_identical(default, tmp_path):
    path, _ = _edition(tmp_path, Shape(events=False, assessments=False))
    before, after = _digests(default), _digests(path)
    assert set(before) - set(after) == {"events.csv", "municipal_assessments.csv"}
    del before["truth/summary.json"], after["truth/summary.json"]  # records the options
    del before["synthetic.json"], after["synthetic.json"]  # so does the marker
    assert {k: before[k] for k in after} == after


def test_only_org_writes_that_organisation_and_consistent_truth(default, tmp_path):
    path, summary = _edition(tmp_path, Shape(only_org="care"))
    assert sorted(p.name for p in path.glob("registrations_*")) == ["registrations_care.csv"]
    # filtered, not re-simulated: the care file is the default edition's care file
    assert (path / "registrations_care.csv").read_bytes() == (
        default / "registrations_care.csv"
    ).read_bytes()
    regs = _assert_consistent(path)
    assert set(regs["reporting_org"]) == {"care"}
    assert summary.registrations == len(regs)
    doc = json.loads((path / "truth" / "summary.json").read_text("utf-8"))
    assert doc["parameters"]["options"] == {"only_org": "care"}
    assert doc["counts"]["registrations_per_org"]["police"] == 0


def test_drop_org_year_leaves_a_gap_and_repoints_events(default, tmp_path):
    path, _ = _edition(tmp_path, Shape(drop_org_years=(("police", 2018),)))
    regs = _assert_consistent(path)
    police_years = set(regs.loc[regs["reporting_org"] == "police", "registered_on"].str[:4])
    assert police_years == {"2017", "2019"}
    full = _registrations(default)
    dropped = (full["reporting_org"] == "police") & full["registered_on"].str.startswith("2018")
    assert len(regs) == len(full) - dropped.sum() and dropped.sum() > 0
    # a person leaves the edition exactly when every registration of theirs was dropped
    full = full.merge(_read(default / "truth" / "registration_person.csv"), on="registration_id")
    gone = set(full["person_id"]) - set(full.loc[~dropped.to_numpy(), "person_id"])
    persons = set(_read(path / "truth" / "persons.csv")["person_id"])
    assert gone and not gone & persons
    assert persons | gone == set(_read(default / "truth" / "persons.csv")["person_id"])


def test_one_sex_everywhere(tmp_path):
    path, summary = _edition(tmp_path, Shape(sex="male"))
    regs = _assert_consistent(path)
    assert set(regs["sex"]) == {"male"}
    assert set(_read(path / "truth" / "persons.csv")["sex"]) == {"male"}
    population = _read(path / "truth" / "population.csv")
    assert population.loc[population["sex"] != "male", "count"].astype(int).sum() == 0
    assert all(agg["female_share"] == 0 for agg in summary.aggregates.values())


def test_parse_and_validate_name_the_option_and_allowed_values():
    assert parse_org_year("police:2018") == ("police", 2018)
    cases = [
        (lambda: parse_org_year("police-2018"), "--drop-org-year"),
        (lambda: Shape(only_org="polce").validate((2016, 2020)), "--only-org"),
        (lambda: Shape(drop_org_years=(("polis", 2018),)).validate((2016, 2020)), "polis"),
        (lambda: Shape(drop_org_years=(("police", 2015),)).validate((2016, 2020)), "2016-2020"),
        (lambda: Shape(sex="other").validate((2016, 2020)), "female, male"),
        (
            lambda: Shape(only_org="kmar", drop_org_years=(("kmar", 2019),)).validate((2019, 2019)),
            "leave no",
        ),
    ]
    for make, words in cases:
        with pytest.raises(UserError, match=words) as info:
            make()
        assert "\n" not in str(info.value)


def test_cli_bad_option_is_one_line_exit_2(tmp_path):
    result = run_cli("synth", "--out", tmp_path / "x", "--only-org", "police_unit")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: --only-org must be one of")
    assert "Traceback" not in result.stderr
