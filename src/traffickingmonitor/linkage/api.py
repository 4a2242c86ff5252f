"""Public face of ``linkage``: registrations in, a person id per registration out."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.linkage.deterministic import RULES, link_deterministic

REQUIRED_COLUMNS = sorted({c for rule in RULES for c in rule})


def link_persons(registrations: pd.DataFrame, *, method: str = "deterministic") -> pd.Series:
    """Person id (int, from 1) per registration, index aligned with ``registrations``.

    ``registrations`` holds the pseudonymised tokens of the store; the caller orders it
    (by registration date) so that person numbers follow first registration.
    """
    if method != "deterministic":
        raise ValueError(f"unknown linkage method {method!r}")
    missing = [c for c in REQUIRED_COLUMNS if c not in registrations]
    if missing:
        raise ValueError(f"registrations lack linkage columns {missing}")
    return pd.Series(link_deterministic(registrations) + 1, index=registrations.index, name="person_id")
