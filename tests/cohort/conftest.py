"""The synthetic national edition in a store (built once per run), and small hand-made cohorts."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest


@dataclass
class SyntheticEdition:
    data: Path  # the synthetic input files, with truth/
    db: Path  # the store with one edition made by the pipeline

    def truth(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.data / "truth" / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> SyntheticEdition:
    """Scale 1, the default seed: ~4,800 registered persons followed up to 2025-12-31."""
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    base = tmp_path_factory.getbasetemp()
    # xdist workers share the parent of their own base folder: the edition is built once
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "cohort_edition"
    root.mkdir(exist_ok=True)
    edition = SyntheticEdition(root / "data", root / "monitor.duckdb")
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            write_synthetic_edition(edition.data, seed=20240101)
            # a short bootstrap: the hidden number is not what these tests are about
            config = {"hidden_number": {"n_boot": 40}}
            pipeline.run(edition.data, edition.db, Key(b"x" * 32), config=config)
            (root / "done").touch()
    return edition


_PROTECTED: dict = {}


@pytest.fixture
def chapter_context():
    """``ctx(tables, lang)``: a chapter context over MonitorTables, protected as in the report
    (once per list of tables: the secondary suppression is the slow part)."""
    from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition
    from traffickingmonitor.publish.chapters.base import ChapterContext
    from traffickingmonitor.publish.labels import TEXT

    def make(tables, lang="en", notes=None, threshold=10):
        rule = DisclosureRule(threshold=threshold)
        key = (id(tables), threshold)
        if key not in _PROTECTED:
            _PROTECTED[key] = (tables, protect_edition({t.table_id: t for t in tables}, rule))
        protected = _PROTECTED[key][1]
        edition = SimpleNamespace(notes=notes or {"revictimisation": {"cutoff": "2025-12-31"}})
        return ChapterContext(protected, edition, rule, lang, TEXT[lang], [2016, 2020])

    return make


@pytest.fixture
def fast_charts(monkeypatch):
    """Charts as a stub SVG (the chart code runs, only the Vega rendering is skipped)."""
    from traffickingmonitor.publish import cohort_charts

    monkeypatch.setattr(cohort_charts, "to_svg", lambda chart: "<svg></svg>")
