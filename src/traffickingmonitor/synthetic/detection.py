"""Detection of latent victims by the reporting organisations, year by year.

Each organisation o detects person-year i with probability ``p_io = 1 - exp(-lambda_io)``;
the log hazard is the organisation's intercept, its preferences (police: sexual and criminal
exploitation, Dutch victims; KMar: cross-border, non-Dutch, exploitation abroad; labour
inspectorate: labour exploitation of adults; care: asylum seekers and undocumented victims,
minors, women; other: labour and asylum), a police-unit effect for the police, the person's
visibility frailty shared by all organisations (so detection by one list is positively
correlated with detection by another, as real lists are) and the calibration offsets of
:mod:`calibration`. Given the probabilities, detection is drawn by systematic PPS sampling
over a list sorted by calibration cell (implicit stratification: each organisation's count per
cell is its expectation to within one). "Other" is drawn last and fills, per recorded
exploitation-form combination, the difference between the expected union and the union
realised by the four main organisations (a variance reduction, not a bias: in expectation its
probabilities are the calibrated ones). The published totals therefore hold for any seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traffickingmonitor.synthetic.calibration import (
    COMBO_U,
    COMBOS,
    MAIN_ORGS,
    NAT_CATEGORIES,
    ORGS,
    P_CAP,
    DetectionParams,
    YearTargets,
    detection_probabilities,
    solve_detection,
)
from traffickingmonitor.synthetic.population import (
    NAT_CATEGORY,
    NATIONALITIES,
    SEX_F,
    ST_ASYLUM,
    ST_UNDOC,
    Persons,
    day,
    forms_flags,
    minor_on,
)

FEATURES = (
    "sexual",
    "labour",
    "criminal",
    "nl",
    "eu",
    "non_eu",
    "minor",
    "female",
    "asylum",
    "undocumented",
    "abroad",
)
# Log-hazard preferences per organisation (FEATURES order).
BETA: dict[str, tuple[float, ...]] = {
    "police": (0.6, 0.0, 0.8, 0.4, 0.0, 0.0, 0.3, 0.0, 0.2, -0.3, -0.7),
    "kmar": (0.3, 0.2, 0.0, -2.5, 0.3, 0.8, -0.3, 0.0, -0.5, 0.5, 1.5),
    "labour_inspectorate": (-2.0, 2.5, -0.5, -0.5, 0.8, 0.3, -2.5, -0.3, -0.5, 0.5, -1.0),
    "care": (0.4, -0.2, 0.2, -0.2, -0.3, 0.3, 0.6, 0.5, 1.0, 0.8, 0.3),
    "other": (0.0, 0.5, 0.2, -0.3, 0.0, 0.4, 0.2, 0.0, 0.8, 0.3, 0.4),
}
# Loading of the shared visibility frailty per organisation.
SIGMA: dict[str, float] = {
    "police": 0.9,
    "kmar": 0.5,
    "labour_inspectorate": 0.6,
    "care": 0.9,
    "other": 0.7,
}
# Loading of a second frailty shared by police and care only (police refer victims to care
# coordinators and care coordinators advise reporting to the police).
SIGMA_REFERRAL: dict[str, float] = {
    "police": 0.6,
    "kmar": 0.0,
    "labour_inspectorate": 0.0,
    "care": 0.6,
    "other": 0.0,
}
POLICE_UNIT_SD = 0.25
# Probability that a latent victim of a year is still a victim the next year.
CONTINUE_IF_REGISTERED = 0.08
CONTINUE_IF_NOT = 0.14
CAL_MAX = 120_000  # calibration subsample size (per year) for large scales


@dataclass
class YearDetection:
    year: int
    person: np.ndarray  # int32 person index per person-year
    rec_combo: np.ndarray  # recorded combo (COMBOS index)
    minor: np.ndarray  # bool, minor on 1 July
    detected: np.ndarray  # bool (n, 5), ORGS order
    params: DetectionParams
    expected_total: float


def _features(persons: Persons, idx: np.ndarray, minor: np.ndarray) -> np.ndarray:
    from traffickingmonitor.codes.api import EU_COUNTRIES

    combo = persons["combo"][idx]
    s, lab, c, _ = forms_flags(combo)
    nat = persons["nat"][idx]
    is_eu = np.array([n in EU_COUNTRIES and n != "NL" for n in NATIONALITIES])[nat]
    nl = nat == NATIONALITIES.index("NL")
    status = persons["status"][idx]
    cols = (
        s,
        lab,
        c,
        nl,
        is_eu,
        ~nl & ~is_eu,
        minor,
        persons["sex"][idx] == SEX_F,
        status == ST_ASYLUM,
        status == ST_UNDOC,
        persons["country"][idx] != 0,
    )
    return np.column_stack(cols).astype(np.float32)


def _systematic(rng: np.random.Generator, p: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Systematic PPS sample with inclusion probabilities ``p`` over a list sorted by cell."""
    n = len(p)
    if n == 0:
        return np.zeros(0, bool)
    key = (cell.astype(np.int64) << 32) | rng.integers(0, 1 << 32, n, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    c = np.cumsum(p[order])
    r = rng.random()
    k = np.floor(c + r)
    prev = np.concatenate(([np.floor(r)], k[:-1]))
    out = np.zeros(n, bool)
    out[order] = k > prev
    return out


def simulate_year(
    rng: np.random.Generator,
    persons: Persons,
    idx: np.ndarray,
    year: int,
    targets: YearTargets,
    unit_effect: np.ndarray,
    muni_unit: np.ndarray,
) -> YearDetection:
    n = len(idx)
    minor = minor_on(persons["birth"][idx], day(year, 7, 1))
    # recorded combo: the true combo, or "unknown" for a share of person-years
    u_share = targets.combos[COMBO_U] / targets.total
    rec_combo = persons["combo"][idx].copy()
    rec_combo[rng.random(n) < u_share] = COMBO_U
    natcat = NAT_CATEGORY[persons["nat"][idx]]
    sex2 = (persons["sex"][idx] != SEX_F).astype(np.int8)
    minor_i = minor.astype(np.int8)

    x = _features(persons, idx, minor)
    beta = np.array([BETA[o] for o in ORGS], dtype=np.float32).T  # (features, orgs)
    sigma = np.array([SIGMA[o] for o in ORGS], dtype=np.float32)
    sigma_ref = np.array([SIGMA_REFERRAL[o] for o in ORGS], dtype=np.float32)
    base = x @ beta + persons["z"][idx][:, None] * sigma[None, :]
    base += persons["z_ref"][idx][:, None] * sigma_ref[None, :]
    # police unit of the place of exploitation, else of residence, else none
    muni = persons["expl_muni"][idx]
    muni = np.where(muni >= 0, muni, persons["res_muni"][idx])
    police_eff = np.where(muni >= 0, unit_effect[muni_unit[np.maximum(muni, 0)]], 0.0)
    base[:, ORGS.index("police")] += police_eff.astype(np.float32)
    base = base.astype(np.float64)

    if n > CAL_MAX:
        sub = np.sort(rng.choice(n, CAL_MAX, replace=False))
        weight = n / CAL_MAX
    else:
        sub = slice(None)
        weight = 1.0
    params = solve_detection(
        base[sub], rec_combo[sub], natcat[sub], sex2[sub], minor_i[sub], targets, weight=weight
    )
    p = detection_probabilities(base, params.a, params.offsets(rec_combo, natcat, sex2, minor_i))
    q = 1.0 - np.prod(1.0 - p, axis=1)

    cell = ((rec_combo.astype(np.int32) * len(NAT_CATEGORIES) + natcat) * 2 + sex2) * 2 + minor_i
    detected = np.zeros((n, len(ORGS)), bool)
    for j in range(len(MAIN_ORGS)):
        detected[:, j] = _systematic(rng, p[:, j], cell)
    main = detected[:, : len(MAIN_ORGS)].any(axis=1)

    # "other": among persons already detected, its calibrated probability; among the others,
    # rescaled per recorded combo so that the union per combo meets its expectation.
    jo = ORGS.index("other")
    po = p[:, jo]
    n_c = len(COMBOS)
    expected_union = np.bincount(rec_combo, weights=q, minlength=n_c)
    realised_main = np.bincount(rec_combo[main], minlength=n_c)
    expected_other_only = np.bincount(rec_combo[~main], weights=po[~main], minlength=n_c)
    want = np.maximum(expected_union - realised_main, 0.0)
    ratio = np.where(expected_other_only > 0, want / np.maximum(expected_other_only, 1e-12), 0.0)
    p_fill = np.minimum(po * ratio[rec_combo], P_CAP)
    other = np.zeros(n, bool)
    other[main] = _systematic(rng, po[main], cell[main])
    other[~main] = _systematic(rng, p_fill[~main], cell[~main])
    detected[:, jo] = other
    return YearDetection(
        year=year,
        person=idx.astype(np.int32),
        rec_combo=rec_combo,
        minor=minor,
        detected=detected,
        params=params,
        expected_total=float(q.sum()),
    )


def continuing(rng: np.random.Generator, det: YearDetection) -> np.ndarray:
    """Persons of this year who are still victims next year."""
    registered = det.detected.any(axis=1)
    p = np.where(registered, CONTINUE_IF_REGISTERED, CONTINUE_IF_NOT)
    return det.person[rng.random(len(p)) < p]
