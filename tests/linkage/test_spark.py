"""The same person model on Splink's Spark backend (pyspark in local mode, Java 17).

A small sample keeps this test short (a JVM and Spark's job overhead cost seconds per step).
Skipped where pyspark or Java is missing: the Spark backend is an optional extra.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.linking import link_full

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


def test_spark_trains_and_scores_like_duckdb(sample):
    # Fewer EM iterations: each is a Spark job, and the test is about the backend, not the fit.
    settings = linkage.LinkageSettings(backend="spark", u_max_pairs=2e4, em_max_iterations=4)
    on_spark = link_full(sample, settings)
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
