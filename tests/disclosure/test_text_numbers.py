"""The numbers in the chapters' words: a sentence that writes a hidden count fails the check."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
from traffickingmonitor.disclosure.check import shown_and_hidden
from traffickingmonitor.disclosure.text_numbers import read_numbers, whole_numbers, words_of
from traffickingmonitor.publish.chapters import Block, ChapterContent


def test_whole_numbers_in_english_and_dutch_and_no_decimals():
    en = (
        "The estimate for 2020 is 10\u202f370 (95% interval 3\u202f950–16\u202f600); 1,014 suspects"
    )
    assert list(whole_numbers(en)) == [
        (2020, False),
        (10370, True),
        (95, False),
        (3950, True),
        (16600, True),
        (1014, True),
    ]
    assert list(whole_numbers("7,1 per 100.000 inwoners; 3.9 per 100,000")) == [
        (100000, True),
        (100000, True),
    ]


def test_each_number_is_a_year_a_shown_count_a_small_one_or_another_and_a_hidden_count_fails():
    texts = ["In 2018, 412 men", "month 6", "an estimate of 1\u202f250", "and 57 of them"]
    reading = read_numbers(texts, shown={412}, hidden={57: "sex row 3 persons"}, threshold=10)
    assert (reading.years, reading.shown, reading.small, reading.other) == (1, 1, 1, 2)
    assert reading.hidden == ["57 (sex row 3 persons)"]
    assert "1 a hidden count: 57 (sex row 3 persons)" in reading.line(10)
    # a count of a thousand or more is written with a separator: 2,017 persons is no year
    assert read_numbers(["2,017 persons"], set(), {2017: "c"}, 10).hidden == ["2017 (c)"]


def _areas() -> dict[str, MonitorTable]:
    """60 persons in 2020 by area: "unknown" (5) is small, so one more area is hidden."""

    def table(tid, dims, rows):
        frame = pd.DataFrame(rows, columns=[*dims, "persons"])
        return MonitorTable(tid, tid, tid, frame, dimensions=dims, counts=("persons",))

    return {
        "totals": table("totals", ("year",), [(2020, 60)]),
        "areas": table(
            "areas", ("year", "area"), [(2020, "A", 14), (2020, "B", 41), (2020, "unknown", 5)]
        ),
    }


def test_a_sentence_that_writes_a_hidden_count_is_found():
    tables = _areas()
    protected = protect_edition_details(tables, DisclosureRule()).tables
    assert protected["areas"].frame["persons"].tolist() == ["x", 41, "<10"]
    shown, hidden = shown_and_hidden(protected, tables)
    assert shown == {60, 41} and hidden == {14: "areas row 1 persons", 5: "areas row 3 persons"}

    def reading(summary: str, intro: str = ""):
        block = Block(id="b", title="Persons by area, 2020", summary=summary)
        content = ChapterContent(title="Areas", intro=[intro], blocks=[block])
        return read_numbers(words_of(content), shown, hidden, 10)

    assert reading("41 persons lived in area B.").hidden == []
    assert reading("Area A had 14 persons.", "Of 60 persons").hidden == ["14 (areas row 1 persons)"]
    # the key figures' template data are words too
    figures = ChapterContent(title="Key figures", data={"figures": [{"value": 14, "label": "A"}]})
    assert read_numbers(words_of(figures), shown, hidden, 10).hidden == ["14 (areas row 1 persons)"]
