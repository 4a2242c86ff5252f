"""What every reader knows beyond the numbers, and that protection must know too.

Each kind of knowledge has a case where the attacker, knowing it, recovers a cell from a
pattern made without it; and the engine, knowing it, leaves nothing to recover.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traffickingmonitor.analysis.tables import KNOWLEDGE, MonitorTable
from traffickingmonitor.disclosure import secondary
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
from traffickingmonitor.disclosure.attack import attack, published_from_protected, truth_of
from traffickingmonitor.disclosure.model import build_model

RULE = DisclosureRule()


def _t(tid, dims, rows, counts=("persons",), **kw) -> MonitorTable:
    frame = pd.DataFrame(rows, columns=[*dims, *counts])
    return MonitorTable(tid, tid, tid, frame, dimensions=dims, counts=counts, **kw)


def _recovered(tables: dict, protected=None) -> list:
    """Recoveries from ``protected`` (default: the engine's pattern for ``tables``) by an
    attacker who knows what ``tables`` declare."""
    protected = protected or protect_edition_details(tables, RULE).tables
    published = published_from_protected(protected)
    for p in published:
        p.knowledge = {k: v for k, v in tables[p.table_id].extra.items() if k in KNOWLEDGE}
    report = attack(
        published,
        RULE.threshold,
        truth_of(tables),
        RULE.protection_level,
    )
    return report.recoveries


def _shown(result, tid, column="persons") -> list:
    return result.tables[tid].frame[column].tolist()


def _orgs(**extra) -> dict:
    """Persons and registrations per number of organisations, 4 persons in "3+" with 14
    registrations: 3 x 4 <= 14 leaves "3+" at most 4 persons once its registrations are known."""
    return {
        "totals": _t("totals", ("year",), [(2020, 207, 304)], ("persons", "registrations")),
        "org_overlap": _t(
            "org_overlap",
            ("year", "n_orgs"),
            [(2020, "1", 150, 180), (2020, "2", 53, 110), (2020, "3+", 4, 14)],
            ("persons", "registrations"),
            extra=extra,
        ),
    }


def test_k_organisations_mean_k_registrations_per_person():
    declared = {"registrations_per_person": {"n_orgs": {"1": 1, "2": 2, "3+": 3}}}
    model = build_model(_orgs(**declared))
    rows = model.cell_index
    persons = model.exprs[rows[("org_overlap", 2, "persons")]]
    regs = model.exprs[rows[("org_overlap", 2, "registrations")]]
    # 3 x persons - registrations <= 0 is among the model's inequalities
    wanted = {v: 3.0 * c for v, c in persons.items()}
    for v, c in regs.items():
        wanted[v] = wanted.get(v, 0.0) - c
    assert any(e == {v: c for v, c in wanted.items() if c} and rhs == 0 for e, rhs in model.le)


def test_attacker_knowing_registrations_per_person_and_engine_knowing_it_too():
    declared = {"registrations_per_person": {"n_orgs": {"1": 1, "2": 2, "3+": 3}}}
    # the pattern made without the knowledge, judged by an attacker who has it
    blind = protect_edition_details(_orgs(), RULE).tables
    assert _recovered(_orgs(**declared), blind)
    assert not _recovered(_orgs(**declared))


def _offences(**extra) -> dict:
    """Suspects by sex and offence group; "any" is the union of the groups. No man is in both
    groups: men's "any" is the sum of their groups, so it cannot hide a larger number."""
    rows = [
        ("female", "any", 40),
        ("female", "property", 25),
        ("female", "drugs", 30),
        ("male", "any", 35),
        ("male", "property", 20),
        ("male", "drugs", 15),
        ("unknown", "any", 4),
        ("unknown", "property", 3),
        ("unknown", "drugs", 2),
    ]
    frame = pd.DataFrame(rows, columns=["sex", "offence_group", "suspects"])
    whole = frame.groupby("offence_group", as_index=False, sort=False)["suspects"].sum()
    return {
        "crime": _t("crime", ("offence_group",), whole.values.tolist(), ("suspects",), **extra),
        "crime_sex": _t(
            "crime_sex",
            ("sex", "offence_group"),
            rows,
            ("suspects",),
            margin_of="crime",
            **extra,
        ),
    }


def test_any_offence_is_the_union_of_the_groups():
    union = {"extra": {"union_rows": {"offence_group": "any"}}}
    model = build_model(_offences(**union))
    at = model.cell_index

    def single(tid, pos):
        (v,) = model.exprs[at[(tid, pos, "suspects")]]
        return v

    # per sex: each group <= any (two rows) and any <= the sum of the groups (one row)
    for first in (0, 3, 6):
        any_, groups = single("crime_sex", first), {single("crime_sex", first + k) for k in (1, 2)}
        rows = [e for e, _ in model.le if any_ in e and set(e) - {any_} <= groups]
        assert sorted(len(e) for e in rows) == [2, 2, 3]
    assert not _recovered(_offences(**union))


def _monitor_and_programme(value: int) -> dict:
    same = {
        "same_cells": [
            {
                "column": "numerator",
                "where": {"indicator": "care"},
                "table": "orgs",
                "as": {"org": "care"},
                "as_column": "persons",
            }
        ]
    }
    return {
        "totals": _t("totals", ("year",), [(2020, 60)]),
        "orgs": _t(
            "orgs",
            ("year", "org"),
            [(2020, "care", 14), (2020, "police", 41), (2020, "kmar", 5)],
        ),
        "programme": _t(
            "programme",
            ("indicator", "year"),
            [("care", 2020, value)],
            ("numerator",),
            margin_of="",
            extra=same,
        ),
    }


def test_a_repeated_figure_is_one_cell_with_one_symbol():
    tables = _monitor_and_programme(14)
    # care (14) is the cheapest partner of kmar (5): hidden in the monitor, hidden in the
    # programme; shown there, 14 + 5 = 60 - 41 would give kmar away
    result = protect_edition_details(tables, RULE)
    assert _shown(result, "orgs") == ["x", 41, "<10"]
    assert _shown(result, "programme", "numerator") == ["x"]
    assert not _recovered(tables)
    blind = dict(
        tables,
        programme=_t(
            "programme", ("indicator", "year"), [("care", 2020, 14)], ("numerator",), margin_of=""
        ),
    )
    assert _recovered(tables, protect_edition_details(blind, RULE).tables)


def test_a_repeated_figure_with_another_value_is_refused():
    with pytest.raises(ValueError, match=r"declared the same as orgs\.persons"):
        build_model(_monitor_and_programme(15))


def test_a_perturbation_that_breaks_a_published_number_stops_protection(monkeypatch):
    real = secondary._protect

    def shifted(*args, **kw):
        found = real(*args, **kw)
        if found is None:
            return None
        add, points = found
        return add, [p + 1.0 for p in points]  # every unknown one up: totals change

    monkeypatch.setattr(secondary, "_protect", shifted)
    tables = {
        "totals": _t("totals", ("year",), [(2020, 70)]),
        "sex": _t("sex", ("year", "sex"), [(2020, "a", 3), (2020, "b", 27), (2020, "c", 40)]),
    }
    with pytest.raises(secondary.ProtectionError, match="breaks a published number"):
        protect_edition_details(tables, RULE)


def _areas_of_a_year(total: int, **extra) -> dict:
    """Persons per area of a year, "unknown" included, in a table of its own (as the local
    figures, pooled over the years in their own root): the areas of 2020 are its 60 persons."""
    return {
        "totals": _t("totals", ("year",), [(2020, 60)]),
        "areas": _t(
            "areas",
            ("year", "area"),
            [(2020, "A", 14), (2020, "B", 41), (2020, "unknown", 5)],
            margin_of="",
            extra=extra,
        ),
        "other": _t("other", ("year",), [(2020, total)], margin_of=""),
    }


def test_areas_that_add_up_to_the_years_persons():
    adds = {
        "adds_to": [
            {"columns": ["persons"], "by": ["year"], "table": "totals", "as_column": "persons"}
        ]
    }
    tables = _areas_of_a_year(60, **adds)
    # made without the knowledge, the pattern hides "unknown" alone: 60 - 14 - 41 gives it away
    blind = protect_edition_details(_areas_of_a_year(60), RULE).tables
    assert _shown(protect_edition_details(_areas_of_a_year(60), RULE), "areas") == [14, 41, "<10"]
    assert _recovered(tables, blind)
    result = protect_edition_details(tables, RULE)
    assert _shown(result, "areas") == ["x", 41, "<10"]
    assert not _recovered(tables)


def test_areas_declared_to_add_up_to_another_number_are_refused():
    adds = {
        "adds_to": [
            {"columns": ["persons"], "by": ["year"], "table": "other", "as_column": "persons"}
        ]
    }
    with pytest.raises(ValueError, match=r"declared to add up to other\.persons"):
        build_model(_areas_of_a_year(61, **adds))


def test_rounded_areas_add_up_to_the_years_rounded_persons():
    """Rounding moves every cell by design: the areas of a year are tied to the year's
    persons (not held at the true 61, which no sum of multiples of 5 can keep) and round to
    add up to the rounded total, with every relation kept."""
    adds = [{"columns": ["persons"], "by": ["year"], "table": "totals", "as_column": "persons"}]
    rows = [(2020, "A", 13), (2020, "B", 44), (2020, "unknown", 4)]  # nearest: 15 + 45 + 5
    rounding = DisclosureRule(method="rounding")

    def rounded(**extra):
        tables = {
            "totals": _t("totals", ("year",), [(2020, 61)]),
            "areas": _t("areas", ("year", "area"), rows, margin_of="", extra=extra),
        }
        return protect_edition_details(tables, rounding)

    blind = rounded()
    assert (sum(_shown(blind, "areas")), _shown(blind, "totals")[0]) == (65, 60)
    tied = rounded(adds_to=adds)
    assert sum(_shown(tied, "areas")) == _shown(tied, "totals")[0]
    assert tied.model.notes == []


@st.composite
def _years_with_areas(draw) -> dict:
    """Persons per year by sex and by area (areas add up to the year's persons, declared),
    many of them small: the engine may want to hide a year's total to protect them."""
    sexes, areas = ("female", "male", "other"), ("A", "B", "C", "unknown")
    totals, sex, place = [], [], []
    for year in (2019, 2020):
        by_sex = [draw(st.integers(0, 30)) for _ in sexes]
        # a person has one registration or more: a few of each sex have two
        regs = [p + draw(st.integers(0, p)) for p in by_sex]
        n = sum(by_sex)
        cuts = sorted(draw(st.integers(0, n)) for _ in areas[1:])
        by_area = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        totals.append((year, n, sum(regs)))
        sex += [(year, *row) for row in zip(sexes, by_sex, regs, strict=True)]
        place += [(year, a, v) for a, v in zip(areas, by_area, strict=True)]
    adds = [{"columns": ["persons"], "by": ["year"], "table": "totals", "as_column": "persons"}]
    both = ("persons", "registrations")
    return {
        "totals": _t("totals", ("year",), totals, both),
        "sex": _t("sex", ("year", "sex"), sex, both),
        "areas": _t("areas", ("year", "area"), place, margin_of="", extra={"adds_to": adds}),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_years_with_areas())
def test_nothing_is_recovered_through_areas_that_add_up_to_a_year(tables):
    try:
        protect_edition_details(tables, RULE)
    except secondary.ProtectionError:
        return  # nothing published: nothing to recover
    assert not _recovered(tables)


def _crime(declare: bool) -> dict:
    """Suspects after the first registration, in crime overlap (with a breakdown by sex
    that hides small cells) and in crime before and after (declared the same cells, or
    not): 12 suspects of threat, 8 women and 4 men."""
    from traffickingmonitor.analysis.crime_overlap import SUSPECTS_AFTER

    union = {"union_rows": {"offence_group": "any"}}
    before_after = [
        ("suspect", g, period, n)
        for period, counts in (("after", (30, 12, 20)), ("before", (41, 22, 25)))
        for g, n in zip(("any", "threat", "other"), counts, strict=True)
    ]
    return {
        "crime_before_after": _t(
            "crime_before_after",
            ("event_type", "offence_group", "period"),
            before_after,
            ("with_event",),
            overlapping=True,
            margin_of="",
            extra={**union, **({"same_cells": SUSPECTS_AFTER} if declare else {})},
        ),
        "crime_overlap": _t(
            "crime_overlap",
            ("offence_group",),
            [("any", 60, 30), ("threat", 60, 12), ("other", 60, 20)],
            ("persons", "suspects"),
            overlapping=True,
            margin_of="",
            extra=union,
        ),
        "crime_overlap_sex": _t(
            "crime_overlap_sex",
            ("sex", "offence_group"),
            [
                ("f", "any", 45, 25),
                ("f", "threat", 45, 8),
                ("f", "other", 45, 17),
                ("m", "any", 15, 5),
                ("m", "threat", 15, 4),
                ("m", "other", 15, 3),
            ],
            ("persons", "suspects"),
            margin_of="crime_overlap",
            extra=union,
        ),
    }


def test_suspects_after_the_registration_are_one_cell_in_two_chapters():
    tables = _crime(declare=True)
    # only the rows declared are the other table's cells; the rest keep their own
    cells = build_model(tables).cell_index
    assert all(("crime_before_after", pos, "with_event") in cells for pos in range(6))
    result = protect_edition_details(tables, RULE)
    after = result.tables["crime_before_after"].frame
    after = after[(after["event_type"] == "suspect") & (after["period"] == "after")]
    overlap = result.tables["crime_overlap"].frame
    # one number, one cell: the same value or the same symbol in both tables
    assert after["with_event"].tolist() == overlap["suspects"].tolist()
    assert "x" in overlap["suspects"].tolist()
    assert not _recovered(tables)
    # protected without the declaration, crime before and after gives a hidden cell away
    blind = protect_edition_details(_crime(declare=False), RULE).tables
    assert _recovered(tables, blind)
