"""Re-victimisation: how many registered victims become a victim of a crime again.

The clock starts at a person's first registration (day 0). The event is the first later
victimisation (``day >= 1``: a victimisation on the day of registration is usually the one that
was reported); for an offence group, the first later victimisation of that group. Death and
emigration are competing events: after them no victimisation can be observed here, and they
are not censoring (a person who died is not "still at risk but unobserved"). The data cut-off
censors.

The cumulative incidence function (CIF) is the Aalen-Johansen estimator, from statsmodels'
``CumIncidenceRight``, with its delta-method standard error (Dinse and Larson's approximation,
as in Stata's ``stcompet``) and a log(-log) 95% interval (as scikit-survival and ``cmprsk``).
1 − Kaplan-Meier, which treats the competing events as censoring, is computed for the method
annex only: it estimates the risk in a world without death and emigration, so it overstates.

Published values: proportions are stored per 10,000 persons in ``estimates`` columns, so that the
disclosure rule's rounding to tens publishes them to one decimal of a percentage point, and a
proportion is hidden wherever a count in its row (at risk, events) is hidden. A
horizon that nobody was followed up to has no estimate (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

from traffickingmonitor.analysis import members
from traffickingmonitor.analysis.cohort import GROUP_BY, Cohort, horizon_days
from traffickingmonitor.analysis.tables import MonitorTable, table_words, words
from traffickingmonitor.codes import api as codes

HORIZONS = (1, 2, 5, 7)  # years
CURVE_MONTHS = tuple(range(0, 97, 3))  # the overall curve: a point every quarter, to 8 years
# The curves of offence groups and subgroups: every half year (fewer cells for disclosure
# control to protect; their smaller numbers change less from quarter to quarter anyway).
SUB_CURVE_MONTHS = tuple(range(0, 97, 6))
CURVE_MIN_COUNT = 10  # curve points between the horizons: counts 0 or at least this
PER = 10_000  # proportions are stored per 10,000 persons
OUTCOMES = ("any", *codes.OFFENCE_GROUP.order())
CURVE_GROUP_BY = ("victim_group", "minor", "age_group")  # drawn as curves
Z95 = float(stats.norm.isf(0.025))


def month_days(month: int) -> int:
    return horizon_days(month / 12)


# --- the estimator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen-Johansen estimate of one cause, evaluated on demand.

    ``times`` are the distinct observed times (days); ``cif`` and ``se`` the estimate and its
    standard error just after each time. ``time`` and ``status`` are the data (0 censored,
    1 the event, 2 a competing event).
    """

    times: np.ndarray
    cif: np.ndarray
    se: np.ndarray
    time: np.ndarray
    status: np.ndarray

    def at(self, day: float) -> dict:
        """Estimate, 95% interval, numbers at risk and events at ``day``.

        ``at_risk`` counts the persons still followed and event-free at the start of ``day``;
        with nobody at risk the estimate would be an extrapolation and is NaN.
        """
        at_risk = int((self.time >= day).sum())
        events = int(((self.status == 1) & (self.time <= day)).sum())
        competing = int(((self.status == 2) & (self.time <= day)).sum())
        out = {"persons": len(self.time), "at_risk": at_risk, "events": events}
        out["competing"] = competing
        if at_risk == 0 and day > 0:
            return {**out, "cif": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        i = np.searchsorted(self.times, day, side="right") - 1
        if i < 0:
            return {**out, "cif": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0}
        cif, se = float(self.cif[i]), float(self.se[i])
        low, high = loglog_interval(cif, se)
        return {**out, "cif": cif, "se": se, "ci_low": low, "ci_high": high}


def loglog_interval(cif: float, se: float, z: float = Z95) -> tuple[float, float]:
    """95% interval on the log(-log) scale: stays inside (0, 1), as in scikit-survival.

    Without events (cif 0) the interval is [0, 0]; a nan standard error gives no interval.
    """
    if cif <= 0:
        return 0.0, 0.0
    if not np.isfinite(se):
        return np.nan, np.nan
    if cif >= 1 or se <= np.finfo(float).eps:
        return cif, cif
    log_p = np.log(cif)
    theta = z * se / (cif * log_p)  # negative: log_p < 0
    return float(np.exp(np.exp(-theta) * log_p)), float(np.exp(np.exp(theta) * log_p))


def aalen_johansen(time: np.ndarray, status: np.ndarray) -> CumulativeIncidence:
    """Cumulative incidence of cause 1 with competing cause 2 (status 0 = censored).

    Parameters
    ----------
    time
        Days from the origin to the event, the competing event or censoring (> 0).
    status
        0 censored, 1 the event of interest, 2 a competing event.
    """
    from statsmodels.duration.survfunc import CumIncidenceRight

    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=np.int64)
    if len(time) == 0:
        empty = np.zeros(0)
        return CumulativeIncidence(empty, empty, empty, time, status)
    if not (status > 0).any():
        times = np.unique(time)
        zeros = np.zeros(len(times))
        return CumulativeIncidence(times, zeros, zeros, time, status)
    # statsmodels divides by n - d at each time; when the last persons at risk all have an
    # event that is 0/0: the variance is then undefined from there on (handled below).
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = CumIncidenceRight(time, status)
    if (status == 1).any():
        cif = np.asarray(fit.cinc[0], float)
        se = np.asarray(fit.cinc_se[0], float)
    else:
        cif = np.zeros(len(fit.times))
        se = np.zeros(len(fit.times))
    se = np.where(np.isfinite(se), se, np.nan)
    return CumulativeIncidence(np.asarray(fit.times, float), cif, se, time, status)


