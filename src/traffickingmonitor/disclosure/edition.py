"""Protect all tables of an edition together: the one call every output channel makes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.model import EditionModel, build_model
from traffickingmonitor.disclosure.primary import (
    ProtectedTable,
    apply_pattern,
    primary_mask,
    small_symbol,
)
from traffickingmonitor.disclosure.rule import DisclosureRule
from traffickingmonitor.disclosure.secondary import ProtectionError, SuppressionResult, suppress


@dataclass
class EditionProtection:
    """The protected tables and how they came about (for the audit, the CLI, benchmarks)."""

    tables: dict[str, ProtectedTable]
    rule: DisclosureRule
    seconds: float
    model: EditionModel | None = None
    suppression: SuppressionResult | None = None
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        """Cells published, hidden by the primary rule and hidden to protect them."""
        cells = hidden = primary = secondary = 0
        for t in self.tables.values():
            cols = [c for c in t.source.counts if c in t.source.frame]
            cells += int(t.source.frame[cols].notna().to_numpy().sum())
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


def protect_edition_details(
    tables: dict[str, MonitorTable], rule: DisclosureRule | None = None
) -> EditionProtection:
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
    model = build_model(tables)
    masks = {tid: primary_mask(t, rule) for tid, t in tables.items()}
    primary = [
        bool(masks[c.table_id].iloc[c.row, masks[c.table_id].columns.get_loc(c.column)])
        for c in model.cells
    ]
    # cells of tables that show small counts as <10 (there an x tells "no small count")
    banded = [small_symbol(tables[c.table_id]) for c in model.cells]
    try:
        result = suppress(
            model,
            pd.Series(primary, dtype=bool).to_numpy(),
            threshold=rule.threshold,
            protection_level=rule.protection_level,
            banded=np.asarray(banded, bool),
        )
    except ProtectionError as exc:
        table = tables[exc.cell.table_id]
        row = table.frame.iloc[exc.cell.row]
        where = ", ".join(f"{d}={row[d]}" for d in table.dimensions) or "(the table's one row)"
        raise ProtectionError(exc.cell, exc.cause, where) from exc.cause
    notes = list(model.notes)
    if result.unprotectable:
        notes.append(
            f"{result.unprotectable} sensitive cells cannot be protected by suppression: the "
            "symbols of the cells they are made of tell too much (show those as x)"
        )
    protected = {}
    for tid, table in tables.items():
        pmask = masks[tid]
        smask = pmask & False
        for (t, row, col), idx in model.cell_index.items():
            if t == tid and result.secondary[idx]:
                smask.iloc[row, smask.columns.get_loc(col)] = True
        protected[tid] = apply_pattern(table, rule, pmask, smask)
    return EditionProtection(protected, rule, time.perf_counter() - t0, model, result, notes)
