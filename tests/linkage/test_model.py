"""The model run: determinism, settings, what Splink is given, fallbacks."""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from linkage_helpers import tokens
from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.backends import open_settings_backend
from traffickingmonitor.linkage.engine import term_frequency_tables
from traffickingmonitor.linkage.linking import link_full
from traffickingmonitor.linkage.prepare import SPLINK_COLUMNS, common_monthdays, splink_frame


def test_same_input_gives_the_same_model_and_persons(linked_edition):
    again = link_full(linked_edition.registrations, linkage.LinkageSettings())
    assert again.model_json == linked_edition.linked.model_json
    assert again.person_id.tolist() == linked_edition.linked.person_id.tolist()


def test_the_model_is_trained_with_em_on_several_blocking_rules(linked_edition):
    notes = linked_edition.linked.notes
    sessions = notes["training"]["em_sessions"]
    assert len(sessions) >= 2
    assert notes["mode"] == "trained on this edition"
    model = json.loads(linked_edition.linked.model_json)
    names = [c["output_column_name"] for c in model["splink"]["comparisons"]]
    assert names == [
        "nid",
        "name",
        "birth",
        "sex",
        "nationality",
        "residence_municipality",
        "residence_status",
    ]
    # Every level of the model has its m and u, estimated or set.
    for comp in model["splink"]["comparisons"]:
        for level in comp["comparison_levels"]:
            if not level.get("is_null_level"):
                assert level["m_probability"] is not None and level["u_probability"] is not None
    assert set(model["tf"]) == {
        "name_token",
        "birth_date_token",
        "nationality",
        "residence_municipality",
    }
    # A value the tables lack is held by one other person: 1 / N, never less than any value.
    for col, rows in model["tf"].items():
        assert 0 < model["tf_unseen"][col] <= max(u for _, u in rows) + 1e-12
    # Term frequencies are counted over people: a name on five registrations of one person
    # (joined by the exact rules) is as common as a name on one.
    assert model["training"]["term_frequencies"].startswith("per person")


def test_term_frequencies_count_people_not_registrations():
    rows = [
        {"family_name": "Mensah", "given_names": "Ama", "birth_date": "1988-02-11"},
        {"family_name": "Mensah", "given_names": "Ama", "birth_date": "1988-02-11"},
        {"family_name": "Mensah", "given_names": "Ama", "birth_date": "1988-02-11"},
        {"family_name": "Boateng", "given_names": "Kofi", "birth_date": "1990-05-06"},
    ]
    regs = tokens(rows)
    tf = dict(
        (value, share)
        for value, share in term_frequency_tables(splink_frame(regs, []))[0]["name_token"]
    )
    # two people, each name held by no other: u = (1 - 1 + a) / 2, a = 1/2 (Good-Turing with
    # no name held twice), the same for both names however often each was registered
    assert sorted(tf.values()) == [0.25, 0.25]


def test_term_frequencies_count_the_other_holders_of_a_value():
    # Ten people: one name held by three of them, the others by one each (no name held by
    # two: a = 1/7). Another person holds the common name with chance (3 - 1 + a) / 10, a
    # name no other person holds with chance a / 10 (the record itself is no other holder).
    rows = [
        {"family_name": "Mensah", "given_names": "Ama", "birth_date": f"19{80 + i}-02-11"}
        for i in range(3)
    ] + [
        {"family_name": f"Boateng{chr(97 + i)}", "given_names": "Kofi", "birth_date": "1990-05-06"}
        for i in range(7)
    ]
    shares = sorted(
        u for _, u in term_frequency_tables(splink_frame(tokens(rows), []))[0]["name_token"]
    )
    assert shares[0] == pytest.approx((1 / 7) / 10)
    assert shares[-1] == pytest.approx((2 + 1 / 7) / 10)


def test_splink_sees_tokens_and_person_attributes_only(linked_edition):
    regs = linked_edition.registrations
    frame = splink_frame(regs, common_monthdays(regs))
    assert tuple(frame.columns) == SPLINK_COLUMNS
    forbidden = {
        "registration_id",
        "registered_on",
        "reporting_org",
        "exploitation_form",
        "sector",
        "exploitation_start",
    }
    assert not forbidden & set(frame.columns)
    assert frame["uid"].tolist() == list(range(len(regs)))
    # "unknown" is missing, not a value two registrations could share.
    assert not (frame["sex"] == "unknown").any() and not (frame["nationality"] == "unknown").any()


def test_the_1_january_placeholder_is_recognised_from_the_data_alone(linked_edition):
    regs = tokens([{"birth_date": "1990-01-01"}])
    jan1 = regs["birth_monthday_token"].iloc[0]
    assert jan1 in common_monthdays(linked_edition.registrations)


def test_settings_are_checked():
    assert linkage.LinkageSettings.from_config(None) == linkage.LinkageSettings()
    assert linkage.LinkageSettings.from_config({"threshold": 0.9}).threshold == 0.9
    with pytest.raises(UserError, match=r"\[linkage\] unknown setting\(s\) treshold"):
        linkage.LinkageSettings.from_config({"treshold": 0.9})
    with pytest.raises(UserError, match="backend"):
        linkage.LinkageSettings.from_config({"backend": "oracle"})
    with pytest.raises(UserError, match="threshold"):
        linkage.LinkageSettings.from_config({"threshold": 1.5})


