"""Crime before and after the first registration, and the overlap with (organised) crime.

Two fixed windows around the first registration (day 0), of ``window_years`` (5) each:
*before* is days −1826 … −1, *after* is days 1 … 1826. The day of registration itself belongs
to neither (its records are usually the exploitation that was reported). The *after* window
counts only persons followed for the whole window (first registered at least five years before
the cut-off), so that every person had the same time to be recorded; persons who died or
emigrated within it stay in (their window was shorter, as in life). The *before* window
counts every person: the events extract is taken to cover the five years before each first
registration.

Overlap with crime: persons recorded as a *suspect* in the after window, by offence group (drug
offences are the signal of criminal exploitation in drug crime), and by victim group, age group
and minor/adult: the flow from victim group to later suspect offence.

Tables hold counts only (persons in the window, persons with an event); shares are computed
where they are published, from shown counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis import members
from traffickingmonitor.analysis.cohort import Cohort, horizon_days
from traffickingmonitor.analysis.tables import MonitorTable, breakdown, table_words
from traffickingmonitor.codes import api as codes

WINDOW_YEARS = 5
EVENT_TYPES = ("victimisation", "suspect")
OFFENCES = ("any", *codes.OFFENCE_GROUP.order())
# No breakdown by age group: suspects among the youngest and oldest victims are a few per
# offence group, so that table would be mostly hidden; minor or adult tells the age split
OVERLAP_GROUP_BY = ("all", "victim_group", "minor", "sex")
#: one number, one cell: the rows of suspects after the first registration in
#: ``crime_before_after`` are the suspects of ``crime_overlap`` (the same persons followed)
SUSPECTS_AFTER = [
    {
        "column": "with_event",
        "where": {"event_type": "suspect", "period": "after"},
        "table": "crime_overlap",
        "as": {},
        "as_column": "suspects",
    }
]


def crime_overlap_tables(
    cohort: Cohort, window_years: int = WINDOW_YEARS, with_members: bool = True
) -> list[MonitorTable]:
    """Counts of persons with victimisation or suspect events around the first registration.

    ``crime_before_after`` (``event_type`` × ``offence_group`` × ``period``): persons with an
    event in the window; its denominators are the cohort size (before: month 0 of table
    ``revictimisation``) and the persons followed for the whole window (after: ``persons`` of
    ``crime_overlap``), which are not repeated here so that no count is published twice.
    ``crime_overlap`` (``offence_group``): persons followed for the window and suspects among
    them (``crime_before_after``'s suspects after, declared the same cells);
    ``crime_overlap_<characteristic>``: the same by victim group, age group, minor/adult
    and sex (rows add up to ``crime_overlap``; victim groups overlap). ``with_members``: each
    table keeps the persons behind its counts.
    """
    days = horizon_days(window_years)
    follow = cohort.persons["follow_days"].to_numpy()
    full = follow >= days
    before = cohort.any_between(EVENT_TYPES, -days, -1)
    after = cohort.any_between(EVENT_TYPES, 1, days)
    none = np.zeros(len(full), bool)
    ids = cohort.persons["person_id"].astype(str).to_numpy()
    rows = []
    who = members.Who(with_members)
    suspect_after = {}
    for event_type in EVENT_TYPES:
        for offence in OFFENCES:
            b = before.get((event_type, offence), none)
            a = after.get((event_type, offence), none) & full
            if event_type == "suspect":
                suspect_after[offence] = a
            for period, hit in (("before", b), ("after", a)):
                who.add(ids[hit], len(rows), "with_event")
                rows.append(
                    {
                        "event_type": event_type,
                        "offence_group": offence,
                        "period": period,
                        "with_event": int(hit.sum()),
                    }
                )
    tables = [
        MonitorTable(
            "crime_before_after",
            frame=pd.DataFrame(rows),
            dimensions=("event_type", "offence_group", "period"),
            counts=("with_event",),
            overlapping=True,
            **table_words("crime_before_after", window_years=window_years),
            extra={
                "window_years": window_years,
                "union_rows": {"offence_group": "any"},
                "same_cells": SUSPECTS_AFTER,
            },
            margin_of="",
            members=who.frame(),
        )
    ]
    for by in OVERLAP_GROUP_BY:
        overlap = []
        who = members.Who(with_members)
        for group, mask in cohort.groups(by):
            in_window = mask & full
            if not mask.any():
                continue
            for offence in OFFENCES:
                who.add(ids[in_window], len(overlap), "persons")
                suspects = suspect_after[offence] & in_window
                who.add(ids[suspects], len(overlap), "suspects")
                overlap.append(
                    {
                        **({} if by == "all" else {by: group}),
                        "offence_group": offence,
                        "persons": int(in_window.sum()),
                        "suspects": int(suspects.sum()),
                    }
                )
        if not overlap:
            continue
        tid = "crime_overlap" if by == "all" else f"crime_overlap_{by}"
        tables.append(
            MonitorTable(
                tid,
                frame=pd.DataFrame(overlap),
                dimensions=("offence_group",) if by == "all" else (by, "offence_group"),
                counts=("persons", "suspects"),
                overlapping=True if by == "all" else by == "victim_group",
                **table_words(
                    "crime_overlap",
                    window_years=window_years,
                    by=breakdown(None if by == "all" else by),
                ),
                # "any offence" counts everyone of the offence groups once
                extra={"window_years": window_years, "union_rows": {"offence_group": "any"}},
                margin_of="" if by == "all" else "crime_overlap",
                members=who.frame(),
            )
        )
    return tables
