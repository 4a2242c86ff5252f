"""Code lists of data standard v1, each code with a Dutch and an English label.

The codes are the contract with data suppliers: they never change meaning between
editions. Labels may be improved freely.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    nl: str
    en: str

    def label(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> frozenset[str]:
        return frozenset(c.code for c in self.codes)

    def label(self, code: str, lang: str) -> str:
        for c in self.codes:
            if c.code == code:
                return c.label(lang)
        return code

    def order(self) -> list[str]:
        return [c.code for c in self.codes]


def _codes(*rows: tuple[str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(*r) for r in rows)


UNKNOWN = "unknown"

SEX = CodeList(
    "sex",
    _codes(
        ("female", "vrouw", "female"),
        ("male", "man", "male"),
        ("other", "anders", "other"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

# Sex as the yearly tables publish it: "other" is a handful of persons a year, so it is
# published with "unknown" (otherwise both cells, and a complement, would be hidden every year)
OTHER_UNKNOWN = "other_unknown"
SEX_GROUP = CodeList(
    "sex_group",
    _codes(
        ("female", "vrouw", "female"),
        ("male", "man", "male"),
        (OTHER_UNKNOWN, "anders of onbekend", "other or unknown"),
    ),
)

EXPLOITATION_FORM = CodeList(
    "exploitation_form",
    _codes(
        ("sexual", "seksuele uitbuiting", "sexual exploitation"),
        ("labour", "arbeidsuitbuiting", "labour exploitation"),
        ("criminal", "criminele uitbuiting", "criminal exploitation"),
        ("other", "overige uitbuiting", "other exploitation"),
        ("organ_removal", "orgaanverwijdering", "organ removal"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

# Forms as the perpetrator chain publishes them: "other" has fewer than ten cases a year in
# every stage, so it is published with criminal exploitation (the form it is closest to in
# the justice data) rather than hidden with a complement every year
CHAIN_FORM = CodeList(
    "chain_form",
    _codes(
        ("sexual", "seksuele uitbuiting", "sexual exploitation"),
        ("labour", "arbeidsuitbuiting", "labour exploitation"),
        ("criminal_other", "criminele of andere uitbuiting", "criminal or other exploitation"),
    ),
)
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
    _codes(
        ("nl_citizen", "Nederlander", "Dutch citizen"),
        ("eu_citizen", "EU-burger", "EU citizen"),
        ("residence_permit", "verblijfsvergunning", "residence permit"),
        ("b8_permit", "verblijfsregeling mensenhandel (B8)", "trafficking permit (B8)"),
        ("asylum_seeker", "asielzoeker", "asylum seeker"),
        ("undocumented", "ongedocumenteerd", "undocumented"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

REPORTING_ORG = CodeList(
    "reporting_org",
    _codes(
        ("police", "politie", "police"),
        ("kmar", "Koninklijke Marechaussee", "Royal Netherlands Marechaussee"),
        ("labour_inspectorate", "Nederlandse Arbeidsinspectie", "Labour Inspectorate"),
        (
            "care",
            "zorgcoördinatoren en zorginstellingen",
            "care coordinators and care organisations",
        ),
        ("other", "overige melders", "other reporters"),
    ),
)

SECTOR = CodeList(
    "sector",
    _codes(
        ("prostitution", "prostitutie", "prostitution"),
        ("agriculture", "land- en tuinbouw", "agriculture and horticulture"),
        ("construction", "bouw", "construction"),
        ("hospitality", "horeca", "hospitality"),
        ("logistics", "transport en logistiek", "transport and logistics"),
        ("manufacturing", "industrie en voedselverwerking", "manufacturing and food processing"),
        ("domestic_work", "huishoudelijk werk", "domestic work"),
        ("cleaning", "schoonmaak", "cleaning"),
        ("retail", "detailhandel", "retail"),
        ("drugs", "drugshandel", "drug trade"),
        ("theft_fraud", "diefstal en fraude", "theft and fraud"),
        ("other", "overig", "other"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

EVENT_TYPE = CodeList(
    "event_type",
    _codes(
        ("victimisation", "slachtofferschap", "victimisation"),
        ("suspect", "verdachte", "suspect"),
        ("care_start", "start zorg", "start of care"),
        ("shelter_admission", "opvang", "shelter admission"),
        ("residence_permit", "verblijfsvergunning", "residence permit"),
        ("death", "overlijden", "death"),
        ("emigration", "emigratie", "emigration"),
    ),
)

OFFENCE_GROUP = CodeList(
    "offence_group",
    _codes(
        ("property", "vermogensdelict", "property offence"),
        ("violence", "geweldsdelict", "violent offence"),
        ("threat", "bedreiging", "threat"),
        ("sexual", "zedendelict", "sexual offence"),
        ("human_trafficking", "mensenhandel", "human trafficking"),
        ("drugs", "drugsdelict", "drug offence"),
        ("other", "overig", "other"),
    ),
)

ASSESSMENT_VALUE = CodeList(
    "value",
    _codes(
        ("yes", "ja", "yes"),
        ("partly", "deels", "partly"),
        ("no", "nee", "no"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

ASSESSMENT_CRITERION = CodeList(
    "criterion",
    _codes(
        ("policy_document", "beleidsdocument", "policy document"),
        ("contact_officer", "aandachtsfunctionaris", "designated contact officer"),
        ("reporting_agreement", "meldafspraken", "reporting agreement"),
        ("care_coordination", "zorgcoördinatie", "care coordination"),
        ("regional_shelter", "regionale opvang en ondersteuning", "regional shelter and support"),
        ("active_signalling", "actieve signalering", "active signalling"),
        ("trained_staff", "getraind personeel", "trained staff"),
        ("local_regulation", "lokale regelgeving", "local regulation"),
        ("registration_monitoring", "registratie en monitoring", "registration and monitoring"),
    ),
)

CHAIN_STAGE = CodeList(
    "stage",
    _codes(
        ("police_suspects", "verdachten bij de politie", "police suspects"),
        ("prosecution_inflow", "instroom OM", "prosecution inflow"),
        ("summons", "dagvaardingen", "summons"),
        ("court_decisions", "rechterlijke uitspraken", "court decisions"),
        ("convictions", "veroordelingen", "convictions"),
        ("custodial_sentences", "vrijheidsstraffen", "custodial sentences"),
    ),
)

# Derived: the four victim groups of the monitor, plus other/unknown.
VICTIM_GROUP = CodeList(
    "victim_group",
    _codes(
        (
            "domestic_sexual",
            "binnenlandse seksuele uitbuiting",
            "domestic sexual exploitation",
        ),
        (
            "crossborder_sexual",
            "grensoverschrijdende seksuele uitbuiting",
            "cross-border sexual exploitation",
        ),
        ("labour", "arbeidsuitbuiting", "labour exploitation"),
        ("criminal", "criminele uitbuiting", "criminal exploitation"),
        ("other_unknown", "overig en onbekend", "other and unknown"),
    ),
)

AGE_GROUP = CodeList(
    "age_group",
    _codes(
        ("0-11", "0–11 jaar", "0–11 years"),
        ("12-17", "12–17 jaar", "12–17 years"),
        ("18-22", "18–22 jaar", "18–22 years"),
        ("23-29", "23–29 jaar", "23–29 years"),
        ("30-49", "30–49 jaar", "30–49 years"),
        ("50+", "50 jaar en ouder", "50 years and over"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

MINOR = CodeList(
    "minor",
    _codes(
        ("minor", "minderjarig", "minor"),
        ("adult", "meerderjarig", "adult"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

NATIONALITY_GROUP = CodeList(
    "nationality_group",
    _codes(
        ("NL", "Nederlands", "Dutch"),
        ("EU", "EU (niet Nederlands)", "EU (not Dutch)"),
        ("non_EU", "buiten de EU", "non-EU"),
        (UNKNOWN, "onbekend", "unknown"),
    ),
)

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
