from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.linkage.api import link_persons


def test_national_id_and_name_birth_date_link_transitively():
    regs = pd.DataFrame(
        {
            "nid_token": ["n1", None, None, "n1", None, None],
            "name_token": ["a", "a", "b", "c", "b", "b"],
            "birth_date_token": ["d1", "d1", None, "d2", None, "d3"],
        }
    )
    # 0-1 by name + birth date, 0-3 by national id; 2 and 4 lack a birth date: no link.
    assert link_persons(regs).tolist() == [1, 1, 2, 1, 3, 4]


def test_numbering_follows_first_appearance():
    regs = pd.DataFrame(
        {"nid_token": ["z", "y", "z", "x"], "name_token": None, "birth_date_token": None}
    )
    assert link_persons(regs).tolist() == [1, 2, 1, 3]


def test_empty_input_and_missing_columns():
    empty = pd.DataFrame({"nid_token": [], "name_token": [], "birth_date_token": []})
    assert link_persons(empty).empty
    with pytest.raises(ValueError, match="linkage columns"):
        link_persons(pd.DataFrame({"nid_token": ["a"]}))


def test_a_million_registrations_link_in_one_pass():
    rng = np.random.default_rng(1)
    n = 1_000_000
    person = rng.integers(0, 700_000, n)
    regs = pd.DataFrame(
        {
            "nid_token": np.where(rng.random(n) < 0.5, person.astype(str), None),
            "name_token": person.astype(str),
            "birth_date_token": np.where(rng.random(n) < 0.8, person.astype(str), None),
        }
    )
    linked = link_persons(regs).to_numpy()
    # Same linked id implies same true person (no false links with exact keys)...
    frame = pd.DataFrame({"linked": linked, "person": person})
    assert frame.groupby("linked")["person"].nunique().max() == 1
    # ...and the number of persons is at least the number of true persons present.
    assert len(np.unique(linked)) >= len(np.unique(person))
