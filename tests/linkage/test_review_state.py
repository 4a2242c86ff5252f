"""Browser review decisions: kept in the state database, brought into the store before a run."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from traffickingmonitor import store
from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage import review_browser
from traffickingmonitor.publish.web import review_state
from traffickingmonitor.publish.web.state import make_engine, session_factory


@pytest.fixture
def paths(tmp_path):
    """An empty store (its tables made) and the URL of a state database beside it."""
    db = tmp_path / "monitor.duckdb"
    store.connect(db).close()
    return db, f"sqlite:///{tmp_path / 'state.sqlite'}"


def _session(url: str):
    return session_factory(make_engine(url))()


def _reviews(db) -> list[list]:
    con = store.connect(db, read_only=True)
    try:
        return linkage.edition_context(con).reviews.values.tolist()
    finally:
        con.close()


def test_a_decision_is_kept_once_per_pair_and_can_change(paths):
    _, url = paths
    with _session(url) as db:
        review_state.decide(db, "E1", 3, ("REG-B", "REG-A"), "match", "ana")
        review_state.decide(db, "E1", 3, ("REG-A", "REG-B"), "no_match", "bob")
        review_state.decide(db, "E2", 1, ("REG-A", "REG-B"), "match", "ana")
        with pytest.raises(UserError, match="match or no_match"):
            review_state.decide(db, "E1", 4, ("REG-A", "REG-C"), "maybe", "ana")
        rows = db.scalars(select(review_state.ReviewDecision)).all()
        e1 = review_state.decisions(db, "E1")
    assert len(rows) == 2
    assert list(e1) == [("REG-A", "REG-B")]
    assert (e1["REG-A", "REG-B"].decision, e1["REG-A", "REG-B"].username) == ("no_match", "bob")


def test_pending_decisions_reach_the_store_once_and_then_stay(paths):
    db_path, url = paths
    with _session(url) as db:
        review_state.decide(db, "E1", 1, ("REG-2", "REG-1"), "match", "ana")
        review_state.decide(db, "E1", 2, ("REG-3", "REG-4"), "no_match", "ana")
    done = review_browser.apply_state_decisions(db_path, url)
    assert (done.stored.matches, done.stored.no_matches) == (1, 1)
    assert done.stored.unknown_ids == 2  # the empty store has none of these registrations
    assert _reviews(db_path) == [["REG-1", "REG-2", "match"], ["REG-3", "REG-4", "no_match"]]
    con = store.connect(db_path, read_only=True)
    try:
        sources = con.execute("SELECT DISTINCT source FROM linkage_reviews").fetchall()
    finally:
        con.close()
    assert sources == [("browser ana E1",)]

    again = review_browser.apply_state_decisions(db_path, url)
    assert again.at is None and again.stored.matches == 0
    assert len(_reviews(db_path)) == 2
    with _session(url) as db:
        with pytest.raises(UserError, match="pair 1 was applied"):
            review_state.decide(db, "E1", 1, ("REG-1", "REG-2"), "no_match", "bob")
        assert review_state.pending(db) == []


def test_a_browser_decision_replaces_an_earlier_file_decision(paths, tmp_path):
    db_path, url = paths
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame(
        {"registration_id_l": ["REG-1"], "registration_id_r": ["REG-2"], "decision": ["match"]}
    ).to_csv(reviewed, index=False)
    con = store.connect(db_path)
    try:
        linkage.import_review(con, reviewed)
    finally:
        con.close()
    with _session(url) as db:
        review_state.decide(db, "E1", 1, ("REG-2", "REG-1"), "no_match", "ana")
    review_browser.apply_state_decisions(db_path, url)
    assert _reviews(db_path) == [["REG-1", "REG-2", "no_match"]]


def test_the_run_marks_what_it_applied(paths):
    db_path, url = paths
    with _session(url) as db:
        review_state.decide(db, "E1", 1, ("REG-1", "REG-2"), "match", "ana")
    stored = review_browser.apply_state_decisions(db_path, url)
    with _session(url) as db:  # decided during the run: for the next one
        review_state.decide(db, "E1", 2, ("REG-1", "REG-3"), "match", "ana")
    assert review_browser.mark_applied(db_path, "E2", url, until=stored.at) == 1
    with _session(url) as db:
        rows = {r.pair_no: r for r in db.scalars(select(review_state.ReviewDecision))}
    assert rows[1].applied_in_edition == "E2" and rows[1].applied_at == stored.at
    assert rows[2].applied_at is None and rows[2].applied_in_edition is None


def test_a_failed_store_write_leaves_the_decisions_pending(paths, monkeypatch):
    db_path, url = paths
    with _session(url) as db:
        review_state.decide(db, "E1", 1, ("REG-1", "REG-2"), "match", "ana")

    def fail(*args, **kwargs):
        raise UserError("disk full")

    monkeypatch.setattr(review_browser, "store_decisions", fail)
    with pytest.raises(UserError, match="disk full"):
        review_browser.apply_state_decisions(db_path, url)
    with _session(url) as db:
        assert [r.pair_no for r in review_state.pending(db)] == [1]
    assert _reviews(db_path) == []


def test_without_a_state_database_nothing_happens_and_none_is_made(paths, tmp_path):
    db_path, _ = paths
    done = review_browser.apply_state_decisions(db_path)  # default: beside the store
    assert done.at is None and done.stored.matches == 0
    assert not db_path.with_suffix(".state.sqlite").exists()
    assert review_browser.mark_applied(db_path, "E1") == 0
    missing_store = review_browser.apply_state_decisions(tmp_path / "none.duckdb")
    assert missing_store.at is None


def test_review_import_from_state(paths):
    from typer.testing import CliRunner

    from traffickingmonitor.cli import app

    db_path, url = paths
    with _session(url) as db:
        review_state.decide(db, "E1", 1, ("REG-1", "REG-2"), "match", "ana")
        review_state.decide(db, "E1", 2, ("REG-1", "REG-3"), "no_match", "ana")
    runner = CliRunner()
    args = ["review-import", "--from-state", "--db", str(db_path), "--state", url]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "1 match and 1 no-match decisions stored" in out.output
    assert len(_reviews(db_path)) == 2
    assert "0 match and 0 no-match" in runner.invoke(app, args).output
    both = runner.invoke(app, ["review-import", "x.csv", *args[1:]])
    assert isinstance(both.exception, UserError) and "not both" in str(both.exception)
    neither = runner.invoke(app, ["review-import", "--db", str(db_path)])
    assert isinstance(neither.exception, UserError)
    assert "--from-state" in str(neither.exception)


@pytest.mark.slow
def test_run_applies_the_dashboard_decisions_and_marks_them(tmp_path):
    """``traffickingmonitor run`` takes the decisions waiting in the state beside the store,
    makes a new edition on the same input for them, and records that edition."""
    from traffickingmonitor.linkage.review import uncertain_pairs
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    from helpers import run_cli

    write_synthetic_edition(tmp_path / "in", seed=1, scale=0.1)
    db_path = tmp_path / "monitor.duckdb"
    env = {"TRAFFICKINGMONITOR_KEY": "r" * 64}
    first = run_cli("run", tmp_path / "in", "--db", db_path, env=env, timeout=None)
    assert first.returncode == 0, first.stderr
    con = store.connect(db_path, read_only=True)
    try:
        edition = con.execute("SELECT max(edition_id) FROM editions").fetchone()[0]
        pairs = uncertain_pairs(con, edition, band=(0.0, 1.0)).head(2)
    finally:
        con.close()
    assert len(pairs) == 2
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with _session(url) as db:
        ids = zip(pairs["registration_id_l"], pairs["registration_id_r"], strict=True)
        for n, (a, b) in enumerate(ids, 1):
            review_state.decide(db, edition, n, (str(a), str(b)), "no_match", "ana")
    second = run_cli("run", tmp_path / "in", "--db", db_path, "--state", url, env=env, timeout=None)
    assert second.returncode == 0, second.stderr
    assert "clerical review from the dashboard: 0 match, 2 no match" in second.stderr
    assert len(_reviews(db_path)) == 2
    con = store.connect(db_path, read_only=True)
    try:
        latest = con.execute("SELECT max(edition_id) FROM editions").fetchone()[0]
    finally:
        con.close()
    assert latest != edition
    with _session(url) as db:
        rows = db.scalars(select(review_state.ReviewDecision)).all()
    assert [r.applied_in_edition for r in rows] == [latest, latest]
