"""Countries (ISO 3166-1 alpha-2) with Dutch and English names, from pycountry."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

from traffickingmonitor.codes.codelists import EU_COUNTRIES, UNKNOWN

# Codes in common use that ISO has not (yet) assigned.
_EXTRA = {"XK": ("Kosovo", "Kosovo")}


@cache
def _dutch() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    except OSError:  # pragma: no cover - pycountry always ships nl, but never fail on a label
        return gettext.NullTranslations()


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(_EXTRA)


def country_name(code: str, lang: str = "en") -> str:
    if code in _EXTRA:
        return _EXTRA[code][0 if lang == "nl" else 1]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    return _dutch().gettext(country.name) if lang == "nl" else name


def nationality_group(code: str | None) -> str:
    """NL, EU (other member state), non_EU or unknown."""
    if not code or code == UNKNOWN:
        return UNKNOWN
    if code == "NL":
        return "NL"
    return "EU" if code in EU_COUNTRIES else "non_EU"
