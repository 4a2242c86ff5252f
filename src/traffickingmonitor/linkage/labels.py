"""The linkage model's comparison levels in the reader's language.

Splink's ``label_for_charts`` of each level (``linkage.model``) is the English name; pages in
Dutch (the clerical review, the analyst's workspace) read the Dutch one here. A level added to
the model without a Dutch name shows its English one, and a test names it.
"""

from __future__ import annotations

#: English level label (``label_for_charts``) -> Dutch
LEVEL_NL = {
    "national id equal": "identiteitsnummer gelijk",
    "national id differs": "identiteitsnummer verschilt",
    "full name exact (order-free)": "volledige naam gelijk (volgorde vrij)",
    "same first given name, all words of one name in the other": (
        "zelfde eerste voornaam, alle woorden van de ene naam in de andere"
    ),
    "same family and first given name, other given names differ": (
        "zelfde achternaam en eerste voornaam, andere voornamen verschillen"
    ),
    "family and first given name each within one typo": (
        "achternaam en eerste voornaam elk op één tikfout na gelijk"
    ),
    "names swapped, each within one typo": "namen omgewisseld, elk op één tikfout na",
    "all words of one name in the other, in another order": (
        "alle woorden van de ene naam in de andere, in andere volgorde"
    ),
    "family and given name sound alike": "achternaam en voornaam klinken gelijk",
    "family name within one typo, given name differs": (
        "achternaam op één tikfout na gelijk, voornaam verschilt"
    ),
    "first given name within one typo, family name differs": (
        "eerste voornaam op één tikfout na gelijk, achternaam verschilt"
    ),
    "names differ": "namen verschillen",
    "same year, a date a common placeholder": "zelfde jaar, een datum is een gangbare opvuldatum",
    "birth date exact": "geboortedatum gelijk",
    "day and month transposed": "dag en maand omgewisseld",
    "year off by one, same month": "jaar één verschil, zelfde maand",
    "same year, a date missing": "zelfde jaar, een datum ontbreekt",
    "same year, dates differ": "zelfde jaar, data verschillen",
    "years one apart": "jaren één verschil",
    "birth years differ": "geboortejaren verschillen",
    "sex equal": "geslacht gelijk",
    "sex differs": "geslacht verschilt",
    "nationality equal, both named (implied by the names)": (
        "nationaliteit gelijk, beide met naam (volgt al uit de namen)"
    ),
    "nationality equal, a name missing": "nationaliteit gelijk, een naam ontbreekt",
    "nationality differs": "nationaliteit verschilt",
    "residence municipality equal": "woongemeente gelijk",
    "residence municipality differs": "woongemeente verschilt",
    "a citizen's status equal, nationality equal (implied by it)": (
        "burgerstatus gelijk, nationaliteit gelijk (volgt daaruit)"
    ),
    "residence status equal": "verblijfsstatus gelijk",
    "a usual change of residence status": "een gebruikelijke wijziging van verblijfsstatus",
    "residence status differs": "verblijfsstatus verschilt",
}

#: Splink names its null levels "<column> is NULL"; the review's pairs call them "missing"
_NULL_SUFFIX = " is NULL"
_MISSING = "missing"
#: the review joins the levels one stored weight can come from with this
_ALTERNATIVES = " / "


def level_label(label: str, lang: str) -> str:
    """A level's name for a page in ``lang`` ("nl" or "en"); several levels of one weight
    (``a / b``) are named each."""
    if _ALTERNATIVES in label:
        return _ALTERNATIVES.join(level_label(part, lang) for part in label.split(_ALTERNATIVES))
    if label == _MISSING or label.endswith(_NULL_SUFFIX):
        return "ontbreekt (telt niet mee)" if lang == "nl" else "missing (neutral)"
    return LEVEL_NL.get(label, label) if lang == "nl" else label
