"""A deliberately hard edition: persons per municipality (many small cells) with published
province, police-unit and national totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes


def hard_tables(years=(2022, 2023), persons_per_year=1200, seed=7) -> dict[str, MonitorTable]:
    rng = np.random.default_rng(seed)
    ref = codes.municipalities()
    weights = ref["population"].to_numpy(float)
    rows = []
    for year in years:
        n = rng.multinomial(persons_per_year, weights / weights.sum())
        for code, k in zip(ref["code"], n, strict=True):
            rows.append({"year": year, "municipality": code, "persons": int(k)})
        rows.append({"year": year, "municipality": "unknown", "persons": int(rng.integers(3, 30))})
    muni = pd.DataFrame(rows)
    level = ref.set_index("code")
    muni["province"] = muni["municipality"].map(level["province"]).fillna("unknown")
    muni["police_unit"] = muni["municipality"].map(level["police_unit"]).fillna("unknown")

    def table(tid, dims, frame):
        return MonitorTable(
            tid, tid, tid, frame.reset_index(drop=True), dimensions=dims, counts=("persons",)
        )

    totals = muni.groupby("year", as_index=False)["persons"].sum()
    return {
        "totals": table("totals", ("year",), totals),
        "municipality": table(
            "municipality", ("year", "municipality"), muni[["year", "municipality", "persons"]]
        ),
        "province": table(
            "province",
            ("year", "province"),
            muni.groupby(["year", "province"], as_index=False)["persons"].sum(),
        ),
        "police_unit": table(
            "police_unit",
            ("year", "police_unit"),
            muni.groupby(["year", "police_unit"], as_index=False)["persons"].sum(),
        ),
    }
