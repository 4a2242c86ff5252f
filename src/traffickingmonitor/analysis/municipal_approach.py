"""Municipal approach monitor: criteria, a transparent score and the basic level per year.

Score
    Every criterion a municipality answered counts ``yes`` = 1, ``partly`` = ½, ``no`` = 0; the
    score is the mean over the answered criteria times 100 (0-100). A municipality-year with
    fewer than :data:`MIN_ANSWERED` of the nine criteria answered gets no score (a score from
    three answers would not be comparable with one from nine).
Basic level
    The CCV basic level asks for active signalling, a contact officer who knows the powers and
    where victims can go, and supporting policy and local regulation. A municipality meets it in
    a year when :data:`BASIC_LEVEL` are all ``yes``; it does not when one of them is ``no`` or
    ``partly``; otherwise (an element unknown) it is unknown.

The assessments are the municipalities' own statements about their organisation, not about
persons, so these tables carry no counts for disclosure control.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.codes import api as codes

POINTS = {"yes": 1.0, "partly": 0.5, "no": 0.0}
MIN_ANSWERED = 7
BASIC_LEVEL = ("contact_officer", "active_signalling", "policy_document", "local_regulation")
NATIONAL = "NL"


def criteria() -> list[str]:
    return list(codes.ASSESSMENT_CRITERION.order())


def municipality_status(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per municipality (all 342) and year: criteria, answered, score, basic_level."""
    crit = criteria()
    years = sorted(int(y) for y in assessments["year"].unique())
    wide = assessments.pivot_table(
        index=["year", "municipality"], columns="criterion", values="value", aggfunc="first"
    )
    index = pd.MultiIndex.from_product(
        [years, sorted(codes.municipality_codes())], names=["year", "municipality"]
    )
    wide = wide.reindex(index=index, columns=crit).fillna(codes.UNKNOWN)
    points = wide.apply(lambda col: col.map(POINTS))
    answered = points.notna().sum(axis=1)
    score = (100 * points.mean(axis=1)).where(answered >= MIN_ANSWERED).round(1)
    basic = wide[list(BASIC_LEVEL)]
    level = np.where(
        (basic == "yes").all(axis=1),
        "yes",
        np.where(basic.isin(["no", "partly"]).any(axis=1), "no", codes.UNKNOWN),
    )
    out = wide.reset_index()
    out["answered"] = answered.to_numpy()
    out["score"] = score.to_numpy()
    out["basic_level"] = level
    return out


def shares(status: pd.DataFrame) -> pd.DataFrame:
    """Per year, area (NL and each province) and criterion (and the basic level): municipalities
    answering yes / partly / no / unknown."""
    province = codes.municipalities().set_index("code")["province_code"]
    long = status.melt(
        id_vars=["year", "municipality"],
        value_vars=[*criteria(), "basic_level"],
        var_name="criterion",
        value_name="value",
    )
    long["province"] = long["municipality"].map(province)
    parts = []
    for area, frame in [(NATIONAL, long), *long.groupby("province")]:
        counts = pd.crosstab([frame["year"], frame["criterion"]], frame["value"])
        counts = counts.reindex(columns=["yes", "partly", "no", codes.UNKNOWN], fill_value=0)
        counts = counts.reset_index()
        counts.insert(1, "area", area)
        parts.append(counts)
    out = pd.concat(parts, ignore_index=True)
    out.columns.name = None
    out["municipalities"] = out[["yes", "partly", "no", codes.UNKNOWN]].sum(axis=1)
    return out[
        ["year", "area", "criterion", "yes", "partly", "no", codes.UNKNOWN, "municipalities"]
    ]


def changes(status: pd.DataFrame) -> pd.DataFrame:
    """Score and basic level of every municipality in the last two years, and the direction."""
    years = sorted(status["year"].unique())
    if len(years) < 2:
        return pd.DataFrame(columns=["municipality", "from_year", "to_year"])
    before = status[status["year"] == years[-2]].set_index("municipality")
    after = status[status["year"] == years[-1]].set_index("municipality")
    out = pd.DataFrame(
        {
            "from_year": int(years[-2]),
            "to_year": int(years[-1]),
            "score_from": before["score"],
            "score_to": after["score"],
            "basic_from": before["basic_level"],
            "basic_to": after["basic_level"],
        }
    )
    known = (out["basic_from"] != codes.UNKNOWN) & (out["basic_to"] != codes.UNKNOWN)
    out["direction"] = "same"
    out.loc[known & (out["basic_from"] == "no") & (out["basic_to"] == "yes"), "direction"] = "up"
    out.loc[known & (out["basic_from"] == "yes") & (out["basic_to"] == "no"), "direction"] = "down"
    return out.reset_index()


def approach_tables(assessments: pd.DataFrame) -> list[MonitorTable]:
    if assessments.empty:
        return []
    assessments = assessments.assign(year=assessments["year"].astype(int))
    status = municipality_status(assessments)
    # the three tables share the note on the score
    common = dict(counts=(), unit="municipalities", margin_of="")
    return [
        MonitorTable(
            "approach_municipality",
            frame=status,
            dimensions=("year", "municipality"),
            **common,
            **table_words("approach_municipality", note="approach.note", min_answered=MIN_ANSWERED),
        ),
        MonitorTable(
            "approach_shares",
            frame=shares(status),
            dimensions=("year", "area", "criterion"),
            **common,
            **table_words("approach_shares", note="approach.note", min_answered=MIN_ANSWERED),
        ),
        MonitorTable(
            "approach_changes",
            frame=changes(status),
            dimensions=("municipality",),
            **common,
            **table_words("approach_changes", note="approach.note", min_answered=MIN_ANSWERED),
        ),
    ]
