"""Every kind of bad input gets one clear line naming file, row, column and rule, and the
store is left exactly as it was."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers import REGISTRATION_COLUMNS, registration, run_cli, snapshot, write_csv


@pytest.fixture
def loaded(tmp_path, input_dir, key_env):
    """A store holding one edition of the valid input folder, and a fresh folder for bad files."""
    db = tmp_path / "store.duckdb"
    result = run_cli("run", input_dir, "--db", db)
    assert result.returncode == 0, result.stderr
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    return db, bad_dir


def _bad_rows(**over_by_index):
    rows = [registration(i, registration_id=f"NEW-{i}") for i in range(100, 110)]
    for index, over in over_by_index.items():
        rows[int(index)].update(over)
    return rows


def _write_bad(case: str, folder):
    path = folder / "registrations_new.csv"
    if case == "wrong_column":
        columns = [c if c != "registered_on" else "registerd_on" for c in REGISTRATION_COLUMNS]
        rows = [
            {("registerd_on" if k == "registered_on" else k): v for k, v in r.items()}
            for r in _bad_rows()
        ]
        write_csv(path, rows, columns)
    elif case == "bad_date":
        write_csv(path, _bad_rows(**{"3": {"registered_on": "2019-02-30"}}), REGISTRATION_COLUMNS)
    elif case == "unknown_code":
        write_csv(path, _bad_rows(**{"4": {"sex": "femme"}}), REGISTRATION_COLUMNS)
    elif case == "bad_gm_code":
        write_csv(
            path, _bad_rows(**{"5": {"exploitation_municipality": "GM9999"}}), REGISTRATION_COLUMNS
        )
    elif case == "empty_file":
        path.write_bytes(b"")
    elif case == "binary_file":
        path.write_bytes(bytes(range(256)) * 40)
    elif case == "duplicate_id":
        write_csv(path, _bad_rows(**{"6": {"registration_id": "NEW-100"}}), REGISTRATION_COLUMNS)
    elif case == "wrong_encoding":
        write_csv(
            path,
            _bad_rows(**{"2": {"family_name": "Müller-Lüdenscheidt"}}),
            REGISTRATION_COLUMNS,
            encoding="latin-1",
        )
    else:
        raise AssertionError(case)
    return path


# (case, words the one-line message must contain)
CASES = [
    ("wrong_column", ["registrations_new.csv", "registerd_on", "registered_on"]),
    (
        "bad_date",
        ["registrations_new.csv", "row 5", "registered_on", "2019-02-30", "not a valid date"],
    ),
    ("unknown_code", ["registrations_new.csv", "row 6", "'sex'", "femme", "unknown code"]),
    (
        "bad_gm_code",
        [
            "registrations_new.csv",
            "row 7",
            "exploitation_municipality",
            "GM9999",
            "no such municipality",
        ],
    ),
    ("empty_file", ["registrations_new.csv", "empty"]),
    ("binary_file", ["registrations_new.csv", "binary"]),
    (
        "duplicate_id",
        ["registrations_new.csv", "row 8", "registration_id", "NEW-100", "duplicated"],
    ),
    ("wrong_encoding", ["registrations_new.csv", "not UTF-8", "line 4"]),
]


@pytest.mark.parametrize(("case", "words"), CASES, ids=[c for c, _ in CASES])
def test_bad_file_is_refused_and_store_unchanged(loaded, case, words, input_dir):
    db, bad_dir = loaded
    for f in input_dir.iterdir():
        shutil.copy(f, bad_dir / f.name)
    _write_bad(case, bad_dir)
    before = snapshot(db)

    result = run_cli("run", bad_dir, "--db", db)

    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    for word in words:
        assert word in error_lines[0], (word, error_lines[0])
    assert "Traceback" not in result.stderr
    assert snapshot(db) == before


def test_identifiers_are_never_echoed_in_errors(loaded, input_dir):
    db, bad_dir = loaded
    rows = _bad_rows(**{"1": {"birth_date": "1990-13-45", "national_id": "x" * 300}})
    write_csv(bad_dir / "registrations_new.csv", rows, REGISTRATION_COLUMNS)
    result = run_cli("run", bad_dir, "--db", db)
    assert result.returncode == 2
    assert "1990-13-45" not in result.stderr
    assert "xxxxxxxx" not in result.stderr
    assert "birth_date" in result.stderr


def test_all_errors_are_counted_and_the_first_20_shown(loaded):
    db, bad_dir = loaded
    rows = [registration(i, registration_id=f"NEW-{i}", sex="?") for i in range(30)]
    write_csv(bad_dir / "registrations_new.csv", rows, REGISTRATION_COLUMNS)
    result = run_cli("run", bad_dir, "--db", db)
    assert result.returncode == 2
    shown = [
        line for line in result.stderr.splitlines() if line.startswith("registrations_new.csv: row")
    ]
    assert len(shown) == 20
    assert "10 more error(s)" in result.stderr
    assert "and 29 more error(s)" in result.stderr


def test_a_bad_file_beside_good_ones_loads_nothing(tmp_path, input_dir, key_env):
    db = tmp_path / "fresh.duckdb"
    write_csv(
        input_dir / "registrations_zzz.csv",
        _bad_rows(**{"0": {"registered_on": "yesterday"}}),
        REGISTRATION_COLUMNS,
    )
    result = run_cli("run", input_dir, "--db", db)
    assert result.returncode == 2
    state = snapshot(db)
    assert all(rows == [] for name, rows in state.items() if name != "store_meta")


def test_same_registration_id_in_two_files_is_refused(loaded, input_dir):
    db, bad_dir = loaded
    shutil.copy(input_dir / "registrations_police.csv", bad_dir / "registrations_police.csv")
    write_csv(
        bad_dir / "registrations_other.csv",
        [registration(1, reporting_org="other")],
        REGISTRATION_COLUMNS,
    )
    before = snapshot(db)
    result = run_cli("run", bad_dir, "--db", db)
    assert result.returncode == 2
    assert "POL-00001" in result.stderr and "registrations_other.csv" in result.stderr
    assert snapshot(db) == before


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_are_validated_like_csv(tmp_path, key_env, fmt):
    folder = tmp_path / fmt
    folder.mkdir()
    frame = pd.DataFrame(_bad_rows(**{"3": {"sex": "femme"}}), columns=REGISTRATION_COLUMNS)
    path = folder / f"registrations_x.{fmt}"
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 2
    assert "row 5" in result.stderr and "femme" in result.stderr
    frame.loc[3, "sex"] = "female"
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 0, result.stderr
    assert "10 registrations" in result.stderr


def test_run_without_a_key_is_refused(tmp_path, input_dir, monkeypatch):
    monkeypatch.delenv("TRAFFICKINGMONITOR_KEY", raising=False)
    result = run_cli("run", input_dir, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 2
    assert "no pseudonymisation key" in result.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_a_different_key_is_refused(loaded, input_dir):
    db, bad_dir = loaded
    write_csv(bad_dir / "registrations_new.csv", _bad_rows(), REGISTRATION_COLUMNS)
    before = snapshot(db)
    result = run_cli(
        "run", bad_dir, "--db", db, env={"TRAFFICKINGMONITOR_KEY": "another-key-of-enough-length"}
    )
    assert result.returncode == 2
    assert "key differs" in result.stderr
    assert snapshot(db) == before
