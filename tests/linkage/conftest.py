"""Shared linkage fixtures: the synthetic national edition, imported and linked once per worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from traffickingmonitor import editions, pipeline, store
from traffickingmonitor.intake import api as intake
from traffickingmonitor.intake.pseudonymise import Key
from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.backends import Backend, open_backend
from traffickingmonitor.linkage.engine import Scorer
from traffickingmonitor.linkage.linking import link_full
from traffickingmonitor.synthetic.api import write_synthetic_edition

from helpers import KEY


@dataclass
class LinkedEdition:
    data_dir: Path
    db: Path
    edition_id: str
    registrations: pd.DataFrame  # the store's columns, in registration order
    linked: linkage.LinkageResult
    backend: Backend  # kept open: its tables are scanned for identifiers
    truth: pd.DataFrame


@pytest.fixture(scope="session")
def national_edition(tmp_path_factory) -> Path:
    """The synthetic national edition (scale 1, default seed) with its ground truth."""
    out = tmp_path_factory.mktemp("national")
    write_synthetic_edition(out, scale=1.0)
    return out


@pytest.fixture(scope="session")
def linked_edition(tmp_path_factory, national_edition) -> LinkedEdition:
    """The national edition imported into a store and linked with the default settings.

    Written as the pipeline does (edition_persons, then the linkage tables) but without the
    analysis steps, which the linkage tests do not need.
    """
    db = tmp_path_factory.mktemp("store") / "monitor.duckdb"
    key = Key(KEY.encode())
    paths, _ = intake.discover(national_edition)
    con = store.connect(db)
    try:
        results = pipeline.import_files(
            con, [p for p in paths if p.name.startswith("registrations")], key
        )
        regs = con.execute(
            "SELECT * EXCLUDE (exploitation_forms) FROM registrations "
            "WHERE list_contains($h, file_hash) ORDER BY registered_on, registration_id",
            {"h": [r.file_hash for r in results]},
        ).df()
        backend = open_backend("duckdb")
        linked = link_full(regs, linkage.LinkageSettings(), backend=backend)
        edition_id = "2024-01-01.1"
        with store.transaction(con):
            frame = regs[["file_hash", "registration_id"]].assign(person_id=linked.person_id)
            con.register("linked", frame)
            con.execute("INSERT INTO edition_persons SELECT $e, * FROM linked", {"e": edition_id})
            con.unregister("linked")
            linkage.save_edition(con, edition_id, regs, linked)
            inputs = [(r.file_hash, r.path.name, r.kind) for r in results]
            editions.record(con, edition_id, inputs, {}, {"linkage": linked.notes})
    finally:
        con.close()
    truth = linkage.read_truth(national_edition)
    return LinkedEdition(national_edition, db, edition_id, regs, linked, backend, truth)


@pytest.fixture(scope="session")
def trained_model(linked_edition) -> linkage.LinkageModel:
    return linkage.LinkageModel.from_json(linked_edition.linked.model_json)


@pytest.fixture(scope="session")
def scorer(trained_model) -> Scorer:
    """One Splink linker for the trained model, for the many small hand-made cases."""
    return Scorer(trained_model, open_backend("duckdb"))
