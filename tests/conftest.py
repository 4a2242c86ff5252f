"""Shared fixtures: a key, and a small hand-made input folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import KEY, REGISTRATION_COLUMNS, registration, write_csv


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("TRAFFICKINGMONITOR_KEY", KEY)
    return KEY


@pytest.fixture
def input_dir(tmp_path) -> Path:
    """Police and care registrations; care reports three police persons again, one name swapped."""
    folder = tmp_path / "input"
    folder.mkdir()
    police = [registration(i) for i in range(1, 41)]
    care = [
        registration(i, registration_id=f"ZRG-{i:05d}", reporting_org="care", national_id="")
        for i in (1, 2, 3)
    ]
    care[2]["family_name"], care[2]["given_names"] = care[2]["given_names"], care[2]["family_name"]
    write_csv(folder / "registrations_police.csv", police, REGISTRATION_COLUMNS)
    write_csv(folder / "registrations_care.csv", care, REGISTRATION_COLUMNS)
    return folder


