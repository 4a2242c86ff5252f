"""Every comparison level of the person model has a Dutch name for the review and workspace."""

import pytest

from traffickingmonitor.linkage import model
from traffickingmonitor.linkage.labels import LEVEL_NL, level_label


def _labels() -> list[str]:
    return [
        level["label_for_charts"]
        for comp in model.comparisons("duckdb")
        for level in comp.get_comparison("duckdb").as_dict()["comparison_levels"]
    ]


def test_every_level_of_the_model_has_a_dutch_name():
    missing = [
        label
        for label in _labels()
        if level_label(label, "nl") == label and not label.endswith(" is NULL")
    ]
    assert missing == []


def test_no_dutch_name_is_left_for_a_level_the_model_lost():
    assert set(LEVEL_NL) - set(_labels()) == set()


@pytest.mark.parametrize(
    ("label", "lang", "shown"),
    [
        ("birth date exact", "nl", "geboortedatum gelijk"),
        ("birth date exact", "en", "birth date exact"),
        ("name_token is NULL", "nl", "ontbreekt (telt niet mee)"),
        ("name_token is NULL", "en", "missing (neutral)"),
        ("a level nobody named", "nl", "a level nobody named"),
        ("missing", "nl", "ontbreekt (telt niet mee)"),
        (
            "missing / residence status equal",
            "nl",
            "ontbreekt (telt niet mee) / verblijfsstatus gelijk",
        ),
    ],
)
def test_level_label(label, lang, shown):
    assert level_label(label, lang) == shown
