"""One synthetic edition per test session (scale 1, the default seed), read once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

ORGS = ("police", "kmar", "labour_inspectorate", "care", "other")


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


@dataclass
class Edition:
    path: Path
    summary: object

    def file(self, name: str) -> pd.DataFrame:
        return read(self.path / name)

    @property
    def registrations(self) -> pd.DataFrame:
        if not hasattr(self, "_regs"):
            regs = pd.concat([self.file(f"registrations_{o}.csv") for o in ORGS], ignore_index=True)
            rp = self.file("truth/registration_person.csv")
            regs = regs.merge(rp, on="registration_id", how="left", validate="one_to_one")
            regs["year"] = regs["registered_on"].str[:4].astype(int)
            self._regs = regs
        return self._regs

    @property
    def persons(self) -> pd.DataFrame:
        if not hasattr(self, "_persons"):
            self._persons = self.file("truth/persons.csv").set_index("person_id")
        return self._persons

    @property
    def truth_events(self) -> pd.DataFrame:
        if not hasattr(self, "_tev"):
            self._tev = self.file("truth/events.csv")
        return self._tev


@pytest.fixture(scope="session")
def edition(tmp_path_factory) -> Edition:
    """The default edition; TM_SYNTHETIC_TEST_SEED=<n> checks the targets for another seed."""
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    out = tmp_path_factory.mktemp("edition")
    seed = int(os.environ.get("TM_SYNTHETIC_TEST_SEED", "20240101"))
    summary = write_synthetic_edition(out, seed=seed)
    return Edition(out, summary)
