"""Helpers for the linkage tests: hand-made registrations, pseudonymised with the test key."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.intake.pseudonymise import Key, pseudonymise

from helpers import KEY


def tokens(rows: list[dict]) -> pd.DataFrame:
    """Pseudonymise hand-made registrations (names, dates in clear) with the test key."""
    frame = pd.DataFrame(rows)
    n = len(frame)
    defaults = {
        "registration_id": [f"T-{i:03d}" for i in range(n)],
        "registered_on": ["2019-05-01"] * n,
        "national_id": [""] * n,
        "family_name": [""] * n,
        "given_names": [""] * n,
        "birth_date": [None] * n,
        "birth_year": [None] * n,
        "sex": ["female"] * n,
        "nationality": ["NG"] * n,
        "residence_municipality": [None] * n,
        "residence_status": ["unknown"] * n,
    }
    for col, values in defaults.items():
        if col not in frame:
            frame[col] = values
    frame["registered_on"] = pd.to_datetime(frame["registered_on"])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    frame["birth_year"] = pd.array(frame["birth_year"], dtype="Int64")
    for col in ("national_id", "family_name", "given_names"):
        frame[col] = frame[col].fillna("").astype(str)
    return pseudonymise(frame, Key(KEY.encode()))
