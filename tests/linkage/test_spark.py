"""The same person model on Splink's Spark backend (pyspark in local mode, Java 17).

A small sample keeps this test short (a JVM and Spark's job overhead cost seconds per step).
Skipped where pyspark or Java is missing (the Spark backend is an optional extra), except in
CI, which installs both: there a missing one fails.
"""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest

from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.linking import link_full

from helpers import run_cli

if os.environ.get("CI"):
    import pyspark  # noqa: F401  (CI installs it: an ImportError fails the module)

    if shutil.which("java") is None:
        pytest.fail("CI runs the Spark backend: Java is missing", pytrace=False)
pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - depends on the machine
    pytest.skip("the Spark backend needs Java", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(linked_edition) -> pd.DataFrame:
    """About 200 registrations: persons reported more than once (so there is something to
    learn and link) and as many reported once."""
    regs = linked_edition.registrations
    truth = linked_edition.truth.set_index("registration_id")["person_id"]
    person = regs["registration_id"].map(truth)
    sizes = person.map(person.value_counts())
    several = person[sizes > 1].drop_duplicates().head(45)
    once = person[sizes == 1].head(90)
    return regs[person.isin(set(several) | set(once))]


def test_spark_trains_and_scores_like_duckdb(sample, tmp_path):
    # Fewer EM iterations: each is a Spark job, and the test is about the backend, not the fit.
    settings = linkage.LinkageSettings(
        backend="spark",
        u_max_pairs=2e4,
        em_max_iterations=4,
        # as on a cluster: checkpoints in a folder of the user's choice, partitions set
        spark_checkpoint_dir=str(tmp_path / "checkpoints"),
        spark_shuffle_partitions=3,
    )
    on_spark = link_full(sample, settings)
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session.conf.get("spark.sql.shuffle.partitions") == "3"
    assert any((tmp_path / "checkpoints").rglob("*.parquet"))  # Splink's lineage breaks
    assert on_spark.notes["backend"] == "spark"
    assert len(on_spark.notes["training"]["em_sessions"]) >= 2
    assert on_spark.person_id.nunique() < len(sample)
    # The model trained on Spark scores alike on DuckDB: same links, same weights, same persons.
    model = linkage.LinkageModel.from_json(on_spark.model_json)
    on_duckdb = link_full(sample, linkage.LinkageSettings(), trained=model)
    assert on_duckdb.person_id.tolist() == on_spark.person_id.tolist()
    key = ["registration_id_l", "registration_id_r"]
    a = on_spark.links.sort_values(key).reset_index(drop=True)
    b = on_duckdb.links.sort_values(key).reset_index(drop=True)
    assert a[key].equals(b[key])
    assert (a["match_weight"] - b["match_weight"]).abs().max() < 1e-6


def test_run_with_a_configuration_file_links_on_spark(tmp_path):
    """``run --config`` as a user runs it: the file chooses the Spark backend, and the
    edition records that it was linked there."""
    from traffickingmonitor import editions
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    write_synthetic_edition(tmp_path / "in", seed=2, scale=0.1)
    config = tmp_path / "edition.toml"
    config.write_text(
        '[linkage]\nbackend = "spark"\nu_max_pairs = 2e4\nem_max_iterations = 4\n'
        "[hidden_number]\nn_boot = 40\n",
        "utf-8",
    )
    db = tmp_path / "monitor.duckdb"
    env = {"TRAFFICKINGMONITOR_KEY": "s" * 64}
    # a whole run on Spark: as long as it takes on a busy machine
    done = run_cli("run", tmp_path / "in", "--db", db, "--config", config, env=env, timeout=None)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    edition, _ = editions.read_edition(db, None)
    assert edition.config["linkage"] == {
        "backend": "spark",
        "u_max_pairs": 2e4,
        "em_max_iterations": 4,
    }
    linked = edition.notes["linkage"]
    assert linked["backend"] == "spark" and linked["mode"] == "trained on this edition"
    assert linked["method"].startswith("Splink") and linked["persons"] < linked["registrations"]
    assert json.loads(json.dumps(edition.config)) == edition.config
