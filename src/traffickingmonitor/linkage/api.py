"""Public face of ``linkage``: registrations in, a person id per registration out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from traffickingmonitor.linkage.deterministic import RULES, link_deterministic

REQUIRED_COLUMNS = sorted({c for rule in RULES for c in rule})


@dataclass
class LinkageResult:
    """Person ids (index aligned with the registrations) and what the edition should record."""

    person_id: pd.Series
    notes: dict = field(default_factory=dict)  # method, settings, quality: shown in the method annex
    model_json: str | None = None  # a trained model, kept with the edition


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


def link_edition(registrations: pd.DataFrame, config: dict | None = None) -> LinkageResult:
    """The pipeline's entry: link the registrations of one edition."""
    person_id = link_persons(registrations)
    notes = {"method": "deterministic v0", "rules": [list(r) for r in RULES]}
    return LinkageResult(person_id, notes)
