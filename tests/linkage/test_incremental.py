"""Incremental linkage gives the same persons as a full re-link with the same model."""

from __future__ import annotations

import duckdb
import pandas as pd

from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.backends import open_backend
from traffickingmonitor.linkage.linking import PreviousLinkage, link_full, link_incremental

SETTINGS = linkage.LinkageSettings()


def _split(regs: pd.DataFrame, cut: str) -> pd.DataFrame:
    return regs[regs["registered_on"] < pd.Timestamp(cut)]


def test_incremental_equals_full_relink(linked_edition):
    regs = linked_edition.registrations
    base = _split(regs, "2019-07-01")
    backend = open_backend("duckdb")
    try:
        first = link_full(base, SETTINGS, backend=backend)
        model = linkage.LinkageModel.from_json(first.model_json)
        previous = PreviousLinkage("first", model, base["registration_id"], first.links)
        incremental = link_incremental(regs, SETTINGS, previous, backend=backend)
        full = link_full(regs, SETTINGS, trained=model, backend=backend)
    finally:
        backend.close()
    assert incremental.notes["mode"].startswith("incremental")
    assert incremental.notes["new_registrations"] == len(regs) - len(base)
    assert incremental.person_id.tolist() == full.person_id.tolist()
    # The same links, too: every pair the full re-link scored, and with the same weight.
    key = ["registration_id_l", "registration_id_r"]
    a = full.links.sort_values(key).reset_index(drop=True)
    b = incremental.links.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[[*key, "match_weight"]], b[[*key, "match_weight"]], atol=1e-9)
    # Registrations already linked keep their persons (ids follow first registration,
    # and the new ones come later).
    old = incremental.person_id.loc[base.index]
    assert pd.crosstab(old, first.person_id).gt(0).sum(axis=1).max() == 1


def test_a_revised_file_falls_back_to_a_relink_with_the_previous_model(
    linked_edition, trained_model
):
    regs = linked_edition.registrations
    previous = PreviousLinkage(
        "first",
        trained_model,
        pd.concat([regs["registration_id"], pd.Series(["GONE-1"])]),
        linked_edition.linked.links,
    )
    result = link_incremental(regs.head(300), SETTINGS, previous)
    assert result.notes["mode"].startswith("re-linked with the previous model")


def test_the_store_round_trip_feeds_incremental_linkage(linked_edition):
    con = duckdb.connect(str(linked_edition.db), read_only=True)
    try:
        assert linkage.edition_context(con).previous is None  # only loaded when asked for
        previous = linkage.edition_context(con, {"incremental": True}).previous
        episodes = linkage.load_episodes(con, linked_edition.edition_id)
    finally:
        con.close()
    assert previous is not None and previous.edition_id == linked_edition.edition_id
    assert previous.model.to_json() == linked_edition.linked.model_json
    assert len(previous.links) == len(linked_edition.linked.links)
    assert set(previous.registration_ids) == set(linked_edition.registrations["registration_id"])
    assert episodes["reports"].sum() == len(linked_edition.registrations)
    assert episodes["person_id"].nunique() == linked_edition.linked.person_id.nunique()
