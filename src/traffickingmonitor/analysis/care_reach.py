"""Care reach: does help reach every registered victim, and how fast?

A person is *reached* within ``d`` days when a care start or a shelter admission is recorded on
a day 0 … d after their first registration (care that started on the day of registration
counts; care recorded only before it does not, because it says nothing about the response to
this registration). The share within ``d`` days counts only persons followed for at least
``d`` days, so that a recent registration does not look like a missed one.

Breakdowns: residence status, age group, victim group, and the municipality of residence.
Municipalities are shown only when at least ``min_municipality`` persons live there; the
others are seen at region level (police unit), which every municipality belongs to.

A group *falls behind* the national share when even the upper end of the 95% (Wilson)
interval of its share is below the national share: ``falls_behind`` decides it from shown
counts, where the figures are published.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.cohort import CARE_EVENTS, Cohort
from traffickingmonitor.analysis.tables import MonitorTable

WINDOWS = (30, 90, 365)  # days
MEDIAN_WINDOW = 365  # median days to care among persons reached within this window
FLAG_WINDOW = 90  # the window on which a group is flagged as falling behind
MIN_MUNICIPALITY = 50  # persons living in a municipality before it is shown on its own
CARE_GROUP_BY = ("all", "residence_status", "age_group", "victim_group", "minor", "region")


def falls_behind(persons: int, reached: int, national_share: float, z: float = 1.96) -> bool:
    """Whether a group's share is clearly below the national share (Wilson upper bound below it).

    Parameters
    ----------
    persons, reached
        Shown counts of the group (persons followed for the window, persons reached).
    national_share
        The share reached of all persons (a fraction).
    """
    if persons <= 0:
        return False
    p = reached / persons
    denom = 1 + z**2 / persons
    centre = (p + z**2 / (2 * persons)) / denom
    half = z * math.sqrt(p * (1 - p) / persons + z**2 / (4 * persons**2)) / denom
    return centre + half < national_share


def care_reach_tables(
    cohort: Cohort,
    windows: tuple[int, ...] = WINDOWS,
    min_municipality: int = MIN_MUNICIPALITY,
) -> list[MonitorTable]:
    """``care_reach`` (reached within 30/90/365 days) and ``care_time`` (median days)."""
    first = cohort.first_day(CARE_EVENTS, after=0)
    follow = cohort.persons["follow_days"].to_numpy()
    groups = [(gb, g, m) for gb in CARE_GROUP_BY for g, m in cohort.groups(gb)]
    municipality = cohort.persons["residence_municipality"].astype(str)
    counts = municipality.value_counts()
    for code in sorted(counts.index):
        if code != "unknown" and counts[code] >= min_municipality:
            groups.append(("municipality", code, (municipality == code).to_numpy()))
    reach, timing = [], []
    for group_by, group, mask in groups:
        if not mask.any():
            continue
        for d in windows:
            followed = mask & (follow >= d)
            reached = followed & (first <= d)  # NaN compares False: never reached
            reach.append(
                {
                    "group_by": group_by,
                    "group": group,
                    "days": int(d),
                    "persons": int(followed.sum()),
                    "reached": int(reached.sum()),
                }
            )
        followed = mask & (follow >= MEDIAN_WINDOW)
        reached = followed & (first <= MEDIAN_WINDOW)
        timing.append(
            {
                "group_by": group_by,
                "group": group,
                "persons": int(followed.sum()),
                "reached": int(reached.sum()),
                # ×10: publication rounds estimates to tens, which leaves whole days
                "median_days_x10": float(np.median(first[reached])) * 10
                if reached.any()
                else np.nan,
            }
        )
    note_nl = (
        "Bereikt: start van zorg of opname in de opvang binnen het aantal dagen na de eerste "
        "registratie. Alleen personen die zo lang gevolgd konden worden. Gemeente: woongemeente, "
        f"alleen bij ten minste {min_municipality} personen; anders telt de regio (politie-eenheid)."
    )
    note_en = (
        "Reached: start of care or shelter admission within the number of days after the first "
        "registration. Only persons who could be followed that long. Municipality: of residence, "
        f"only with at least {min_municipality} persons; otherwise the region (police unit) counts."
    )
    return [
        MonitorTable(
            "care_reach",
            "Zorg en opvang na de eerste registratie",
            "Care and shelter after the first registration",
            pd.DataFrame(reach),
            dimensions=("group_by", "group", "days"),
            counts=("persons", "reached"),
            overlapping=True,
            note_nl=note_nl,
            note_en=note_en,
            extra={"windows": list(windows), "flag_window": FLAG_WINDOW},
        ),
        MonitorTable(
            "care_time",
            "Tijd tot zorg of opvang",
            "Time to care or shelter",
            pd.DataFrame(timing),
            dimensions=("group_by", "group"),
            counts=("persons", "reached"),
            estimates=("median_days_x10",),
            overlapping=True,
            note_nl=(
                f"Mediaan aantal dagen van eerste registratie tot zorg of opvang, bij wie binnen "
                f"{MEDIAN_WINDOW} dagen is bereikt (×10: gepubliceerd in hele dagen)."
            ),
            note_en=(
                f"Median days from first registration to care or shelter, of those reached within "
                f"{MEDIAN_WINDOW} days (×10: published in whole days)."
            ),
            extra={"window": MEDIAN_WINDOW},
        ),
    ]
