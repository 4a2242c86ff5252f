"""Words of the report in Dutch and English, and labels of categories."""

from __future__ import annotations

import functools

from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish.i18n import catalog

_DIMENSION_LISTS = {
    "victim_groups": codes.VICTIM_GROUP,
    "victim_group": codes.VICTIM_GROUP,
    "forms": codes.EXPLOITATION_FORM,
    "sex": codes.SEX_GROUP,
    "age_group": codes.AGE_GROUP,
    "minor": codes.MINOR,
    "nationality_group": codes.NATIONALITY_GROUP,
    "residence_status": codes.RESIDENCE_STATUS,
    "reporting_org": codes.REPORTING_ORG,
    "event_type": codes.EVENT_TYPE,
    "offence_group": codes.OFFENCE_GROUP,
    "criterion": codes.ASSESSMENT_CRITERION,
    # the criminal justice chain's forms (the registrations' forms are ``forms``)
    "exploitation_form": codes.CHAIN_FORM,
}
#: The labels of the data standard's code lists (``codes.CodeList.label`` reads them): key
#: ``list.code``; every code has one and nothing else is there (``tests/codes``).
CODE_LABELS = catalog("codes", dynamic=("*",))

#: The programme's indicators (and those the monitor fills in) by name.
INDICATORS = catalog("indicators", dynamic=("*",))

#: A dimension's name (a breakdown of the cohort chapters, a covariate of the Cox model).
GROUP_BY_LABEL = catalog("group_by", dynamic=("*",))

# Words that are no code of a list (the context ``categories``): per dimension a section,
# ``_DIMENSION_WORDS`` the dimensions that have one. Only the number of reporting
# organisations per person reads "1 melder": other dimensions with the values 1 and 2 (action
# lines) are not organisations.
_DIMENSION_WORDS = ("offence_group", "criterion", "period", "n_orgs")
_GENERIC = ("unknown", "other", "all")
CATEGORIES = catalog(
    "categories",
    dynamic=(
        "unknown",
        "other",
        "all",
        "n_orgs.1",
        "n_orgs.2",
        "n_orgs.2+",
        "n_orgs.3+",
        "offence_group.any",
        "criterion.basic_level",
        "period.before",
        "period.after",
    ),
)
_MUNICIPALITY_DIMS = ("municipality", "residence_municipality", "exploitation_municipality")


def category_label(dimension: str, code, lang: str) -> str:
    code = str(code)
    words = CATEGORIES[lang]
    if dimension in _DIMENSION_LISTS and code in _DIMENSION_LISTS[dimension].values:
        return _DIMENSION_LISTS[dimension].label(code, lang)
    if dimension in _DIMENSION_WORDS and dimension != "n_orgs" and code in words[dimension]:
        return words[dimension][code]
    if dimension == "indicator" and code in INDICATORS[lang]:
        return INDICATORS[lang][code]
    if dimension == "method" and code in TEXT[lang]["hn_methods"]:
        return TEXT[lang]["hn_methods"][code]
    if dimension == "covariate" and code in GROUP_BY_LABEL[lang]:
        return GROUP_BY_LABEL[lang][code]
    if dimension in ("level", "reference"):  # a Cox model's levels: of any breakdown
        if code.startswith("not_"):
            return words["not_in_group"]
        for codelist in _DIMENSION_LISTS.values():
            if code in codelist.values:
                return codelist.label(code, lang)
    if dimension == "n_orgs" and code in words["n_orgs"]:
        return words["n_orgs"][code]
    if dimension == "action_line" and code.isdigit():
        return words["action_line"].format(n=code)
    if dimension in _MUNICIPALITY_DIMS:
        name = _municipality_names().get(code)
        if name:
            return name
    if dimension == "area":  # the approach monitor's areas: the country and the provinces
        if code == "NL":
            return words["netherlands"]
        name = _province_names().get(code)
        if name:
            return name
    if code in _GENERIC:
        return words[code]
    if dimension == "nationality":
        return codes.country_name(code, lang)
    return code


@functools.cache
def _province_names() -> dict[str, str]:
    """CBS province code (``PV..``) -> name."""
    table = codes.municipalities()
    return dict(zip(table["province_code"], table["province"], strict=False))


@functools.cache
def _municipality_names() -> dict[str, str]:
    table = codes.municipalities()
    return dict(zip(table["code"], table["name"], strict=True))


TEXT = catalog(
    "labels",
    dynamic=(
        "hn_status.estimated",
        "hn_status.skipped",
        "hn_status.incomplete",
        "hn_methods.stepwise",
        "hn_methods.bic",
        "hn_methods.aic",
        "hn_methods.main",
        # not read by the code as of this writing (kept for the web pages and editors)
        "data_table",
        "hn_all",
        "linkage",
        "page",
        "registrations",
        "suppressed_note",
    ),
)

METHOD = catalog("method")


def model_label(model: str | None, lang: str) -> str:
    """A log-linear model's interactions as a reader names them: ``care:other, police:kmar``
    becomes "zorgcoördinatoren en zorginstellingen × overige melders; politie × ..."; no
    interaction is "main effects only"."""
    terms = [t.strip() for t in str(model or "").split(",") if t.strip()]
    if not terms:
        return CATEGORIES[lang]["main_effects_only"]
    return "; ".join(
        " × ".join(category_label("reporting_org", part, lang) for part in term.split(":"))
        for term in terms
    )
