"""Clerical review: export uncertain pairs with evidence, import decisions that override the model."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from traffickingmonitor import store
from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.linking import link_full

SETTINGS = linkage.LinkageSettings()


@pytest.fixture
def store_copy(linked_edition, tmp_path):
    db = tmp_path / "monitor.duckdb"
    shutil.copy(linked_edition.db, db)
    return db


def test_export_holds_evidence_and_no_decision(linked_edition, tmp_path):
    out = tmp_path / "review.csv"
    con = store.connect(linked_edition.db, read_only=True)
    try:
        n = linkage.export_review(con, out, linked_edition.edition_id)
    finally:
        con.close()
    pairs = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(pairs) == n > 0
    # the band is on the probability clustering used, and the model's estimate counts the
    # same pairs for review
    shared = pairs["shared_probability"].astype(float)
    assert ((shared >= 0.3) & (shared < 0.99)).all()
    assert n == linked_edition.linked.notes["estimate"]["uncertain_pairs"]
    stored = linked_edition.linked.links
    in_band = stored["shared_probability"].between(0.3, 0.99, inclusive="left")
    assert set(pairs["registration_id_l"] + "|" + pairs["registration_id_r"]) == set(
        stored.loc[in_band, "registration_id_l"] + "|" + stored.loc[in_band, "registration_id_r"]
    )
    for column in (
        "name_level",
        "name_weight",
        "birth_level",
        "same_nid",
        "same_birth_date",
        "decision",
    ):
        assert column in pairs
    assert (pairs["decision"] == "").all()
    assert not (pairs["name_level"] == "?").any()
    assert set(pairs["same_name"]) <= {"equal", "different", "missing"}


def test_imported_decisions_override_the_model_in_the_next_run(
    linked_edition, store_copy, tmp_path
):
    links = linked_edition.linked.links
    linked = links[links["match_probability"] >= 0.93].iloc[0]
    unlinked = links[links["match_probability"] < 0.5].iloc[0]
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame(
        {
            "registration_id_l": [linked.registration_id_l, unlinked.registration_id_r, "X-1"],
            "registration_id_r": [linked.registration_id_r, unlinked.registration_id_l, "X-2"],
            "decision": ["no match", "match", ""],
        }
    ).to_csv(reviewed, index=False)
    con = store.connect(store_copy)
    try:
        done = linkage.import_review(con, reviewed)
        context = linkage.edition_context(con)
    finally:
        con.close()
    assert (done.matches, done.no_matches, done.skipped) == (1, 1, 1)
    assert len(context.reviews) == 2

    regs = linked_edition.registrations
    model = linkage.LinkageModel.from_json(linked_edition.linked.model_json)
    relinked = link_full(regs, SETTINGS, trained=model, reviews=context.reviews)
    person = dict(zip(regs["registration_id"], relinked.person_id, strict=True))
    assert person[unlinked.registration_id_l] == person[unlinked.registration_id_r]
    reviews = relinked.notes["reviews"]
    assert (reviews["matches_applied"], reviews["no_matches_applied"]) == (1, 1)
    # what clustering applied the threshold to, as stored: a decision is certain
    shared = relinked.links.set_index(["registration_id_l", "registration_id_r"])[
        "shared_probability"
    ]
    assert shared[(linked.registration_id_l, linked.registration_id_r)] == 0.0
    assert shared[(unlinked.registration_id_l, unlinked.registration_id_r)] == 1.0
    if not reviews["no_match_pairs_still_together"]:
        assert person[linked.registration_id_l] != person[linked.registration_id_r]


def test_a_later_decision_replaces_an_earlier_one(store_copy, tmp_path):
    con = store.connect(store_copy)
    try:
        for decision in ("match", "no_match"):
            path = tmp_path / f"{decision}.csv"
            pd.DataFrame(
                {"registration_id_l": ["B"], "registration_id_r": ["A"], "decision": [decision]}
            ).to_csv(path, index=False)
            linkage.import_review(con, path)
        reviews = linkage.edition_context(con).reviews
    finally:
        con.close()
    assert reviews.values.tolist() == [["A", "B", "no_match"]]


def test_a_bad_review_file_is_refused_whole(store_copy, tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "registration_id_l": ["A", "C"],
            "registration_id_r": ["B", "D"],
            "decision": ["match", "maybe"],
        }
    ).to_csv(path, index=False)
    con = store.connect(store_copy)
    try:
        with pytest.raises(UserError, match="row 3: decision must be"):
            linkage.import_review(con, path)
        assert linkage.edition_context(con).reviews.empty
        path.write_text("registration_id_l,decision\nA,match\n")
        with pytest.raises(UserError, match="missing column"):
            linkage.import_review(con, path)
    finally:
        con.close()


def test_a_contested_pair_is_offered_for_review_whatever_its_own_score(store_copy):
    """The band applies to the probability clustering used: a pair scored 0.999 whose odds
    were shared out with another person (stored 0.5) is uncertain; one scored 0.5 but kept
    whole is not, when the band says so."""
    con = store.connect(store_copy)
    try:
        edition_id = con.execute("SELECT max(edition_id) FROM edition_links").fetchone()[0]
        high = con.execute(
            "SELECT registration_id_l, registration_id_r FROM edition_links "
            "WHERE match_probability >= 0.999 LIMIT 1"
        ).fetchone()
        con.execute(
            "UPDATE edition_links SET shared_probability = 0.5 "
            "WHERE registration_id_l = ? AND registration_id_r = ?",
            list(high),
        )
        pairs = linkage.uncertain_pairs(con, edition_id, band=(0.4, 0.6))
    finally:
        con.close()
    offered = set(zip(pairs["registration_id_l"], pairs["registration_id_r"], strict=True))
    assert tuple(high) in offered
    assert pairs["shared_probability"].between(0.4, 0.6, inclusive="left").all()


def test_the_models_estimate_counts_pairs_in_the_edition_band():
    shared = [0.1, 0.3, 0.5, 0.95, 0.99, 1.0]
    assert linkage.model_estimate(shared, 0.5, 10, 8, (0.3, 0.99))["uncertain_pairs"] == 3
    assert linkage.model_estimate(shared, 0.5, 10, 8, (0.5, 1.0))["uncertain_pairs"] == 3
    assert linkage.model_estimate(shared, 0.5, 10, 8, (0.05, 0.4))["uncertain_pairs"] == 2
