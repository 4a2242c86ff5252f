"""The person model on hand-made cases, scored with the model trained on the national edition."""

from __future__ import annotations

import pytest

from linkage_helpers import tokens
from traffickingmonitor.linkage.linking import link_full
from traffickingmonitor.linkage.settings import LinkageSettings

SETTINGS = LinkageSettings()


def same_person(scorer, a: dict, b: dict) -> bool:
    linked = link_full(tokens([a, b]), SETTINGS, scorer=scorer)
    return linked.person_id.nunique() == 1


BASE = {
    "family_name": "Okonkwo",
    "given_names": "Blessing Joy",
    "birth_date": "1995-08-08",
    "nationality": "NG",
    "residence_municipality": "GM0363",
}


@pytest.mark.parametrize(
    ("label", "change"),
    [
        ("typo in the family name", {"family_name": "Okonkow"}),
        ("typo in the given name", {"given_names": "Blesing Joy"}),
        ("second given name dropped", {"given_names": "Blessing"}),
        (
            "given and family name swapped",
            {"family_name": "Blessing Joy", "given_names": "Okonkwo"},
        ),
        ("swapped and a typo", {"family_name": "Blessing", "given_names": "Okonkow"}),
        ("accents and case", {"family_name": "OKONKWO", "given_names": "Blessing-Joy"}),
        ("birth date missing", {"birth_date": None, "birth_year": None}),
        ("birth year only", {"birth_date": None, "birth_year": 1995}),
        (
            "day and month transposed",
            {"birth_date": "1995-06-08", "_other": {"birth_date": "1995-08-06"}},
        ),
        ("1 January placeholder", {"birth_date": "1995-01-01"}),
        ("birth year off by one", {"birth_date": "1996-08-08"}),
        ("names missing, date and municipality agree", {"family_name": "", "given_names": ""}),
    ],
)
def test_the_same_person_despite(scorer, label, change):
    change = dict(change)
    other = {**BASE, **change.pop("_other", {})}
    assert same_person(scorer, {**BASE, **change}, other), label


def test_a_typo_that_changes_how_the_family_name_sounds_links_without_date_or_place(scorer):
    # "Okomkwo" sounds otherwise than "Okonkwo" (its phonetic code changed), and nothing but the
    # birth year is there to meet on: the family name's deletion variants next to the given
    # name's phonetic code still make the pair (an exploding blocking rule).
    other = {**BASE, "family_name": "Okomkwo", "birth_date": None, "birth_year": 1995}
    other["residence_municipality"] = None
    assert same_person(scorer, BASE, other)


def test_transposed_day_and_month_link(scorer):
    a = {**BASE, "birth_date": "1995-06-07"}
    b = {**BASE, "birth_date": "1995-07-06"}
    assert same_person(scorer, a, b)


def test_a_shared_national_id_links_whatever_else_differs(scorer):
    a = {**BASE, "national_id": "123456782"}
    b = {
        "family_name": "Smit",
        "given_names": "Anna",
        "birth_date": "1970-01-01",
        "national_id": "123456782",
    }
    assert same_person(scorer, a, b)


def test_different_national_ids_keep_namesakes_apart(scorer):
    a = {**BASE, "national_id": "123456782"}
    b = {**BASE, "national_id": "987654321"}
    assert not same_person(scorer, a, b)


@pytest.mark.parametrize(
    ("family", "given", "nationality"),
    [("de Jong", "Emma", "NL"), ("Jallow", "Fatou", "GM"), ("Okafor", "Grace", "NG")],
)
def test_two_people_with_a_common_name_and_birth_year_stay_apart(
    scorer, family, given, nationality
):
    a = {
        "family_name": family,
        "given_names": given,
        "birth_date": "1990-03-02",
        "nationality": nationality,
    }
    b = {
        "family_name": family,
        "given_names": given,
        "birth_date": "1990-11-17",
        "nationality": nationality,
    }
    assert not same_person(scorer, a, b)


def test_different_people_stay_apart(scorer):
    a = BASE
    b = {
        "family_name": "Mensah",
        "given_names": "Ama",
        "birth_date": "1988-02-11",
        "nationality": "GH",
    }
    assert not same_person(scorer, a, b)


def test_persons_are_numbered_by_first_registration(scorer):
    rows = [
        {
            "family_name": "Mensah",
            "given_names": "Ama",
            "birth_date": "1988-02-11",
            "nationality": "GH",
        },
        BASE,
        {**BASE, "family_name": "Okonkow"},
        {
            "family_name": "Mensah",
            "given_names": "Ama",
            "birth_date": "1988-02-11",
            "nationality": "GH",
        },
    ]
    linked = link_full(tokens(rows), SETTINGS, scorer=scorer)
    assert linked.person_id.tolist() == [1, 2, 2, 1]


def test_a_single_shared_name_word_is_no_dropped_second_given_name(scorer):
    # "Nakato Nakato" has one word, which is in "Nakato Byaruhanga": namesakes of a small
    # name pool, not a dropped second given name; the 1 January dates say only the year.
    a = {
        "family_name": "Nakato",
        "given_names": "Byaruhanga",
        "birth_date": "1989-10-22",
        "nationality": "UG",
    }
    b = {**a, "given_names": "Nakato", "birth_date": "1989-01-01"}
    c = {**a, "family_name": "Kiggundu", "given_names": "Nakato", "birth_date": "1990-01-01"}
    assert not same_person(scorer, a, b)
    assert not same_person(scorer, b, c)


def test_an_agreeing_nationality_adds_nothing_to_agreeing_names(trained_model):
    levels = dict(trained_model.levels())["nationality"]
    labels = [label for label, _ in levels]
    named = labels.index("nationality equal, both named (implied by the names)")
    assert levels[named][1] == 0.0
    missing_name = labels.index("nationality equal, a name missing")
    assert levels[missing_name][1] > 0
    assert levels[-1][1] < 0  # a different nationality still counts against
