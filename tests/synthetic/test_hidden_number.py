"""With perfect linkage, the monitor's hidden-number estimate covers the true latent population.

The detection model keeps the lists independent within a victim group apart from direct
referrals (a two-way interaction), so multiple systems estimation stratified by victim group is
correctly specified for the synthetic edition. Generator version 1 (a visibility frailty shared
by all lists) gave estimates at 55-60% of the truth, none of them covering it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

DEFAULT_SEED = 20240101
GROUPS = {"criminal", "labour", "domestic_sexual", "crossborder_sexual", "other_unknown"}
#: Each year's point estimate lies within truth / FACTOR and truth * FACTOR. The yearly
#: intervals are wide (about -35%..+45% of the estimate): with 1 in 5-9 victims registered
#: and lists of these sizes the overlaps are small, so single estimates scatter; across seeds
#: the median ratio is about 1 (benchmarks/synthetic_mse_coverage.py).
FACTOR = 1.7
#: Bootstrap replicates: 400 rather than the monitor's 1000 keeps the test at about 15 s.
N_BOOT = 400


@pytest.fixture(scope="module")
def estimate(edition):
    from traffickingmonitor.analysis.hidden_number import HiddenNumberSettings
    from traffickingmonitor.synthetic.validation import estimate_vs_truth

    if edition.summary.seed != DEFAULT_SEED:
        pytest.skip("coverage is asserted for the default seed (others: the benchmark)")
    return estimate_vs_truth(edition.path, HiddenNumberSettings(n_boot=N_BOOT, n_jobs=1))


@pytest.mark.slow
def test_interval_of_every_year_covers_the_truth(estimate):
    total = estimate[estimate["victim_group"] == "all"].set_index("year")
    assert list(total.index) == [2016, 2017, 2018, 2019, 2020]
    assert (total["status"] == "estimated").all(), total
    cols = ["observed", "estimate", "ci_low", "ci_high", "truth"]
    assert total["covers"].all(), total[cols]
    ratio = total["estimate"] / total["truth"]
    assert ratio.between(1 / FACTOR, FACTOR).all(), ratio
    assert 0.85 <= ratio.median() <= 1.2, ratio


@pytest.mark.slow
def test_most_victim_group_intervals_cover(estimate):
    groups = estimate[(estimate["victim_group"] != "all") & (estimate["status"] == "estimated")]
    assert len(groups) >= 20
    assert groups["covers_recorded"].mean() >= 0.8, groups
    main = groups[groups["victim_group"] != "other_unknown"]
    assert main["covers"].mean() >= 0.8, main


def test_lists_independent_within_victim_groups(edition):
    """No shared visibility: within a group, own detections are (nearly) independent."""
    summary = json.loads((edition.path / "truth" / "summary.json").read_text())
    model = summary["detection_model"]
    per_year = model["within_group_dependence"]["per_year"]
    assert set(per_year) == {"2016", "2017", "2018", "2019", "2020"}
    main = ("police-care", "police-other", "care-other")
    for year, groups in per_year.items():
        assert set(groups) == set(GROUPS), (year, groups)
        for group, pairs in groups.items():
            assert len(pairs) == 10
            # KMar and the labour inspectorate: small lists, a few characteristics of their own
            assert all(0.75 <= r <= 1.3 for r in pairs.values()), (year, group, pairs)
            # the lists that carry the estimate: (almost) independent within the group
            assert all(0.95 <= pairs[p] <= 1.12 for p in main), (year, group, pairs)
    assert "frailty" in model["mechanism"]


def test_referrals_make_care_and_other_overlap(edition):
    summary = json.loads((edition.path / "truth" / "summary.json").read_text())
    routes = summary["detection_model"]["routes"]
    assert [(r["source"], r["target"]) for r in routes] == [("other", "care")]
    routed = summary["detection_model"]["routed_registrations"]
    for year, n in routed.items():
        care = summary["aggregates"][year]["orgs"]["care"]
        assert 0.1 * care <= n["care"] <= 0.5 * care, (year, n, care)
    # the registered persons by list: care and other overlap far more than independence gives
    regs = edition.registrations
    r = regs[regs["year"] == 2019]
    lists = r.groupby(["person_id", "reporting_org"]).size().unstack(fill_value=0).clip(upper=1)
    latent = summary["counts"]["latent_per_year"]["2019"]
    both = int((lists["care"] & lists["other"]).sum())
    independent = lists["care"].sum() * lists["other"].sum() / latent
    assert both > 3 * independent, (both, independent)
    assert np.isfinite(independent)


def test_latent_per_monitor_group_adds_up(edition):
    summary = json.loads((edition.path / "truth" / "summary.json").read_text())
    per_group = summary["counts"]["latent_per_monitor_group"]
    for year, total in summary["counts"]["latent_per_year"].items():
        assert sum(per_group[year].values()) == total
