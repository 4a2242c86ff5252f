"""What keeps the engine's MILPs few and small on a small edition.

On ``synth --scale 0.1`` protection took five minutes: a sensitive count of persons found no
perturbation near itself (its registrations, tied to it by persons <= registrations, were not
near), so every MILP for it went to the whole component; and each round of protection
(tables turned to x, repeats found in the microdata) protected every component again from
the start. These tests fail without the mechanisms that mend that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from disclosure_cases import hard_tables, local_year_tables
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure import edition, secondary
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
from traffickingmonitor.disclosure.model import build_model

RULE = DisclosureRule()


def _persons_and_registrations() -> dict[str, MonitorTable]:
    """Persons and registrations per year and sex; women in 2023 are 2 persons with 2
    registrations, so persons <= registrations leaves them no room of their own."""
    sex = pd.DataFrame(
        {
            "year": [2023, 2023, 2023],
            "sex": ["man", "woman", "other or unknown"],
            "persons": [140, 2, 31],
            "registrations": [150, 2, 35],
        }
    )
    totals = sex.groupby("year", as_index=False)[["persons", "registrations"]].sum()

    def table(tid, dims, frame):
        return MonitorTable(
            tid, tid, tid, frame, dimensions=dims, counts=("persons", "registrations")
        )

    return {"totals": table("totals", ("year",), totals), "sex": table("sex", ("year", "sex"), sex)}


def test_a_persons_count_is_protected_near_itself_with_its_registrations():
    tables = _persons_and_registrations()
    model = build_model(tables, pin_from=RULE.threshold)
    group_of, groups = secondary._groups(model)
    p_cell = model.cell_index[("sex", 1, "persons")]
    r_cell = model.cell_index[("sex", 1, "registrations")]
    var_idx, cell_idx = next(c for c in model.components() if p_cell in c[1])
    gids = secondary._group_ids(cell_idx, group_of)
    comp = secondary._Component(model, var_idx, gids, groups)
    p = comp.gids.index(int(group_of[p_cell]))
    r = comp.gids.index(int(group_of[r_cell]))
    hidden = np.zeros(len(comp.v), bool)
    hidden[[p, r]] = True  # both below 10
    comp.banded, comp.not_small = hidden.copy(), ~hidden  # as ``suppress`` sets them
    near = secondary._nearby(comp, p, 64, 2)
    registrations = comp.S[r].indices
    # the registrations share no unknown with the persons: only the relation brings them near
    assert not set(comp.S[p].indices) & set(registrations)
    assert set(registrations) <= set(near)
    need_up, need_dn = secondary._needs(2, RULE.threshold, RULE.protection_level)
    found = secondary._protect(
        comp, hidden, hidden, p, RULE.threshold, need_up, need_dn, 60.0, cols=near
    )
    assert found is not None, "no perturbation near the cell: its MILP goes to the component"


def _counted(monkeypatch, module, name: str) -> list:
    """A list that grows by one at each call of ``module.name``."""
    calls = []
    real = getattr(module, name)

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_component_protected_before_gets_its_pattern_without_a_milp(monkeypatch):
    tables = hard_tables(years=(2023,), persons_per_year=300)
    solved = _counted(monkeypatch, secondary, "milp")
    done: dict = {}
    first = protect_edition_details(tables, RULE, done=done)
    assert solved and done
    solved.clear()
    again = protect_edition_details(tables, RULE, done=done)
    assert solved == []
    assert (again.suppression.hidden == first.suppression.hidden).all()
    assert again.suppression.milps == 0


def test_tables_turned_to_x_before_start_as_x(monkeypatch):
    # each <10 of a municipality-year tells "at least 1": the engine turns that table to x
    # after a whole protection; told so by the protection before, it protects once
    tables = local_year_tables(hidden_as_x=False)
    first = protect_edition_details(tables, RULE)
    assert "local_municipality_year" in first.shown_as_x
    calls = _counted(monkeypatch, edition, "suppress")
    again = protect_edition_details(tables, RULE, shown_as_x=first.shown_as_x)
    assert len(calls) == 1
    assert again.shown_as_x == first.shown_as_x
    assert (again.suppression.hidden == first.suppression.hidden).all()
    assert any("local_municipality_year" in n and "shown as x" in n for n in again.notes)


def test_tables_to_turn_to_x_are_found_before_any_pattern(monkeypatch):
    # whether a cell can be protected at all does not depend on the pattern: LPs with every
    # cell hidden find the table to turn to x, and the engine makes one pattern, not two
    tables = local_year_tables(hidden_as_x=False)
    calls = _counted(monkeypatch, edition, "suppress")
    result = protect_edition_details(tables, RULE)
    assert "local_municipality_year" in result.shown_as_x
    assert len(calls) == 1
    assert result.suppression.unprotectable == 0


def _local_years_model():
    """Tables of a municipality per year, their model and its primary cells."""
    tables = local_year_tables(hidden_as_x=False)
    model = build_model(tables, pin_from=RULE.threshold)
    masks = {tid: edition.primary_mask(t, RULE) for tid, t in tables.items()}
    primary = np.asarray(
        [
            bool(masks[c.table_id].iloc[c.row, masks[c.table_id].columns.get_loc(c.column)])
            for c in model.cells
        ]
    )
    return tables, model, primary


def test_an_unprotectable_cell_names_the_symbols_that_pin_it():
    # a municipality's persons over the years is the sum of its years, each shown as <10
    # (at least 1): those symbols pin it from below, and ``unprotectable`` names them
    tables, model, primary = _local_years_model()
    stuck, pinned_by = secondary.unprotectable(
        model,
        primary,
        threshold=RULE.threshold,
        protection_level=RULE.protection_level,
        banded=np.ones(len(model.cells), bool),
    )
    year = tables["local_municipality_year"].frame
    named = {
        model.cells[j].row
        for j in np.flatnonzero(pinned_by)
        if model.cells[j].table_id == "local_municipality_year"
    }
    municipalities = [
        model.cells[i].row
        for i in np.flatnonzero(stuck)
        if model.cells[i].table_id == "local_municipality"
    ]
    assert municipalities, "no municipality is pinned by its years"
    for row in municipalities:
        place = tables["local_municipality"].frame["municipality"].iloc[row]
        rows = np.flatnonzero((year["municipality"] == place).to_numpy())
        assert named & set(rows), place  # some of its own years pin it


def test_a_table_that_pins_a_cell_of_an_x_family_turns_to_x():
    """When every table of a stuck cell's family shows x already, the tables whose <10 pin
    it (``pinned_by``) are turned to x: nothing else could protect it."""
    import dataclasses
    from types import SimpleNamespace

    base = local_year_tables(hidden_as_x=False)["local_province"]
    tables = {
        "pooled": dataclasses.replace(base, extra={"hidden_as_x": True}),
        "per_year": base,
    }
    cells = [SimpleNamespace(table_id="pooled", row=0, column="exploitation")] + [
        SimpleNamespace(table_id="per_year", row=r, column="exploitation") for r in range(4)
    ]
    model = SimpleNamespace(
        cells=cells,
        linkage={
            "pooled": SimpleNamespace(margin_of=""),
            "per_year": SimpleNamespace(margin_of=""),
        },
    )
    result = SimpleNamespace(
        stuck=np.array([True, False, False, False, False]),
        pinned_by=np.array([False, True, False, True, False]),
    )
    assert edition._to_show_as_x(tables, model, result) == {"per_year"}
    result.pinned_by = None  # a pattern's own stuck cells: nothing named
    assert edition._to_show_as_x(tables, model, result) == set()


def test_unprotectable_answers_a_component_it_saw_before_without_an_lp(monkeypatch):
    """The rounds of an edition's protection ask ``unprotectable`` of every component again;
    with ``done`` an unchanged component gets its answer from the call before."""
    _, model, primary = _local_years_model()
    kw = {
        "threshold": RULE.threshold,
        "protection_level": RULE.protection_level,
        "banded": np.ones(len(model.cells), bool),
    }
    alone = secondary.unprotectable(model, primary, **kw)
    done: dict = {}
    first = secondary.unprotectable(model, primary, done=done, **kw)
    solved = []
    real = secondary._unprotectable_component
    monkeypatch.setattr(
        secondary,
        "_unprotectable_component",
        lambda *a, **k: solved.append(1) or real(*a, **k),
    )
    again = secondary.unprotectable(model, primary, done=done, **kw)
    assert alone[0].any()  # a case with stuck cells and symbols that pin them
    for a, b, c in zip(alone, first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert done and not solved
    # another rule is another question: answered afresh
    wider = {**kw, "protection_level": RULE.protection_level + 1}
    secondary.unprotectable(model, primary, done=done, **wider)
    assert solved


def test_the_sweep_proves_most_ranges_in_a_few_solves_and_leaves_the_audit_as_it_was(
    monkeypatch,
):
    """Pushing the sensitive cells to their intervals all at once proves most of their ranges
    in a few solves (each cell's own would take one or two); what it proves holds (no seen
    value outside the cell's true range), it leaves every row as the symbols bound it, and
    the cells no pattern protects are the same with it as without it. (The symbols that pin
    them come from an LP's duals, which are not unique: another basis may name other cells,
    of the same tables here; the tables are what turns to x.)"""
    _, model, primary = _local_years_model()
    threshold, level = RULE.threshold, RULE.protection_level
    group_of, groups = secondary._groups(model)
    g_primary = np.zeros(len(groups), bool)
    g_primary[group_of[primary]] = True
    comp, gl, prim = max(
        secondary._sensitive_components(model, group_of, groups, g_primary),
        key=lambda c: c[2].sum(),
    )
    comp.banded, comp.not_small = prim.copy(), ~prim  # as ``unprotectable`` sets them
    cells = np.flatnonzero(prim)
    assert len(cells) >= 20
    low, high = secondary._intervals(comp.v[cells], threshold, level)
    every = np.ones(len(gl), bool)
    audit = secondary._Audit(comp, every, threshold)
    solves = _counted(monkeypatch, secondary.highs, "optimum")
    audit.sweep(cells, low, high)
    proven = (audit._low_seen[cells] <= low + 1e-6) & (audit._high_seen[cells] >= high - 1e-6)
    # nearly a thousand cells: 9 solves prove 85% of them (measured); each of its own, 1-2
    assert len(solves) <= 20 and proven.mean() >= 0.8, (len(solves), proven.mean(), len(cells))
    fresh = secondary._Audit(comp, every, threshold)
    for g in cells[::10]:
        lo, hi = audit.bounds(g)
        assert lo <= audit._low_seen[g] + 1e-6 and audit._high_seen[g] <= hi + 1e-6
        np.testing.assert_allclose((lo, hi), fresh.bounds(g), atol=1e-6)
    kw = {"threshold": threshold, "protection_level": level, "banded": np.ones(len(primary), bool)}
    swept_stuck, swept_pins = secondary.unprotectable(model, primary, **kw)
    monkeypatch.setattr(secondary, "SWEEP", False)
    plain_stuck, plain_pins = secondary.unprotectable(model, primary, **kw)
    assert swept_stuck.sum() > 0
    np.testing.assert_array_equal(swept_stuck, plain_stuck)

    def tables(mask):
        return {model.cells[i].table_id for i in np.flatnonzero(mask)}

    assert tables(swept_pins) == tables(plain_pins)
