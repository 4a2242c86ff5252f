"""Same seed and options: byte-identical files; another seed: other files, same targets."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from traffickingmonitor.synthetic.api import write_synthetic_edition

ORGS_2019 = {"police": 952, "care": 252, "labour_inspectorate": 46, "kmar": 10}
ORGS = ("police", "kmar", "labour_inspectorate", "care", "other")


def _digests(path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    kw = {"years": (2019, 2019)}
    a = tmp_path_factory.mktemp("a")
    b = tmp_path_factory.mktemp("b")
    c = tmp_path_factory.mktemp("c")
    write_synthetic_edition(a, seed=11, **kw)
    write_synthetic_edition(b, seed=11, **kw)
    write_synthetic_edition(c, seed=12, **kw)
    return a, b, c


def test_same_seed_identical_files(runs):
    a, b, _ = runs
    da, db = _digests(a), _digests(b)
    assert len(da) == 16  # with synthetic.json
    assert da == db


def test_other_seed_differs(runs):
    a, _, c = runs
    da, dc = _digests(a), _digests(c)
    assert da.keys() == dc.keys()
    assert da["registrations_police.csv"] != dc["registrations_police.csv"]
    assert da["events.csv"] != dc["events.csv"]


@pytest.mark.parametrize("which", [0, 2])
def test_targets_hold_for_other_seeds(runs, which):
    path = runs[which]
    regs = pd.concat(
        [pd.read_csv(path / f"registrations_{o}.csv", dtype=str) for o in ORGS], ignore_index=True
    )
    rp = pd.read_csv(path / "truth" / "registration_person.csv", dtype=str)
    regs = regs.merge(rp, on="registration_id")
    assert abs(regs["person_id"].nunique() - 1334) <= 0.05 * 1334
    got = regs.groupby("reporting_org")["person_id"].nunique()
    for org, target in ORGS_2019.items():
        assert abs(got[org] - target) <= max(0.05 * target, 3), org


def test_parquet_has_the_same_content(runs, tmp_path):
    a = runs[0]
    write_synthetic_edition(tmp_path, seed=11, years=(2019, 2019), fmt="parquet")
    for name in ("registrations_care", "events", "truth/persons"):
        csv = pd.read_csv(a / f"{name}.csv", dtype=str, keep_default_na=False)
        pq = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert all(str(t) in ("object", "str", "string") for t in pq.dtypes), pq.dtypes
        pd.testing.assert_frame_equal(csv, pq.astype(object), check_dtype=False)


def test_scale_multiplies_registrations_not_national_files(edition, tmp_path):
    s = write_synthetic_edition(tmp_path, years=(2019, 2019), scale=3)
    assert abs(s.aggregates["2019"]["registered_persons"] - 3 * 1334) <= 0.02 * 3 * 1334
    assert abs(s.aggregates["2019"]["orgs"]["police"] - 3 * 952) <= 3
    one = pd.read_csv(edition.path / "municipal_assessments.csv", dtype=str)
    three = pd.read_csv(tmp_path / "municipal_assessments.csv", dtype=str)
    assert len(one) == len(three)
