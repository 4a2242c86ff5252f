"""Protect all tables of an edition together: the one call every output channel makes."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.model import EditionModel, build_model
from traffickingmonitor.disclosure.primary import (
    ProtectedTable,
    apply_pattern,
    primary_mask,
    small_symbol,
)
from traffickingmonitor.disclosure.rule import DisclosureRule
from traffickingmonitor.disclosure.secondary import (
    ProtectionError,
    SuppressionResult,
    suppress,
    unprotectable,
)


@dataclass
class EditionProtection:
    """The protected tables and how they came about (for the audit, the CLI, benchmarks)."""

    tables: dict[str, ProtectedTable]
    rule: DisclosureRule
    seconds: float
    model: EditionModel | None = None
    suppression: SuppressionResult | None = None
    notes: list[str] = field(default_factory=list)
    #: read from the store (``disclosure.stored``), not computed now
    stored: bool = False
    #: tables that show every hidden cell as x because a <10 there gave a count away
    shown_as_x: frozenset = frozenset()

    def hidden_share(self) -> tuple[int, int]:
        """Hidden and all count cells outside the municipality-level tables (where readers
        look for national and regional figures)."""
        hidden = cells = 0
        for t in self.tables.values():
            if MUNICIPALITY_DIMENSION in t.spec.dimensions:
                continue
            cells += t.n_cells()
            hidden += t.n_hidden()
        return hidden, cells

    def hidden_key_figures(self) -> list[str]:
        """The national key figures (``KEY_FIGURE_TABLES``) that are hidden, as table: row, and
        the key tables the edition does not have (not looked at, so never reported as shown)."""
        out = []
        for tid in KEY_FIGURE_TABLES:
            t = self.tables.get(tid)
            if t is None:
                out.append(f"{tid}: not in this edition")
                continue
            if not t.n_hidden():
                continue
            status = t.status
            for pos in range(len(t.frame)):
                if status.iloc[pos].isin(["primary", "secondary"]).any():
                    row = t.frame.iloc[pos]
                    out.append(f"{tid}: " + ", ".join(str(row[d]) for d in t.spec.dimensions))
        return out

    def counts(self) -> dict:
        """Cells published, hidden by the primary rule and hidden to protect them."""
        cells = hidden = primary = secondary = 0
        for t in self.tables.values():
            cells += t.n_cells()
            hidden += t.n_hidden()
            primary += t.n_hidden("primary")
            secondary += t.n_hidden("secondary")
        return {
            "method": self.rule.method,
            "count_cells": cells,
            "published": cells - hidden,
            "primary": primary,
            "secondary": secondary,
            "withheld": hidden - primary - secondary,
        }


def protect_edition(
    tables: dict[str, MonitorTable], rule: DisclosureRule | None = None
) -> dict[str, ProtectedTable]:
    """The protected tables of an edition under its rule (suppression, rounding or noise)."""
    return protect_edition_details(tables, rule).tables


#: the dimension of the municipality-level tables (the detail readers look up one at a time)
MUNICIPALITY_DIMENSION = "municipality"
#: national key figures: the year's total by sex, age group, victim group, nationality group,
#: reporting organisation, police unit and province (none may be hidden in a good design)
KEY_FIGURE_TABLES = (
    "totals",
    "sex",
    "age_group",
    "victim_group",
    "nationality_group",
    "reporting_org",
    "police_unit",
    "province",
)
#: rounds of turning tables with an unprotectable cell to x only
MAX_X_ROUNDS = 3
#: dimensions of detail a reader looks up one at a time (a municipality): the engine hides such
#: cells before the figures of the country and its regions (a cell of a table with one of
#: these dimensions costs ``DETAIL_WEIGHT`` times as much to hide as any other cell)
DETAIL_DIMENSIONS = (MUNICIPALITY_DIMENSION, "safety_region")
DETAIL_WEIGHT = 0.1


def _weight(table: MonitorTable) -> float:
    return DETAIL_WEIGHT if set(table.dimensions) & set(DETAIL_DIMENSIONS) else 1.0


def _suppress(
    tables: dict[str, MonitorTable],
    rule: DisclosureRule,
    found: tuple = (),
    keep_hidden: frozenset = frozenset(),
    done: dict | None = None,
    look_first: bool = False,
):
    """The model (with the relations ``found`` from the microdata), the primary masks and the
    suppression pattern of ``tables`` (grown from the cells ``keep_hidden``: table, row,
    column; components protected before taken from ``done``, see ``secondary.suppress``).

    With ``look_first``, sensitive cells that no pattern protects are looked for first
    (``secondary.unprotectable``, LPs only); when there are any, the result has no pattern,
    only those cells (``stuck``): the tables they turn to x change the model, and a pattern
    made before that would be made in vain."""
    model = build_model(tables, found, pin_from=rule.threshold)
    masks = {tid: primary_mask(t, rule) for tid, t in tables.items()}
    primary = [
        bool(masks[c.table_id].iloc[c.row, masks[c.table_id].columns.get_loc(c.column)])
        for c in model.cells
    ]
    # cells of tables that show small counts as <10 (there an x tells "no small count")
    banded = np.asarray([small_symbol(tables[c.table_id]) for c in model.cells], bool)
    primary = np.asarray(primary, bool)
    weights = {tid: _weight(t) for tid, t in tables.items()}
    try:
        if look_first:
            stuck, pinned_by = unprotectable(
                model,
                primary,
                threshold=rule.threshold,
                protection_level=rule.protection_level,
                banded=banded,
                done=done,
            )
            if stuck.any():
                result = SuppressionResult(
                    np.zeros(len(model.cells), bool),
                    primary,
                    unprotectable=int(stuck.sum()),
                    stuck=stuck,
                    pinned_by=pinned_by,
                    _rule=(rule.threshold, rule.protection_level),
                )
                return model, masks, result
        result = suppress(
            model,
            primary,
            threshold=rule.threshold,
            protection_level=rule.protection_level,
            banded=banded,
            weight=np.asarray([weights[c.table_id] for c in model.cells]),
            keep_hidden=np.asarray(
                [(c.table_id, c.row, c.column) in keep_hidden for c in model.cells], bool
            ),
            done=done,
        )
    except ProtectionError as exc:
        table = tables[exc.cell.table_id]
        row = table.frame.iloc[exc.cell.row]
        where = ", ".join(f"{d}={row[d]}" for d in table.dimensions) or "(the table's one row)"
        raise ProtectionError(exc.cell, exc.cause, where) from exc.cause
    return model, masks, result


def _to_show_as_x(tables: dict[str, MonitorTable], model, result, found: tuple = ()) -> set[str]:
    """Tables whose <10 gives an unprotectable cell away: the cell's own table or, when that
    shows x already, the tables that share its margin (its family: crime by sex, by age...),
    and the tables of the cells a relation ``found`` in the microdata ties it to (the years
    of a count over the period)."""
    out = set()
    stuck = [model.cells[i] for i in np.flatnonzero(result.stuck)]
    for tid in {c.table_id for c in stuck}:
        if small_symbol(tables[tid]):
            out.add(tid)
            continue
        root = model.linkage[tid].margin_of or tid
        out |= {
            u
            for u, lk in model.linkage.items()
            if (lk.margin_of or u) == root and small_symbol(tables[u])
        }
    keys = {(c.table_id, c.row, c.column) for c in stuck}
    for relation in found:
        named = {key for key, _ in relation.terms}
        if named & keys:
            out |= {key[0] for key in named if small_symbol(tables[key[0]])}
    if not out and result.pinned_by is not None:
        # every table of the cells' families shows x, and still a <10 elsewhere pins them
        # (a province's persons per year, each at least 1, bound its place of exploitation
        # from below): those tables show x too
        out = {
            model.cells[i].table_id
            for i in np.flatnonzero(result.pinned_by)
            if small_symbol(tables[model.cells[i].table_id])
        }
    return out


def protect_edition_details(
    tables: dict[str, MonitorTable],
    rule: DisclosureRule | None = None,
    found: tuple = (),
    keep_hidden: frozenset = frozenset(),
    shown_as_x: frozenset = frozenset(),
    done: dict | None = None,
) -> EditionProtection:
    """The protected tables of an edition and how they were made.

    Parameters
    ----------
    tables
        The edition's unprotected tables.
    rule
        The disclosure rule (default: suppression with the default threshold).
    found
        Relations between cells the attacker from the microdata found
        (:mod:`against_atoms`), protected against as the declared ones are.
    keep_hidden
        Cells (table, row, column) a pattern found before hid, hidden again (suppression
        only).
    shown_as_x
        Tables a protection before turned to x only (``EditionProtection.shown_as_x``):
        they start so, instead of being found again one protection at a time.
    done
        Components protected before, by their content (``secondary.suppress``): a caller
        that protects the edition again with a few relations more passes the same dict to
        every call. Each call keeps one for its own rounds of turning tables to x.
    """
    rule = rule or DisclosureRule()
    t0 = time.perf_counter()
    if rule.method == "rounding":
        from traffickingmonitor.disclosure.rounding import protect_rounded

        protected, model = protect_rounded(tables, rule)
        return EditionProtection(protected, rule, time.perf_counter() - t0, model)
    if rule.method == "dp":
        from traffickingmonitor.disclosure.noise import protect_noisy

        protected = protect_noisy(tables, rule)
        return EditionProtection(protected, rule, time.perf_counter() - t0)
    notes: list[str] = []
    done = {} if done is None else done
    as_x = frozenset(tid for tid in shown_as_x if tid in tables and small_symbol(tables[tid]))
    if as_x:
        # a round of protection against the microdata (or a repeat) differs from the one
        # before by a few relations: the tables it turned to x would be turned again, each
        # after a whole protection that hides in vain (on a small edition two of its three)
        tables = _as_x(tables, as_x)
        notes.append(_x_note(as_x))
    # A sensitive cell no pattern protects is given away by the <10 of cells it is made of:
    # its table then shows every hidden cell as x (telling nothing but "a count") and the
    # edition is protected again (a few rounds at most: each round turns tables to x only).
    for round_ in range(1 + MAX_X_ROUNDS):
        # the last round makes a pattern whatever is found (it is never published when a cell
        # stays unprotectable); the ones before find those cells with LPs before any MILP
        last = round_ == MAX_X_ROUNDS
        model, masks, result = _suppress(tables, rule, found, keep_hidden, done, not last)
        stuck = _to_show_as_x(tables, model, result, found)
        if not stuck or round_ == MAX_X_ROUNDS:
            break
        tables = _as_x(tables, stuck)
        as_x |= stuck
        notes.append(_x_note(stuck))
    notes = [*model.notes, *notes]
    if result.unprotectable:
        # a pattern that leaves a cell to be worked out is never published
        first = model.cells[int(np.flatnonzero(result.stuck)[0])]
        row = tables[first.table_id].frame.iloc[first.row]
        where = ", ".join(f"{d}={row[d]}" for d in tables[first.table_id].dimensions)
        raise ProtectionError(
            first,
            RuntimeError(
                f"no pattern protects it ({result.unprotectable} such cells), even with their "
                "tables showing every hidden cell as x"
            ),
            where or "(the table's one row)",
        )
    protected = {}
    for tid, table in tables.items():
        pmask = masks[tid]
        smask = pmask & False
        for (t, row, col), idx in model.cell_index.items():
            if t == tid and result.secondary[idx]:
                smask.iloc[row, smask.columns.get_loc(col)] = True
        protected[tid] = apply_pattern(table, rule, pmask, smask)
    return EditionProtection(
        protected, rule, time.perf_counter() - t0, model, result, notes, shown_as_x=as_x
    )


def _as_x(tables: dict[str, MonitorTable], which) -> dict[str, MonitorTable]:
    """``tables`` with those of ``which`` showing every hidden cell as x."""
    return {
        tid: dataclasses.replace(t, extra={**t.extra, "hidden_as_x": True}) if tid in which else t
        for tid, t in tables.items()
    }


def _x_note(which) -> str:
    return "hidden cells shown as x, not <10 (a <10 would give a count away): " + ", ".join(
        sorted(which)
    )
