"""On the synthetic national edition: the estimate against the generator's ground truth.

What "true" means here: the generator simulates every registered person's events from the
first registration until death, emigration or well past the cut-off (2025-12-31). All persons
were first registered in 2016-2020, so everyone's five-year window ends before the cut-off:
the true five-year share is simply the share of registered persons with a victimisation in the
five years after their first registration (before death or emigration, after which the
generator records nothing). The generator is also calibrated to an expected share (45% at five
years, 50% at seven, summary.json ``fitted_shares``); the sample share differs from it by
sampling noise only, which the 95% interval must cover.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from cohort_helpers import person_years_frame
from traffickingmonitor.analysis.cohort import from_frames, horizon_days
from traffickingmonitor.analysis.revictimisation import PER, revictimisation_tables

CUTOFF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def truth(synthetic):
    persons = synthetic.truth("persons")
    events = synthetic.truth("events")
    summary = json.loads((synthetic.data / "truth" / "summary.json").read_text())
    return persons, events, summary["events_model"]["fitted_shares"]


def _empirical_share(persons, events, years: int, offence: str | None = None) -> float:
    """Share of registered persons with a (true) victimisation within ``years`` of registration."""
    t0 = pd.to_datetime(persons.set_index("person_id")["first_registered_on"])
    ev = events[events["event_type"] == "victimisation"]
    if offence:
        ev = ev[ev["offence_group"] == offence]
    day = (pd.to_datetime(ev["event_date"]) - ev["person_id"].map(t0)).dt.days
    hit = ev.loc[(day >= 1) & (day <= horizon_days(years)), "person_id"].unique()
    return len(hit) / len(persons)


def _at(frame, month, offence="any"):
    row = frame[(frame["offence_group"] == offence) & (frame["month"] == month)].iloc[0]
    return (
        row["cif_per_10000"] / PER,
        row["ci_low_per_10000"] / PER,
        row["ci_high_per_10000"] / PER,
    )


def test_with_the_true_persons_the_estimate_is_the_truth_and_covers_the_calibration(truth):
    """The estimator on ground truth (true persons, every event): no linkage in between."""
    persons, events, fitted = truth
    # the true place is not in the truth: the region does not matter here
    first = persons.rename(columns={"first_registered_on": "t0"})[["person_id", "t0"]].assign(
        place="unknown"
    )
    py = person_years_frame(
        first.assign(year=pd.to_datetime(first["t0"]).dt.year).reset_index(drop=True)
    )
    cohort = from_frames(first, py, events, CUTOFF)
    assert len(cohort) == len(persons)
    main = revictimisation_tables(cohort, cox=False)[0].frame
    cif, low, high = _at(main, 60)
    # complete five-year follow-up: Aalen-Johansen is exactly the share
    assert cif == pytest.approx(_empirical_share(persons, events, 5), abs=1e-9)
    assert low <= fitted["any_5y"] <= high, (cif, low, high, fitted["any_5y"])
    assert 0.42 < cif < 0.48
    cif7, low7, high7 = _at(main, 84)
    assert low7 <= fitted["any_7y"] <= high7, (cif7, low7, high7, fitted["any_7y"])
    for group in ("property", "violence", "threat", "sexual", "human_trafficking", "drugs"):
        c, lo, hi = _at(main, 60, group)
        assert c == pytest.approx(_empirical_share(persons, events, 5, group), abs=1e-9)
        # six more intervals: one may miss the calibrated share by chance, none by much
        assert abs(c - fitted[f"{group}_5y"]) < (hi - lo), (group, c, lo, hi)


def test_the_edition_estimate_covers_the_generator_truth(synthetic, truth):
    """The pipeline's own estimate (intake, linkage, events by registration id) at five years."""
    from traffickingmonitor import editions

    persons, events, fitted = truth
    edition, tables = editions.read_edition(synthetic.db)
    main = tables["revictimisation"].frame
    cif, low, high = _at(main, 60)
    empirical = _empirical_share(persons, events, 5)
    size = int(main[(main["offence_group"] == "any") & (main["month"] == 0)]["at_risk"].iloc[0])
    detail = (
        f"5-year CIF {cif:.4f} ({low:.4f}-{high:.4f}); truth {empirical:.4f}, calibrated "
        f"{fitted['any_5y']:.4f}; {size} persons in the edition, {len(persons)} in truth "
        "(a linkage that splits persons adds persons without events and biases this down)"
    )
    assert low <= empirical <= high, detail
    assert low <= fitted["any_5y"] <= high, detail
    assert edition.notes["revictimisation"]["cutoff"] == CUTOFF.isoformat()


def test_cli_json_contract(synthetic):
    """``revictimisation --json``: one object, published values only, as fractions."""
    import typer
    from typer.testing import CliRunner

    from traffickingmonitor import editions
    from traffickingmonitor.analysis.cohort_cli import revictimisation_command

    app = typer.Typer()
    app.command("revictimisation")(revictimisation_command)
    app.command("other")(lambda: None)  # two commands: the subcommand name is required
    result = CliRunner().invoke(app, ["revictimisation", "--db", str(synthetic.db), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert isinstance(out["cohort_size"], int) and out["cohort_size"] > 4000
    assert set(out["overall"]) == {"1", "2", "5", "7"}
    main = editions.read_edition(synthetic.db)[1]["revictimisation"]
    previous = 0.0
    for years, h in out["overall"].items():
        assert 0 <= h["ci_low"] <= h["cif"] <= h["ci_high"] <= 1
        assert h["cif"] >= previous
        previous = h["cif"]
        raw = _at(main.frame, int(years) * 12)[0]
        # published: the stored estimate per 10,000 rounded to tens, i.e. 0.1 point
        assert h["cif"] == pytest.approx(round(raw * PER / 10) * 10 / PER, abs=1e-12)
        assert h["cif"] != raw  # never the unrounded value
    assert 0.40 < out["overall"]["5"]["cif"] < 0.50
    assert set(out["by_offence_group"]) >= {"property", "violence", "drugs"}
    assert "minor" in out["by_group"] and "victim_group" in out["by_group"]
    assert out["cutoff"] == CUTOFF.isoformat()
    np.testing.assert_array_less(
        out["by_offence_group"]["drugs"]["5"]["cif"],
        out["by_offence_group"]["property"]["5"]["cif"],
    )
