"""Who is counted where: the units behind every count cell of a table.

Every published count is a count of units (persons, registrations) that satisfy a predicate on
the edition's microdata. A table built from unit-level records keeps them as its ``members``:
one row per unit and cell it is counted in, with columns

``unit``
    the kind of unit: ``person``, ``registration`` or ``case``;
``unit_id``
    the unit's pseudonymous id within the edition (a person id, a registration key);
``row``
    the position of the cell's row in the table's frame;
``column``
    the count column;
``weight``
    how often the unit counts there (1, or the years of a pooled table of person-years).

Disclosure control reads the members to find every relation between published cells from
the data themselves (:mod:`traffickingmonitor.disclosure.microdata`); :func:`mismatches`
proves that the members make every count of the table.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

COLUMNS = ("unit", "unit_id", "row", "column", "weight")
#: a case is a unit of a table delivered as counts (no records behind it in the store)
UNITS = ("person", "registration", "case")


def members(
    frame: pd.DataFrame,
    dims: Iterable[str],
    units: pd.DataFrame,
    *,
    unit: str,
    column: str,
    unit_id: str = "unit_id",
) -> pd.DataFrame:
    """The members of count ``column``: ``units`` has one record per unit and the row it is
    counted in (``unit_id`` and the table's dimension columns ``dims``); a unit counted twice
    in one cell weighs 2."""
    dims = list(dims)
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    keys = frame[dims].astype(str).assign(row=np.arange(len(frame)))
    records = units[[unit_id, *dims]].astype({d: str for d in dims})
    if dims:
        matched = records.merge(keys, on=dims, how="left")
    elif len(frame) == 1:  # a table of one row without dimensions
        matched = records.assign(row=0)
    else:
        raise ValueError("a table without dimensions has one row")
    if matched["row"].isna().any():
        lost = matched.loc[matched["row"].isna(), dims].drop_duplicates().head(3)
        raise ValueError(f"units outside every row of the table: {lost.to_dict('records')}")
    counted = matched.groupby([unit_id, "row"], sort=False).size().rename("weight").reset_index()
    return pd.DataFrame(
        {
            "unit": unit,
            "unit_id": counted[unit_id].astype(str).to_numpy(),
            "row": counted["row"].astype("int64").to_numpy(),
            "column": column,
            "weight": counted["weight"].astype("int64").to_numpy(),
        },
        columns=list(COLUMNS),
    )


def from_records(who: list[tuple[str, int, str]], unit: str = "person") -> pd.DataFrame:
    """Members from ``(unit_id, row, column)`` records, one per unit and cell."""
    frame = pd.DataFrame(who, columns=["unit_id", "row", "column"])
    return frame.assign(unit=unit, weight=1)[list(COLUMNS)]


class Who:
    """The members of a table as its builder counts them: the ids counted in each cell.

    Off (``Who(False)``), it keeps nothing and makes no members: ``run`` does not need them
    (disclosure control makes them again from the stored edition), and at a million
    registrations the persons at risk in every month of every curve are tens of millions of
    records. On, it keeps one id array per cell, not a record per unit.
    """

    def __init__(self, on: bool = True, unit: str = "person"):
        self.on = on
        self.unit = unit
        self._cells: list[tuple[np.ndarray, int, str]] = []

    def add(self, ids: np.ndarray, row: int, column: str) -> None:
        """``ids`` are counted once each in cell (``row``, ``column``)."""
        if self.on:
            self._cells.append((np.asarray(ids), row, column))

    def frame(self) -> pd.DataFrame | None:
        """The members (:data:`COLUMNS`), or None when off."""
        if not self.on:
            return None
        if not self._cells:
            return pd.DataFrame(columns=list(COLUMNS))
        sizes = [len(ids) for ids, _, _ in self._cells]
        return pd.DataFrame(
            {
                "unit": self.unit,
                "unit_id": np.concatenate([ids for ids, _, _ in self._cells]).astype(str),
                "row": np.repeat([row for _, row, _ in self._cells], sizes).astype("int64"),
                "column": np.repeat([col for _, _, col in self._cells], sizes).astype(object),
                "weight": np.ones(sum(sizes), dtype="int64"),
            },
            columns=list(COLUMNS),
        )


def combine(*parts: pd.DataFrame) -> pd.DataFrame:
    """The members of several count columns as one frame."""
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def mismatches(frame: pd.DataFrame, counts: Iterable[str], table_members: pd.DataFrame) -> list:
    """Cells whose count differs from the weight of their members: ``(row, column, count,
    members)``; empty when the members make every count of the table."""
    made = table_members.groupby(["row", "column"])["weight"].sum()
    out = []
    for column in counts:
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy()
        for row, value in enumerate(values):
            if np.isnan(value):
                continue
            have = int(made.get((row, column), 0))
            if have != int(value):
                out.append((row, column, int(value), have))
    return out
