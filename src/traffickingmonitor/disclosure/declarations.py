"""What disclosure control knows about the meaning of the monitor's tables.

An attacker knows that municipalities make up provinces, that ages 0-11 and 12-17 are the
minors, and that "criminal exploitation" counts the same persons as the victim group
"criminal": so must the engine. Three kinds of declarations live here:

* ``HIERARCHIES``: per family of dimensions, the finest level and how each coarser level
  (a dimension name used by tables) groups it. Tables on different levels of one family are
  linked through the finest level, even if that level is never published.
* ``TABLE_DEFAULTS``: the ``MonitorTable`` linkage fields of tables saved before the tables
  declared them themselves (explicit fields on the table win).
* ``RELATIONS``: linear facts across tables that no margin expresses (the same persons under
  two names; how persons per organisation relate to persons per number of organisations).

To add a table, set ``margin_of``/``total_categories`` on it; add a hierarchy here when a new
dimension is a level of an existing family (municipality, safety region, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from traffickingmonitor.codes import api as codes

UNKNOWN = codes.UNKNOWN
ANY = "*"  # total category: every row repeats the margin


@dataclass(frozen=True)
class Hierarchy:
    """A family of dimensions: the finest level's codes and a map to each coarser level."""

    family: str
    base: str  # dimension name of the finest level
    atoms: Callable[[], list[str]]
    levels: dict[str, Callable[[str], str]] = field(default_factory=dict)
    residual: str | None = None  # a category meaning "every atom not named in this table"

    def dimensions(self) -> list[str]:
        return [self.base, *self.levels]

    def parent(self, dimension: str, atom: str) -> str:
        return atom if dimension == self.base else self.levels[dimension](atom)


@cache
def _municipalities():
    return codes.municipalities().set_index("code")


def _geo(column: str) -> Callable[[str], str]:
    def parent(code: str) -> str:
        if code == UNKNOWN:
            return UNKNOWN
        return str(_municipalities()[column].get(code, UNKNOWN))

    return parent


_MINOR = {"0-11": "minor", "12-17": "minor", UNKNOWN: UNKNOWN}


HIERARCHIES: tuple[Hierarchy, ...] = (
    Hierarchy(
        "geo",
        "municipality",
        lambda: [*_municipalities().index, UNKNOWN],
        {
            "police_unit": _geo("police_unit"),
            "safety_region": _geo("safety_region"),
            "province": _geo("province"),
            "national": lambda code: "NL" if code != UNKNOWN else UNKNOWN,
        },
    ),
    Hierarchy(
        "age",
        "age_group",
        lambda: codes.AGE_GROUP.order(),
        {"minor": lambda g: _MINOR.get(g, "adult")},
    ),
    Hierarchy(
        "nationality",
        "nationality",
        lambda: [*codes.country_codes(), UNKNOWN],
        {"nationality_group": lambda c: codes.nationality_group(c)},
        residual="other",
    ),
)


def hierarchy_of(dimension: str) -> Hierarchy | None:
    for h in HIERARCHIES:
        if dimension in h.dimensions():
            return h
    return None


TABLE_DEFAULTS: dict[str, dict] = {
    "hidden_number": {
        "margin_of": "totals",
        "margin_columns": {"observed": "persons"},
        "total_categories": {"victim_group": "all"},
    },
    "hidden_number_sensitivity": {
        "margin_of": "totals",
        "margin_columns": {"observed": "persons"},
        "total_categories": {"method": ANY},
    },
    "reporting_org": {"additive_counts": ("registrations",)},
}


@dataclass(frozen=True)
class Term:
    """``coef`` times the cell of ``table_id`` in the row whose dimensions match ``where``
    (besides the margin dimensions, which the relation shares), column ``column``
    (``None``: every count column the two sides have in common, one relation per column)."""

    table_id: str
    where: dict
    coef: float = 1.0
    column: str | None = None


@dataclass(frozen=True)
class Relation:
    """``sum(terms) == 0`` (``sense="eq"``) or ``<= 0`` (``"le"``), per margin row."""

    name: str
    terms: tuple[Term, ...]
    sense: str = "eq"
    columns: tuple[str, ...] = ("persons", "registrations")


def _same(a: tuple, b: tuple, name: str, columns=("persons", "registrations")) -> Relation:
    return Relation(name, (Term(*a), Term(b[0], b[1], -1.0)), "eq", columns)


_ORGS = codes.REPORTING_ORG.order()

RELATIONS: tuple[Relation, ...] = (
    # A person is in victim group "criminal" exactly when criminal exploitation is among
    # their forms, and the hidden number's first-ranked group is "criminal" for all of them.
    _same(
        ("victim_group", {"victim_groups": "criminal"}),
        ("exploitation_form", {"forms": "criminal"}),
        "criminal group = criminal form",
    ),
    _same(
        ("victim_group", {"victim_groups": "labour"}),
        ("exploitation_form", {"forms": "labour"}),
        "labour group = labour form",
    ),
    Relation(
        "criminal group = first-ranked criminal",
        (
            Term("victim_group", {"victim_groups": "criminal"}, 1.0, "persons"),
            Term("hidden_number", {"victim_group": "criminal"}, -1.0, "observed"),
        ),
        columns=("persons",),
    ),
    Relation(
        "other/unknown group = first-ranked other/unknown",
        (
            Term("victim_group", {"victim_groups": "other_unknown"}, 1.0, "persons"),
            Term("hidden_number", {"victim_group": "other_unknown"}, -1.0, "observed"),
        ),
        columns=("persons",),
    ),
    Relation(
        "sexual form = domestic + cross-border sexual",
        (
            Term("exploitation_form", {"forms": "sexual"}),
            Term("victim_group", {"victim_groups": "domestic_sexual"}, -1.0),
            Term("victim_group", {"victim_groups": "crossborder_sexual"}, -1.0),
        ),
    ),
    # Persons per organisation add up to 1 x persons with one organisation and 2 to 5 x
    # those with two or more.
    Relation(
        "organisations >= 1*n1 + 2*n2+",
        (
            *(Term("reporting_org", {"reporting_org": o}, -1.0, "persons") for o in _ORGS),
            Term("org_overlap", {"n_orgs": "1"}, 1.0, "persons"),
            Term("org_overlap", {"n_orgs": "2+"}, 2.0, "persons"),
        ),
        "le",
        ("persons",),
    ),
    Relation(
        "organisations <= 1*n1 + 5*n2+",
        (
            *(Term("reporting_org", {"reporting_org": o}, 1.0, "persons") for o in _ORGS),
            Term("org_overlap", {"n_orgs": "1"}, -1.0, "persons"),
            Term("org_overlap", {"n_orgs": "2+"}, -float(len(_ORGS)), "persons"),
        ),
        "le",
        ("persons",),
    ),
)

#: In every row, persons <= registrations (a person has at least one registration).
ORDERED_COLUMNS: tuple[tuple[str, str], ...] = (("persons", "registrations"),)
