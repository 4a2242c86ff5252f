"""Idempotent imports, crash safety and pseudonymisation of the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb

from helpers import KEY, REGISTRATION_COLUMNS, registration, run_cli, snapshot, write_csv


def _data_counts(db):
    state = snapshot(db)
    return {name: len(state[name]) for name in ("import_files", "registrations", "edition_persons")}


def test_importing_the_same_files_twice_changes_no_data(tmp_path, input_dir, key_env):
    db = tmp_path / "s.duckdb"
    first = run_cli("run", input_dir, "--db", db)
    assert first.returncode == 0, first.stderr
    data_before = {k: v for k, v in snapshot(db).items() if k in ("import_files", "registrations")}

    second = run_cli("run", input_dir, "--db", db)

    assert second.returncode == 0, second.stderr
    assert second.stderr.count("already in the store") == 2
    assert "identical to edition" in second.stderr
    data_after = {k: v for k, v in snapshot(db).items() if k in ("import_files", "registrations")}
    assert data_after == data_before
    # Another configuration of the same inputs is a new edition: same fingerprint, new id.
    third = run_cli("run", input_dir, "--db", db, "--disclosure", "rounding")
    assert third.returncode == 0, third.stderr
    con = duckdb.connect(str(db), read_only=True)
    editions = con.execute(
        "SELECT edition_id, inputs_hash FROM editions ORDER BY edition_id"
    ).fetchall()
    con.close()
    assert (
        len(editions) == 2 and editions[0][1] == editions[1][1] and editions[0][0] != editions[1][0]
    )


def test_a_killed_import_leaves_the_store_as_it_was_and_can_be_rerun(tmp_path, input_dir, key_env):
    db = tmp_path / "s.duckdb"
    assert run_cli("run", input_dir, "--db", db).returncode == 0
    before = snapshot(db)
    new_dir = tmp_path / "more"
    new_dir.mkdir()
    rows = [registration(i, registration_id=f"NEW-{i}") for i in range(200, 1200)]
    write_csv(new_dir / "registrations_more.csv", rows, REGISTRATION_COLUMNS)

    env = {**os.environ, "TRAFFICKINGMONITOR_KEY": KEY, "TRAFFICKINGMONITOR_FAULT_PAUSE": "60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "traffickingmonitor", "run", str(new_dir), "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "paused inside transaction" in line:
            break
        assert time.monotonic() < deadline
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(db) == before
    again = run_cli("run", new_dir, "--db", db)
    assert again.returncode == 0, again.stderr
    assert _data_counts(db)["registrations"] == len(before["registrations"]) + 1000
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute(
        "SELECT count(*) FROM registrations WHERE registration_id LIKE 'NEW-%'"
    ).fetchall()[0][0]
    con.close()
    assert n == 1000


def test_no_identifier_is_stored_in_clear(tmp_path, input_dir, key_env):
    db = tmp_path / "s.duckdb"
    assert run_cli("run", input_dir, "--db", db).returncode == 0
    raw = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        raw += wal.read_bytes()
    for i in (1, 2, 17, 40):
        row = registration(i)
        for field in ("family_name", "given_names", "national_id", "birth_date"):
            assert row[field].encode() not in raw, (field, i)
    assert b"GM0363" in raw  # the scan does see stored text


def test_swapped_names_and_missing_national_id_still_link(tmp_path, input_dir, key_env):
    db = tmp_path / "s.duckdb"
    assert run_cli("run", input_dir, "--db", db).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    persons = con.execute(
        "SELECT registration_id, person_id FROM edition_persons ORDER BY registration_id"
    ).fetchall()
    con.close()
    person = dict(persons)
    for i in (1, 2, 3):
        assert person[f"POL-{i:05d}"] == person[f"ZRG-{i:05d}"]
    assert len(set(person.values())) == 40
