"""The cohort analyses as pipeline steps: re-victimisation, crime overlap, care reach.

The three steps share one cohort per edition (kept in ``StepInput.cache``). Settings come
from the edition's configuration under ``cohort`` (:class:`CohortSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from traffickingmonitor.analysis import care_reach, crime_overlap, revictimisation
from traffickingmonitor.analysis.cohort import Cohort, load_cohort


@dataclass(frozen=True)
class CohortSettings:
    """The cohort chapters (re-victimisation, crime overlap, care reach).

    Attributes
    ----------
    cutoff : str or None
        Last day of follow-up (YYYY-MM-DD); None: the last event date of the edition.
    horizons : tuple of int
        Years after which the cumulative incidence is published.
    window_years : int
        Years before and after a registration in which crime is looked for.
    min_municipality : int
        Persons living in a municipality before care reach is shown for it on its own.
    cox : bool
        Fit the Fine-Gray / Cox risk model.
    curve_min_count : int
        Curve points between the horizons need counts of 0 or at least this.
    """

    cutoff: str | None = None
    horizons: tuple[int, ...] = revictimisation.HORIZONS
    window_years: int = crime_overlap.WINDOW_YEARS
    min_municipality: int = care_reach.MIN_MUNICIPALITY
    cox: bool = True
    curve_min_count: int = revictimisation.CURVE_MIN_COUNT

    def __post_init__(self):
        if self.cutoff is not None:
            import datetime as dt

            try:
                dt.date.fromisoformat(self.cutoff)
            except ValueError as exc:
                raise ValueError(f"cutoff must be a date YYYY-MM-DD, not {self.cutoff!r}") from exc
        if not self.horizons or any(h < 1 for h in self.horizons):
            raise ValueError("horizons must be one or more whole years of at least 1")
        if self.window_years < 1 or self.min_municipality < 0 or self.curve_min_count < 0:
            raise ValueError("window_years must be at least 1, the minimums not negative")

    @classmethod
    def from_config(cls, config: dict | None, where: str = "") -> CohortSettings:
        """From a run configuration: its ``cohort`` section (``cutoff`` also at the top)."""
        config = config or {}
        from traffickingmonitor.config import read_section

        section = config.get("cohort") or {}
        if isinstance(section, dict) and "cutoff" not in section and config.get("cutoff"):
            section = {**section, "cutoff": config["cutoff"]}

        return read_section(cls, "cohort", section, where)


def _cohort(inputs) -> Cohort | None:
    """The edition's cohort, or None when the edition has no events to follow persons with."""
    if "cohort" not in inputs.cache:
        cohort = load_cohort(
            inputs.con,
            inputs.edition_id,
            person_years_frame=inputs.person_years,
            input_hashes=inputs.input_hashes,
            cutoff=CohortSettings.from_config(inputs.config).cutoff,
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
    settings = CohortSettings.from_config(inputs.config)
    tables = revictimisation.revictimisation_tables(
        cohort,
        horizons=settings.horizons,
        cox=settings.cox,
        min_count=settings.curve_min_count,
        with_members=inputs.members,
    )
    return _result(tables, cohort.notes)


def run_crime_overlap(inputs):
    cohort = _cohort(inputs)
    if cohort is None:
        return _result([], _NO_EVENTS)
    window = CohortSettings.from_config(inputs.config).window_years
    notes = {"window_years": window, "events_from": cohort.notes.get("events_from")}
    return _result(crime_overlap.crime_overlap_tables(cohort, window, inputs.members), notes)


def run_care_reach(inputs):
    cohort = _cohort(inputs)
    if cohort is None:
        return _result([], _NO_EVENTS)
    minimum = CohortSettings.from_config(inputs.config).min_municipality
    tables = care_reach.care_reach_tables(
        cohort, min_municipality=minimum, with_members=inputs.members
    )
    return _result(tables, {"min_municipality": minimum})


# (key, progress text, run): steps.py makes them AnalysisSteps
COHORT_STEPS = (
    ("revictimisation", "Re-victimisation (Aalen-Johansen)", run_revictimisation),
    ("crime_overlap", "Crime before/after and overlap", run_crime_overlap),
    ("care_reach", "Care reach", run_care_reach),
)
