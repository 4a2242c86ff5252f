"""Later events of registered victims: re-victimisation, suspicion, care, permits, death, exit.

Re-victimisation model (shared frailty with a cure fraction). Each registered person belongs to
a latent risk class: *high* (probability ``expit(a_high + covariates)``: minors, criminal
exploitation, Dutch and young adults higher), *low* (a share ``expit(a_low)`` of the rest) or
*none* (the cure fraction). Within a class the seven offence groups are independent Poisson
processes with rate ``r_g`` (high) or ``LOW_MULTIPLIER * r_g`` (low), from the first
registration until death or emigration (competing events with constant hazards; emigration more
likely for non-Dutch victims) or the end of the simulated horizon. The nine parameters
(a_high, a_low, r_g) are solved deterministically (least squares on the exact expected shares,
integrated over the registered persons' covariates) so that 45% have a new victimisation within
five years and 50% within seven, with the published five-year shares per offence group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traffickingmonitor.codes import api as codes
from traffickingmonitor.synthetic.population import (
    ST_ASYLUM,
    ST_UNDOC,
    age_on,
)

YEAR = 365.25
OFFENCE_GROUPS: tuple[str, ...] = (
    "property",
    "violence",
    "threat",
    "sexual",
    "human_trafficking",
    "drugs",
    "other",
)
# Five-year shares with at least one victimisation per offence group (published for the first
# four; threat, drugs and other are assumptions).
TARGET_5Y = {
    "property": 0.33,
    "violence": 0.25,
    "threat": 0.15,
    "sexual": 0.08,
    "human_trafficking": 0.08,
    "drugs": 0.02,
    "other": 0.10,
}
TARGET_ANY = {5: 0.45, 7: 0.50}
LOW_MULTIPLIER = 0.08
HORIZON_YEARS = 8  # simulate at least this long after the first registration

EVENT_TYPES: tuple[str, ...] = tuple(codes.EVENT_TYPE.order())  # the data standard's
EV_VICTIM, EV_SUSPECT, EV_CARE, EV_SHELTER, EV_PERMIT, EV_DEATH, EV_EMIGRATION = range(7)
SOURCES: tuple[str, ...] = ("police", "care", "ind", "brp", "cbs")
RISK_CLASSES: tuple[str, ...] = ("high", "low", "none")

# Suspect events: yearly rates per offence group for (criminal exploitation and under 23,
# criminal exploitation, others), multiplied by a risk-class factor.
SUSPECT_RATES = {
    "drugs": (0.20, 0.06, 0.008),
    "property": (0.08, 0.06, 0.015),
    "violence": (0.04, 0.03, 0.010),
    "threat": (0.01, 0.01, 0.005),
    "other": (0.01, 0.01, 0.005),
}
SUSPECT_CLASS_FACTOR = (2.0, 0.8, 0.4)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class EventParams:
    a_high: float
    a_low: float
    rates: dict[str, float]
    fitted: dict[str, float]


@dataclass
class Events:
    person: np.ndarray  # int32 person index
    date: np.ndarray  # int32
    type: np.ndarray  # int8 EVENT_TYPES index
    offence: np.ndarray  # int8 OFFENCE_GROUPS index or -1
    source: np.ndarray  # int8 SOURCES index
    risk_class: np.ndarray  # per registered person (aligned with the input persons)
    b8_date: np.ndarray  # per registered person: residence_permit date or -1
    shelter_date: np.ndarray  # per registered person: first shelter admission or -1
    params: EventParams

    def __len__(self) -> int:
        return len(self.person)


def _hazards(age0, nl, eu, status):
    death = np.where(age0 < 30, 0.002, np.where(age0 < 50, 0.004, 0.012))
    emig = np.select(
        [nl, eu, status == ST_ASYLUM, status == ST_UNDOC],
        [0.006, 0.08, 0.05, 0.10],
        default=0.03,
    )
    return death, emig


def _risk_offset(minor0, criminal, nl, young):
    return 0.5 * minor0 + 0.4 * criminal + 0.3 * nl + 0.2 * young


def solve(h: np.ndarray, off: np.ndarray) -> EventParams:
    """Solve (a_high, a_low, r_g) for the targets over persons with hazards h, offsets off."""
    from scipy.optimize import least_squares

    key = np.round(h, 6) * 1e3 + np.round(off, 3)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    hh, oo, ww = h[first], off[first], counts / counts.sum()
    tg = np.array([TARGET_5Y[g] for g in OFFENCE_GROUPS])

    def shares(theta, t):
        a_h, a_l = theta[0], theta[1]
        r = np.exp(theta[2:])
        p_high = _expit(a_h + oo)
        p_low = (1 - p_high) * _expit(a_l)
        any_, grp = 0.0, np.zeros(len(r))
        for p_cls, mult in ((p_high, 1.0), (p_low, LOW_MULTIPLIER)):
            rr = r[:, None] * mult  # (groups, 1)
            big = r.sum() * mult
            a = big / (big + hh) * (1 - np.exp(-(big + hh) * t))
            g = rr / (rr + hh[None, :]) * (1 - np.exp(-(rr + hh[None, :]) * t))
            any_ += np.sum(ww * p_cls * a)
            grp += (g * (ww * p_cls)[None, :]).sum(axis=1)
        return any_, grp

    def resid(theta):
        a5, g5 = shares(theta, 5.0)
        a7, _ = shares(theta, 7.0)
        return np.r_[a5 - TARGET_ANY[5], a7 - TARGET_ANY[7], g5 - tg] * 100

    x0 = np.r_[-1.2, 0.3, np.log(tg * 0.5)]
    sol = least_squares(resid, x0, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    a5, g5 = shares(sol.x, 5.0)
    a7, _ = shares(sol.x, 7.0)
    fitted = {"any_5y": float(a5), "any_7y": float(a7)}
    fitted.update({f"{g}_5y": float(v) for g, v in zip(OFFENCE_GROUPS, g5, strict=True)})
    return EventParams(
        a_high=float(sol.x[0]),
        a_low=float(sol.x[1]),
        rates={g: float(v) for g, v in zip(OFFENCE_GROUPS, np.exp(sol.x[2:]), strict=True)},
        fitted=fitted,
    )


def _poisson_times(rng, rate, length, t0):
    """Homogeneous Poisson events on (t0, t0 + length] (days); returns (owner, day)."""
    n = rng.poisson(rate * length / YEAR)
    owner = np.repeat(np.arange(len(rate)), n)
    when = t0[owner] + np.ceil(rng.random(len(owner)) * length[owner]).astype(np.int64)
    return owner, when


def simulate(
    rng: np.random.Generator,
    t0: np.ndarray,
    birth: np.ndarray,
    sex_female: np.ndarray,
    nationality_nl: np.ndarray,
    nationality_eu: np.ndarray,
    status: np.ndarray,
    criminal: np.ndarray,
    has_bsn: np.ndarray,
    cutoff: int,
) -> Events:
    """Events for registered persons (arrays aligned: one row per person)."""
    n = len(t0)
    age0 = age_on(birth, t0)
    minor0 = age0 < 18
    young = (age0 >= 18) & (age0 < 23)
    death, emig = _hazards(age0, nationality_nl, nationality_eu, status)
    h = death + emig
    off = _risk_offset(minor0, criminal, nationality_nl, young)
    params = solve(h, off)

    # risk class
    p_high = _expit(params.a_high + off)
    u = rng.random(n)
    risk = np.where(u < p_high, 0, np.where(rng.random(n) < _expit(params.a_low), 1, 2))
    mult = np.array([1.0, LOW_MULTIPLIER, 0.0])[risk]

    # competing events and the horizon
    t_removal = rng.exponential(1.0 / h) * YEAR
    end = np.maximum(t0 + int(HORIZON_YEARS * YEAR), cutoff)
    removed = t0 + np.ceil(t_removal) < end
    stop = np.where(removed, t0 + np.ceil(t_removal).astype(np.int64), end)
    length = (stop - t0).astype(np.float64)
    is_death = rng.random(n) < death / h

    persons, dates, types, offences, sources = [], [], [], [], []

    def add(owner, when, etype, offence, source):
        persons.append(owner.astype(np.int32))
        dates.append(when.astype(np.int64))
        types.append(np.full(len(owner), etype, np.int8))
        offences.append(np.broadcast_to(np.int8(offence), len(owner)).astype(np.int8))
        sources.append(np.broadcast_to(np.asarray(source, np.int8), len(owner)).astype(np.int8))

    for gi, g in enumerate(OFFENCE_GROUPS):
        owner, when = _poisson_times(rng, params.rates[g] * mult, length, t0)
        add(owner, when, EV_VICTIM, gi, SOURCES.index("police"))

    crim_young = criminal & (age0 < 23)
    cls_factor = np.array(SUSPECT_CLASS_FACTOR)[risk]
    for g, (r_cy, r_c, r_o) in SUSPECT_RATES.items():
        rate = np.where(crim_young, r_cy, np.where(criminal, r_c, r_o)) * cls_factor
        owner, when = _poisson_times(rng, rate, length, t0)
        add(owner, when, EV_SUSPECT, OFFENCE_GROUPS.index(g), SOURCES.index("police"))

    undoc = status == ST_UNDOC
    # care
    p_care = np.where(undoc, 0.30, 0.60)
    sel = rng.random(n) < p_care
    when = t0 + 1 + np.floor(rng.exponential(45.0, n)).astype(np.int64)
    sel &= when <= stop
    add(np.flatnonzero(sel), when[sel], EV_CARE, -1, SOURCES.index("care"))
    # shelter
    p_sh = 0.22 + 0.10 * sex_female + 0.15 * minor0
    p_sh = np.where(undoc, 0.12, p_sh)
    sel = rng.random(n) < p_sh
    when = t0 + 1 + np.floor(rng.exponential(20.0, n)).astype(np.int64)
    sel &= when <= stop
    shelter_date = np.where(sel, when, -1)
    add(np.flatnonzero(sel), when[sel], EV_SHELTER, -1, SOURCES.index("care"))
    # residence permit (B8) for non-EU victims without a permit
    eligible = ~nationality_nl & ~nationality_eu & np.isin(status, (ST_ASYLUM, ST_UNDOC))
    sel = eligible & (rng.random(n) < 0.40)
    when = t0 + 30 + np.floor(rng.exponential(150.0, n)).astype(np.int64)
    sel &= when <= stop
    b8_date = np.where(sel, when, -1)
    add(np.flatnonzero(sel), when[sel], EV_PERMIT, -1, SOURCES.index("ind"))
    # death and emigration
    sel = removed & is_death
    src = np.where(has_bsn, SOURCES.index("brp"), SOURCES.index("cbs"))
    add(np.flatnonzero(sel), stop[sel], EV_DEATH, -1, src[sel])
    sel = removed & ~is_death
    add(np.flatnonzero(sel), stop[sel], EV_EMIGRATION, -1, src[sel])

    person = np.concatenate(persons)
    date = np.concatenate(dates)
    etype = np.concatenate(types)
    offence = np.concatenate(offences)
    source = np.concatenate(sources)
    order = np.lexsort((offence, etype, date, person))
    return Events(
        person=person[order],
        date=date[order].astype(np.int32),
        type=etype[order],
        offence=offence[order],
        source=source[order],
        risk_class=risk.astype(np.int8),
        b8_date=b8_date.astype(np.int32),
        shelter_date=shelter_date.astype(np.int32),
        params=params,
    )
