"""Need versus effort per police unit: estimated victims against registrations, care and approach.

Method (allocation, not a regional estimate)
    Multiple systems estimates per police unit are too unstable (a few hundred person-years per
    unit over five lists, several groups not estimable), so the national estimate of each year
    and victim group (:mod:`traffickingmonitor.analysis.hidden_number`) is *allocated* to the
    police units: the group's hidden part (estimate minus registered) goes to the units in
    proportion to the unit's registered persons of that group and year. The assumption is that,
    within a victim group, the share of victims who are registered is the same in every unit;
    differences between units therefore come from their mix of victim groups (a unit with many
    cross-border or labour victims, who are rarely seen, gets a larger hidden part). Persons
    without a Dutch municipality form the row ``unknown``, which is not ranked.
Uncertainty
    A parametric bootstrap of :data:`N_DRAWS` replicates: the hidden part of each year and group
    is drawn log-normally with the spread of its 95% interval (the mean of its two
    sides on the log scale), and the units' shares are drawn
    from a Dirichlet distribution on the registered counts (+½), so both the national estimate
    and the allocation are uncertain. The 2.5 and 97.5 percentiles give the intervals of the
    estimate, the gap and the rank.
Gap and rank
    Gap: estimated minus registered persons, per year on average over the edition's years. Units
    are ranked by the gap per 100,000 inhabitants (population on the reference date), largest
    first; the rank interval says how sure that place is.
Effort
    Care starts: registered persons of the unit with a care start (events linked to their
    registration) in the year of registration. Approach: mean approach score and share of
    municipalities meeting the basic level in the latest assessment year (unweighted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.hidden_number import ALL, primary_group
from traffickingmonitor.analysis.local_figures import edition_hashes
from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.codes import api as codes

N_DRAWS = 2000
SEED = 20240108
Z = 1.959963984540054
LEVEL = "police_unit"


def _hidden_draws(row, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draws of the hidden part (estimate minus registered) of one year and group."""
    dark = float(row.estimate) - float(row.observed)
    if not np.isfinite(dark) or dark <= 0:
        return np.zeros(n)
    spreads = []
    for bound, sign in ((row.ci_low, -1), (row.ci_high, 1)):
        d = float(bound) - float(row.observed) if bound is not None else np.nan
        if np.isfinite(d) and d > 0:
            spreads.append(sign * (np.log(d) - np.log(dark)) / Z)
    # the mean of the two sides: the largest would let one lopsided interval dominate the sum
    sd = float(np.mean(spreads)) if spreads else 0.0
    return dark * np.exp(rng.normal(0.0, max(sd, 0.0), n))


def allocate(
    person_years: pd.DataFrame,
    hidden: pd.DataFrame,
    n_draws: int = N_DRAWS,
    seed: int = SEED,
) -> pd.DataFrame:
    """Registered and estimated person-years per unit (pooled), with bootstrap intervals."""
    rng = np.random.default_rng(seed)
    units = [*sorted(codes.municipalities()[LEVEL].unique()), codes.UNKNOWN]
    py = pd.DataFrame(
        {
            "year": person_years["year"].astype(int),
            "group": person_years["victim_groups"].map(primary_group),
            "unit": person_years[LEVEL].where(person_years[LEVEL].isin(units), codes.UNKNOWN),
        }
    )
    registered = py.groupby("unit").size().reindex(units, fill_value=0).to_numpy(float)
    point = np.zeros(len(units))
    draws = np.zeros((n_draws, len(units)))
    estimated = hidden[(hidden["victim_group"] != ALL) & (hidden["status"] == "estimated")]
    for row in estimated.itertuples():
        sub = py[(py["year"] == row.year) & (py["group"] == row.victim_group)]
        counts = sub.groupby("unit").size().reindex(units, fill_value=0).to_numpy(float)
        if counts.sum() == 0:
            continue
        dark = max(float(row.estimate) - float(row.observed), 0.0)
        point += dark * counts / counts.sum()
        shares = rng.dirichlet(counts + 0.5, n_draws)
        draws += _hidden_draws(row, rng, n_draws)[:, None] * shares
    n_years = py["year"].nunique()
    population = codes.municipalities().groupby(LEVEL)["population"].sum()
    pop = population.reindex(units).to_numpy(float)
    ranked = np.array([u != codes.UNKNOWN for u in units])
    rate_draws = draws[:, ranked] / n_years / pop[ranked] * 1e5
    ranks = (-rate_draws).argsort(axis=1).argsort(axis=1) + 1
    rate_point = point[ranked] / n_years / pop[ranked] * 1e5
    out = pd.DataFrame(
        {
            LEVEL: units,
            "registered": registered.astype(int),
            "estimate": (registered + point) / n_years,
            "ci_low": (registered + np.percentile(draws, 2.5, axis=0)) / n_years,
            "ci_high": (registered + np.percentile(draws, 97.5, axis=0)) / n_years,
            "gap": point / n_years,
            "gap_low": np.percentile(draws, 2.5, axis=0) / n_years,
            "gap_high": np.percentile(draws, 97.5, axis=0) / n_years,
            "population": population.reindex(units).fillna(0).astype(int).to_numpy(),
        }
    )
    out["rank"] = np.nan
    out.loc[ranked, "rank"] = (-rate_point).argsort().argsort() + 1
    out.loc[ranked, "rank_low"] = np.percentile(ranks, 2.5, axis=0, method="lower")
    out.loc[ranked, "rank_high"] = np.percentile(ranks, 97.5, axis=0, method="higher")
    out["years"] = n_years
    return out


