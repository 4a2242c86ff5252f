"""An edition is protected once: ``run`` stores its protected tables, every channel reads them.

The stored protection must publish exactly what the engine computes (every value, symbol,
hidden kind, accuracy and declaration), be keyed by the rule, be replaced when another code
version wrote it, never be written by a read-only reader and never be half-written.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from traffickingmonitor import editions, pipeline, store
from traffickingmonitor.disclosure import stored
from traffickingmonitor.disclosure.api import (
    DisclosureRule,
    protect_edition,
    require_protected,
    rule_from_config,
)
from traffickingmonitor.intake.pseudonymise import Key

from helpers import KEY


def _copy(db, tmp_path):
    """A copy of the session's demo store, to change without touching the others' tests."""
    out = tmp_path / "monitor.duckdb"
    shutil.copy(db, out)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, out.with_name(out.name + ".wal"))
    return out


def _edition(db):
    edition, tables = editions.read_edition(db)
    return edition, tables, rule_from_config(edition.config.get("disclosure"))


def _rows(db, edition_id=None, rule=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        sql = f"SELECT edition_id, rule_key, code_version, table_id, payload FROM {stored.TABLE}"
        if edition_id is None:
            return con.execute(sql + " ORDER BY rule_key, position").fetchall()
        return con.execute(
            sql + " WHERE edition_id = ? AND rule_key = ? ORDER BY position",
            [edition_id, stored.rule_key(rule)],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def _fail(*args, **kwargs):
    raise AssertionError("protection computed, though it is stored")


def _assert_same(a, b):
    """Every published value and symbol, hidden kind, accuracy and declaration alike."""
    require_protected(a)
    require_protected(b)
    assert a.spec.meta() == b.spec.meta()
    assert list(a.spec.frame.columns) == list(b.spec.frame.columns)
    assert list(a.spec.frame.dtypes.astype(str)) == list(b.spec.frame.dtypes.astype(str))
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    pd.testing.assert_frame_equal(a.suppressed, b.suppressed, check_exact=True)
    pd.testing.assert_frame_equal(a.status, b.status, check_exact=True)
    if a.accuracy is None:
        assert b.accuracy is None
    else:
        pd.testing.assert_frame_equal(a.accuracy, b.accuracy, check_exact=True)
    # cell by cell as publishing code reads them: the shown value and why it is hidden
    for col in a.spec.counts:
        for pos in range(len(a.frame)):
            assert a.frame[col].iloc[pos] == b.frame[col].iloc[pos] or (
                pd.isna(a.frame[col].iloc[pos]) and pd.isna(b.frame[col].iloc[pos])
            )
            assert isinstance(a.frame[col].iloc[pos], str) == isinstance(
                b.frame[col].iloc[pos], str
            )
            assert a.status[col].iloc[pos] == b.status[col].iloc[pos]
    assert a.n_hidden("primary") == b.n_hidden("primary")
    assert a.n_hidden("secondary") == b.n_hidden("secondary")


def test_run_stores_the_protection_the_engine_computes_cell_by_cell(demo_edition, monkeypatch):
    edition, tables, rule = _edition(demo_edition.db)
    rows = _rows(demo_edition.db, edition.edition_id, rule)
    assert [r[3] for r in rows] == list(tables)  # every table, in the edition's order
    assert {r[2] for r in rows} == {stored.code_version()}
    recomputed = protect_edition(tables, rule)
    monkeypatch.setattr(stored, "protect_edition_details", _fail)
    found = stored.stored_protection(
        demo_edition.db, edition.edition_id, tables, rule, read_only=True
    )
    assert found.stored
    assert list(found.tables) == list(recomputed)
    hidden = 0
    for tid, table in recomputed.items():
        _assert_same(found.tables[tid], table)
        hidden += table.n_hidden()
    assert hidden > 0  # the demo hides cells: the comparison covers symbols and kinds


def test_noisy_counts_and_their_accuracy_read_back_alike(demo_edition):
    rule = DisclosureRule(method="dp", epsilon=1.0)
    noisy = protect_edition(demo_edition.tables, rule)
    assert any(t.accuracy is not None for t in noisy.values())
    for table in noisy.values():
        _assert_same(stored.decode_table(stored.encode_table(table), rule), table)


def test_the_stored_form_holds_no_unprotected_count(demo_edition):
    edition, tables, rule = _edition(demo_edition.db)
    payload = stored.encode_table(
        stored.protected_tables(demo_edition.db, edition.edition_id, tables, rule, read_only=True)[
            "sex"
        ]
    )
    import json
    import zlib

    doc = json.loads(zlib.decompress(payload))
    assert set(doc) == {
        "format",
        "table_id",
        "meta",
        "spec_frame",
        "frame",
        "suppressed",
        "status",
        "accuracy",
    }
    assert all(not c["values"] for c in doc["spec_frame"]["data"])  # a declaration, no number


def test_report_and_dashboard_read_the_stored_protection(demo_edition, monkeypatch):
    from traffickingmonitor.publish.report import protected_edition
    from traffickingmonitor.publish.web.data import EditionData

    edition, tables, rule = _edition(demo_edition.db)
    expected = stored.protected_tables(
        demo_edition.db, edition.edition_id, tables, rule, read_only=True
    )
    monkeypatch.setattr(stored, "protect_edition_details", _fail)
    _, used_rule, protected = protected_edition(demo_edition.db, None, None, None)
    assert used_rule == rule
    data = EditionData(demo_edition.db)  # the edition's own rule, as the report uses
    assert data.rule(edition.edition_id) == rule
    web = data.tables(edition.edition_id)
    for got in (protected, web):
        assert list(got) == list(expected)
        for tid, table in expected.items():
            _assert_same(got[tid], table)


def _with_old_entry(demo_edition, tmp_path):
    """A copy of the demo store whose stored protection was written by another code version."""
    db = _copy(demo_edition.db, tmp_path)
    edition, tables, rule = _edition(db)
    con = duckdb.connect(str(db))
    con.execute(f"UPDATE {stored.TABLE} SET code_version = '0.0.1-old'")
    con.close()
    return db, edition, tables, rule


def test_an_entry_of_another_code_version_is_recomputed_and_replaced(
    demo_edition, tmp_path, caplog
):
    db, edition, tables, rule = _with_old_entry(demo_edition, tmp_path)
    with caplog.at_level(logging.WARNING, logger=stored.__name__):
        again = stored.stored_protection(db, edition.edition_id, tables, rule, read_only=False)
    assert not again.stored
    messages = [r.getMessage() for r in caplog.records if r.name == stored.__name__]
    assert len(messages) == 1
    assert "0.0.1-old" in messages[0] and "replaced" in messages[0]
    assert "\n" not in messages[0] and all(r.exc_info is None for r in caplog.records)
    rows = _rows(db, edition.edition_id, rule)
    assert [r[3] for r in rows] == list(tables)
    assert {r[2] for r in rows} == {stored.code_version()}
    assert stored.stored_protection(db, edition.edition_id, tables, rule, read_only=False).stored


def test_an_old_entry_on_a_read_only_store_is_computed_not_replaced(demo_edition, tmp_path, caplog):
    db, edition, tables, rule = _with_old_entry(demo_edition, tmp_path)
    with caplog.at_level(logging.WARNING, logger=stored.__name__):
        found = stored.stored_protection(db, edition.edition_id, tables, rule, read_only=True)
    assert not found.stored
    assert any("not replaced" in r.getMessage() for r in caplog.records)
    assert {r[2] for r in _rows(db, edition.edition_id, rule)} == {"0.0.1-old"}


def test_a_read_only_store_computes_without_writing_and_says_so_once(
    demo_edition, tmp_path, caplog
):
    db = _copy(demo_edition.db, tmp_path)
    edition, tables, rule = _edition(db)
    con = duckdb.connect(str(db))
    con.execute(f"DROP TABLE {stored.TABLE}")  # a store written before protection was stored
    con.close()
    reference = protect_edition(tables, rule)
    with caplog.at_level(logging.WARNING, logger=stored.__name__):
        for _ in range(2):
            found = stored.stored_protection(db, edition.edition_id, tables, rule, read_only=True)
            assert not found.stored
            for tid, table in reference.items():
                _assert_same(found.tables[tid], table)
    said = [r.getMessage() for r in caplog.records if r.name == stored.__name__]
    assert len(said) == 1 and "not stored" in said[0]
    assert _rows(db) == []
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [stored.TABLE]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert n == 0


def test_a_rule_with_another_threshold_has_its_own_entry(demo_edition, tmp_path):
    db = _copy(demo_edition.db, tmp_path)
    edition, _, rule = _edition(db)
    before = _rows(db, edition.edition_id, rule)
    # the shared store may hold entries of other rules already (other tests report on it)
    keys_before = {r[1] for r in _rows(db)}
    tables = demo_edition.tables  # the attacker suite's tables: enough for a second key
    other = replace(rule, threshold=15)
    assert stored.rule_key(rule) in keys_before and stored.rule_key(other) not in keys_before
    first = stored.protected_tables(db, edition.edition_id, tables, other, read_only=False)
    assert all(t.rule.threshold == 15 for t in first.values())
    assert any(t.n_hidden() for t in first.values())
    assert {r[1] for r in _rows(db)} == keys_before | {stored.rule_key(other)}
    assert _rows(db, edition.edition_id, rule) == before  # the edition's own entry untouched
    assert [r[3] for r in _rows(db, edition.edition_id, other)] == list(tables)
    found = stored.stored_protection(db, edition.edition_id, tables, other, read_only=False)
    assert found.stored
    for tid, table in first.items():
        _assert_same(found.tables[tid], table)
        assert found.tables[tid].rule.symbol == "<15"


def test_an_interrupted_write_leaves_no_partial_entry(demo_edition, tmp_path, monkeypatch):
    db = _copy(demo_edition.db, tmp_path)
    edition, _, rule = _edition(db)
    tables = demo_edition.tables
    encode = stored.encode_table
    seen = []

    def failing(table):
        seen.append(table.table_id)
        if len(seen) == 3:
            raise RuntimeError("disk full")
        return encode(table)

    monkeypatch.setattr(stored, "encode_table", failing)
    other = replace(rule, threshold=12)
    protection = stored.protect_edition_details(tables, other)
    con = store.connect(db)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            stored.store_protection(con, edition.edition_id, other, protection.tables, 1.0)
        # a new entry: nothing of it
        assert _count(con, edition.edition_id, other) == 0
        # replacing the run's entry: it stays whole and unchanged
        kept = _payloads(con, edition.edition_id, rule)
        seen.clear()
        with pytest.raises(RuntimeError, match="disk full"):
            stored.store_protection(con, edition.edition_id, rule, protection.tables, 1.0)
        assert _payloads(con, edition.edition_id, rule) == kept and len(kept) > 3
    finally:
        con.close()
    # a reader is not hurt by a failing write: it gets the computed tables, with a message
    seen.clear()
    got = stored.protected_tables(db, edition.edition_id, tables, other, read_only=False)
    assert list(got) == list(tables)
    assert _rows(db, edition.edition_id, other) == []


def _count(con, edition_id, rule) -> int:
    return con.execute(
        f"SELECT count(*) FROM {stored.TABLE} WHERE edition_id = ? AND rule_key = ?",
        [edition_id, stored.rule_key(rule)],
    ).fetchall()[0][0]


def _payloads(con, edition_id, rule) -> list:
    return con.execute(
        f"SELECT table_id, code_version, payload FROM {stored.TABLE} "
        "WHERE edition_id = ? AND rule_key = ? ORDER BY position",
        [edition_id, stored.rule_key(rule)],
    ).fetchall()


def test_a_failure_to_store_the_protection_loses_no_edition(tmp_path, input_dir, monkeypatch):
    import traffickingmonitor.disclosure.stored as module

    def broken(*args, **kwargs):
        raise RuntimeError("no room")

    monkeypatch.setattr(module, "stored_protection", broken)
    db = tmp_path / "s.duckdb"
    summary = pipeline.run(input_dir, db, Key(KEY.encode()))
    assert summary.notes["protection"]["stored"] is False
    assert "no room" in summary.notes["protection"]["error"]
    edition, tables = editions.read_edition(db)
    assert edition.edition_id == summary.edition_id and tables
    assert _rows(db) == []
    monkeypatch.undo()
    # the next run of the same inputs records nothing new but stores the protection
    again = pipeline.run(input_dir, db, Key(KEY.encode()))
    assert again.identical_to == summary.edition_id
    assert again.notes["protection"] == {
        "stored": True,
        "computed": True,
        "seconds": again.notes["protection"]["seconds"],
    }
    assert [r[3] for r in _rows(db)] == list(tables)


def test_a_protection_that_refuses_stops_the_run_after_recording_the_edition(
    tmp_path, input_dir, monkeypatch
):
    """When protection decides nothing may be published (its error is the user's, not a
    crash), ``run`` keeps the edition, says so and exits with that error's code, not 0."""
    from typer.testing import CliRunner

    import traffickingmonitor.disclosure.stored as module
    from traffickingmonitor.cli import app
    from traffickingmonitor.disclosure.against_atoms import NotClosedError

    def refused(*args, **kwargs):
        raise NotClosedError("hidden cells are still repeated by shown ones")

    monkeypatch.setattr(module, "stored_protection", refused)
    monkeypatch.setenv("TRAFFICKINGMONITOR_KEY", KEY)
    db = tmp_path / "s.duckdb"
    res = CliRunner().invoke(app, ["run", str(input_dir), "--db", str(db)])
    assert res.exit_code == NotClosedError.exit_code == 3, res.output
    assert "still repeated" in res.output and "no channel will publish it" in res.output
    edition, tables = editions.read_edition(db)
    assert edition.edition_id in res.output and tables and _rows(db) == []


