"""Calibration targets of the synthetic edition and the raking solver for detection.

Two kinds of numbers live here:

* ``PUBLISHED``: aggregates published in the 2016-2020 victim monitor (and the UNODC/Rapporteur
  estimate of the hidden number). The synthetic registrations reproduce these.
* assumptions for the cells that were not published (for example the form split of 2017 or
  the reporting organisations of 2016). They are plausible, round numbers and are marked as
  such; change them freely, the generator re-solves itself.

For every registration year the targets are expressed as *expected unique registered persons*
per margin: per main reporting organisation (police, KMar, labour inspectorate, care), per
recorded exploitation-form combination, per nationality category, per sex and per minor. The
solver (:func:`solve_detection`) finds, deterministically, the per-organisation intercepts and
the per-category visibility offsets of the detection hazards so that the expected counts under
the model equal the targets (raking on expected values, not trial and error). The "other"
reporting organisation fills the rest: its intercept is solved so that the expected number of
persons detected by at least one organisation equals the published total.

An organisation's count includes the persons handed over or referred to it by another
organisation (:data:`ROUTES`); the solver accounts for them. Routes never change who is
registered at all (the person was already registered by the organisation that referred).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# Published aggregates (unique registered possible victims per year; Nationaal Rapporteur,
# Slachtoffermonitor mensenhandel 2016-2020).
PUBLISHED: dict = {
    "registered_persons": {2016: 952, 2017: 956, 2018: 668, 2019: 1334, 2020: 984},
    # persons counted under each recorded form; "unknown" = no sexual/labour/criminal recorded
    "forms_2019": {"sexual": 849, "labour": 424, "criminal": 196, "unknown": 61},
    # persons reported by each organisation (a person can be reported by several)
    "orgs_2019": {"police": 952, "care": 252, "labour_inspectorate": 46, "kmar": 10},
    "top_nationalities_2019": ["NG", "NL", "UG", "PL", "GM"],
    "female_share": 0.75,
    "minor_share_range": (0.10, 0.25),
    # re-victimisation of registered victims (share with >= 1 new victimisation)
    "revictimisation": {"any_5y": 0.45, "any_7y": 0.50},
    "revictimisation_5y_by_group": {
        "property": 0.33,
        "violence": 0.25,
        "human_trafficking": 0.08,
        "sexual": 0.08,
    },
    # UNODC / Rapporteur multiple systems estimate: about 5,000-7,500 victims a year
    "latent_range": (5000, 7500),
}

# ---------------------------------------------------------------------------------------------
# Recorded exploitation-form combinations (the calibration categories of the form margin).
COMBOS: tuple[tuple[str, ...], ...] = (
    ("sexual",),
    ("labour",),
    ("criminal",),
    ("sexual", "labour"),
    ("sexual", "criminal"),
    ("labour", "criminal"),
    ("other",),  # truly other (or organ removal)
    ("unknown",),  # recorded as unknown (whatever the true form)
)
COMBO_S, COMBO_L, COMBO_C, COMBO_SL, COMBO_SC, COMBO_LC, COMBO_O, COMBO_U = range(8)
N_TRUE_COMBOS = 7  # the latent (true) combos are 0..6; 7 only exists as a recording

# Nationality categories of the nationality margin; all other nationalities form "REST".
NAT_CATEGORIES: tuple[str, ...] = ("NL", "NG", "UG", "PL", "GM", "RO", "BG", "HU", "REST")

MAIN_ORGS: tuple[str, ...] = ("police", "kmar", "labour_inspectorate", "care")
ORGS: tuple[str, ...] = (*MAIN_ORGS, "other")

# 2019 combos, consistent with the published form split (849/424/196/61) and about 15% of
# persons with two forms: S 683, L 278, C 116, SL 116, SC 50, LC 30, other 24, unknown 37.
# Within a victim group (criminal: C, SC, LC; labour: L, SL; other/unknown: other, unknown)
# the split follows the latent population's, so that the combinations of one group need no
# different visibility offsets (which would be heterogeneity within the group that all
# organisations share).
_COMBOS_2019 = (683, 278, 116, 116, 50, 30, 24, 37)

# Shares for the years without a published form split (assumption; within a group as above).
_COMBO_SHARES = {
    2016: (0.620, 0.163, 0.067, 0.047, 0.027, 0.016, 0.017, 0.043),
    2017: (0.600, 0.174, 0.073, 0.056, 0.030, 0.017, 0.016, 0.034),
    2018: (0.550, 0.182, 0.090, 0.068, 0.038, 0.022, 0.018, 0.032),
    2020: (0.500, 0.209, 0.115, 0.071, 0.046, 0.029, 0.018, 0.012),
}

# Persons reported by the main organisations (2019 published; other years assumption).
_ORG_COUNTS = {
    2016: (560, 60, 65, 170),
    2017: (550, 45, 60, 180),
    2018: (360, 30, 50, 140),
    2019: (952, 10, 46, 252),
    2020: (600, 20, 50, 200),
}

# Nationality shares among registered persons (2019: order published, shares assumption).
_NAT_SHARES = {
    #        NL     NG     UG     PL     GM     RO     BG     HU     REST
    2016: (0.300, 0.080, 0.020, 0.060, 0.015, 0.060, 0.040, 0.040, 0.385),
    2017: (0.280, 0.120, 0.040, 0.060, 0.020, 0.050, 0.035, 0.030, 0.365),
    2018: (0.300, 0.150, 0.060, 0.050, 0.025, 0.040, 0.030, 0.025, 0.320),
    2019: (0.175, 0.210, 0.100, 0.058, 0.042, 0.025, 0.020, 0.018, 0.352),
    2020: (0.300, 0.100, 0.050, 0.070, 0.030, 0.050, 0.030, 0.020, 0.350),
}

_FEMALE_SHARE = {2016: 0.78, 2017: 0.77, 2018: 0.74, 2019: 0.75, 2020: 0.72}
_MINOR_SHARE = {2016: 0.15, 2017: 0.16, 2018: 0.20, 2019: 0.13, 2020: 0.18}

# Latent (true) victims per year, registered or not (assumption within the UNODC range).
_LATENT = {2016: 6300, 2017: 6500, 2018: 5800, 2019: 7400, 2020: 6400}


def _nearest_year(table: dict, year: int) -> int:
    """Years outside 2016-2020 borrow the profile of the nearest modelled year."""
    return year if year in table else min(table, key=lambda y: (abs(y - year), -y))


def _nearest(table: dict, year: int):
    return table[_nearest_year(table, year)]


@dataclass(frozen=True)
class YearTargets:
    year: int
    total: float  # unique registered persons
    latent: float  # latent victims
    orgs: np.ndarray  # persons per main organisation (MAIN_ORGS order)
    combos: np.ndarray  # persons per recorded combo (COMBOS order), sums to total
    nats: np.ndarray  # persons per nationality category, sums to total
    sex: np.ndarray  # (female, not female), sums to total
    minor: np.ndarray  # (adult, minor), sums to total


def year_targets(year: int, scale: float = 1.0) -> YearTargets:
    published = PUBLISHED["registered_persons"]
    total = float(published.get(year, 1000))
    if year == 2019:
        combos = np.asarray(_COMBOS_2019, dtype=float)
    else:
        combos = np.asarray(_nearest(_COMBO_SHARES, year), dtype=float) * total
    near = _nearest_year(_ORG_COUNTS, year)
    org_counts = np.asarray(_ORG_COUNTS[near], dtype=float) * (total / published[near])
    nats = np.asarray(_nearest(_NAT_SHARES, year), dtype=float)
    nats = nats / nats.sum() * total
    combos = combos / combos.sum() * total
    female = _nearest(_FEMALE_SHARE, year)
    minor = _nearest(_MINOR_SHARE, year)
    latent = float(_nearest(_LATENT, year)) * (total / published.get(year, total))
    return YearTargets(
        year=year,
        total=total * scale,
        latent=latent * scale,
        orgs=org_counts * scale,
        combos=combos * scale,
        nats=nats * scale,
        sex=np.array([female, 1.0 - female]) * total * scale,
        minor=np.array([1.0 - minor, minor]) * total * scale,
    )


# ---------------------------------------------------------------------------------------------
# Detection model: hazard of detection by organisation o of person-year i, on its own
#   lambda_io = exp(a_o + base_io + vc[combo_i] + vn[nat_i] + vs[sex_i] + vm[minor_i])
#   p_io = min(1 - exp(-lambda_io), P_CAP)
# base_io holds the organisation's preferences (features x coefficients) and, for the police,
# the police-unit effect; a_o and the v's are solved here. The own detections of the
# organisations are independent given the person's characteristics; on top of them come the
# hand-overs and referrals of ROUTES.
P_CAP = 0.97


@dataclass(frozen=True)
class Route:
    """A person registered by ``source`` is passed on to ``target``, which then registers the
    person too, with probability ``prob`` (if the target did not find the person itself)."""

    source: str
    target: str
    prob: float
    why: str


#: Hand-overs and referrals, applied in this order to the own detections. Each makes two
#: lists directly dependent (a person registered by the source is more likely to be registered
#: by the target), which a log-linear model with a two-way interaction represents exactly.
#: Referrals by the police (police -> care) or hand-overs by KMar (kmar -> police) would be as
#: realistic, but a dependence that involves the police, the list that carries almost all the
#: overlap, cannot be told apart from a smaller hidden population with lists of these sizes
#: (about 1 in 6 victims registered): stepwise selection mostly misses it, and the estimate
#: falls to 60-75% of the truth (police -> care, 12-25% referred) or about 90% (kmar ->
#: police, 30%; KMar is usually merged into "other"), as measured with
#: benchmarks/synthetic_mse_coverage.py on such variants. "Other" (COA, IND, municipalities,
#: NGOs) referring to care coordinators leaves the police-care and police-other overlaps to
#: identify the hidden number; the care:other interaction is selected in nearly every stratum
#: but the small other/unknown one.
ROUTES: tuple[Route, ...] = (
    Route(
        "other",
        "care",
        0.30,
        "COA, IND, municipalities and NGOs refer victims they identify to a care coordinator, "
        "who registers them in the care registration",
    ),
)


def _check_routes(routes: tuple[Route, ...]) -> None:
    """A route's source must be registered independently of everything its target's
    registration already depends on (else :func:`registered_probabilities` would be wrong).
    "Other" is drawn after the main organisations, so its routes come last and lead to no
    organisation that passes persons on."""
    depends: dict[str, set[str]] = {o: {o} for o in ORGS}
    sources = {r.source for r in routes}
    from_other = False
    for r in routes:
        if r.source not in ORGS or r.target not in MAIN_ORGS or not 0.0 <= r.prob <= 1.0:
            raise ValueError(f"bad route {r}")
        if depends[r.source] & depends[r.target]:
            raise ValueError(f"route {r.source}->{r.target}: the two are already dependent")
        if r.source == "other":
            from_other = True
            if r.target in sources:
                raise ValueError(f"route other->{r.target}: {r.target} passes persons on")
        elif from_other:
            raise ValueError(f"route {r.source}->{r.target}: must come before the routes of other")
        depends[r.target] |= depends[r.source]


_check_routes(ROUTES)
ROUTE_INDEX: tuple[tuple[int, int, float], ...] = tuple(
    (ORGS.index(r.source), ORGS.index(r.target), r.prob) for r in ROUTES
)


def registered_probabilities(p_own: np.ndarray, routes=ROUTE_INDEX) -> np.ndarray:
    """Probability that each organisation registers the person: own detection or a route."""
    p = p_own.copy()
    for src, tgt, prob in routes:
        p[:, tgt] = 1.0 - (1.0 - p[:, tgt]) * (1.0 - prob * p[:, src])
    return p


# Below this many expected registered persons a year (tiny --scale) the margins are met as
# well as the few latent persons allow; above it a failure to converge is an error.
MIN_TOTAL_EXACT = 200.0


@dataclass
class DetectionParams:
    a: np.ndarray  # per organisation (ORGS order)
    vc: np.ndarray
    vn: np.ndarray
    vs: np.ndarray
    vm: np.ndarray
    iterations: int
    max_rel_error: float

    def offsets(self, combo, nat, sex, minor) -> np.ndarray:
        return self.vc[combo] + self.vn[nat] + self.vs[sex] + self.vm[minor]


def detection_probabilities(base: np.ndarray, a: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """(n, n_orgs) detection probabilities from the linear predictors."""
    eta = base + a[None, :]
    eta += offset[:, None]
    np.minimum(eta, 5.0, out=eta)
    np.exp(eta, out=eta)
    np.negative(eta, out=eta)
    np.expm1(eta, out=eta)
    np.negative(eta, out=eta)
    return np.minimum(eta, P_CAP, out=eta)


def _union(p: np.ndarray) -> np.ndarray:
    return 1.0 - np.prod(1.0 - p, axis=1)


def solve_detection(
    base: np.ndarray,
    combo: np.ndarray,
    nat: np.ndarray,
    sex: np.ndarray,
    minor: np.ndarray,
    targets: YearTargets,
    weight: float = 1.0,
    max_iter: int = 2000,
    tol: float = 1e-5,
    routes: tuple[tuple[int, int, float], ...] = ROUTE_INDEX,
) -> DetectionParams:
    """Rake the detection model on expected counts until every margin is met.

    ``base`` is (n, 5) in ORGS order; ``weight`` expands a calibration subsample to the full
    latent population (each sampled person-year stands for ``weight`` person-years). The
    organisations' targets count everybody they register, referred persons included
    (``routes``, see :data:`ROUTES`); the union margins do not depend on the routes.
    """
    n_orgs = base.shape[1]
    a = np.full(n_orgs, -2.0)
    dims = (
        (combo, np.zeros(len(COMBOS)), targets.combos.copy()),
        (nat, np.zeros(len(NAT_CATEGORIES)), targets.nats.copy()),
        (sex, np.zeros(2), targets.sex.copy()),
        (minor, np.zeros(2), targets.minor.copy()),
    )
    for codes, _, tgt in dims:
        # tiny scales: a category without latent persons cannot be registered; its target
        # goes to the other categories of the margin
        present = np.bincount(codes, minlength=len(tgt)) > 0
        if np.any((tgt > 0) & ~present):
            total = tgt.sum()
            tgt[~present] = 0.0
            tgt *= total / tgt.sum()

    def offset() -> np.ndarray:
        return sum(v[c] for c, v, _ in dims)

    n_main = len(MAIN_ORGS)
    err = np.inf
    it = 0
    p = detection_probabilities(base, a, offset())
    for it in range(1, max_iter + 1):  # noqa: B007
        # 1. main organisations: intercepts from their expected counts; what reaches an
        # organisation by a route is taken as given, its own detections make up the rest
        own = p[:, :n_main].sum(axis=0) * weight
        routed = registered_probabilities(p, routes)[:, :n_main].sum(axis=0) * weight - own
        need = np.maximum(targets.orgs - routed, 0.05 * targets.orgs)
        a[:n_main] += np.log(need / np.maximum(own, 1e-12))
        np.clip(a, -40.0, 10.0, out=a)
        # 2. the union margins (shares; the level is set by "other")
        off = offset()
        q = _union(detection_probabilities(base, a, off))
        for codes, v, tgt in dims:
            e = np.bincount(codes, weights=q, minlength=len(tgt)) * weight
            share_t = tgt / tgt.sum()
            share_e = e / e.sum()
            mask = tgt > 0
            v[mask] += np.log(share_t[mask] / np.maximum(share_e[mask], 1e-12))
            shift = np.sum(v * share_t)
            v -= shift
            a += shift
            np.clip(v, -10.0, 10.0, out=v)  # only binds when a margin is unreachable
        off = offset()
        # 3. "other" fills the rest: its intercept for the expected total
        p = detection_probabilities(base, a, off)
        rest = np.prod(1.0 - p[:, :n_main], axis=1)
        a[n_main] = _solve_other(base[:, n_main] + off, rest, targets, weight, a[n_main])
        # convergence check on all margins
        p = detection_probabilities(base, a, off)
        q = _union(p)
        registered = registered_probabilities(p, routes)[:, :n_main].sum(axis=0) * weight
        errs = [np.abs(registered / targets.orgs - 1.0)]
        for codes, _, tgt in dims:
            e = np.bincount(codes, weights=q, minlength=len(tgt)) * weight
            mask = tgt > 0
            errs.append(np.abs(e[mask] / tgt[mask] - 1.0))
        err = float(max(np.max(x) for x in errs))
        if err < tol:
            break
    if err > 1e-3 and targets.total >= MIN_TOTAL_EXACT:
        raise RuntimeError(
            f"calibration {targets.year} did not converge (relative error {err:.2g}); the "
            "targets of the main organisations may leave no room for 'other'"
        )
    return DetectionParams(
        a=a,
        vc=dims[0][1],
        vn=dims[1][1],
        vs=dims[2][1],
        vm=dims[3][1],
        iterations=it,
        max_rel_error=err,
    )


def _solve_other(eta: np.ndarray, rest: np.ndarray, targets: YearTargets, weight: float, a0: float):
    """Intercept of "other" so that the expected union equals the total (safeguarded Newton)."""
    already = float(np.sum(1.0 - rest)) * weight
    lo, hi = -40.0, 10.0
    if already >= targets.total:  # transient while raking; a final failure is reported later
        return lo
    a = float(np.clip(a0, lo, hi))
    for _ in range(100):
        lam = np.exp(np.minimum(eta + a, 5.0))
        po = -np.expm1(-lam)
        capped = po >= P_CAP
        po = np.minimum(po, P_CAP)
        f = float(np.sum(rest * po)) * weight + already - targets.total
        if abs(f) < 1e-9 * targets.total:
            break
        if f > 0:
            hi = a
        else:
            lo = a
        deriv = float(np.sum(np.where(capped, 0.0, rest * (1.0 - po) * lam))) * weight
        step = a - f / deriv if deriv > 0 else np.nan
        a = step if lo < step < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            break
    return a
