"""The cumulative incidence estimator: golden values, a second implementation, competing risks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from traffickingmonitor.analysis.revictimisation import (
    aalen_johansen,
    loglog_interval,
    one_minus_km,
    time_status,
)

# A tiny dataset with ties (days; status 1 = event, 2 = competing, 0 = censored):
# day 2 has an event, a competing event and a censoring; day 5 an event and a competing event.
TIME = np.array([1, 2, 2, 2, 3, 4, 5, 5])
STATUS = np.array([1, 1, 2, 0, 1, 0, 1, 2])

# Hand-computed Aalen-Johansen (risk sets 8, 7, 4, 3, 2; overall survival S before each day
# 1, 7/8, 5/8, 15/32, 15/32):
#   day 1: 1 · 1/8                   = 0.125
#   day 2: + 7/8 · 1/7 = 1/8         = 0.25     (the censoring at day 2 is still at risk)
#   day 3: + 5/8 · 1/4 = 5/32        = 0.40625
#   day 4: censoring only            = 0.40625
#   day 5: + 15/32 · 1/2 = 15/64     = 0.640625 (and the competing cause 0.359375: sum 1)
GOLDEN_CIF = {1: 0.125, 2: 0.25, 3: 0.40625, 4: 0.40625, 5: 0.640625}
# 1 − Kaplan-Meier, competing events censored: 1 − 7/8 · 6/7 · 3/4 · 1/2
GOLDEN_KM = {1: 0.125, 2: 0.25, 3: 0.4375, 5: 0.71875}


def test_golden_values_on_a_tiny_dataset_with_ties():
    fit = aalen_johansen(TIME, STATUS)
    for day, value in GOLDEN_CIF.items():
        assert fit.at(day)["cif"] == pytest.approx(value, abs=1e-12), day
    # at day 1 the variance is the binomial one: 1/8 · 7/8 / 8
    assert fit.at(1)["se"] == pytest.approx(math.sqrt(7 / 512), abs=1e-12)
    r = fit.at(3)
    assert (r["at_risk"], r["events"], r["competing"]) == (4, 3, 1)
    assert fit.at(0)["cif"] == 0.0
    km = one_minus_km(TIME, STATUS, list(GOLDEN_KM))
    assert km == pytest.approx(list(GOLDEN_KM.values()), abs=1e-12)
    # after the last observation nobody is at risk: no estimate, not an extrapolation
    assert math.isnan(fit.at(6)["cif"])


def _random_data(rng, n):
    time = rng.integers(1, 60, n)  # few distinct days: many ties
    status = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    time = np.r_[time, 61]  # end on a censoring, so every variance is finite
    status = np.r_[status, 0]
    return time, status


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statsmodels_and_scikit_survival_agree_to_1e6(seed):
    from sksurv.nonparametric import cumulative_incidence_competing_risks

    time, status = _random_data(np.random.default_rng(seed), 400)
    fit = aalen_johansen(time, status)
    times, cif, ci = cumulative_incidence_competing_risks(
        status, time.astype(float), conf_type="log-log", var_type="Dinse_Approx"
    )
    np.testing.assert_array_equal(fit.times, times)
    np.testing.assert_allclose(fit.cif, cif[1], atol=1e-6, rtol=0)
    ours = np.array([loglog_interval(c, s) for c, s in zip(fit.cif, fit.se, strict=True)])
    np.testing.assert_allclose(ours[:, 0], ci[1, 0], atol=1e-6, rtol=0)
    np.testing.assert_allclose(ours[:, 1], ci[1, 1], atol=1e-6, rtol=0)


def test_interval_stays_inside_zero_one_and_holds_the_estimate():
    for cif, se in [(0.01, 0.02), (0.45, 0.007), (0.99, 0.05)]:
        low, high = loglog_interval(cif, se)
        assert 0 < low < cif < high < 1
    assert loglog_interval(0.0, 0.0) == (0.0, 0.0)


def test_where_many_die_early_one_minus_km_overstates_and_aalen_johansen_does_not():
    rng = np.random.default_rng(11)
    n = 4000
    rate_event, rate_death = 0.1, 0.6  # per year: most persons die before any event
    event = rng.exponential(365.25 / rate_event, n)
    death = rng.exponential(365.25 / rate_death, n)
    follow = rng.uniform(3, 9, n) * 365.25  # staggered entry: censoring at the cut-off
    time, status = time_status(np.ceil(event), np.ceil(death), np.ceil(follow))  # whole days: ties
    day = 5 * 365.25
    total = rate_event + rate_death
    truth = rate_event / total * (1 - math.exp(-total * 5))
    r = aalen_johansen(time, status).at(day)
    assert r["ci_low"] <= truth <= r["ci_high"]
    assert abs(r["cif"] - truth) < 3 * r["se"]
    km = one_minus_km(time, status, [day])[0]
    # 1 − KM estimates 1 − exp(−0.1 · 5) ≈ 39%, the risk in a world without death: far above
    # the 14% who actually became a victim
    assert km > truth + 0.15
    assert km > r["ci_high"]


def test_time_status_ties():
    nan = np.nan
    time, status = time_status(
        np.array([5.0, nan, 5.0, nan, 9.0]),
        np.array([5.0, 3.0, nan, nan, nan]),
        np.array([10.0, 10.0, 5.0, 7.0, 8.0]),
    )
    # an event wins over a competing event and over censoring on the same day; an event
    # after the cut-off is not seen
    assert time.tolist() == [5, 3, 5, 7, 8]
    assert status.tolist() == [1, 2, 1, 0, 0]
