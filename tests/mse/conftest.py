"""Fixtures for the multiple systems estimation tests: data tables and golden values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
REF = json.loads((HERE / "results" / "reference_values.json").read_text())


@pytest.fixture(scope="session")
def ref() -> dict:
    return REF


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