def care_starts(person_years: pd.DataFrame, care: pd.DataFrame) -> pd.Series:
    """Per unit: registered person-years with a care start in the year of registration."""
    if care.empty:
        return pd.Series(dtype=int)
    key = care.assign(year=pd.to_datetime(care["event_date"]).dt.year)[["person_id", "year"]]
    key = key.drop_duplicates()
    hit = person_years[["person_id", "year", LEVEL]].merge(key, on=["person_id", "year"])
    return hit.groupby(LEVEL).size()


def care_events(con, edition_id: str, file_hashes=()) -> pd.DataFrame:
    """Care starts (``person_id``, ``event_date``) of the edition's persons, linked through
    the registration id (``file_hashes`` as in ``local_figures.edition_rows``).

    Only those rows and columns leave the store: the events with their tokens, as one frame,
    took 1.5 GiB at a million registrations, the peak of the whole run.
    """
    return con.execute(
        "SELECT p.person_id, e.event_date FROM events e "
        "JOIN edition_persons p ON p.registration_id = e.registration_id "
        "WHERE p.edition_id = $e AND e.event_type = 'care_start' "
        "AND list_contains($h, e.file_hash)",
        {"e": edition_id, "h": edition_hashes(con, edition_id, file_hashes)},
    ).df()


def approach_by_unit(status: pd.DataFrame | None) -> pd.DataFrame:
    if status is None or status.empty:
        return pd.DataFrame(columns=["approach_score", "basic_level_share", "approach_year"])
    last = status[status["year"] == status["year"].max()]
    unit = last["municipality"].map(codes.municipalities().set_index("code")[LEVEL])
    known = last["basic_level"] != codes.UNKNOWN
    frame = pd.DataFrame(
        {
            "unit": unit,
            "score": last["score"],
            "meets": (last["basic_level"] == "yes").where(known),
        }
    )
    out = frame.groupby("unit").agg(approach_score=("score", "mean"), basic=("meets", "mean"))
    out["basic_level_share"] = (100 * out.pop("basic")).round(0)
    out["approach_score"] = out["approach_score"].round(0)
    out["approach_year"] = int(last["year"].iloc[0])
    return out


def need_effort_table(
    person_years: pd.DataFrame,
    hidden: MonitorTable | None,
    care: pd.DataFrame,
    status: pd.DataFrame | None,
    n_draws: int = N_DRAWS,
    seed: int = SEED,
) -> MonitorTable | None:
    if hidden is None or hidden.frame.empty:
        return None
    frame = allocate(person_years, hidden.frame, n_draws, seed)
    starts = care_starts(person_years, care)
    frame.insert(2, "care_starts", frame[LEVEL].map(starts).fillna(0).astype(int))
    approach = approach_by_unit(status)
    frame = frame.join(approach, on=LEVEL)
    return MonitorTable(
        "need_effort",
        frame=frame,
        dimensions=(LEVEL,),
        counts=("registered", "care_starts"),
        estimates=("estimate", "ci_low", "ci_high", "gap", "gap_low", "gap_high"),
        **table_words("need_effort"),
        margin_of="",
        # one number, one cell: the registered person-years of a unit are the local figures'
        # persons by place, all years together (the same base, persons.PLACE)
        extra={
            "same_cells": [
                {"column": "registered", "table": "local_police_unit", "as_column": "place"}
            ]
        },
    )
