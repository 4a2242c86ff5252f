"""Dutch municipalities of 2023 (342) with province, safety region, police unit, population.

Source: CBS, Kadaster/PDOK; generalisation: cartomap/nl (CC BY 4.0). See data/ATTRIBUTION.md.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

REFERENCE_DATE = "2024-01-01"  # population reference date (see ATTRIBUTION.md)


def _data_path(name: str):
    return resources.files("traffickingmonitor.codes") / "data" / name


@cache
def municipalities() -> pd.DataFrame:
    """One row per municipality, keyed on the CBS code ``GM####``."""
    with _data_path("gemeenten_2023.csv").open("rb") as fh:
        df = pd.read_csv(fh, dtype={"inwoners_2024_01_01": "int64"})
    return df.rename(
        columns={
            "gemeente_code": "code",
            "gemeente_naam": "name",
            "provincie_code": "province_code",
            "provincie_naam": "province",
            "veiligheidsregio_code": "safety_region_code",
            "veiligheidsregio_naam": "safety_region",
            "politie_eenheid": "police_unit",
            "inwoners_2024_01_01": "population",
        }
    )


@cache
def municipality_codes() -> frozenset[str]:
    return frozenset(municipalities()["code"])


def geojson_text(level: str = "municipality") -> str:
    name = {"municipality": "gemeente_2023.geojson", "province": "provincie_2023.geojson"}[level]
    return _data_path(name).read_text(encoding="utf-8")
