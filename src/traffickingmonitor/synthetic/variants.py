"""Odd but valid editions: which registrations, persons and files a synthetic edition keeps.

The generator always simulates the full calibrated edition; a :class:`Shape` only filters what
is written (one reporting organisation, a year without one organisation's registrations, no
events or municipal assessments file) or relabels every person with one sex. So the random
streams stay as they are and the default edition (``Shape()``) is byte-for-byte the one
without options. Filtering at write time keeps the files consistent: a person whose every
registration is dropped leaves the truth and the events too, and events point at the
person's first registration that *is* written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from traffickingmonitor.errors import UserError
from traffickingmonitor.synthetic.calibration import ORGS
from traffickingmonitor.synthetic.population import SEXES

#: the sexes ``--sex`` accepts (``other`` is too rare to make an edition of)
ONE_SEX = ("female", "male")


@dataclass(frozen=True)
class Shape:
    """What an odd edition leaves out or overrides; the default leaves everything."""

    only_org: str | None = None
    drop_org_years: tuple[tuple[str, int], ...] = ()
    events: bool = True
    assessments: bool = True
    sex: str | None = None

    @property
    def filters_registrations(self) -> bool:
        return self.only_org is not None or bool(self.drop_org_years)

    def options(self) -> dict:
        """The non-default settings (for ``summary.json``; empty for the default edition)."""
        out: dict = {}
        if self.only_org is not None:
            out["only_org"] = self.only_org
        if self.drop_org_years:
            out["drop_org_years"] = [f"{o}:{y}" for o, y in self.drop_org_years]
        if not self.events:
            out["events"] = False
        if not self.assessments:
            out["assessments"] = False
        if self.sex is not None:
            out["sex"] = self.sex
        return out

    def validate(self, years: tuple[int, int]) -> Shape:
        if self.only_org is not None and self.only_org not in ORGS:
            raise UserError(f"--only-org must be one of {', '.join(ORGS)}, got {self.only_org!r}")
        for org, year in self.drop_org_years:
            if org not in ORGS:
                raise UserError(
                    f"--drop-org-year: organisation must be one of {', '.join(ORGS)}, got {org!r}"
                )
            if not years[0] <= year <= years[1]:
                raise UserError(
                    f"--drop-org-year {org}:{year}: year outside the edition's years "
                    f"{years[0]}-{years[1]}"
                )
        orgs = ORGS if self.only_org is None else (self.only_org,)
        left = {(o, y) for o in orgs for y in range(years[0], years[1] + 1)}
        if not left - set(self.drop_org_years):
            raise UserError(
                "--only-org and --drop-org-year leave no organisation and year to register"
            )
        if self.sex is not None and self.sex not in ONE_SEX:
            raise UserError(f"--sex must be one of {', '.join(ONE_SEX)}, got {self.sex!r}")
        return self


def parse_org_year(text: str) -> tuple[str, int]:
    """'police:2018' to ('police', 2018); a UserError naming the option otherwise."""
    m = re.fullmatch(r"\s*([a-z_]+)\s*:\s*(\d{4})\s*", text or "")
    if not m:
        raise UserError(
            f"--drop-org-year must look like police:2018 (ORGANISATION:YEAR), got {text!r}"
        )
    return m.group(1), int(m.group(2))


def kept_rows(shape: Shape, org: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Bool mask of the registration rows (ORGS index, registration year) the edition keeps."""
    keep = np.ones(len(org), bool)
    if shape.only_org is not None:
        keep &= org == ORGS.index(shape.only_org)
    for o, y in shape.drop_org_years:
        keep &= ~((org == ORGS.index(o)) & (year == y))
    if not keep.any():
        raise UserError(
            "the options leave no registration in the edition (--only-org, --drop-org-year)"
        )
    return keep


def sex_code(shape: Shape) -> int | None:
    """Index in ``population.SEXES`` (= ``noise.SEX_CODES``) of the one sex, or None."""
    return None if shape.sex is None else SEXES.index(shape.sex)
