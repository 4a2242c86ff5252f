"""Hand-made cohorts for the cohort tests (tests/cohort)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def person_years_frame(persons: pd.DataFrame) -> pd.DataFrame:
    """A minimal ``person_years`` frame for ``cohort.from_frames`` from per-person columns."""
    py = pd.DataFrame({"person_id": persons["person_id"], "year": persons["year"]})
    for col, default in (
        ("sex", "unknown"),
        ("minor", "unknown"),
        ("age_group", "unknown"),
        ("nationality_group", "unknown"),
        ("residence_status", "unknown"),
    ):
        py[col] = persons.get(col, default)
    if "age_group" not in persons and "minor" in persons:
        # consistent with minor/adult: disclosure control knows that 12-17 year olds are minors
        py["age_group"] = (
            persons["minor"].map({"minor": "12-17", "adult": "23-29"}).fillna("unknown")
        )
    groups = persons.get("victim_group", "other_unknown")
    py["victim_groups"] = pd.Series(groups, index=persons.index).map(lambda g: [g])
    return py


def make_cohort(persons: pd.DataFrame, events: pd.DataFrame, cutoff: str = "2025-12-31"):
    """A cohort from per-person rows (``person_id``, ``t0`` and characteristics) and events."""
    from traffickingmonitor.analysis.cohort import from_frames

    persons = persons.copy()
    persons["year"] = pd.to_datetime(persons["t0"]).dt.year
    first = persons[["person_id", "t0"]].assign(place=persons.get("place", "unknown"))
    return from_frames(first, person_years_frame(persons), events, dt.date.fromisoformat(cutoff))


def random_cohort(n: int = 600, seed: int = 3):
    """A cohort of ``n`` persons registered 2016-2020 with victimisation, exits and care."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 1826, n), unit="D")
    persons = pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1),
            "t0": t0,
            "sex": rng.choice(["female", "male"], n, p=[0.7, 0.3]),
            "minor": rng.choice(["minor", "adult"], n, p=[0.2, 0.8]),
            "victim_group": rng.choice(["labour", "crossborder_sexual", "criminal"], n),
            "residence_status": rng.choice(["nl_citizen", "undocumented"], n, p=[0.7, 0.3]),
        }
    )
    rows = []
    for pid, start in zip(persons["person_id"], persons["t0"], strict=True):
        for _ in range(rng.poisson(1.2)):
            rows.append(
                (
                    pid,
                    start + pd.Timedelta(days=int(rng.integers(1, 3000))),
                    "victimisation",
                    rng.choice(["property", "violence"]),
                )
            )
        if rng.random() < 0.1:
            rows.append((pid, start + pd.Timedelta(days=int(rng.integers(1, 3000))), "death", None))
        if rng.random() < 0.6:
            rows.append(
                (pid, start + pd.Timedelta(days=int(rng.integers(0, 200))), "care_start", None)
            )
        if rng.random() < 0.2:
            rows.append(
                (pid, start + pd.Timedelta(days=int(rng.integers(1, 1500))), "suspect", "drugs")
            )
    events = pd.DataFrame(rows, columns=["person_id", "event_date", "event_type", "offence_group"])
    return persons, events
