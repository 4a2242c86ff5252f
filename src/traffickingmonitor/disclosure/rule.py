"""The disclosure rule of an edition: threshold, method and its parameters.

One object says what was done to every number that left the system; the report's method
annex, ``metadata.json`` and ``disclosure-check`` all describe it from here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

SUPPRESSED_SYMBOL_PREFIX = "<"
METHODS = ("suppression", "rounding", "dp")


@dataclass(frozen=True)
class DisclosureRule:
    """How the counts of an edition are protected.

    Parameters
    ----------
    threshold
        Counts from 1 to ``threshold - 1`` are sensitive (0 stays 0: an empty cell).
    estimate_rounding
        Model results (the hidden number) are published to the nearest multiple of this.
    method
        ``"suppression"``: sensitive counts shown as ``<threshold``, plus secondary suppression
        (``x``) so that no hidden count can be recovered from any combination of the
        edition's tables; ``"rounding"``: controlled rounding to multiples of
        ``rounding_base`` with margins that still add up; ``"dp"``: noisy counts (discrete
        Laplace, OpenDP) within a privacy budget ``epsilon`` per edition.
    protection_share
        Suppression only: a hidden count must stay uncertain by at least
        ``ceil(protection_share * threshold)`` persons either way (within 1..threshold-1),
        against an attacker who solves linear programs over every published number.
    secondary_symbol
        Shown for cells hidden only to protect others.
    rounding_base
        Rounding only: the base (5: the CBS/ONS convention for small counts).
    epsilon
        Differential privacy only: the budget of the whole edition, split evenly over the
        published count columns.
    max_years_per_person
        Differential privacy only: the privacy unit is a person; a person can be counted in
        this many years of the edition (so a table's sensitivity grows with it).
    against_microdata
        Suppression only: protect again, with what the attacker from the microdata finds,
        until it recovers nothing (:mod:`against_atoms`), with what it knows of the
        combinations of cells within each table (``atoms.VIEWS["tables"]``). Off by default
        because it takes minutes where protection alone takes seconds: on the demo edition 3
        rounds and about 4 minutes, hiding 5 more cells (``disclosure/README.md``).
    """

    threshold: int = 10
    estimate_rounding: int = 10
    method: str = "suppression"
    protection_share: float = 0.3
    secondary_symbol: str = "x"
    rounding_base: int = 5
    epsilon: float = 1.0
    max_years_per_person: int = 1
    against_microdata: bool = False

    def __post_init__(self):
        if self.threshold < 1:
            raise ValueError("the disclosure threshold must be at least 1")
        if self.method not in METHODS:
            raise ValueError(f"disclosure method must be one of {', '.join(METHODS)}")
        if self.rounding_base < 2:
            raise ValueError("the rounding base must be at least 2")
        if not self.epsilon > 0:
            raise ValueError("the privacy budget epsilon must be positive")

    # --- what publishing code uses ------------------------------------------------------

    @property
    def symbol(self) -> str:
        """Shown for a sensitive count (primary suppression)."""
        return f"{SUPPRESSED_SYMBOL_PREFIX}{self.threshold}"

    @property
    def protection_level(self) -> int:
        """Persons of uncertainty each way a hidden count keeps (capped by 1..threshold-1)."""
        return max(1, math.ceil(self.protection_share * self.threshold - 1e-9))

    def describe(self, lang: str = "en") -> str:
        """The rule in words, with its parameters (the catalogs' ``disclosure_rule``)."""
        # imported here: the words live with the report's (publish/locale), which imports
        # this module
        from traffickingmonitor.publish.rule_words import describe

        return describe(self, lang)

    def to_dict(self) -> dict:
        d = {
            "rule": "primary_threshold",
            "threshold": self.threshold,
            "symbol": self.symbol,
            "estimate_rounding": self.estimate_rounding,
            "method": self.method,
        }
        if self.method == "suppression":
            d |= {
                "secondary_symbol": self.secondary_symbol,
                "protection_level": self.protection_level,
            }
            if self.against_microdata:
                d["against_microdata"] = True
        elif self.method == "rounding":
            d |= {"rounding_base": self.rounding_base}
        else:
            d |= {"epsilon": self.epsilon, "max_years_per_person": self.max_years_per_person}
        return d


#: The name the foundation used; the primary rule is the suppression method's first step.
PrimaryRule = DisclosureRule


def rule_from_config(
    config: dict | str | None,
    *,
    threshold: int | None = None,
    method: str | None = None,
) -> DisclosureRule:
    """The rule of an edition from its configuration key ``"disclosure"``.

    ``config`` is a method name (``"rounding"``) or a dict of :class:`DisclosureRule` fields
    (``{"method": "dp", "epsilon": 0.5}``); ``threshold`` and ``method`` override it (the
    ``report`` command's options).
    """
    from traffickingmonitor.config import read_section

    if isinstance(config, str):
        config = {"method": config}
    fields = dict(config or {})
    if threshold is not None:
        fields["threshold"] = threshold
    if method is not None:
        fields["method"] = method
    return read_section(DisclosureRule, "disclosure", fields)


def with_method(rule: DisclosureRule, method: str) -> DisclosureRule:
    return replace(rule, method=method)


def as_dict(rule: DisclosureRule) -> dict:
    return asdict(rule)
