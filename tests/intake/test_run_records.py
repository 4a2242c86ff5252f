"""What `run` records: nothing when the edition would repeat the latest, and whether the data
are synthetic (``notes["synthetic"]``, from the marker `synth` writes)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from traffickingmonitor import editions, pipeline, store
from traffickingmonitor.errors import UserError
from traffickingmonitor.intake import api as intake
from traffickingmonitor.intake.pseudonymise import Key
from traffickingmonitor.synthetic.api import GENERATOR_VERSION, write_synthetic_edition

from helpers import KEY, REGISTRATION_COLUMNS, registration, snapshot, write_csv


def _editions(db):
    con = store.connect(db, read_only=True)
    try:
        return editions.list_editions(con)
    finally:
        con.close()


def test_a_run_that_would_repeat_the_latest_edition_records_nothing(tmp_path, input_dir):
    db, key = tmp_path / "s.duckdb", Key(KEY.encode())
    first = pipeline.run(input_dir, db, key)
    assert first.identical_to is None
    before = snapshot(db)

    again = pipeline.run(input_dir, db, key)

    assert again.identical_to == first.edition_id == again.edition_id
    assert (again.registrations, again.persons) == (first.registrations, first.persons)
    assert all(r.status == "unchanged" for r in again.imported)
    assert snapshot(db) == before  # not a row written
    # a clerical decision stored since links the same inputs differently: a new edition
    con = store.connect(db)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # as the store keeps times: UTC
    con.execute(
        "INSERT INTO linkage_reviews VALUES ('POL-00001', 'ZRG-00001', 'no_match', ?, 'test')",
        [now],
    )
    con.close()
    reviewed = pipeline.run(input_dir, db, key)
    assert reviewed.identical_to is None and reviewed.edition_id != first.edition_id
    # another configuration, or another file, is a new edition
    other = pipeline.run(input_dir, db, key, config={"disclosure": "rounding"})
    assert other.identical_to is None and other.edition_id != first.edition_id
    write_csv(
        input_dir / "registrations_kmar.csv",
        [registration(i, registration_id=f"KM-{i}", reporting_org="kmar") for i in range(5)],
        REGISTRATION_COLUMNS,
    )
    more = pipeline.run(input_dir, db, key, config={"disclosure": "rounding"})
    assert more.identical_to is None and more.registrations == first.registrations + 5
    found = _editions(db)
    assert [e.edition_id for e in found] == [
        first.edition_id,
        reviewed.edition_id,
        other.edition_id,
        more.edition_id,
    ]
    assert all("synthetic" not in e.notes for e in found)  # delivered data


@pytest.fixture(scope="module")
def synthetic_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "in"
    write_synthetic_edition(out, seed=5, years=(2019, 2019), scale=0.2)
    return out


def test_synth_marks_its_folder_and_run_records_it(tmp_path, synthetic_folder):
    marker = json.loads((synthetic_folder / intake.SYNTHETIC_MARKER).read_text())
    paths, unknown = intake.discover(synthetic_folder)
    assert unknown == []  # the marker and truth/ are known, not unknown files
    assert sorted(marker["files"]) == sorted(p.name for p in paths)

    summary = pipeline.run(synthetic_folder, tmp_path / "s.duckdb", Key(KEY.encode()))

    note = _editions(tmp_path / "s.duckdb")[-1].notes["synthetic"]
    assert note == summary.notes["synthetic"]
    assert (note["seed"], note["years"], note["scale"]) == (5, [2019, 2019], 0.2)
    assert note["generator_version"] == GENERATOR_VERSION
    assert "files" not in note  # hashes stay in the marker and the edition's inputs


@pytest.mark.parametrize("change", ["added", "edited"])
def test_a_file_synth_did_not_write_is_refused_in_a_synthetic_folder(
    tmp_path, synthetic_folder, change
):
    folder = tmp_path / "in"
    shutil.copytree(synthetic_folder, folder)
    if change == "added":
        name = "registrations_delivered.csv"
        write_csv(folder / name, [registration(1, registration_id="D-1")], REGISTRATION_COLUMNS)
    else:
        name = "registrations_kmar.csv"
        with (folder / name).open("a") as fh:  # a row added by hand
            fh.write(",".join(registration(1, registration_id="D-1").values()) + "\n")
    db = tmp_path / "s.duckdb"

    with pytest.raises(UserError) as refused:
        pipeline.run(folder, db, Key(KEY.encode()))

    message = str(refused.value)
    assert message.startswith(f"{name}: not written by `synth`")
    assert intake.SYNTHETIC_MARKER in message and "nothing was loaded" in message
    assert all(rows == [] for table, rows in snapshot(db).items() if table != "store_meta")


def test_a_damaged_marker_is_refused(tmp_path, input_dir):
    (input_dir / intake.SYNTHETIC_MARKER).write_text('{"seed": 1}')
    with pytest.raises(UserError, match="not a marker written by `traffickingmonitor synth`"):
        pipeline.run(input_dir, tmp_path / "s.duckdb", Key(KEY.encode()))
    assert not (tmp_path / "s.duckdb").exists()
