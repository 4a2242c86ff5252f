from __future__ import annotations

import pandas as pd
import pytest

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.api import (
    PrimaryRule,
    ProtectedTable,
    protect,
    require_protected,
)


def _table(values):
    frame = pd.DataFrame(
        {"year": [2019] * len(values), "sex": list("abcdefgh"[: len(values)]), "persons": values}
    )
    return MonitorTable("t", "t", "t", frame, dimensions=("year", "sex"), counts=("persons",))


@pytest.mark.parametrize("threshold", [5, 10, 15])
def test_counts_below_threshold_are_hidden_and_others_kept(threshold):
    values = [0, 1, threshold - 1, threshold, threshold + 7, 250]
    protected = protect(_table(values), PrimaryRule(threshold))
    shown = protected.frame["persons"].tolist()
    assert shown == [0, f"<{threshold}", f"<{threshold}", threshold, threshold + 7, 250]
    assert protected.suppressed["persons"].tolist() == [False, True, True, False, False, False]
    assert protected.shown_count({"sex": "b"}, "persons") is None
    assert protected.shown_count({"sex": "d"}, "persons") == threshold


def test_a_shown_value_is_found_by_the_row_it_names_and_only_one_row():
    protected = protect(_table([12, 30, 44]))
    assert protected.value({"year": 2019, "sex": "b"}, "persons") == 30
    assert protected.value({"sex": "c", "year": 2019.0}, "persons") == 44  # any key order
    for row in ({"year": 2019}, {"sex": "z"}, {"year": "2019", "sex": "a"}):
        with pytest.raises(KeyError, match="matches"):
            protected.value(row, "persons")  # three rows, none, none (text is no year)
    one = protect(
        MonitorTable("one", "o", "o", pd.DataFrame({"n": [15]}), dimensions=(), counts=("n",))
    )
    assert one.value({}, "n") == 15  # a table of one row, without dimensions


def test_rows_are_matched_by_their_dimensions_as_text_in_order():
    protected = protect(_table([12, 30, 44, 51]))
    assert protected.rows_matching({"sex": "c"}) == [2]
    assert protected.rows_matching({"year": "2019"}) == [0, 1, 2, 3]  # text: "2019" is 2019
    assert protected.rows_matching({"year": 2019, "sex": "d"}) == [3]
    assert protected.rows_matching({"sex": "z"}) == []
    assert protected.rows_matching({"sex": "b"}) == [1]  # asked again: the same answer
    assert protected.rows_matching({}) == [0, 1, 2, 3]
    # the rows as value() finds them (by value, not as text) are the same rows
    assert protected.value({"year": 2019, "sex": "b"}, "persons") == 30


def test_the_hidden_cells_are_counted_alike_in_any_order_asked():
    kinds = (None, "primary", "secondary")
    want = {None: 2, "primary": 2, "secondary": 0}
    for order in (kinds, kinds[::-1], ("secondary", None, "primary", "secondary")):
        protected = protect(_table([0, 3, 4, 12, 30]), PrimaryRule(10))
        assert [protected.n_hidden(k) for k in order] == [want[k] for k in order]


def test_protected_table_cannot_be_made_outside_disclosure():
    t = _table([1, 2])
    with pytest.raises(TypeError):
        ProtectedTable(object(), t, t.frame, t.frame, PrimaryRule())


def test_publish_guard_refuses_unprotected_tables():
    t = _table([12, 3])
    with pytest.raises(TypeError, match="ProtectedTable"):
        require_protected(t)
    with pytest.raises(TypeError):
        require_protected(t.frame)
    assert require_protected(protect(t)) is not None


def test_protected_frame_is_a_copy():
    protected = protect(_table([3, 30]))
    frame = protected.frame
    frame.loc[0, "persons"] = 3
    assert protected.frame.loc[0, "persons"] == "<10"


def test_threshold_must_be_positive():
    with pytest.raises(ValueError):
        PrimaryRule(0)


def test_a_protected_table_holds_no_raw_number():
    """Publishing code gets what may be shown and nothing else: the table's description keeps
    no rows and no members, there is no attribute for the source table, and none can be
    added; the hidden 3 is nowhere in the object."""
    protected = protect(_table([3, 30]))
    assert not hasattr(protected, "source")
    assert protected.spec.frame.empty and protected.spec.members is None
    with pytest.raises(AttributeError):
        protected.source = _table([3, 30])
    held = [getattr(protected, name) for name in ProtectedTable.__slots__]
    frames = [v for v in held if isinstance(v, pd.DataFrame)]
    assert frames and all(3 not in f.to_numpy().ravel().tolist() for f in frames)
