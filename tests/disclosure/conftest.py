"""The demo edition (synthetic, scale 1) in a store, for the attacker suite."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from traffickingmonitor.analysis.descriptive import TABLE_IDS

CORE = [*TABLE_IDS, "hidden_number", "hidden_number_sensitivity"]


@dataclass
class DemoEdition:
    db: Path
    report: Path  # report folder written with the edition's default method (suppression)
    tables: dict  # the unprotected MonitorTables (the truth the attacker is scored against)


@pytest.fixture(scope="session")
def demo_edition(tmp_path_factory) -> DemoEdition:
    from traffickingmonitor import editions, pipeline
    from traffickingmonitor.disclosure.api import protect_edition
    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.publish.report import write_tables
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    out = tmp_path_factory.mktemp("disclosure-demo")
    write_synthetic_edition(out / "data", seed=20240101, scale=1.0)
    key_path = intake.create_key_file(out / "key")
    # The tables are the demo's; deterministic linkage and a short bootstrap keep this fast and
    # independent of the linkage model (its counts are what disclosure control works on).
    config = {"linkage": {"method": "deterministic"}, "hidden_number": {"n_boot": 40}}
    db = out / "monitor.duckdb"
    pipeline.run(out / "data", db, intake.load_key(key_path), config=config)
    edition, tables = editions.read_edition(db)
    # The attacker suite plays on the registered-victims, hidden-number and local tables (whose
    # relations it knows; the national tables hide nothing in the demo, the local ones do);
    # the other chapters' tables go through the same engine in the channel tests and
    # `disclosure-check`, which are marked slow.
    tables = {tid: t for tid, t in tables.items() if tid in CORE or tid.startswith("local_")}
    # the open data exactly as the report writes them (the same single door)
    report = out / "report"
    write_tables(protect_edition(tables), edition, report / "tables", "en")
    return DemoEdition(db, report, tables)