def test_a_store_held_open_by_a_reader_is_not_locked_by_a_writer(demo_edition, tmp_path, caplog):
    """``report`` beside a running ``serve``: the reader keeps its connection, the command
    computes (and says it could not store)."""
    db = _copy(demo_edition.db, tmp_path)
    edition, _, rule = _edition(db)
    other = replace(rule, threshold=11)
    reader = duckdb.connect(str(db), read_only=True)  # as a server holds it
    try:
        with caplog.at_level(logging.WARNING, logger=stored.__name__):
            got = stored.protected_tables(
                db, edition.edition_id, demo_edition.tables, other, read_only=False
            )
        assert list(got) == list(demo_edition.tables)
        assert reader.execute("SELECT count(*) FROM editions").fetchall()[0][0] >= 1
    finally:
        reader.close()
    assert any("not stored" in r.getMessage() for r in caplog.records)
    assert _rows(db, edition.edition_id, other) == []


def test_the_rounds_of_a_protection_read_each_tables_members_once(demo_edition, monkeypatch):
    """``protect_with_repeats`` asks for members round after round, mostly of the same tables:
    each table's members are made from the microdata once, and are those made alone."""
    from traffickingmonitor.analysis import microdata

    edition, tables, _ = _edition(demo_edition.db)
    direct = microdata.stored_members(demo_edition.db, edition.edition_id, tables).members
    a, b, c = list(direct)[:3]
    asked = []
    real = microdata.stored_members
    monkeypatch.setattr(
        microdata,
        "stored_members",
        lambda db, eid, wanted: asked.append(sorted(wanted)) or real(db, eid, wanted),
    )
    members_of = stored._members_once(demo_edition.db, edition.edition_id, tables)
    first = members_of({a, b})
    second = members_of({b, c})
    assert asked == [sorted([a, b]), [c]]
    assert set(first) == {a, b} and set(second) == {b, c}
    for tid, frame in [*first.items(), *second.items()]:
        pd.testing.assert_frame_equal(frame, direct[tid])
    third = members_of({a, c})  # both made before: read, not made again
    assert len(asked) == 2
    assert third[a] is first[a] and third[c] is second[c]
