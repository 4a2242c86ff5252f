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
    p = pairs["match_probability"].astype(float)
    assert p.between(0.3, 0.99).all()
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
