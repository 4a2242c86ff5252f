"""ASVS 4.0 V12, files and resources: the input folder and the open-data downloads.

- A symbolic link out of the input folder is refused before anything is read (issue 13,
  finding 9: a followed link printed a line of another system file in its parse error).
- A file's content must be of the type its name says (CSV text, an XLSX zip, Parquet).
- The dashboard serves only the edition's own CSV files and metadata, whatever the name asked.
"""

from __future__ import annotations

import os
import shutil

import pytest

from helpers import KEY, REGISTRATION_COLUMNS, make_input_dir, registration, run_cli, snapshot

# A line of "another system file": it must never show up in anything the run prints.
OUTSIDE_LINE = "root:x:0:0:SECRET-OUTSIDE-LINE:/root:/bin/bash"


def _outside_file(tmp_path):
    target = tmp_path / "elsewhere" / "passwd"
    target.parent.mkdir()
    target.write_text(f"{OUTSIDE_LINE}\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
    return target


def _nothing_loaded(db) -> bool:
    return all(rows == [] for name, rows in snapshot(db).items() if name != "store_meta")


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
def test_a_symbolic_link_out_of_the_input_folder_is_refused(tmp_path, key_env, absolute):
    folder = make_input_dir(tmp_path)
    target = _outside_file(tmp_path)
    link = folder / "registrations_linked.csv"
    link.symlink_to(target if absolute else os.path.relpath(target, folder))
    db = tmp_path / "s.duckdb"

    result = run_cli("run", folder, "--db", db)

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "registrations_linked.csv" in errors[0] and "outside the input folder" in errors[0]
    assert "SECRET-OUTSIDE-LINE" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert _nothing_loaded(db)


def test_a_link_through_a_linked_folder_is_refused_too(tmp_path, key_env):
    folder = make_input_dir(tmp_path)
    target = _outside_file(tmp_path)
    (folder / "sub").symlink_to(target.parent, target_is_directory=True)
    (folder / "registrations_linked.csv").symlink_to("sub/passwd")
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 2
    assert "outside the input folder" in result.stderr
    assert "SECRET-OUTSIDE-LINE" not in result.stdout + result.stderr


def test_a_dangling_link_is_a_clear_error(tmp_path, key_env):
    folder = make_input_dir(tmp_path)
    (folder / "registrations_gone.csv").symlink_to(tmp_path / "missing.csv")
    db = tmp_path / "s.duckdb"
    result = run_cli("run", folder, "--db", db)
    assert result.returncode == 2
    assert "registrations_gone.csv" in result.stderr and "link to nothing" in result.stderr
    assert _nothing_loaded(db)


def test_a_link_to_a_file_inside_the_folder_is_read(tmp_path, key_env):
    folder = make_input_dir(tmp_path)
    archive = folder / "archive"
    archive.mkdir()
    shutil.move(folder / "registrations_care.csv", archive / "care.csv")
    (folder / "registrations_care.csv").symlink_to("archive/care.csv")
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 0, result.stderr
    assert "43 registrations" in result.stderr


# (file name, content, words of the error)
WRONG_TYPES = [
    ("registrations_x.csv", bytes(range(256)) * 40, "binary"),
    ("registrations_x.xlsx", b"registration_id,registered_on\nA,2020-01-01\n", "not an XLSX"),
    ("registrations_x.parquet", b"registration_id,registered_on\nA,2020-01-01\n", "Parquet"),
    ("registrations_x.xlsx", b"PK\x03\x04" + b"\x00" * 200, "cannot read the workbook"),
]


@pytest.mark.parametrize(
    ("name", "content", "words"), WRONG_TYPES, ids=["bin-csv", "csv-xlsx", "csv-pq", "zip-xlsx"]
)
def test_content_must_match_the_type_of_the_name(tmp_path, key_env, name, content, words):
    folder = make_input_dir(tmp_path)
    (folder / name).write_bytes(content)
    db = tmp_path / "s.duckdb"
    result = run_cli("run", folder, "--db", db)
    assert result.returncode == 2
    assert name in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _nothing_loaded(db)


def test_only_standard_file_names_are_read(tmp_path, key_env):
    folder = make_input_dir(tmp_path)
    # Neither a near miss nor a hidden file nor another extension is taken for input.
    (folder / "registration_police.csv").write_text("garbage\n")
    (folder / ".registrations_hidden.csv").write_text("garbage\n")
    (folder / "registrations_police.csv.bak").write_text("garbage\n")
    # An unknown name stops the run (it may be data under a wrong name) and is named ...
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 2, result.stderr
    assert "registration_police.csv, registrations_police.csv.bak" in result.stderr
    assert "registrations_hidden" not in result.stderr
    # ... and with --skip-unknown is left out, unread.
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb", "--skip-unknown")
    assert result.returncode == 0, result.stderr
    assert "43 registrations" in result.stderr


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from web_helpers import fresh_state_url, make_app

    root = tmp_path_factory.mktemp("v12")
    folder = make_input_dir(root)
    db = root / "m.duckdb"
    result = run_cli("run", folder, "--db", db, env={"TRAFFICKINGMONITOR_KEY": KEY})
    assert result.returncode == 0, result.stderr
    app = make_app(db, fresh_state_url("sqlite", root))
    with TestClient(app) as c:
        yield c, app.state.data.latest.edition_id


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "totals.csv.part",
        "report.html",
        "x.csv",
    ],
)
def test_downloads_serve_only_the_editions_files(client, name):
    c, edition = client
    assert c.get(f"/downloads/{edition}/totals.csv").status_code == 200
    r = c.get(f"/downloads/{edition}/{name}")
    assert r.status_code == 404
    assert "root:" not in r.text


def test_a_file_swapped_for_an_outside_link_after_discovery_is_not_read(tmp_path):
    from traffickingmonitor.intake.api import InvalidFile
    from traffickingmonitor.intake.readers import read_bytes

    folder = make_input_dir(tmp_path)
    path = folder / "registrations_police.csv"
    path.unlink()
    path.symlink_to(_outside_file(tmp_path))
    with pytest.raises(InvalidFile, match="outside the input folder") as caught:
        read_bytes(path)
    assert "SECRET" not in str(caught.value)


def test_a_named_pipe_is_refused_without_waiting(tmp_path):
    from traffickingmonitor.intake.api import InvalidFile
    from traffickingmonitor.intake.readers import read_bytes

    pipe = tmp_path / "registrations_x.csv"
    os.mkfifo(pipe)
    with pytest.raises(InvalidFile, match="not a regular file"):
        read_bytes(pipe)


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_a_file_that_unpacks_beyond_the_limit_is_refused(tmp_path, monkeypatch, suffix):
    import pandas as pd

    from traffickingmonitor.intake import readers
    from traffickingmonitor.intake.api import InvalidFile

    frame = pd.DataFrame([registration(i) for i in range(200)], columns=REGISTRATION_COLUMNS)
    path = tmp_path / f"registrations_x.{suffix}"
    if suffix == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    assert len(readers.read_table(path).frame) == 200
    # A small limit stands in for a real bomb (gigabytes of zeros) on a shared test machine.
    monkeypatch.setattr(readers, "MAX_UNPACKED_BYTES", path.stat().st_size // 2)
    with pytest.raises(InvalidFile, match="unpacks to"):
        readers.read_table(path)
