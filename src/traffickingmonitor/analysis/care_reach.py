"""Care reach: does help reach every registered victim, and how fast?

A person is *reached* within ``d`` days when a care start or a shelter admission is recorded on
a day 0 … d after their first registration (care that started on the day of registration
counts; care recorded only before it does not, because it says nothing about the response to
this registration). The share within ``d`` days counts only persons followed for at least
``d`` days, so that a recent registration does not look like a missed one.

Breakdowns: residence status, age group, victim group, and the person's place (``persons.PLACE``:
the municipality of exploitation, else of residence). Municipalities are shown only when at
least ``min_municipality`` persons have their place there; the
others are seen at region level (police unit), which every municipality belongs to.

A group *falls behind* the national share when even the upper end of the 95% (Wilson)
interval of its share is below the national share: ``falls_behind`` decides it from shown
counts, where the figures are published.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from traffickingmonitor.analysis import members
from traffickingmonitor.analysis.cohort import CARE_EVENTS, Cohort
from traffickingmonitor.analysis.tables import MonitorTable, breakdown, table_words, words

WINDOWS = (30, 90, 365)  # days
FLAG_WINDOW = 90  # the window on which a group is flagged as falling behind
MIN_MUNICIPALITY = 50  # persons placed in a municipality before it is shown on its own
CARE_GROUP_BY = ("all", "residence_status", "age_group", "victim_group", "minor", "police_unit")
# breakdowns the re-victimisation chapter has too: its month 0 counts the same persons
SAME_GROUPS_AS_CURVES = ("all", "residence_status", "age_group", "victim_group", "minor")


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
    with_members: bool = True,
) -> list[MonitorTable]:
    """Persons followed for each window and persons reached within it, with the median time.

    ``care_reach`` (``days``): all persons; ``care_reach_<characteristic>``: by residence
    status, age group, victim group, minor/adult and region (``police_unit`` of the
    person's place), adding up to ``care_reach`` (victim groups overlap);
    ``care_reach_municipality``: the municipalities with at least ``min_municipality``
    persons only. ``median_days_x10`` (the row of the longest window): median days to care
    of the persons reached within it, ×10 so that publication (rounding estimates to tens)
    leaves whole days.
    """
    first = cohort.first_day(CARE_EVENTS, after=0)
    follow = cohort.persons["follow_days"].to_numpy()
    longest = max(windows)
    breakdowns: list[tuple[str, list]] = [
        (by, cohort.groups("region" if by == "police_unit" else by)) for by in CARE_GROUP_BY
    ]
    municipality = pd.Categorical(cohort.persons["place"].astype(str))
    sizes = np.bincount(municipality.codes, minlength=len(municipality.categories))
    big = [
        (c, municipality.codes == i)
        for i, c in enumerate(municipality.categories)
        if c != "unknown" and sizes[i] >= min_municipality
    ]
    breakdowns.append(("municipality", big))
    ids = cohort.persons["person_id"].astype(str).to_numpy()
    tables = []
    for by, groups in breakdowns:
        rows, who = [], members.Who(with_members)
        for group, mask in groups:
            if not mask.any():
                continue
            for d in windows:
                followed = mask & (follow >= d)
                reached = followed & (first <= d)  # NaN compares False: never reached
                median = np.nan
                if d == longest and reached.any():
                    median = float(np.median(first[reached])) * 10
                who.add(ids[followed], len(rows), "persons")
                who.add(ids[reached], len(rows), "reached")
                rows.append(
                    {
                        **({} if by == "all" else {by: group}),
                        "days": int(d),
                        "persons": int(followed.sum()),
                        "reached": int(reached.sum()),
                        "median_days_x10": median,
                    }
                )
        if not rows:  # e.g. no municipality large enough to be shown
            continue
        tid = "care_reach" if by == "all" else f"care_reach_{by}"
        # the title calls the police units of the persons' places regions
        name = {"all": None, "police_unit": "region"}.get(by, by)
        tables.append(
            MonitorTable(
                tid,
                frame=pd.DataFrame(rows),
                dimensions=("days",) if by == "all" else (by, "days"),
                counts=("persons", "reached"),
                estimates=("median_days_x10",),
                overlapping=by == "victim_group",
                **table_words(
                    "care_reach",
                    by=breakdown(name),
                    also=[words("care_reach.municipalities", min_municipality=min_municipality)]
                    if by == "municipality"
                    else [],
                ),
                extra={
                    "windows": list(windows),
                    "flag_window": FLAG_WINDOW,
                    "min_municipality": min_municipality,
                    "same_cells": _same_as_curves(by, windows, follow),
                    "follow_windows": {
                        "time": "days",
                        "followed": "persons",
                        "within": "reached",
                    },
                },
                # the shown municipalities are a selection: they do not add up to the total
                margin_of="" if by in ("all", "municipality") else "care_reach",
                members=who.frame(),
            )
        )
    return tables


def _same_as_curves(by: str, windows: tuple[int, ...], follow: np.ndarray) -> list[dict]:
    """One number, one cell: when everyone could be followed for a window (the period ends
    at least that long before the cut-off, which a reader sees from the published dates),
    the persons followed for it are the persons of the re-victimisation curve at month 0,
    group by group."""
    if by not in SAME_GROUPS_AS_CURVES or not len(follow):
        return []
    return [
        {
            "column": "persons",
            "where": {"days": int(d)},
            "table": "revictimisation" if by == "all" else f"revictimisation_{by}",
            "as": {"offence_group": "any", "month": 0},
            "as_column": "at_risk",
        }
        for d in windows
        if d <= follow.min()
    ]