def one_minus_km(time: np.ndarray, status: np.ndarray, days) -> np.ndarray:
    """1 − Kaplan-Meier at each of ``days``, treating competing events (status 2) as censoring.

    For the method annex only: it answers "what if nobody died or emigrated", and overstates
    the share of persons who actually became a victim again. NaN where nobody is at risk.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    time = np.asarray(time, float)
    days = np.asarray(days, float)
    event = (np.asarray(status) == 1).astype(float)
    out = np.zeros(len(days))
    if event.any():
        fit = SurvfuncRight(time, event)
        i = np.searchsorted(fit.surv_times, days, side="right") - 1
        out = np.where(i < 0, 0.0, 1.0 - fit.surv_prob[np.maximum(i, 0)])
    at_risk = (time[None, :] >= days[:, None]).sum(axis=1) if len(time) else np.zeros(len(days))
    return np.where((at_risk == 0) & (days > 0), np.nan, out)


def time_status(event_day: np.ndarray, exit_day: np.ndarray, follow: np.ndarray):
    """Observed time and status per person from the first event day, exit day and follow-up.

    An event and a competing event on the same day count as the event (it was observed);
    both win over censoring on the same day.
    """
    big = np.inf
    ev = np.where(np.isnan(event_day), big, event_day)
    ex = np.where(np.isnan(exit_day), big, exit_day)
    fu = np.asarray(follow, dtype=float)
    time = np.minimum(np.minimum(ev, ex), fu)
    status = np.where(ev <= time, 1, np.where(ex <= time, 2, 0))
    return time, status


# --- tables -----------------------------------------------------------------------------------


def _outcome_arrays(cohort: Cohort) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    exit_day = cohort.exit_day()
    follow = cohort.persons["follow_days"].to_numpy(dtype=float)
    out = {}
    for outcome in OUTCOMES:
        group = None if outcome == "any" else outcome
        first = cohort.first_day(("victimisation",), offence_group=group)
        out[outcome] = time_status(first, exit_day, follow)
    return out


def _who(who: members.Who, ids, time, status, day: float, row: int, competing=False) -> None:
    """The persons behind a row's counts at ``day``, as :meth:`CumulativeIncidence.at`
    counts them: at risk, with the event, with a competing event by then."""
    if not who.on:
        return
    who.add(ids[time >= day], row, "at_risk")
    who.add(ids[(status == 1) & (time <= day)], row, "events")
    if competing:
        who.add(ids[(status == 2) & (time <= day)], row, "competing")


def _follow_up(exits: tuple[str, ...]) -> dict:
    """What a reader knows of a curve's rows (``analysis.tables.KNOWLEDGE``): at risk at a
    month are those still followed and event-free, and an event counts from its month on."""
    return {"time": "month", "at_risk": "at_risk", "exits": list(exits)}


def _scaled(row: dict) -> dict:
    return {
        "cif_per_10000": row["cif"] * PER,
        "ci_low_per_10000": row["ci_low"] * PER,
        "ci_high_per_10000": row["ci_high"] * PER,
    }


def _row(fit: CumulativeIncidence, month: int) -> dict:
    r = fit.at(month_days(month))
    return {
        "at_risk": r["at_risk"],
        "events": r["events"],
        "competing": r["competing"],
        "cif_per_10000": r["cif"] * PER,
        "ci_low_per_10000": r["ci_low"] * PER,
        "ci_high_per_10000": r["ci_high"] * PER,
    }


ESTIMATES = ("cif_per_10000", "ci_low_per_10000", "ci_high_per_10000")


def _drawable(row: dict, min_count: int) -> bool:
    """Whether a curve point between the horizons is worth a row: every count in it is 0 or at
    least ``min_count`` (a point with fewer is never drawn; as a row it would only give
    disclosure control cells to hide)."""
    counts = [row["at_risk"], row["events"], row.get("competing", 0)]
    return row["at_risk"] >= min_count and all(c == 0 or c >= min_count for c in counts)


def revictimisation_tables(
    cohort: Cohort,
    horizons: tuple[int, ...] = HORIZONS,
    cox: bool = True,
    min_count: int = CURVE_MIN_COUNT,
    with_members: bool = True,
) -> list[MonitorTable]:
    """The re-victimisation tables of an edition (before disclosure control).

    One table per breakdown, so that disclosure control sees how they add up:

    ``revictimisation`` (``offence_group`` × ``month``): the whole cohort, for any offence and
    each offence group, every quarter up to eight years (the horizons are months 12, 24, 60,
    84); with ``competing`` events and 1 − Kaplan-Meier (``km_per_10000``, offence ``any``
    only) for the method annex. Its row for month 0 (offence ``any``) holds the cohort size.
    ``revictimisation_<characteristic>``: any offence, by one characteristic, every quarter
    for the characteristics drawn as curves, else at month 0 (group size) and the horizons;
    their rows add up to the overall rows (victim groups overlap).
    ``revictimisation_cox``: cause-specific hazard ratios.

    Month 0 and the horizons are always there; a curve point between them only when its
    counts are 0 or at least ``min_count`` (the default disclosure threshold): smaller ones
    could not be drawn anyway. ``with_members``: each table keeps the persons behind its
    counts (``members``).
    """
    arrays = _outcome_arrays(cohort)
    ids = cohort.persons["person_id"].astype(str).to_numpy()
    who = members.Who(with_members)
    fixed = {0, *(round(12 * h) for h in horizons)}
    horizon_months = [round(12 * h) for h in horizons]
    months = sorted(set(CURVE_MONTHS) | set(horizon_months))
    sub_months = sorted(set(SUB_CURVE_MONTHS) | set(horizon_months))
    overall = []
    for outcome in OUTCOMES:
        time, status = arrays[outcome]
        fit = aalen_johansen(time, status)
        # month 0 only once: it is the cohort size, the same for every outcome
        own = months if outcome == "any" else [m for m in sub_months if m > 0]
        km = (
            one_minus_km(time, status, [month_days(m) for m in own])
            if outcome == "any"
            else np.full(len(own), np.nan)
        )
        for m, km_m in zip(own, km, strict=True):
            r = _row(fit, m)
            if m in fixed or _drawable(r, min_count):
                _who(who, ids, time, status, month_days(m), len(overall), competing=True)
                overall.append(
                    {"offence_group": outcome, "month": m, **r, "km_per_10000": km_m * PER}
                )
    tables = [
        MonitorTable(
            "revictimisation",
            frame=pd.DataFrame(overall),
            dimensions=("offence_group", "month"),
            counts=("at_risk", "events", "competing"),
            estimates=(*ESTIMATES, "km_per_10000"),
            overlapping=True,
            **table_words("revictimisation", also=[words("revictimisation.columns")]),
            extra={
                "per": PER,
                "horizons": list(horizons),
                "horizon_months": horizon_months,
                "follow_up": _follow_up(("events", "competing")),
            },
            margin_of="",
            members=who.frame(),
        )
    ]
    time, status = arrays["any"]
    # A breakdown's rows at a month add up to the overall row of that month, so a month is
    # kept for every group or for none: the months the overall curve keeps.
    kept = {r["month"] for r in overall if r["offence_group"] == "any"}
    for by in GROUP_BY:
        own = [m for m in sub_months if m in kept] if by in CURVE_GROUP_BY else sorted(fixed)
        rows, who = [], members.Who(with_members)
        for group, mask in cohort.groups(by):
            if not mask.any():
                continue
            fit = aalen_johansen(time[mask], status[mask])
            for m in own:
                r = _row(fit, m)
                del r["competing"]
                _who(who, ids[mask], time[mask], status[mask], month_days(m), len(rows))
                rows.append({by: group, "offence_group": "any", "month": m, **r})
        if not rows:
            continue
        tables.append(
            MonitorTable(
                f"revictimisation_{by}",
                frame=pd.DataFrame(rows),
                dimensions=(by, "offence_group", "month"),
                counts=("at_risk", "events"),
                estimates=ESTIMATES,
                overlapping=by == "victim_group",
                **table_words(
                    "revictimisation_by",
                    note="revictimisation.note",
                    also=[words("revictimisation.overlap")] if by == "victim_group" else [],
                    by=words(f"by.{by}"),
                ),
                extra={
                    "per": PER,
                    "horizon_months": horizon_months,
                    "follow_up": _follow_up(("events",)),
                },
                margin_of="revictimisation",
                members=who.frame(),
            )
        )
    if cox:
        tables.append(cox_table(cohort, time, status, with_members))
    return tables


# --- cause-specific Cox -----------------------------------------------------------------------

# Reference levels: the largest or most natural category, so hazard ratios read "compared with".
COX_COVARIATES = {
    "minor": "adult",
    "sex": "female",
    "nationality_group": "NL",
    "residence_status": "nl_citizen",
}
COX_MIN_PERSONS = 20  # a level with fewer persons joins the reference (too little to estimate)
# Two covariates at least this associated (Cramér's V) are not put in one model: the one listed
# later in COX_COVARIATES gets a model of its own, without the other. For two yes/no covariates Cramér's V is the absolute
# correlation, and from |r| = 0.7 on collinearity starts to distort a regression's estimates
# severely (Dormann et al. 2013, Ecography 36: 27-46, a review of simulations); half of the
# variation of the one is then in the other, and their two hazard ratios cannot be read apart.
COX_COLLINEAR_V = 0.7
#: a fit is at the maximum when every component of its score is at most this per event
COX_SCORE_TOL = 1e-6
HR_PER = 1000  # hazard ratios are stored ×1000, published to two decimals


def _model_levels(values: pd.Series, ref: str) -> list[str]:
    """The levels of a covariate the model estimates (besides ``ref``): those with at least
    ``COX_MIN_PERSONS`` persons, and at least as many outside them."""
    levels = []
    for level in sorted(values.unique()):
        n = int((values == level).sum())
        # too few to estimate, or (nearly) everyone: no reference to compare with
        if level != ref and COX_MIN_PERSONS <= n <= len(values) - COX_MIN_PERSONS:
            levels.append(level)
    return levels


def collinear(cohort: Cohort) -> list[dict]:
    """The covariates of ``COX_COVARIATES`` not put in the Cox model beside one listed before
    them that they nearly are: Cramér's V of the two at least ``COX_COLLINEAR_V``.

    Measured on the levels the model uses, not the raw categories: a level too small to
    estimate joins the reference there and here, so a handful of persons in a rare category
    (who could make a table of raw categories look more or less associated) weighs as it does
    in the model. The outcome plays no part (a level without events, left out of the fit
    later, still counts as its own level): which covariates are in the model is a property of
    the covariates. Covariates are taken in their order; one is set apart because of the
    first covariate kept before it that it is that close to. Victim groups are not measured: a
    person can be in several, each is a yes/no of its own.

    Returns
    -------
    list of dict
        ``{"covariate", "because_of", "cramers_v"}`` per covariate set apart, V rounded to two
        decimals (it is written so); empty when every covariate is in one model.
    """
    p = cohort.persons
    model = {}
    for var, ref in COX_COVARIATES.items():
        values = p[var].astype(str)
        levels = _model_levels(values, ref)
        if levels:  # only the reference: the covariate is not in the model anyway
            model[var] = values.where(values.isin(levels), ref)
    kept, apart = [], []
    for var, values in model.items():
        for other in kept:
            table = pd.crosstab(model[other], values).to_numpy()
            v = float(association(table, method="cramer"))
            if v >= COX_COLLINEAR_V:
                apart.append({"covariate": var, "because_of": other, "cramers_v": round(v, 2)})
                break
        else:
            kept.append(var)
    return apart


def _design(cohort: Cohort) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    p = cohort.persons
    columns, labels = {}, []
    for var, ref in COX_COVARIATES.items():
        values = p[var].astype(str)
        for level in _model_levels(values, ref):
            name = f"{var}={level}"
            columns[name] = (values == level).to_numpy(float)
            labels.append((name, var, level))
    for g in codes.VICTIM_GROUP.order():
        x = p["victim_groups"].map(lambda v, g=g: g in v).to_numpy(float)
        if COX_MIN_PERSONS <= x.sum() <= len(x) - COX_MIN_PERSONS:
            name = f"victim_group={g}"
            columns[name] = x
            labels.append((name, "victim_group", g))
    return pd.DataFrame(columns), labels


_LOG_MAX = float(np.log(np.finfo(float).max))


def _fit(time: np.ndarray, event: np.ndarray, x: pd.DataFrame) -> tuple[dict, dict]:
    """Log hazard ratios and their standard errors per column of ``x`` (empty where there is
    no model: too few events, no convergence)."""
    from traffickingmonitor.analysis.cox import efron_fit

    if not len(x.columns) or event.sum() <= len(x.columns):
        return {}, {}
    # A level without events has no finite estimate: leave it out of the model.
    x = x[[c for c in x.columns if event[x[c].to_numpy() > 0].sum() > 0]]
    try:
        fit = efron_fit(time, event, x.to_numpy())
    except (np.linalg.LinAlgError, ValueError):
        return {}, {}
    # whether the partial likelihood is at its maximum is judged by its score; a model that
    # is not gives no hazard ratios (an outcome, not a message)
    if not np.isfinite(fit.score).all() or np.max(np.abs(fit.score)) > COX_SCORE_TOL * event.sum():
        return {}, {}
    return dict(zip(x.columns, fit.params, strict=True)), dict(zip(x.columns, fit.bse, strict=True))


def cox_table(
    cohort: Cohort, time: np.ndarray, status: np.ndarray, with_members: bool = True
) -> MonitorTable:
    """Cause-specific Cox model of the first re-victimisation (any offence group).

    Cause-specific: competing events (death, emigration) end follow-up as censoring, so the
    hazard ratios compare the rate of re-victimisation among those still alive and in the
    country. Efron's method for ties (many events share a day). A level whose persons have
    no event, or a model that does not converge, gives no hazard ratio.

    A covariate nearly the same as one before it (:func:`collinear`) is not put in the model
    beside it: two such hazard ratios side by side would each mean little. Its hazard ratios
    come from a model of its own, with every other covariate but the one it nearly is, so
    its rows (and their counts) stay; ``extra["own_model"]`` says which and why.
    """
    event = (status == 1).astype(float)
    own = collinear(cohort)
    apart = frozenset(d["covariate"] for d in own)
    x, labels = _design(cohort)
    params, bse = _fit(time, event, x[[n for n, var, _ in labels if var not in apart]])
    for d in own:
        names = [n for n, var, _ in labels if var == d["covariate"]]
        without = (apart - {d["covariate"]}) | {d["because_of"]}
        own_params, own_bse = _fit(
            time, event, x[[n for n, var, _ in labels if var not in without]]
        )
        params.update({n: own_params[n] for n in names if n in own_params})
        bse.update({n: own_bse[n] for n in names if n in own_bse})
    rows = []
    p = cohort.persons
    ids = p["person_id"].astype(str).to_numpy()
    who = members.Who(with_members)
    for name, var, level in labels:
        if var == "victim_group":
            member = p["victim_groups"].map(lambda v, g=level: g in v).to_numpy()
        else:
            member = (p[var].astype(str) == level).to_numpy()
        beta, se = params.get(name), bse.get(name)
        # an interval wider than a float holds (a level with one or two events) says nothing
        ok = (
            beta is not None
            and se is not None
            and np.isfinite(beta)
            and np.isfinite(se)
            and abs(beta) + Z95 * se < _LOG_MAX
        )
        who.add(ids[member & (event > 0)], len(rows), "events")
        rows.append(
            {
                "covariate": var,
                "level": level,
                "reference": COX_COVARIATES.get(var, "not_" + level),
                "events": int(event[member].sum()),
                "hr_x1000": np.exp(beta) * HR_PER if ok else np.nan,
                "hr_ci_low_x1000": np.exp(beta - Z95 * se) * HR_PER if ok else np.nan,
                "hr_ci_high_x1000": np.exp(beta + Z95 * se) * HR_PER if ok else np.nan,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "covariate",
            "level",
            "reference",
            "events",
            "hr_x1000",
            "hr_ci_low_x1000",
            "hr_ci_high_x1000",
        ],
    )
    return MonitorTable(
        "revictimisation_cox",
        frame=frame,
        dimensions=("covariate", "level", "reference"),
        counts=("events",),
        estimates=("hr_x1000", "hr_ci_low_x1000", "hr_ci_high_x1000"),
        overlapping=True,
        **table_words(
            "revictimisation_cox",
            also=[
                words(
                    "revictimisation_cox.own_model",
                    # the sentence begins with the covariate's name
                    covariate={
                        lang: name.capitalize()
                        for lang, name in words(f"by.{d['covariate']}").items()
                    },
                    because_of=words(f"by.{d['because_of']}"),
                )
                for d in own
            ],
        ),
        # which covariates have a model of their own and why (words and a measure, no
        # counts: nothing here is a cell for disclosure control)
        extra={
            "per": HR_PER,
            "own_model": own,
            "collinear_at": COX_COLLINEAR_V,
            "long_form": {"dimension": "covariate", "value": "level"},
        },
        margin_of="",
        members=who.frame(),
    )
