"""A deliberately hard edition: persons per municipality (many small cells) with published
province, police-unit and national totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes


def _municipality_rows(rng, year: int, persons: int, column: str) -> list[dict]:
    """``persons`` spread over the municipalities by population (one multinomial draw)."""
    ref = codes.municipalities()
    weights = ref["population"].to_numpy(float)
    n = rng.multinomial(persons, weights / weights.sum())
    return [
        {"year": year, "municipality": code, column: int(k)}
        for code, k in zip(ref["code"], n, strict=True)
    ]


def hard_tables(years=(2022, 2023), persons_per_year=1200, seed=7) -> dict[str, MonitorTable]:
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        rows += _municipality_rows(rng, year, persons_per_year, "persons")
        rows.append({"year": year, "municipality": "unknown", "persons": int(rng.integers(3, 30))})
    muni = pd.DataFrame(rows)
    level = codes.municipalities().set_index("code")
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


def local_year_tables(
    years=(2021, 2022, 2023), persons_per_year=800, seed=5, hidden_as_x=True
) -> dict[str, MonitorTable]:
    """Local figures as the edition has them: persons per municipality and province, pooled
    over the years and per year, all margins of one total (few persons per municipality-year)."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        rows += _municipality_rows(rng, year, persons_per_year, "exploitation")
    per_year = pd.DataFrame(rows)
    province = codes.municipalities().set_index("code")["province"]
    per_year["province"] = per_year["municipality"].map(province)

    def table(tid, dims, frame, **extra):
        return MonitorTable(
            tid,
            tid,
            tid,
            frame.reset_index(drop=True),
            dimensions=dims,
            counts=("exploitation",),
            margin_of="" if tid == "local_total" else "local_total",
            extra=extra,
        )

    return {
        "local_total": table(
            "local_total", (), pd.DataFrame({"exploitation": [int(per_year["exploitation"].sum())]})
        ),
        "local_municipality": table(
            "local_municipality",
            ("municipality",),
            per_year.groupby("municipality", as_index=False)["exploitation"].sum(),
        ),
        "local_province": table(
            "local_province",
            ("province",),
            per_year.groupby("province", as_index=False)["exploitation"].sum(),
        ),
        "local_municipality_year": table(
            "local_municipality_year",
            ("year", "municipality"),
            per_year[["year", "municipality", "exploitation"]],
            hidden_as_x=hidden_as_x,
        ),
        "local_province_year": table(
            "local_province_year",
            ("year", "province"),
            per_year.groupby(["year", "province"], as_index=False)["exploitation"].sum(),
        ),
    }
