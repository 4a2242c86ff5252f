"""The cohort from the store: events reach persons by registration id or by person tokens."""

from __future__ import annotations

import json

import pytest

from traffickingmonitor.intake.schema import EVENTS

from helpers import KEY, make_input_dir, registration, write_csv

EVENT_COLUMNS = EVENTS.names


def _event(**kw) -> dict:
    return {c: kw.get(c, "") for c in EVENT_COLUMNS}


@pytest.fixture(scope="module")
def store_with_events(tmp_path_factory):
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key

    folder = make_input_dir(tmp_path_factory.mktemp("in"))
    r2, r5 = registration(2), registration(5)
    events = [
        # by the registration id
        _event(
            registration_id="POL-00001",
            event_date="2021-06-01",
            event_type="victimisation",
            offence_group="property",
            source="police",
        ),
        # by the national id only
        _event(
            national_id=r2["national_id"],
            event_date="2021-07-01",
            event_type="victimisation",
            offence_group="violence",
            source="police",
        ),
        # by name and birth date (tokens; the name order does not matter)
        _event(
            family_name=r5["given_names"],
            given_names=r5["family_name"],
            birth_date=r5["birth_date"],
            event_date="2022-01-01",
            event_type="death",
            source="brp",
        ),
        # before the first registration: counts in the "before" window only
        _event(
            registration_id="POL-00003",
            event_date="2017-01-01",
            event_type="suspect",
            offence_group="drugs",
            source="police",
        ),
        # a registration the edition does not have, and a person it does not know
        _event(
            registration_id="NOPE-1",
            event_date="2021-01-01",
            event_type="care_start",
            source="care",
        ),
        _event(
            national_id="999999999", event_date="2024-12-31", event_type="care_start", source="care"
        ),
    ]
    write_csv(folder / "events.csv", events, EVENT_COLUMNS)
    db = tmp_path_factory.mktemp("db") / "s.duckdb"
    summary = pipeline.run(folder, db, Key(KEY.encode()))
    return db, summary


def test_events_are_linked_by_id_or_tokens_and_the_rest_is_counted(store_with_events):
    from traffickingmonitor import store
    from traffickingmonitor.analysis.cohort import load_cohort

    db, summary = store_with_events
    notes = summary.notes["revictimisation"]
    assert notes["events_linked_by"] == {
        "name_birth": 1,
        "national_id": 1,
        "no_match": 1,
        "registration": 2,
        "unknown_registration": 1,
    }
    # the cut-off is the last event date (also of an event that links to nobody)
    assert notes["cutoff"] == "2024-12-31"
    con = store.connect(db, read_only=True)
    try:
        cohort = load_cohort(con, summary.edition_id)
    finally:
        con.close()
    ev = cohort.events
    assert sorted(ev["event_type"]) == ["death", "suspect", "victimisation", "victimisation"]
    assert (ev.loc[ev["event_type"] == "suspect", "day"] < 0).all()
    assert (ev.loc[ev["event_type"] != "suspect", "day"] > 0).all()


def test_tables_of_the_small_edition_and_a_cli_that_hides_what_it_must(store_with_events):
    import typer
    from typer.testing import CliRunner

    from traffickingmonitor.analysis.cohort_cli import revictimisation_command

    db, _ = store_with_events
    app = typer.Typer()
    app.command("revictimisation")(revictimisation_command)
    app.command("other")(lambda: None)
    runner = CliRunner()
    result = runner.invoke(app, ["revictimisation", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # ~40 persons, two victimised: shown size, hidden events, so no percentage at all
    assert isinstance(out["cohort_size"], int) and 40 <= out["cohort_size"] <= 43
    for h in out["overall"].values():
        if h["events"] == 0:  # nobody yet: a true, publishable 0
            assert h["cif"] == 0.0
        else:
            # hidden: <10, or x where the engine turned the table to x (a <10 would tell)
            assert h["events"] in ("<10", "x")
            assert h["cif"] is None and h["ci_low"] is None and h["ci_high"] is None
    assert out["overall"]["5"]["cif"] is None
    # a threshold above the cohort size hides even the size (text output this time)
    text = runner.invoke(app, ["revictimisation", "--db", str(db), "--threshold", "50"])
    assert text.exit_code == 0, text.output
    # hidden as <50, or as x where the engine turned the table to x
    assert "cohort of <50 persons" in text.stdout or "cohort of x persons" in text.stdout


def test_what_native_code_prints_meanwhile_goes_to_stderr(capfd):
    """stdout carries the one JSON object: a solver printing to file descriptor 1 during
    disclosure control (HiGHS does) must not end up in it."""
    import os

    from traffickingmonitor.analysis.cohort_cli import _native_output_to_stderr

    with _native_output_to_stderr():
        os.write(1, b"solver message\n")
    print('{"json": 1}')
    out, err = capfd.readouterr()
    assert out == '{"json": 1}\n'
    assert "solver message" in err


def test_an_edition_without_events_has_no_cohort_tables_and_the_cli_says_so(tmp_path):
    import typer
    from typer.testing import CliRunner

    from traffickingmonitor import editions, pipeline
    from traffickingmonitor.analysis.cohort_cli import revictimisation_command
    from traffickingmonitor.errors import UserError
    from traffickingmonitor.intake.pseudonymise import Key

    db = tmp_path / "s.duckdb"
    summary = pipeline.run(make_input_dir(tmp_path), db, Key(KEY.encode()))
    assert "skipped" in summary.notes["revictimisation"]
    _, tables = editions.read_edition(db, summary.edition_id)
    assert not any(t.startswith(("revictimisation", "crime_", "care_")) for t in tables)
    app = typer.Typer()
    app.command("revictimisation")(revictimisation_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["revictimisation", "--db", str(db), "--json"])
    assert isinstance(result.exception, UserError)
    assert "no re-victimisation figures" in str(result.exception)
