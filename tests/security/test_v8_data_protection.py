"""ASVS 4.0 V8, data protection: the files/intake part.

Tested elsewhere and referenced from ``tests/security/README.md``:

- no identifier in clear in the store file: ``tests/pipeline/test_store_integrity.py::
  test_no_identifier_is_stored_in_clear``;
- none in Splink's tables, the saved model, the review export: ``tests/linkage/test_privacy.py``;
- none echoed in validation errors: ``tests/intake/test_bad_inputs.py::
  test_identifiers_are_never_echoed_in_errors``; in parse errors: ``test_v5_validation.py``;
- pseudonymisation (keyed, per purpose, order-free names): ``tests/intake/test_pseudonymise.py``;
- no run without a key, no other key: ``tests/intake/test_bad_inputs.py``.

Here: the key file's mode (issue 13, finding 12), the key and the identifiers never in the
output of a run, nor the key in the store.
"""

from __future__ import annotations

import os
import stat

import pytest

from helpers import KEY, registration, run_cli

IDENTIFIER_FIELDS = ("national_id", "family_name", "given_names", "birth_date")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_is_readable_by_its_owner_only(tmp_path):
    from traffickingmonitor.intake.pseudonymise import create_key_file

    old = os.umask(0)  # the most permissive umask must not widen the mode
    try:
        path = create_key_file(tmp_path / "keys" / "monitor.key")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert len(path.read_text().strip()) == 64


def test_rewriting_a_readable_key_file_makes_it_owner_only(tmp_path):
    from traffickingmonitor.intake.pseudonymise import create_key_file

    path = tmp_path / "monitor.key"
    path.write_text("old")
    path.chmod(0o644)
    create_key_file(path)
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=["0644", "0640", "0604"])
def test_a_key_file_others_can_read_gets_one_warning(tmp_path, capsys, mode):
    from traffickingmonitor.intake.pseudonymise import load_key

    path = tmp_path / "monitor.key"
    path.write_text("k" * 64 + "\n")
    path.chmod(mode)
    key = load_key(path)
    assert key.secret == b"k" * 64  # still accepted: a warning, not a refusal
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("warning:") and str(path) in lines[0]
    assert f"{mode:04o}" in lines[0] and "chmod 600" in lines[0]
    assert "k" * 16 not in err


def test_an_owner_only_key_file_gets_no_warning(tmp_path, capsys):
    from traffickingmonitor.intake.pseudonymise import load_key

    path = tmp_path / "monitor.key"
    path.write_text("k" * 64 + "\n")
    path.chmod(0o600)
    load_key(path)
    assert capsys.readouterr().err == ""


@pytest.fixture(scope="module")
def run_with_readable_key(tmp_path_factory):
    from helpers import make_input_dir

    root = tmp_path_factory.mktemp("v8")
    folder = make_input_dir(root)
    key_file = root / "monitor.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "TRAFFICKINGMONITOR_KEY"}
    db = root / "s.duckdb"
    result = run_cli("run", folder, "--db", db, "--key-file", key_file, env=env)
    assert result.returncode == 0, result.stderr
    return result, db


def test_run_warns_once_about_a_readable_key_file(run_with_readable_key):
    result, _ = run_with_readable_key
    warnings = [line for line in result.stderr.splitlines() if "warning: key file" in line]
    assert len(warnings) == 1, result.stderr


def test_no_identifier_and_no_key_in_the_output_of_a_run(run_with_readable_key):
    result, _ = run_with_readable_key
    output = result.stdout + result.stderr
    assert "registrations" in output  # the scan reads the real output
    for i in range(1, 41):
        row = registration(i)
        for field in IDENTIFIER_FIELDS:
            assert row[field] not in output, (field, i)
    assert KEY not in output


def test_the_key_is_not_in_the_store(run_with_readable_key):
    _, db = run_with_readable_key
    raw = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert KEY.encode() not in raw
    assert b"GM0363" in raw  # the scan does see stored text
