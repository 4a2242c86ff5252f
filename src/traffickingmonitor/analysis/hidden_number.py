"""The hidden number of an edition: multiple systems estimation on the reporting organisations.

The lists are the reporting organisations; a person-year is "on" a list when that
organisation reported the person that year. Victims differ a lot in how visible they are
by group (a Dutch girl in a loverboy case is seen by other organisations than a Ukrainian
farm worker), so the estimate is made per victim group and summed: heterogeneity between
groups is then absorbed by the strata rather than biasing a single model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.codes import api as codes

#: A list with fewer persons than this in a year is merged into "other" for that year: its
#: overlaps with the other lists within a victim group would be a handful of people, and an
#: interaction fitted on a handful of people swings the estimate by thousands.
MIN_LIST_PERSONS = 50
#: Victim groups in the order that assigns one group to a person-year with several forms
#: (the strata must not overlap, or a person would be estimated twice).
PRIMARY_ORDER = ("criminal", "labour", "domestic_sexual", "crossborder_sexual")
ALL = "all"


@dataclass(frozen=True)
class HiddenNumberSettings:
    method: str = "stepwise"
    ci: str = "bca"
    n_boot: int = 1000
    seed: int = 20240101
    min_list_persons: int = MIN_LIST_PERSONS
    n_jobs: int | None = None

    def __post_init__(self):
        from traffickingmonitor.analysis.mse.api import CI_METHODS, METHODS

        if self.method not in METHODS or self.method == "fixed":
            raise ValueError(f"method must be one of stepwise, bic, aic, main, not {self.method!r}")
        if self.ci not in CI_METHODS:
            raise ValueError(f"ci must be one of {', '.join(CI_METHODS)}, not {self.ci!r}")
        if self.n_boot < 0 or self.min_list_persons < 0:
            raise ValueError("n_boot and min_list_persons must not be negative")

    @classmethod
    def from_config(cls, config: dict | None) -> HiddenNumberSettings:
        """From a run configuration: its ``hidden_number`` section."""
        from traffickingmonitor.config import read_section

        return read_section(cls, "hidden_number", dict((config or {}).get("hidden_number") or {}))

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class HiddenNumber:
    tables: list[MonitorTable]
    notes: dict = field(default_factory=dict)


def primary_group(groups: list[str]) -> str:
    for g in PRIMARY_ORDER:
        if g in groups:
            return g
    return "other_unknown"


def list_frame(person_years: pd.DataFrame) -> pd.DataFrame:
    """One row per person-year: year, primary victim group, and a 0/1 column per organisation."""
    frame = pd.DataFrame(
        {
            "year": person_years["year"].astype(int),
            "victim_group": person_years["victim_groups"].map(primary_group),
        }
    )
    for org in codes.REPORTING_ORG.order():
        frame[org] = person_years["orgs"].map(lambda orgs, o=org: int(o in orgs)).astype(int)
    return frame


def merge_small_lists(
    year_frame: pd.DataFrame, minimum: int
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Fold lists with fewer than ``minimum`` persons into ``other``; return frame, lists, merged."""
    orgs = codes.REPORTING_ORG.order()
    sizes = year_frame[orgs].sum()
    merged = [o for o in orgs if o != "other" and sizes[o] < minimum]
    frame = year_frame.copy()
    if merged:
        frame["other"] = frame[["other", *merged]].max(axis=1)
        frame = frame.drop(columns=merged)
    lists = [o for o in orgs if o not in merged]
    if frame["other"].sum() == 0:
        frame = frame.drop(columns="other")
        lists.remove("other")
    return frame, lists, merged


