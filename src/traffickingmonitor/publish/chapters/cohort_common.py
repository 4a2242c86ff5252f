"""Words and number formats shared by the cohort chapters (re-victimisation, overlap, care)."""

from __future__ import annotations

import math
from functools import lru_cache

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import GROUP_BY_LABEL as GROUP_BY_LABEL
from traffickingmonitor.publish.labels import category_label

ALL_PERSONS = catalog("categories")


@lru_cache(maxsize=1)
def _municipality_names() -> dict:
    m = codes.municipalities()
    return dict(zip(m["code"], m["name"], strict=True))


def group_label(group_by: str, code, lang: str) -> str:
    code = str(code)
    if group_by == "all":
        return ALL_PERSONS[lang]["all_persons"]
    if group_by == "municipality":
        return _municipality_names().get(code, category_label("x", code, lang))
    if group_by in ("police_unit", "cohort_year"):
        return category_label("x", code, lang) if code in ("unknown", "other") else code
    return category_label(group_by, code, lang)


def offence_label(code: str, lang: str) -> str:
    return category_label("offence_group", code, lang)


def number(value: float, lang: str, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "nl":  # Dutch: decimal comma, thin space for thousands
        text = text.replace(",", "\u202f").replace(".", ",")
    else:
        text = text.replace(",", "\u202f")
    return text


def percent(fraction: float | None, lang: str, decimals: int = 0) -> str | None:
    """``fraction`` as a percentage, or None when it is not shown (NaN or None)."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return None
    return f"{number(100 * fraction, lang, decimals)}%"


def percent_or_dash(fraction, lang: str, decimals: int = 0) -> str:
    return percent(fraction, lang, decimals) or "–"


def pct_interval(cif, low, high, lang: str) -> str:
    """``41,9% (40,6–43,2)``: a shown estimate with its interval, or a dash."""
    text = percent(cif, lang, 1)
    if text is None:
        return "–"
    if low is None or high is None or any(math.isnan(v) for v in (low, high)):
        return text
    return f"{text} ({number(100 * low, lang)}–{number(100 * high, lang)})"


def count(value) -> str:
    """A shown count (NaN = hidden, shown as the symbol by the caller's table instead)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(value):,}".replace(",", "\u202f")


def years_label(h: int, lang: str) -> str:
    return ALL_PERSONS[lang].plural("years", h).format(n=h)


def join_words(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    word = f" {ALL_PERSONS[lang]['and']} "
    return ", ".join(items[:-1]) + word + items[-1]
