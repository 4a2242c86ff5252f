"""Code lists of data standard v1: the codes, in their order.

The codes are the contract with data suppliers: they never change meaning between
editions. Their Dutch and English labels live in the catalogs (context ``codes``, key
``list.code``, ``publish/locale``), where an editor may improve them freely.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@functools.cache
def _labels():
    # imported here: the words live with the report's (publish/locale), a layer above
    from traffickingmonitor.publish.labels import CODE_LABELS

    return CODE_LABELS


@dataclass(frozen=True)
class Code:
    code: str
    list_name: str

    def label(self, lang: str) -> str:
        return ALL_LISTS[self.list_name].label(self.code, lang)


@dataclass(frozen=True)
class CodeList:
    name: str
    code_order: tuple[str, ...]

    @property
    def codes(self) -> tuple[Code, ...]:
        return tuple(Code(c, self.name) for c in self.code_order)

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self.code_order)

    def label(self, code: str, lang: str) -> str:
        """The label of ``code`` in ``lang``; a code of no list is shown as it is."""
        return _labels()[lang][f"{self.name}.{code}"] if code in self.values else code

    def order(self) -> list[str]:
        return list(self.code_order)


UNKNOWN = "unknown"

SEX = CodeList("sex", ("female", "male", "other", UNKNOWN))

# Sex as the yearly tables publish it: "other" is a handful of persons a year, so it is
# published with "unknown" (otherwise both cells, and a complement, would be hidden every year)
OTHER_UNKNOWN = "other_unknown"
SEX_GROUP = CodeList("sex_group", ("female", "male", OTHER_UNKNOWN))

EXPLOITATION_FORM = CodeList(
    "exploitation_form",
    ("sexual", "labour", "criminal", "other", "organ_removal", UNKNOWN),
)

# Forms as the perpetrator chain publishes them: "other" has fewer than ten cases a year in
# every stage, so it is published with criminal exploitation (the form it is closest to in
# the justice data) rather than hidden with a complement every year
CHAIN_FORM = CodeList("chain_form", ("sexual", "labour", "criminal_other"))
#: data standard form -> published chain form (organ removal and unknown are "other" too)
CHAIN_FORM_OF = {
    "sexual": "sexual",
    "labour": "labour",
    "criminal": "criminal_other",
    "other": "criminal_other",
    "organ_removal": "criminal_other",
    UNKNOWN: "criminal_other",
}

RESIDENCE_STATUS = CodeList(
    "residence_status",
    (
        "nl_citizen",
        "eu_citizen",
        "residence_permit",
        "b8_permit",
        "asylum_seeker",
        "undocumented",
        UNKNOWN,
    ),
)

REPORTING_ORG = CodeList(
    "reporting_org",
    ("police", "kmar", "labour_inspectorate", "care", "other"),
)

SECTOR = CodeList(
    "sector",
    (
        "prostitution",
        "agriculture",
        "construction",
        "hospitality",
        "logistics",
        "manufacturing",
        "domestic_work",
        "cleaning",
        "retail",
        "drugs",
        "theft_fraud",
        "other",
        UNKNOWN,
    ),
)

EVENT_TYPE = CodeList(
    "event_type",
    (
        "victimisation",
        "suspect",
        "care_start",
        "shelter_admission",
        "residence_permit",
        "death",
        "emigration",
    ),
)

OFFENCE_GROUP = CodeList(
    "offence_group",
    ("property", "violence", "threat", "sexual", "human_trafficking", "drugs", "other"),
)

ASSESSMENT_VALUE = CodeList("value", ("yes", "partly", "no", UNKNOWN))

ASSESSMENT_CRITERION = CodeList(
    "criterion",
    (
        "policy_document",
        "contact_officer",
        "reporting_agreement",
        "care_coordination",
        "regional_shelter",
        "active_signalling",
        "trained_staff",
        "local_regulation",
        "registration_monitoring",
    ),
)

CHAIN_STAGE = CodeList(
    "stage",
    (
        "police_suspects",
        "prosecution_inflow",
        "summons",
        "court_decisions",
        "convictions",
        "custodial_sentences",
    ),
)

# Derived: the four victim groups of the monitor, plus other/unknown.
VICTIM_GROUP = CodeList(
    "victim_group",
    ("domestic_sexual", "crossborder_sexual", "labour", "criminal", "other_unknown"),
)

AGE_GROUP = CodeList("age_group", ("0-11", "12-17", "18-22", "23-29", "30-49", "50+", UNKNOWN))

MINOR = CodeList("minor", ("minor", "adult", UNKNOWN))

NATIONALITY_GROUP = CodeList("nationality_group", ("NL", "EU", "non_EU", UNKNOWN))

# EU member states (2020 onward, without the United Kingdom), ISO 3166-1 alpha-2.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)

ALL_LISTS = {
    cl.name: cl
    for cl in (
        SEX,
        SEX_GROUP,
        EXPLOITATION_FORM,
        CHAIN_FORM,
        RESIDENCE_STATUS,
        REPORTING_ORG,
        SECTOR,
        EVENT_TYPE,
        OFFENCE_GROUP,
        ASSESSMENT_VALUE,
        ASSESSMENT_CRITERION,
        CHAIN_STAGE,
        VICTIM_GROUP,
        AGE_GROUP,
        MINOR,
        NATIONALITY_GROUP,
    )
}
