"""Helpers shared by the local chapters: shown values, rates from shown counts, area names."""

from __future__ import annotations

from functools import cache

import pandas as pd

from traffickingmonitor.codes import api as codes
from traffickingmonitor.disclosure.api import ProtectedTable
from traffickingmonitor.publish.labels import CATEGORIES, category_label


def shown_values(table: ProtectedTable, column: str) -> list:
    """The column's values with None where the cell is hidden (derived figures use only these)."""
    hidden = table.suppressed[column].to_numpy() if column in table.suppressed else None
    values = table.frame[column].tolist()
    if hidden is None:
        return values
    return [None if h else v for v, h in zip(values, hidden, strict=True)]


def rate(count, population, years: int = 1) -> float | None:
    """Per 100,000 inhabitants a year, from a shown count only."""
    if count is None or isinstance(count, str) or not population:
        return None
    return round(100_000 * int(count) / years / population, 1)


def fmt_decimal(v, lang: str, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    s = f"{v:.{digits}f}"
    return s.replace(".", ",") if lang == "nl" else s


@cache
def reference() -> pd.DataFrame:
    return codes.municipalities()


@cache
def populations(level: str) -> dict:
    key = {
        "municipality": "code",
        "police_unit": "police_unit",
        "safety_region": "safety_region",
        "province": "province",
    }[level]
    return reference().groupby(key)["population"].sum().to_dict()


@cache
def province_codes() -> dict:
    """Province name -> CBS code (``PV..``), the key of the province boundaries."""
    ref = reference()
    return dict(zip(ref["province"], ref["province_code"], strict=True))


@cache
def names(level: str) -> dict:
    ref = reference()
    pairs = {
        "municipality": ("code", "name"),
        "police_unit": ("police_unit", "police_unit"),
        "safety_region": ("safety_region", "safety_region"),
        "province": ("province", "province"),
        "municipality_province": ("code", "province"),
    }[level]
    return dict(zip(ref[pairs[0]], ref[pairs[1]], strict=True))


def area_name(level: str, code: str, lang: str) -> str:
    if code == codes.UNKNOWN:
        return CATEGORIES[lang]["unknown"]
    if code == "NL":
        return CATEGORIES[lang]["netherlands"]
    if level == "province" and code not in names(level):
        # some tables key provinces by their CBS code (``PV..``), others by name
        return category_label("area", code, lang)
    return names(level).get(code, code)


def of_all(n: int, total: int, lang: str) -> str:
    """ "n of total" areas: a count of municipalities, never mistaken for a count of persons."""
    return f"{n} {'van' if lang == 'nl' else 'of'} {total}"
