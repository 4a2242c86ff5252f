"""What linkage stores: the probability clustering applied the threshold to, kept per link."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor import store
from traffickingmonitor.linkage import store_io
from traffickingmonitor.linkage.cluster import component_index, key_edges
from traffickingmonitor.linkage.engine import LinkageModel
from traffickingmonitor.linkage.linking import link_full
from traffickingmonitor.linkage.settings import LinkageSettings


@pytest.fixture
def store_copy(linked_edition, tmp_path):
    db = tmp_path / "monitor.duckdb"
    shutil.copy(linked_edition.db, db)
    return db


def _stored(con, edition_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT registration_id_l, registration_id_r, shared_probability FROM edition_links "
        "WHERE edition_id = ? ORDER BY registration_id_l, registration_id_r",
        [edition_id],
    ).df()


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
    return pairs["a"].is_unique and pairs["b"].is_unique


def test_the_stored_probability_at_the_threshold_gives_the_stored_persons(linked_edition):
    """Re-clustering the stored links by their stored probability, with nothing else but the
    national-id key, gives back the edition's persons: the column is what clustering used."""
    with store.reading(linked_edition.db) as con:
        links = _stored(con, linked_edition.edition_id)
        persons = con.execute(
            "SELECT p.registration_id, p.person_id, r.nid_token FROM edition_persons p "
            "JOIN registrations r USING (file_hash, registration_id) WHERE p.edition_id = ?",
            [linked_edition.edition_id],
        ).df()
        threshold = store_io.load_notes(con, linked_edition.edition_id)["threshold"]
    assert links["shared_probability"].notna().all()
    position = pd.Series(np.arange(len(persons)), index=persons["registration_id"])
    kept = links[links["shared_probability"] >= threshold]
    key_a, key_b = key_edges(persons["nid_token"].to_numpy(dtype=object))
    again = component_index(
        len(persons),
        np.concatenate([position[kept["registration_id_l"]].to_numpy(), key_a]),
        np.concatenate([position[kept["registration_id_r"]].to_numpy(), key_b]),
    )
    assert _same_partition(again, persons["person_id"].to_numpy())
    # not a copy of the scores: sharing out lowered some (never raised one)
    raw = links.merge(
        linked_edition.linked.links[["registration_id_l", "registration_id_r", "match_probability"]]
    )
    assert len(raw) == len(links)
    lowered = raw["match_probability"] - raw["shared_probability"]
    assert (lowered >= -1e-12).all() and (lowered > 1e-6).any()


def test_an_older_store_gets_the_probability_once(store_copy, linked_edition, caplog):
    """A store written before the column existed: read-only it is computed as clustering
    computed it (with the clerical decisions made before the edition), and the first
    writable open stores it."""
    edition_id = linked_edition.edition_id
    with store.connect(store_copy) as con:
        made = _stored(con, edition_id)
        # a pair reviewed as no match before the edition was made, one after it
        strong = made[made["shared_probability"] >= 0.9].iloc[:2]
        created = con.execute(
            "SELECT created_at FROM editions WHERE edition_id = ?", [edition_id]
        ).fetchone()[0]
        for row, when in zip(strong.itertuples(), (-1, 1), strict=True):
            con.execute(
                "INSERT INTO linkage_reviews VALUES (?, ?, 'no_match', "
                "CAST(? AS TIMESTAMP) + to_days(?), 'test')",
                [row.registration_id_l, row.registration_id_r, created, when],
            )
        con.execute("ALTER TABLE edition_links DROP COLUMN shared_probability")
    # what linking with the edition's model gives when only the decision made before the
    # edition is known
    before = strong.iloc[:1].assign(decision="no_match")
    relinked = link_full(
        linked_edition.registrations,
        LinkageSettings(),
        trained=LinkageModel.from_json(linked_edition.linked.model_json),
        reviews=before[["registration_id_l", "registration_id_r", "decision"]],
    )
    expected = relinked.links.sort_values(["registration_id_l", "registration_id_r"])[
        "shared_probability"
    ].to_numpy()
    assert expected[strong.index[0]] == 0.0
    assert not np.allclose(expected, made["shared_probability"])

    caplog.set_level(logging.INFO)
    with store.reading(store_copy) as con:
        computed = store_io.shared_link_probabilities(con, edition_id)
    np.testing.assert_allclose(computed, expected, rtol=0, atol=1e-12)
    assert any("older version" in r.getMessage() for r in caplog.records)

    with store.connect(store_copy) as con:  # opened for writing: the column is added and filled
        filled = _stored(con, edition_id)
    np.testing.assert_allclose(filled["shared_probability"], expected, rtol=0, atol=1e-12)


def test_a_link_stored_without_its_probability_has_it_computed(store_copy, linked_edition):
    """Read-only, one missing value is enough to compute them all as clustering did."""
    edition_id = linked_edition.edition_id
    with store.connect(store_copy) as con:
        expected = _stored(con, edition_id)["shared_probability"].to_numpy()
        con.execute(
            "UPDATE edition_links SET shared_probability = NULL "
            "WHERE rowid = (SELECT min(rowid) FROM edition_links)"
        )
    with store.reading(store_copy) as con:
        computed = store_io.shared_link_probabilities(con, edition_id)
    np.testing.assert_allclose(computed, expected, rtol=0, atol=1e-12)
