"""Programme results: the indicators of the national programme, with a status per year.

Two sources. Indicators reported by the programme (the ``programme_indicators`` input) come
with their baseline and target. Indicators computed from the monitor itself are filled in from
the edition: persons registered by care organisations (counts, protected like every count of
persons) and municipalities meeting the basic level of the municipal approach (from the
self-assessments). Shares of victims with care within 90 days and re-victimisation within five
years come from the cohort analyses when the edition has them (the report reads their tables).

Status of an indicator in a year (:func:`status`): the programme runs on a straight path from
the baseline (the year before its first value) to the target (in the last year of the
programme). ``target_met`` when the value has reached the target, ``on_track`` when it has
covered at least :data:`ON_TRACK` of the way the straight path has covered by that year,
``behind`` otherwise, ``no_data`` without a value and ``no_target`` without a target.
"""

from __future__ import annotations

import math

import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable, table_words

ON_TRACK = 0.9
#: Indicators the monitor computes: code -> (action line, unit, default target or None).
MONITOR_INDICATORS = {
    "care_registrations": (3, "count", None),
    "care_within_90_days": (3, "percent", None),
    "revictimisation_5y": (3, "percent", None),
    "municipalities_basic_level": (5, "percent", 100.0),
}


def status(value, baseline, target, year: int, baseline_year: int, target_year: int) -> str:
    """Status of one indicator value (see the module docstring)."""

    def missing(v) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    if missing(value):
        return "no_data"
    if missing(target) or missing(baseline) or target == baseline:
        return "no_target"
    up = target > baseline
    if (value >= target) if up else (value <= target):
        return "target_met"
    if target_year <= baseline_year:
        return "behind"
    path = min(1.0, max(0.0, (year - baseline_year) / (target_year - baseline_year)))
    done = (value - baseline) / (target - baseline)
    return "on_track" if done >= ON_TRACK * path else "behind"


def with_status(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``status`` to indicator rows (action_line, indicator, year, baseline, target, value)."""
    frame = frame.copy()
    frame["status"] = ""
    for _, rows in frame.groupby("indicator", sort=False):
        years = rows["year"].astype(int)
        base_year, target_year = int(years.min()) - 1, int(years.max())
        for i, r in rows.iterrows():
            frame.at[i, "status"] = status(
                r["value"], r["baseline"], r["target"], int(r["year"]), base_year, target_year
            )
    return frame


def indicator_table(indicators: pd.DataFrame) -> MonitorTable:
    frame = indicators[["action_line", "indicator", "unit", "year", "baseline", "target", "value"]]
    frame = frame.astype({"action_line": int, "year": int}).sort_values(
        ["action_line", "indicator", "year"]
    )
    return MonitorTable(
        "programme_indicators",
        frame=with_status(frame.reset_index(drop=True)),
        dimensions=("action_line", "indicator", "year"),
        counts=(),
        unit="indicator",
        **table_words("programme_indicators"),
        margin_of="",
    )


def care_registrations(person_years: pd.DataFrame) -> pd.DataFrame:
    """Per year: persons registered by a care organisation, and all registered persons."""
    by_care = person_years["orgs"].map(lambda orgs: "care" in orgs)
    frame = (
        pd.DataFrame({"year": person_years["year"].astype(int), "care": by_care.astype(int)})
        .groupby("year")
        .agg(numerator=("care", "sum"), denominator=("care", "size"))
        .reset_index()
    )
    frame.insert(0, "indicator", "care_registrations")
    frame.insert(0, "action_line", MONITOR_INDICATORS["care_registrations"][0])
    return frame


def basic_level(status_frame: pd.DataFrame) -> pd.DataFrame:
    """Per year: municipalities meeting the basic level, and municipalities with a known status."""
    known = status_frame[status_frame["basic_level"] != "unknown"]
    frame = (
        known.assign(meets=(known["basic_level"] == "yes").astype(int))
        .groupby("year")
        .agg(numerator=("meets", "sum"), denominator=("meets", "size"))
        .reset_index()
    )
    frame.insert(0, "indicator", "municipalities_basic_level")
    frame.insert(0, "action_line", MONITOR_INDICATORS["municipalities_basic_level"][0])
    return frame


def monitor_tables(
    person_years: pd.DataFrame, status_frame: pd.DataFrame | None
) -> list[MonitorTable]:
    tables = [
        MonitorTable(
            "programme_monitor",
            frame=care_registrations(person_years),
            dimensions=("action_line", "indicator", "year"),
            counts=("numerator", "denominator"),
            **table_words("programme_monitor"),
            margin_of="",
            # one number, one cell: these are monitor figures, protected as the monitor's
            extra={
                "same_cells": [
                    {
                        "column": "numerator",
                        "where": {"indicator": "care_registrations"},
                        "table": "reporting_org",
                        "as": {"reporting_org": "care"},
                        "as_column": "persons",
                    },
                    {
                        "column": "denominator",
                        "where": {"indicator": "care_registrations"},
                        "table": "totals",
                        "as": {},
                        "as_column": "persons",
                    },
                ]
            },
        )
    ]
    if status_frame is not None and not status_frame.empty:
        tables.append(
            MonitorTable(
                "programme_monitor_municipal",
                frame=basic_level(status_frame),
                dimensions=("action_line", "indicator", "year"),
                counts=(),
                unit="municipalities",
                **table_words("programme_monitor_municipal"),
                margin_of="",
            )
        )
    return tables
