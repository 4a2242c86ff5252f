"""Golden suppression patterns for a few fixed tables (regression tests of the engine), and
the engine's own audit on each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details

RULE = DisclosureRule()


def _t(tid, dims, rows, **kw) -> MonitorTable:
    frame = pd.DataFrame(rows, columns=[*dims, "persons"])
    return MonitorTable(tid, tid, tid, frame, dimensions=dims, counts=("persons",), **kw)


def _shown(result, tid) -> list:
    return result.tables[tid].frame["persons"].tolist()


def _audit_ok(result) -> None:
    assert result.suppression is not None
    assert all(b.ok for b in result.suppression.bounds)


def test_one_small_cell_takes_the_cheapest_partner():
    tables = {
        "totals": _t("totals", ("year",), [(2020, 70)]),
        "sex": _t(
            "sex",
            ("year", "sex"),
            [(2020, "a", 3), (2020, "b", 12), (2020, "c", 15), (2020, "d", 40)],
        ),
    }
    r = protect_edition_details(tables, RULE)
    # an x beside <10 is no small count (at least 10): with 12 hidden, 3 + 12 = a + x gives
    # a <= 5, short of the 6 that protecting 3 needs; 15 is the cheapest partner that protects
    assert _shown(r, "sex") == ["<10", 12, "x", 40]
    assert _shown(r, "totals") == [70]
    _audit_ok(r)


def test_two_small_cells_protect_each_other_only_when_wide_enough():
    tables = {
        "totals": _t("totals", ("year",), [(2020, 100)]),
        "sex": _t(
            "sex",
            ("year", "sex"),
            [(2020, "a", 2), (2020, "b", 9), (2020, "c", 30), (2020, "d", 59)],
        ),
    }
    r = protect_edition_details(tables, RULE)
    # with only a and b hidden, a + b = 11 and b <= 9 give a >= 2, but the protection of 2
    # (3 either way within 1..9) needs a = 1 possible: a third cell, the cheapest
    assert _shown(r, "sex") == ["<10", "<10", "x", 59]
    _audit_ok(r)


def test_limburg_is_one_cell_in_two_tables():
    """Province and police unit Limburg are the same municipalities: hidden in both or neither."""
    prov = [(2020, "Limburg", 4), (2020, "Zeeland", 30), (2020, "Utrecht", 66)]
    unit = [
        (2020, "Limburg", 4),
        (2020, "Zeeland-West-Brabant", 30),
        (2020, "Midden-Nederland", 66),
    ]
    tables = {
        "totals": _t("totals", ("year",), [(2020, 100)]),
        "province": _t("province", ("year", "province"), prov),
        "police_unit": _t("police_unit", ("year", "police_unit"), unit),
    }
    r = protect_edition_details(tables, RULE)
    # Limburg +3 and Zeeland -3 is also Zeeland-West-Brabant -3: one partner in each table
    assert _shown(r, "province") == ["<10", "x", 66]
    assert _shown(r, "police_unit") == ["<10", "x", 66]
    _audit_ok(r)


def test_age_groups_and_minors_are_linked():
    ages = [
        (2020, "0-11", 5),
        (2020, "12-17", 40),
        (2020, "18-22", 20),
        (2020, "23-29", 20),
        (2020, "30-49", 10),
        (2020, "50+", 10),
        (2020, "unknown", 0),
    ]
    minor = [(2020, "minor", 45), (2020, "adult", 60), (2020, "unknown", 0)]
    tables = {
        "totals": _t("totals", ("year",), [(2020, 105)]),
        "age_group": _t("age_group", ("year", "age_group"), ages),
        "minor": _t("minor", ("year", "minor"), minor),
    }
    r = protect_edition_details(tables, RULE)
    # 0-11 = minor - (12-17): hiding 12-17 (cost 41) beats hiding minor and an adult age
    assert _shown(r, "age_group") == ["<10", "x", 20, 20, 10, 10, 0]
    assert _shown(r, "minor") == [45, 60, 0]
    _audit_ok(r)


def test_hidden_number_observed_hides_its_estimate():
    hn = pd.DataFrame(
        {
            "year": [2020] * 3,
            "victim_group": ["labour", "criminal", "all"],
            "observed": [94, 6, 100],
            "estimate": [812.0, 40.0, 852.0],
        }
    )
    tables = {
        "totals": _t("totals", ("year",), [(2020, 100)]),
        "hidden_number": MonitorTable(
            "hidden_number", "h", "h", hn, ("year", "victim_group"), ("observed",), ("estimate",)
        ),
    }
    r = protect_edition_details(tables, RULE)
    frame = r.tables["hidden_number"].frame
    assert frame["observed"].tolist() == ["x", "<10", 100]
    assert frame["estimate"].tolist() == ["<10", "<10", 850]
    _audit_ok(r)


def test_municipal_detail_is_hidden_before_a_national_figure():
    """The cost of hiding a cell is its weight x (1 + value): with the largest category made
    cheap (as a municipality's is), it becomes the partner instead of the 15."""
    from traffickingmonitor.disclosure.model import build_model
    from traffickingmonitor.disclosure.primary import primary_mask
    from traffickingmonitor.disclosure.secondary import suppress

    tables = {
        "totals": _t("totals", ("year",), [(2020, 70)]),
        "sex": _t(
            "sex",
            ("year", "sex"),
            [(2020, "a", 3), (2020, "b", 12), (2020, "c", 15), (2020, "d", 40)],
        ),
    }
    model = build_model(tables)
    masks = {tid: primary_mask(t, RULE) for tid, t in tables.items()}
    primary = [bool(masks[c.table_id].at[c.row, c.column]) for c in model.cells]
    hidden_values = {}
    for cheap in (None, 40):
        weight = [0.01 if c.value == cheap else 1.0 for c in model.cells]
        result = suppress(
            model,
            np.asarray(primary),
            threshold=RULE.threshold,
            protection_level=RULE.protection_level,
            weight=np.asarray(weight),
        )
        hidden_values[cheap] = sorted(
            c.value for c, h in zip(model.cells, result.hidden, strict=True) if h
        )
    assert hidden_values[None] == [3, 15]
    assert hidden_values[40] == [3, 40]


def test_tables_of_municipalities_and_safety_regions_are_detail():
    from traffickingmonitor.disclosure.edition import DETAIL_WEIGHT, _weight

    assert _weight(_t("m", ("year", "municipality"), [(2020, "GM0363", 5)])) == DETAIL_WEIGHT
    assert _weight(_t("s", ("safety_region",), [("VR13", 5)])) == DETAIL_WEIGHT
    assert _weight(_t("p", ("year", "province"), [(2020, "PV27", 5)])) == 1.0


def test_a_key_table_the_edition_lacks_is_not_reported_as_shown():
    tables = {"totals": _t("totals", ("year",), [(2020, 70)])}
    missing = protect_edition_details(tables, RULE).hidden_key_figures()
    assert "sex: not in this edition" in missing
    assert not any(m.startswith("totals") for m in missing)
