"""The same person model on Splink's Spark backend (pyspark in local mode, Java 17).

A small sample keeps this test short: the JVM alone takes seconds to start. Skipped where
pyspark or Java is missing (the Spark backend is an optional extra).
"""

from __future__ import annotations

import shutil

import pytest

from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.linkage.backends import open_backend
from traffickingmonitor.linkage.linking import link_full

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - depends on the machine
    pytest.skip("the Spark backend needs Java", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(linked_edition):
    # Whole true persons of the first registrations, so that the sample holds real links.
    regs = linked_edition.registrations
    return regs.iloc[:400]


def test_spark_scores_like_duckdb_with_the_same_model(sample, trained_model):
    settings = linkage.LinkageSettings()
    duck = link_full(sample, settings, trained=trained_model)
    spark = link_full(sample, settings, trained=trained_model, backend=open_backend("spark"))
    assert spark.person_id.tolist() == duck.person_id.tolist()
    key = ["registration_id_l", "registration_id_r"]
    a = duck.links.sort_values(key).reset_index(drop=True)
    b = spark.links.sort_values(key).reset_index(drop=True)
    assert a[key].equals(b[key])
    assert (a["match_weight"] - b["match_weight"]).abs().max() < 1e-6


def test_spark_trains_the_model(sample):
    linked = link_full(sample, linkage.LinkageSettings(backend="spark", u_max_pairs=2e4))
    assert linked.notes["backend"] == "spark"
    assert len(linked.notes["training"]["em_sessions"]) >= 2
    assert 300 < linked.person_id.nunique() <= len(sample)
