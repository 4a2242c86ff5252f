"""Detection of latent victims by the reporting organisations, year by year.

Each organisation o detects person-year i on its own with probability
``p_io = 1 - exp(-lambda_io)``; the log hazard is the organisation's intercept, its preferences
(:data:`BETA`: large effects of the victim group - police: sexual and criminal exploitation,
Dutch victims of sexual exploitation; KMar: cross-border cases; labour inspectorate: labour
exploitation; care and other: everything a bit - and small effects of characteristics that vary
within a group, each moving a single organisation), a police-unit effect for the police and the
calibration offsets of :mod:`calibration`. Given these, the organisations' own detections are
independent: there is no visibility frailty shared by the lists. The lists become dependent
through direct referrals (:data:`calibration.ROUTES`): a person registered by the source is
registered by the target too with the route's probability (drawn after the source). That is a
two-way interaction between two lists, which the monitor's multiple systems estimate (log-linear
models per victim group) can represent; :func:`heterogeneity_dependence` measures how far the
remaining heterogeneity within the groups makes the own detections dependent (summary.json).

Given the probabilities, detection is drawn by systematic PPS sampling over a list sorted by
calibration cell (implicit stratification: each organisation's count per cell is its
expectation to within one). "Other" is drawn after the four main organisations and fills, per
recorded exploitation-form combination, the difference between the expected union and the
union realised by the four main organisations (a variance reduction, not a bias: in expectation
its probabilities are the calibrated ones); the referrals from "other" come last. The published
totals therefore hold for any seed.
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
    ROUTE_INDEX,
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

#: The strata of the monitor's hidden-number estimate (primary victim group of a person-year,
#: priority criminal > labour > sexual > other/unknown, on the recorded forms).
STRATA = ("criminal", "labour", "domestic_sexual", "crossborder_sexual", "other_unknown")

#: Characteristics of a person-year that enter the detection hazards: the victim group (an
#: indicator per group; other/unknown is the reference) and characteristics that vary within
#: a group. The group is the recorded one: a person-year whose form is recorded as unknown
#: (decided before detection, see ``simulate_year``) is an unclear case, found the way
#: other/unknown cases are, whatever the true form.
FEATURES = (
    "criminal",
    "labour",
    "domestic_sexual",
    "crossborder_sexual",
    "nl",
    "eu",
    "non_eu",
    "minor",
    "female",
    "asylum",
    "undocumented",
    "abroad",
)
#: Log-hazard preferences per organisation (missing = 0). The victim-group effects are large:
#: organisations look in different places. Within a group, each characteristic moves one
#: organisation's hazard only (or, for the small KMar and labour inspectorate lists, two
#: small ones), so that within a victim group the organisations find victims almost
#: independently of each other (see ``heterogeneity_dependence``): what makes the lists
#: dependent are the hand-overs and referrals of ``calibration.ROUTES``.
BETA: dict[str, dict[str, float]] = {
    # sexual and criminal exploitation; Dutch victims of sexual exploitation (loverboy cases)
    "police": {"criminal": 0.9, "labour": -0.4, "domestic_sexual": 1.0, "crossborder_sexual": 0.6},
    # the border: foreign victims, exploitation abroad, undocumented travellers
    "kmar": {
        "criminal": -1.0,
        "domestic_sexual": -2.0,
        "crossborder_sexual": 0.3,
        "labour": 0.2,
        "nl": -1.5,
        "non_eu": 0.5,
        "abroad": 1.0,
        "undocumented": 0.3,
    },
    # workplace inspections: labour exploitation of adults, EU workers
    "labour_inspectorate": {
        "criminal": -0.3,
        "labour": 2.5,
        "domestic_sexual": -3.0,
        "crossborder_sexual": -2.0,
        "eu": 0.4,
        "minor": -1.0,
    },
    # care coordinators and shelters: minors, women
    "care": {
        "criminal": 0.2,
        "labour": -0.2,
        "domestic_sexual": 0.4,
        "crossborder_sexual": 0.4,
        "minor": 0.5,
        "female": 0.3,
    },
    # IND and COA (asylum seekers), municipalities and youth care (Dutch victims), NGOs
    "other": {"criminal": 0.2, "labour": 0.5, "domestic_sexual": 0.8, "asylum": 0.6},
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
    routed: np.ndarray  # bool (n, 5): registered by the organisation through a route only
    params: DetectionParams
    expected_total: float
    group: np.ndarray  # monitor's primary victim group (STRATA index), from the recording
    heterogeneity: dict  # heterogeneity_dependence of the own detection probabilities


def _features(
    persons: Persons, idx: np.ndarray, minor: np.ndarray, group: np.ndarray
) -> np.ndarray:
    from traffickingmonitor.codes.api import EU_COUNTRIES

    nat = persons["nat"][idx]
    is_eu = np.array([n in EU_COUNTRIES and n != "NL" for n in NATIONALITIES])[nat]
    nl = nat == NATIONALITIES.index("NL")
    status = persons["status"][idx]
    cols = (
        group == STRATA.index("criminal"),
        group == STRATA.index("labour"),
        group == STRATA.index("domestic_sexual"),
        group == STRATA.index("crossborder_sexual"),
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


def beta_matrix() -> np.ndarray:
    """(features, orgs) coefficients of :data:`BETA`."""
    for org, coef in BETA.items():
        unknown = set(coef) - set(FEATURES)
        if org not in ORGS or unknown:
            raise ValueError(f"BETA[{org!r}]: unknown organisation or feature(s) {unknown}")
    return np.array([[BETA[o].get(f, 0.0) for o in ORGS] for f in FEATURES], dtype=np.float32)


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

    group = monitor_group(rec_combo, persons["nat"][idx])
    base = _features(persons, idx, minor, group) @ beta_matrix()
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
    # hand-overs and referrals: among the persons the source registered and the target did
    # not find itself, the target registers a share ``prob`` (systematic, so the target's
    # count stays at its expectation)
    routed = np.zeros((n, len(ORGS)), bool)
    jo = ORGS.index("other")
    _route(rng, detected, routed, cell, [r for r in ROUTE_INDEX if r[0] != jo])

    # "other": among persons already detected, its calibrated probability; among the others,
    # rescaled per recorded combo so that the union per combo meets its expectation.
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
    _route(rng, detected, routed, cell, [r for r in ROUTE_INDEX if r[0] == jo])
    return YearDetection(
        year=year,
        person=idx.astype(np.int32),
        rec_combo=rec_combo,
        minor=minor,
        detected=detected,
        routed=routed,
        params=params,
        expected_total=float(q.sum()),
        group=group,
        heterogeneity=heterogeneity_dependence(p, group),
    )


def _route(rng, detected, routed, cell, routes) -> None:
    for src, tgt, prob in routes:
        eligible = np.flatnonzero(detected[:, src] & ~detected[:, tgt])
        take = eligible[_systematic(rng, np.full(len(eligible), prob), cell[eligible])]
        detected[take, tgt] = True
        routed[take, tgt] = True


def monitor_group(rec_combo: np.ndarray, nat: np.ndarray) -> np.ndarray:
    """The monitor's primary victim group of each person-year (:data:`STRATA` index), from
    the recorded forms, as the hidden-number estimate stratifies."""
    s, lab, c, _ = forms_flags(rec_combo)  # "unknown" (7) is in none of the forms
    nl = nat == NATIONALITIES.index("NL")
    g = np.full(len(rec_combo), STRATA.index("other_unknown"), np.int8)
    g[s & ~nl] = STRATA.index("crossborder_sexual")
    g[s & nl] = STRATA.index("domestic_sexual")
    g[lab] = STRATA.index("labour")
    g[c] = STRATA.index("criminal")
    return g


def heterogeneity_dependence(p: np.ndarray, group: np.ndarray) -> dict[str, list[list[float]]]:
    """Per victim group: E[p_a p_b] / (E[p_a] E[p_b]) for every pair of organisations' own
    detection probabilities. 1 means the organisations find a group's victims independently;
    above 1, residual heterogeneity within the group makes them positively dependent (and a
    multiple systems estimate stratified by group too low), below 1 negatively dependent."""
    out = {}
    for k, name in enumerate(STRATA):
        pk = p[group == k]
        if len(pk) == 0:
            continue
        m = pk.mean(axis=0)
        joint = pk.T @ pk / len(pk)
        ratio = joint / np.maximum(np.outer(m, m), 1e-300)
        np.fill_diagonal(ratio, 1.0)
        out[name] = ratio.round(4).tolist()
    return out


def continuing(rng: np.random.Generator, det: YearDetection) -> np.ndarray:
    """Persons of this year who are still victims next year."""
    registered = det.detected.any(axis=1)
    p = np.where(registered, CONTINUE_IF_REGISTERED, CONTINUE_IF_NOT)
    return det.person[rng.random(len(p)) < p]


MECHANISM = (
    "Each organisation finds a latent victim with probability 1 - exp(-hazard); the log hazard "
    "is the organisation's intercept, its preference for victim groups (large: police for "
    "sexual and criminal exploitation, the labour inspectorate for labour exploitation, KMar "
    "for cross-border cases), a few characteristics that vary within a group, each moving one "
    "organisation only (care: minors, women; other: asylum seekers; KMar: nationality, "
    "exploitation abroad, undocumented; labour inspectorate: EU workers, not minors), a "
    "police-unit effect (police only) and calibration offsets per recorded form combination, "
    "nationality category, sex and minor (shared by all organisations; the latent population "
    "is drawn so that these vary little within a victim group). There is no shared visibility "
    "frailty: within a victim group the organisations find victims independently, except for "
    "the referrals (routes): a person registered by the source is registered by the target "
    "too with the route's probability. A referral is a direct dependence between two lists, a "
    "two-way interaction of a log-linear model, so multiple systems estimation stratified by "
    "victim group can represent the lists."
)


def model_description(dets: list[YearDetection]) -> dict:
    """The detection model and its dependence structure, for summary.json."""
    from traffickingmonitor.synthetic.calibration import ROUTES

    def pairs(d: YearDetection) -> dict:
        out = {}
        for g, m in d.heterogeneity.items():
            out[g] = {
                f"{ORGS[a]}-{ORGS[b]}": m[a][b]
                for a in range(len(ORGS))
                for b in range(a + 1, len(ORGS))
            }
        return out

    return {
        "mechanism": MECHANISM,
        "routes": [
            {"source": r.source, "target": r.target, "probability": r.prob, "why": r.why}
            for r in ROUTES
        ],
        "preferences": {o: dict(BETA[o]) for o in ORGS},
        "police_unit_sd": POLICE_UNIT_SD,
        "routed_registrations": {
            str(d.year): {
                o: int(d.routed[:, j].sum()) for j, o in enumerate(ORGS) if d.routed[:, j].any()
            }
            for d in dets
        },
        "within_group_dependence": {
            "note": (
                "E[p_a p_b] / (E[p_a] E[p_b]) of the own detection probabilities of two "
                "organisations within a victim group (the monitor's strata; referrals not "
                "included): 1 = independent, above 1 positively dependent through residual "
                "heterogeneity. The visibility frailty shared by all lists in generator "
                "version 1 gave about 2"
            ),
            "per_year": {str(d.year): pairs(d) for d in dets},
        },
    }
