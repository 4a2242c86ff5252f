"""Does the monitor's hidden-number estimate recover the generator's latent population?

With *perfect linkage* (the true person ids of ``truth/registration_person.csv`` instead of the
linkage's), the multiple systems estimate of
:func:`traffickingmonitor.analysis.hidden_number.estimate_hidden_number` should cover the true
number of victims of every year: the detection model (:mod:`detection`) is built so that,
within a victim group, the reporting organisations are independent apart from the referrals
of :data:`calibration.ROUTES`, which a log-linear model with two-way interactions represents.

Used by ``tests/synthetic/test_hidden_number.py`` and ``benchmarks/synthetic_mse_coverage.py``.
The person-years are built from the written files the way
:func:`traffickingmonitor.analysis.persons.person_years` builds them from the store (the
union of the recorded forms of a year, the most frequent known nationality), without the
intake and linkage stages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from traffickingmonitor.synthetic.calibration import ORGS


def _read(path: Path) -> pd.DataFrame:
    if path.with_suffix(".parquet").exists():
        return pd.read_parquet(path.with_suffix(".parquet")).fillna("")
    return pd.read_csv(path.with_suffix(".csv"), dtype=str, keep_default_na=False)


def person_years_from_truth(out_dir: str | Path) -> pd.DataFrame:
    """One row per true person and registration year: ``orgs``, ``forms``, ``nationality``,
    ``victim_groups`` (the columns :func:`hidden_number.list_frame` reads)."""
    from traffickingmonitor.analysis.persons import victim_groups

    out = Path(out_dir)
    cols = ["registration_id", "registered_on", "reporting_org", "nationality", "exploitation_form"]
    regs = pd.concat([_read(out / f"registrations_{o}")[cols] for o in ORGS], ignore_index=True)
    rp = _read(out / "truth" / "registration_person")
    regs = regs.merge(rp, on="registration_id", how="left", validate="one_to_one")
    if regs["person_id"].isna().any() or (regs["person_id"] == "").any():
        raise ValueError(f"{out}: registrations without a true person")
    regs["year"] = regs["registered_on"].str[:4].astype(int)
    key = ["person_id", "year"]
    orgs = regs.groupby(key)["reporting_org"].agg(lambda s: sorted(set(s)))
    forms = (
        regs.assign(form=regs["exploitation_form"].str.split(";"))
        .explode("form")
        .query("form != '' and form != 'unknown'")
        .groupby(key)["form"]
        .agg(lambda s: sorted(set(s)))
    )
    known = regs[(regs["nationality"] != "") & (regs["nationality"] != "unknown")]
    nationality = known.groupby(key)["nationality"].agg(lambda s: s.value_counts().index[0])
    py = pd.DataFrame({"orgs": orgs})
    py["forms"] = forms.reindex(py.index)
    py["forms"] = [f if isinstance(f, list) and f else ["unknown"] for f in py["forms"]]
    py["nationality"] = nationality.reindex(py.index).fillna("unknown")
    py["victim_groups"] = [
        victim_groups(f, n) for f, n in zip(py["forms"], py["nationality"], strict=True)
    ]
    return py.reset_index()


def list_frame_from_truth(out_dir: str | Path) -> pd.DataFrame:
    """:func:`hidden_number.list_frame` of the edition with perfect linkage."""
    from traffickingmonitor.analysis.hidden_number import list_frame

    return list_frame(person_years_from_truth(out_dir))


def true_population(out_dir: str | Path) -> pd.DataFrame:
    """Latent victims per year and victim group: ``truth`` by the true primary group
    (``truth/population_primary``) and ``truth_recorded`` by the group the monitor sees
    (``summary.json`` ``counts.latent_per_monitor_group``: the recorded forms, so a victim
    recorded with an unknown form is other_unknown there, and the true nationality). Group
    ``all`` holds the year totals."""
    out = Path(out_dir)
    pop = _read(out / "truth" / "population_primary")
    pop["count"] = pop["count"].astype(int)
    pop["year"] = pop["year"].astype(int)
    true = pop.groupby(["year", "victim_group"])["count"].sum()
    summary = json.loads((out / "truth" / "summary.json").read_text(encoding="utf-8"))
    rec = summary["counts"]["latent_per_monitor_group"]
    rows = []
    for year, total in pop.groupby("year")["count"].sum().items():
        rows.append({"year": year, "victim_group": "all", "truth": total, "truth_recorded": total})
        for group, n in rec[str(year)].items():
            rows.append(
                {
                    "year": year,
                    "victim_group": group,
                    "truth": int(true.get((year, group), 0)),
                    "truth_recorded": n,
                }
            )
    return pd.DataFrame(rows)


def estimate_vs_truth(out_dir: str | Path, settings=None) -> pd.DataFrame:
    """The hidden-number table of the edition with perfect linkage, next to the truth:
    ``covers`` (the interval holds ``truth``), ``covers_recorded`` and ``ratio``
    (estimate / truth)."""
    from traffickingmonitor.analysis.hidden_number import estimate_hidden_number

    result = estimate_hidden_number(list_frame_from_truth(out_dir), settings)
    table = result.tables[0].frame
    t = table.merge(true_population(out_dir), on=["year", "victim_group"], how="left")
    t["ratio"] = t["estimate"] / t["truth"]
    t["covers"] = (t["ci_low"] <= t["truth"]) & (t["truth"] <= t["ci_high"])
    t["covers_recorded"] = (t["ci_low"] <= t["truth_recorded"]) & (
        t["truth_recorded"] <= t["ci_high"]
    )
    return t
