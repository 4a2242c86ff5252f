"""The cohort analyses as pipeline steps: re-victimisation, crime overlap, care reach.

The three steps share one cohort per edition (kept in ``StepInput.cache``). Settings come
from the edition's configuration under ``cohort``: ``cutoff`` (YYYY-MM-DD; default the last
event date), ``horizons`` (years, default 1, 2, 5, 7), ``window_years`` (before/after window,
default 5), ``min_municipality`` (persons before a municipality is shown, default 50),
``cox`` (default true), ``curve_min_count`` (curve points between the horizons need counts of
0 or at least this, default 10).
"""

from __future__ import annotations

from traffickingmonitor.analysis import care_reach, crime_overlap, revictimisation
from traffickingmonitor.analysis.cohort import Cohort, cohort_config, load_cohort


def _cohort(inputs) -> Cohort | None:
    """The edition's cohort, or None when the edition has no events to follow persons with."""
    if "cohort" not in inputs.cache:
        settings = cohort_config(inputs.config)
        cohort = load_cohort(
            inputs.con,
            inputs.edition_id,
            person_years_frame=inputs.person_years,
            input_hashes=inputs.input_hashes,
            cutoff=settings.get("cutoff"),
        )
        inputs.cache["cohort"] = cohort if cohort.cutoff is not None and len(cohort) else None
    return inputs.cache["cohort"]


def _result(tables, notes):
    from traffickingmonitor.analysis.steps import StepResult

    return StepResult(tables, notes)


_NO_EVENTS = {"skipped": "the edition has no events (or no person could be followed)"}


def run_revictimisation(inputs):
    cohort = _cohort(inputs)
    if cohort is None:
        return _result([], _NO_EVENTS)
    settings = cohort_config(inputs.config)
    horizons = tuple(int(h) for h in settings.get("horizons", revictimisation.HORIZONS))
    tables = revictimisation.revictimisation_tables(
        cohort,
        horizons=horizons,
        cox=bool(settings.get("cox", True)),
        min_count=int(settings.get("curve_min_count", revictimisation.CURVE_MIN_COUNT)),
    )
    return _result(tables, cohort.notes)


def run_crime_overlap(inputs):
    cohort = _cohort(inputs)
    if cohort is None:
        return _result([], _NO_EVENTS)
    window = int(cohort_config(inputs.config).get("window_years", crime_overlap.WINDOW_YEARS))
    return _result(crime_overlap.crime_overlap_tables(cohort, window), {"window_years": window})


def run_care_reach(inputs):
    cohort = _cohort(inputs)
    if cohort is None:
        return _result([], _NO_EVENTS)
    minimum = int(cohort_config(inputs.config).get("min_municipality", care_reach.MIN_MUNICIPALITY))
    tables = care_reach.care_reach_tables(cohort, min_municipality=minimum)
    return _result(tables, {"min_municipality": minimum})


# (key, progress text, run): steps.py makes them AnalysisSteps
COHORT_STEPS = (
    ("revictimisation", "Re-victimisation (Aalen-Johansen)", run_revictimisation),
    ("crime_overlap", "Crime before/after and overlap", run_crime_overlap),
    ("care_reach", "Care reach", run_care_reach),
)
