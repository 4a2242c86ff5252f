"""Shared fixtures: a key, and a small hand-made input folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import KEY, make_input_dir


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("TRAFFICKINGMONITOR_KEY", KEY)
    return KEY


@pytest.fixture
def input_dir(tmp_path) -> Path:
    return make_input_dir(tmp_path)
