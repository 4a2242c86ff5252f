"""Capture table reading and validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from traffickingmonitor.analysis.mse import CaptureTable, TableError
from traffickingmonitor.analysis.mse.table import all_patterns
from traffickingmonitor.errors import UserError

DATA = Path(__file__).parent / "data"


def test_absent_patterns_are_zero_counts_in_canonical_order():
    t = CaptureTable.from_csv(DATA / "artificial_3lists.csv")
    assert t.pattern_labels() == ["A", "B", "C", "A+B", "A+C", "B+C", "A+B+C"]
    assert t.counts.tolist() == [40, 30, 20, 6, 0, 0, 0]
    assert t.observed == 96
    assert t.list_totals() == {"A": 46, "B": 36, "C": 20}
    assert t.pair_overlaps()[("A", "B")] == 6


def test_all_patterns_count_and_uniqueness():
    p = all_patterns(5)
    assert p.shape == (31, 5)
    assert len({tuple(r) for r in p}) == 31
    assert (p.sum(axis=1) >= 1).all()


def test_explicit_zero_row_is_allowed():
    t = CaptureTable.from_csv(DATA / "korea_comfort_women_3lists.csv")
    assert t.observed == 123


def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B,count\n1,2,5\n", r"list column 'B' must be 0 or 1, row 1 \(line 2\)"),
        ("A,B,count\n1,0,-3\n0,1,2\n", r"count must be a whole number written in digits.*row 1"),
        ("A,B,count\n1,0,3\n1,1,2.5\n", r"count must be a whole number written in digits.*row 2"),
        ("A,B,count\n1,0,3\n1,1,abc\n", r"count must be a whole number written in digits.*row 2"),
        ("A,B,count\n1,0,3\n1,1,\n", r"count must be a whole number written in digits.*row 2"),
        # one rule for counts: digits only (1e3 and 10.0 are refused as 10.5 is)
        ("A,B,count\n1,0,1e3\n0,1,2\n", r"written in digits \(e.g. 1000\), row 1 .*'1e3'"),
        ("A,B,count\n1,0,10.0\n0,1,2\n", r"written in digits \(e.g. 1000\), row 1 .*'10.0'"),
        ("A,B,count\n1,0,3\n0,1,100000000000000000000000\n", r"count above 1e\+12, row 2"),
        # list names the model syntax could not name
        ("A,,count\n1,0,3\n0,1,2\n", r"list column 2 has no name"),
        ("A,A,count\n1,0,3\n0,1,2\n", r"list name 'A' appears twice"),
        ("A, A ,count\n1,0,3\n0,1,2\n", r"list name 'A' appears twice"),
        ("A:B,C,count\n1,0,3\n0,1,2\n", r"list name 'A:B' holds ':'"),
        ('"A,B",C,count\n1,0,3\n0,1,2\n', r"list name 'A,B' holds ','"),
        ("A,B,count\n1,0,3\n0,1,2\n1,0,4\n", r"duplicated capture pattern 1,0, row 3"),
        ("A,B,count\n1,0,3\n0,0,2\n", r"all-zero capture pattern, row 2"),
        ("A,count\n1,3\n", r"need at least two list columns, found 1"),
        ("A,B,n\n1,0,3\n", r"no 'count' column"),
        ("A,B,count\n", r"no rows"),
        ("", r"cannot read as CSV"),
    ],
)
def test_bad_files_raise_one_line_user_error(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(TableError, match=message) as exc:
        CaptureTable.from_csv(p)
    assert isinstance(exc.value, UserError)
    assert str(exc.value).startswith(str(p))
    assert "\n" not in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(TableError, match="file not found"):
        CaptureTable.from_csv(tmp_path / "nope.csv")


def test_count_column_name_is_case_insensitive(tmp_path):
    p = _write(tmp_path, "A,B,Count\n1,0,3\n0,1,2\n1,1,1\n")
    assert CaptureTable.from_csv(p).observed == 6


def test_from_records_aggregates_people():
    people = pd.DataFrame({"A": [1, 1, 0, 1, 0], "B": [0, 1, 1, 1, 1], "C": [0, 0, 0, 0, 1]})
    t = CaptureTable.from_records(people, ["A", "B", "C"])
    counts = dict(zip(t.pattern_labels(), t.counts.tolist(), strict=True))
    assert counts["A"] == 1 and counts["A+B"] == 2 and counts["B"] == 1 and counts["B+C"] == 1
    assert t.observed == 5


def test_from_records_with_weights_and_booleans():
    rows = pd.DataFrame({"A": [True, False], "B": [True, True], "n": [4, 6]})
    t = CaptureTable.from_records(rows, ["A", "B"], weight="n")
    assert dict(zip(t.pattern_labels(), t.counts.tolist(), strict=True)) == {
        "A": 0,
        "B": 6,
        "A+B": 4,
    }


def test_from_records_rejects_person_on_no_list():
    people = pd.DataFrame({"A": [1, 0], "B": [0, 0]})
    with pytest.raises(TableError, match="person on no list, row 2"):
        CaptureTable.from_records(people, ["A", "B"])


def test_drop_lists_collapses_patterns():
    t = CaptureTable.from_csv(DATA / "uk_2013_6lists.csv")
    five = t.drop_lists(["NCA"])
    assert five.lists == ("LA", "NG", "PF", "GO", "GP")
    # Nobody is lost: people only on NCA are gone (on no remaining list).
    only_nca = t.counts[np.array(t.pattern_labels()) == "NCA"].sum()
    assert five.observed == t.observed - only_nca


def test_to_frame_roundtrip():
    t = CaptureTable.from_csv(DATA / "kosovo_killings_4lists.csv")
    again = CaptureTable.from_frame(t.to_frame(include_zeros=False))
    assert again.lists == t.lists
    assert again.counts.tolist() == t.counts.tolist()
