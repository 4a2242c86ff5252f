"""Clustering: a registration belongs to one person at most, so competing links share odds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.linkage.cluster import STRONG, persons, shared_probabilities


def _links(*rows: tuple[int, int, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row_l", "row_r", "match_probability"])


def _together(index: np.ndarray, a: int, b: int) -> bool:
    return bool(index[a] == index[b])


def test_a_report_that_fits_two_people_equally_joins_neither():
    # rows 1+3 and 2+4 are two people (strong links); row 0 fits each at 0.6
    links = _links((1, 3, 0.97), (2, 4, 0.97), (0, 1, 0.6), (0, 2, 0.6))
    found = persons(5, links, 0.5)
    # odds 1.5 each against 1: 1.5 / 4 = 0.375 for each person
    assert found.probability[2:] == pytest.approx([0.375, 0.375])
    assert not _together(found.person_index, 0, 1)
    assert not _together(found.person_index, 0, 2)
    assert not _together(found.person_index, 1, 2)
    assert len(set(found.person_index)) == 3


def test_the_far_better_fit_wins_and_the_other_link_is_dropped():
    links = _links((1, 3, 0.97), (2, 4, 0.97), (0, 1, 0.85), (0, 2, 0.55))
    found = persons(5, links, 0.5)
    o1, o2 = 0.85 / 0.15, 0.55 / 0.45
    assert found.probability[2] == pytest.approx(o1 / (1 + o1 + o2))
    assert found.probability[3] == pytest.approx(o2 / (1 + o1 + o2))
    assert _together(found.person_index, 0, 1)
    assert not _together(found.person_index, 0, 2)


def test_a_report_that_reaches_one_person_keeps_its_probability():
    # two links into the same person count once (the better), not as two competitors
    links = _links((1, 3, 0.97), (0, 1, 0.6), (0, 3, 0.55), (5, 6, 0.52))
    found = persons(7, links, 0.5)
    assert found.probability == pytest.approx([0.97, 0.6, 0.55 / 0.45 / (1 + 0.6 / 0.4), 0.52])
    assert _together(found.person_index, 0, 1) and _together(found.person_index, 5, 6)


def test_the_national_id_makes_one_person_group():
    # rows 1 and 3 share a national id (no link between them): one person, not two rivals
    links = _links((0, 1, 0.6), (0, 3, 0.6))
    keys = np.array([None, "k", None, "k"], dtype=object)
    found = persons(4, links, 0.5, same_key=keys)
    assert found.probability == pytest.approx([0.6, 0.6])
    assert _together(found.person_index, 0, 1) and _together(found.person_index, 1, 3)
    without_key = persons(4, links, 0.5)
    assert not _together(without_key.person_index, 0, 1)


def test_strong_links_and_links_within_a_person_are_not_shared():
    p = np.array([STRONG, 0.95, 0.3])
    shared = shared_probabilities(3, np.array([0, 0, 1]), np.array([1, 2, 2]), p)
    assert shared == pytest.approx(p)


def test_both_ends_of_a_link_count():
    # row 1 is contested (rows 0 and 2, different people, link to it); row 0 is not
    links = _links((2, 3, 0.97), (0, 1, 0.7), (1, 2, 0.7))
    found = persons(4, links, 0.5)
    assert found.probability[1] == pytest.approx((0.7 / 0.3) / (1 + 2 * 0.7 / 0.3))
    assert found.person_index.tolist() == [0, 1, 2, 2]


def test_a_reviewed_no_match_is_no_group_link():
    links = _links((1, 3, 0.97), (0, 1, 0.6))
    reviews = pd.DataFrame({"row_l": [1], "row_r": [3], "decision": ["no_match"]})
    found = persons(4, links, 0.5, reviews)
    assert not _together(found.person_index, 1, 3)
    assert found.reviewed_no_matches == 1