def test_a_memory_limit_for_duckdb_changes_no_link(linked_edition, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the spill folder goes
    settings = linkage.LinkageSettings(duckdb_memory_limit="1GB")
    backend = open_settings_backend(settings)
    [(limit, spill)] = backend.db_api.duckdb_con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchall()
    assert limit == "953.6 MiB"
    assert Path(spill).parent == tmp_path
    again = link_full(linked_edition.registrations, settings, backend=backend)
    backend.close()
    assert list(tmp_path.iterdir()) == []
    forgotten = open_settings_backend(settings)  # never closed: its folder goes with it
    assert len(list(tmp_path.iterdir())) == 1
    del forgotten
    gc.collect()
    assert list(tmp_path.iterdir()) == []
    assert again.person_id.tolist() == linked_edition.linked.person_id.tolist()
    assert again.model_json == linked_edition.linked.model_json


def test_running_out_of_duckdb_memory_names_the_setting(linked_edition):
    with pytest.raises(UserError, match=r"ran out of .*\(64MB\): raise duckdb_memory_limit"):
        linkage.link_edition(linked_edition.registrations, {"duckdb_memory_limit": "64MB"})
    with pytest.raises(UserError, match="duckdb_memory_limit must be a size"):
        linkage.LinkageSettings.from_config({"duckdb_memory_limit": "64"})


def test_deterministic_v0_stays_available_as_a_fallback():
    regs = tokens(
        [
            {"family_name": "Mensah", "given_names": "Ama", "birth_date": "1988-02-11"},
            {"family_name": "Ama", "given_names": "Mensah", "birth_date": "1988-02-11"},
            {"family_name": "Mensah", "given_names": "Ama", "birth_date": "1988-02-12"},
        ]
    )
    linked = linkage.link_edition(regs, {"method": "deterministic"})
    assert linked.person_id.tolist() == [1, 1, 2]
    assert linked.notes["method"] == "deterministic v0" and linked.model_json is None
    assert linked.episodes["episode_no"].tolist() == [1, 1, 1]


def test_tiny_inputs_link_without_a_model():
    one = tokens([{"family_name": "Mensah", "given_names": "Ama"}])
    linked = linkage.link_edition(one)
    assert linked.person_id.tolist() == [1]
    empty = linkage.link_edition(one.iloc[:0])
    assert empty.person_id.empty
    assert isinstance(empty.links, pd.DataFrame)


def test_a_model_rebuilt_for_another_dialect_keeps_its_exploding_blocking_rule(trained_model):
    def exploded(settings: dict) -> list:
        return [
            r["arrays_to_explode"]
            for r in settings["blocking_rules_to_generate_predictions"]
            if isinstance(r, dict) and r.get("arrays_to_explode")
        ]

    trained = exploded(trained_model.splink)
    assert trained == [["family_variant_tokens"]]
    assert exploded(trained_model.settings_for("spark")) == trained


def test_a_signature_passes_every_pair_of_sets_that_share_a_token():
    """The name levels ask DuckDB for a set intersection only where the sets' signatures
    share a bit (``prepare.SIGNED_ARRAYS``): every pair is classed as by the intersection
    alone, and most pairs of unrelated sets are passed by the signatures."""
    import duckdb
    import numpy as np

    from traffickingmonitor.linkage import model, prepare

    rng = np.random.default_rng(5)
    pool = rng.integers(-(2**63), 2**63 - 1, size=400, dtype=np.int64)
    sets = [None, []] + [
        sorted(set(rng.choice(pool, size=rng.integers(1, 12)).tolist())) for _ in range(300)
    ]
    frame = pd.DataFrame({"uid": range(len(sets))})
    for col in prepare.SIGNED_ARRAYS:
        frame[col] = pd.Series(sets, dtype=object).sample(frac=1, random_state=len(col)).tolist()
        for name, words in zip(
            prepare.signature_columns(col), prepare.signatures(frame[col]).T, strict=True
        ):
            frame[name] = words
    con = duckdb.connect()
    con.register("f", frame)
    a, b = prepare.SIGNED_ARRAYS
    columns = ", ".join(
        f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in frame.columns if c != "uid"
    )
    pairs = f"SELECT {columns} FROM f AS l, f AS r"
    for left, right in [(a, a), (a, b), (b, a)]:
        fast = model._overlap(left, right, "duckdb")
        plain = f'list_has_any("{left}_l", "{right}_r")'
        assert "&" in fast
        n, shared, differ, passed = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {plain}), "
            f"count(*) FILTER (WHERE coalesce({fast}, false) <> coalesce({plain}, false)), "
            f"count(*) FILTER (WHERE NOT {model._signatures_share(left, right, 'duckdb')}) "
            f"FROM ({pairs})"
        ).fetchone()
        assert shared > 1000 and differ == 0
        assert passed > 0.5 * (n - shared)