def estimate_hidden_number(
    frame: pd.DataFrame, settings: HiddenNumberSettings | None = None
) -> HiddenNumber:
    """Per year: an estimate per victim group, their sum, and a sensitivity table.

    ``frame`` is :func:`list_frame` output (or the same built from ground truth in tests).
    """
    from traffickingmonitor.analysis.mse.api import estimate_population, estimate_stratified
    from traffickingmonitor.analysis.mse.table import NotEstimableError, TableError

    s = settings or HiddenNumberSettings()
    rows, sensitivity, notes = [], [], {"settings": s.to_dict(), "years": {}}
    for year, year_frame in frame.groupby("year", sort=True):
        data, lists, merged = merge_small_lists(year_frame, s.min_list_persons)
        year_notes = {"lists": lists, "merged_into_other": merged, "warnings": []}
        notes["years"][int(year)] = year_notes
        if len(lists) < 2:
            year_notes["warnings"].append("fewer than two lists: no estimate")
            continue
        strat = estimate_stratified(
            data,
            ["victim_group"],
            lists,
            method=s.method,
            ci=s.ci,
            n_boot=s.n_boot,
            seed=s.seed + int(year),
            n_jobs=s.n_jobs,
            # The exhaustive top-models search per stratum costs a third of the time and is
            # not published; the sensitivity table below comes from the year-level fit.
            diagnostics=False,
        )
        year_notes["warnings"].extend(strat.warnings)
        for r in strat.strata.itertuples():
            result = strat.results.get((r.victim_group,))
            rows.append(
                {
                    "year": int(year),
                    "victim_group": r.victim_group,
                    "observed": int(r.observed),
                    "estimate": _float(r.estimate),
                    "ci_low": _float(getattr(r, "ci_low", np.nan)),
                    "ci_high": _float(getattr(r, "ci_high", np.nan)),
                    "ci_method": result.intervals[0].method if result else "",
                    "model": ", ".join(result.model) if result else "",
                    "status": r.status,
                }
            )
        total = strat.total
        rows.append(
            {
                "year": int(year),
                "victim_group": ALL,
                "observed": int(total["observed"]),
                "estimate": _float(total["estimate"]),
                "ci_low": _float(total["ci_low"]),
                "ci_high": _float(total["ci_high"]),
                "ci_method": total.get("ci_method") or "",
                "model": "",
                "status": "estimated" if total["complete"] else "incomplete",
            }
        )
        table = data[lists].value_counts().rename("count").reset_index()
        try:
            single = estimate_population(table, method=s.method, ci="conditional", diagnostics=True)
        except (NotEstimableError, TableError) as exc:
            year_notes["warnings"].append(f"unstratified estimate: {exc}")
            continue
        year_notes["fit"] = fit_notes(single)
        for row in single.diagnostics.get("sensitivity", []):
            if "error" in row:
                continue
            sensitivity.append(
                {
                    "year": int(year),
                    "method": row["method"],
                    "observed": int(single.observed),
                    "estimate": _float(row["estimate"]),
                    "ci_low": _float(row["ci_low"]),
                    "ci_high": _float(row["ci_high"]),
                    "model": ", ".join(row["model"]),
                }
            )
    return HiddenNumber(_tables(rows, sensitivity), notes)


def fit_notes(result) -> dict:
    """The year-level model against its table, for the analysts' workspace: per capture pattern
    (lists joined by ``+``) the observed and the fitted count.

    Kept in the edition's notes (never published as is): the workspace protects the observed
    counts (with each list's size and the total) before it shows any.
    """
    f = result.fitted
    return {
        "lists": list(result.lists),
        "model": list(result.model),
        "patterns": [
            [str(p), int(o), float(m)]
            for p, o, m in zip(f["pattern"], f["observed"], f["fitted"], strict=True)
        ],
    }


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


_ESTIMATE_COLUMNS = ("estimate", "ci_low", "ci_high")


def _tables(rows: list[dict], sensitivity: list[dict]) -> list[MonitorTable]:
    columns = [
        "year",
        "victim_group",
        "observed",
        *_ESTIMATE_COLUMNS,
        "ci_method",
        "model",
        "status",
    ]
    main = MonitorTable(
        "hidden_number",
        frame=pd.DataFrame(rows, columns=columns),
        dimensions=("year", "victim_group"),
        counts=("observed",),
        estimates=_ESTIMATE_COLUMNS,
        **table_words("hidden_number"),
    )
    sens_columns = ["year", "method", "observed", *_ESTIMATE_COLUMNS, "model"]
    sens = MonitorTable(
        "hidden_number_sensitivity",
        frame=pd.DataFrame(sensitivity, columns=sens_columns),
        dimensions=("year", "method"),
        counts=("observed",),
        estimates=_ESTIMATE_COLUMNS,
        **table_words("hidden_number_sensitivity"),
    )
    return [main, sens]
