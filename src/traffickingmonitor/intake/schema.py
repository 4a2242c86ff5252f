"""Data standard v1, declared: one ``FileSchema`` per kind of input file.

The validator (``checks.py``) compiles these declarations into checks; nothing else in the
package needs to know the rules of a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from traffickingmonitor.codes import api as codes

FieldType = Literal["id", "text", "date", "year", "code", "codes", "country", "gm", "int", "number"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False  # the column must be present and every value filled
    codelist: codes.CodeList | None = None
    identifier: bool = False  # a direct identifier: never stored in clear, never echoed in errors
    minimum: float | None = None
    maximum: float | None = None
    # Must not start like a spreadsheet formula: the value leaves the system as it is (a
    # registration id in the clerical review export, which is made to be opened in one).
    no_formula: bool = False


@dataclass(frozen=True)
class FileSchema:
    kind: str
    fields: tuple[Field, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    description: str = ""

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def get(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_PERSON_REF = (
    Field("national_id", "id", identifier=True),
    Field("family_name", "text", identifier=True),
    Field("given_names", "text", identifier=True),
    Field("birth_date", "date", identifier=True),
    Field("birth_year", "year", minimum=1900),
)

REGISTRATIONS = FileSchema(
    kind="registrations",
    description="one row per report of a possible victim by a reporting organisation",
    fields=(
        Field("registration_id", "text", required=True, no_formula=True),
        Field("registered_on", "date", required=True),
        Field("reporting_org", "code", required=True, codelist=codes.REPORTING_ORG),
        *_PERSON_REF,
        Field("sex", "code", codelist=codes.SEX),
        Field("nationality", "country"),
        Field("exploitation_form", "codes", codelist=codes.EXPLOITATION_FORM),
        Field("sector", "code", codelist=codes.SECTOR),
        Field("exploitation_country", "country"),
        Field("exploitation_municipality", "gm"),
        Field("residence_municipality", "gm"),
        Field("exploitation_start", "date"),
        Field("residence_status", "code", codelist=codes.RESIDENCE_STATUS),
        Field("shelter_referral", "date"),
    ),
    unique=(("registration_id",),),
)

EVENTS = FileSchema(
    kind="events",
    description="later records about registered persons (victimisation, suspect, care, death ...)",
    fields=(
        Field("registration_id", "text", no_formula=True),
        *_PERSON_REF,
        Field("event_date", "date", required=True),
        Field("event_type", "code", required=True, codelist=codes.EVENT_TYPE),
        Field("offence_group", "code", codelist=codes.OFFENCE_GROUP),
        Field("source", "text"),
    ),
)

MUNICIPAL_ASSESSMENTS = FileSchema(
    kind="municipal_assessments",
    description="one row per municipality, year and criterion of the municipal approach",
    fields=(
        Field("municipality", "gm", required=True),
        Field("year", "int", required=True, minimum=2000, maximum=2100),
        Field("criterion", "code", required=True, codelist=codes.ASSESSMENT_CRITERION),
        Field("value", "code", required=True, codelist=codes.ASSESSMENT_VALUE),
        Field("note", "text"),
    ),
    unique=(("municipality", "year", "criterion"),),
)

PROGRAMME_INDICATORS = FileSchema(
    kind="programme_indicators",
    description="indicators of the national programme's action lines",
    fields=(
        Field("action_line", "int", required=True, minimum=1, maximum=5),
        Field("indicator", "text", required=True),
        Field("unit", "text", required=True),
        Field("year", "int", required=True, minimum=2000, maximum=2100),
        Field("baseline", "number"),
        Field("target", "number"),
        Field("value", "number"),
    ),
    unique=(("action_line", "indicator", "year"),),
)

PERPETRATOR_CHAIN = FileSchema(
    kind="perpetrator_chain",
    description="suspects and convicts along the criminal justice chain",
    fields=(
        Field("year", "int", required=True, minimum=2000, maximum=2100),
        Field("exploitation_form", "code", required=True, codelist=codes.EXPLOITATION_FORM),
        Field("stage", "code", required=True, codelist=codes.CHAIN_STAGE),
        Field("count", "int", required=True, minimum=0),
    ),
    unique=(("year", "exploitation_form", "stage"),),
)

SCHEMAS: dict[str, FileSchema] = {
    s.kind: s
    for s in (REGISTRATIONS, EVENTS, MUNICIPAL_ASSESSMENTS, PROGRAMME_INDICATORS, PERPETRATOR_CHAIN)
}

SUFFIXES = (".csv", ".xlsx", ".parquet")


def kind_of(file_name: str) -> str | None:
    """The kind of a standard file, from its name (``registrations_police.csv`` → registrations).

    Longest kind first, so that no kind can shadow another that starts with it.
    """
    lower = file_name.lower()
    if not lower.endswith(SUFFIXES):
        return None
    stem = lower.rsplit(".", 1)[0]
    for kind in sorted(SCHEMAS, key=len, reverse=True):
        if stem == kind or stem.startswith((kind + "_", kind + "-", kind + ".")):
            return kind
    return None
