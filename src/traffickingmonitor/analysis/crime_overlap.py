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

import pandas as pd

from traffickingmonitor.analysis.cohort import Cohort, horizon_days
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.codes import api as codes

WINDOW_YEARS = 5
EVENT_TYPES = ("victimisation", "suspect")
OFFENCES = ("any", *codes.OFFENCE_GROUP.order())
OVERLAP_GROUP_BY = ("all", "victim_group", "age_group", "minor", "sex")


def crime_overlap_tables(cohort: Cohort, window_years: int = WINDOW_YEARS) -> list[MonitorTable]:
    """``crime_before_after`` and ``crime_overlap`` (suspects after registration), as counts."""
    days = horizon_days(window_years)
    follow = cohort.persons["follow_days"].to_numpy()
    full = follow >= days
    n_all, n_full = len(follow), int(full.sum())
    rows = []
    suspect_after = {}
    for event_type in EVENT_TYPES:
        for offence in OFFENCES:
            group = None if offence == "any" else offence
            before = cohort.any_between(event_type, -days, -1, group)
            after = cohort.any_between(event_type, 1, days, group) & full
            if event_type == "suspect":
                suspect_after[offence] = after
            rows.append(
                {
                    "event_type": event_type,
                    "offence_group": offence,
                    "period": "before",
                    "persons": n_all,
                    "with_event": int(before.sum()),
                }
            )
            rows.append(
                {
                    "event_type": event_type,
                    "offence_group": offence,
                    "period": "after",
                    "persons": n_full,
                    "with_event": int(after.sum()),
                }
            )
    overlap = []
    for group_by in OVERLAP_GROUP_BY:
        for group, mask in cohort.groups(group_by):
            in_window = mask & full
            if not mask.any():
                continue
            for offence in OFFENCES:
                overlap.append(
                    {
                        "group_by": group_by,
                        "group": group,
                        "offence_group": offence,
                        "persons": int(in_window.sum()),
                        "suspects": int((suspect_after[offence] & in_window).sum()),
                    }
                )
    window_nl = f"{window_years} jaar"
    window_en = f"{window_years} years"
    return [
        MonitorTable(
            "crime_before_after",
            f"Slachtofferschap en verdenking in de {window_nl} voor en na de eerste registratie",
            f"Victimisation and suspicion in the {window_en} before and after the first registration",
            pd.DataFrame(rows),
            dimensions=("event_type", "offence_group", "period"),
            counts=("persons", "with_event"),
            overlapping=True,
            note_nl=(
                f"Voor: alle personen, {window_nl} tot de dag van registratie. Na: personen die "
                f"na registratie {window_nl} gevolgd konden worden. De registratiedag zelf telt "
                "niet mee. Eén persoon kan in meer delictgroepen voorkomen."
            ),
            note_en=(
                f"Before: all persons, {window_en} up to the day of registration. After: persons "
                f"who could be followed for {window_en} after registration. The day of "
                "registration itself is not counted. One person can be in several offence groups."
            ),
            extra={"window_years": window_years},
        ),
        MonitorTable(
            "crime_overlap",
            f"Verdachte in de {window_nl} na de eerste registratie",
            f"Suspect in the {window_en} after the first registration",
            pd.DataFrame(overlap),
            dimensions=("group_by", "group", "offence_group"),
            counts=("persons", "suspects"),
            overlapping=True,
            note_nl=(
                f"Personen die na hun eerste registratie {window_nl} gevolgd konden worden, en "
                "van hen de personen die in die periode als verdachte zijn geregistreerd. Eén "
                "persoon kan in meer groepen en delictgroepen voorkomen."
            ),
            note_en=(
                f"Persons who could be followed for {window_en} after their first registration, "
                "and of them the persons recorded as a suspect in that period. One person can be "
                "in several groups and offence groups."
            ),
            extra={"window_years": window_years},
        ),
    ]
