"""The Cox model of re-victimisation: a covariate nearly the same as another gets a model of
its own."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cohort_helpers import make_cohort, random_cohort
from traffickingmonitor.analysis.revictimisation import (
    COX_COLLINEAR_V,
    collinear,
    revictimisation_tables,
)

# residence status as a function of nationality: every Dutch person a Dutch citizen, every
# other EU national an EU citizen, every non-EU national undocumented
STATUS_OF = {"NL": "nl_citizen", "EU": "eu_citizen", "non_EU": "undocumented"}


def _persons(status_follows_nationality: bool):
    """The random cohort with a nationality drawn on its own; its residence status is drawn
    independently of it (``random_cohort``) or follows from it."""
    persons, events = random_cohort()
    rng = np.random.default_rng(5)
    persons["nationality_group"] = rng.choice(
        ["NL", "EU", "non_EU"], len(persons), p=[0.5, 0.2, 0.3]
    )
    if status_follows_nationality:
        persons["residence_status"] = persons["nationality_group"].map(STATUS_OF)
    return persons, events


@pytest.fixture(scope="module")
def tables():
    """The re-victimisation tables with ("same") and without ("independent") a covariate
    that follows from another."""
    return {
        name: revictimisation_tables(make_cohort(*_persons(name == "same")))
        for name in ("same", "independent")
    }


def _cox(tables):
    return next(t for t in tables if t.table_id == "revictimisation_cox")


def _hazard_ratios(cohort, leave_out: set[str]) -> dict[str, float]:
    """Hazard ratios x1000 of statsmodels' PHReg on the design without ``leave_out``, fitted
    here directly: the reference for the table's."""
    from statsmodels.duration.hazard_regression import PHReg

    from traffickingmonitor.analysis.revictimisation import HR_PER, _design, _outcome_arrays

    time, status = _outcome_arrays(cohort)["any"]
    event = (status == 1).astype(float)
    x, labels = _design(cohort)
    names = [n for n, var, _ in labels if var not in leave_out]
    names = [n for n in names if event[x[n].to_numpy() > 0].sum() > 0]
    fit = PHReg(time, x[names].to_numpy(), status=event, ties="efron").fit(disp=False)
    return dict(zip(names, np.exp(fit.params) * HR_PER, strict=True))


def test_a_covariate_that_follows_from_an_earlier_one_gets_a_model_of_its_own(tables):
    cox = _cox(tables["same"])
    assert cox.extra["own_model"] == [
        {"covariate": "residence_status", "because_of": "nationality_group", "cramers_v": 1.0}
    ]
    frame = cox.frame.set_index(["covariate", "level"])
    # its rows and counts stay: the table publishes the same cells
    assert {"EU", "non_EU"} <= set(frame.loc["nationality_group"].index)
    assert {"eu_citizen", "undocumented"} <= set(frame.loc["residence_status"].index)
    assert cox.counts == ("events",)
    # each from a fit without the other, as statsmodels gives it (rtol: the same fit)
    cohort = make_cohort(*_persons(True))
    without_status = _hazard_ratios(cohort, {"residence_status"})
    without_nationality = _hazard_ratios(cohort, {"nationality_group"})
    # (the test cohort's victim groups add up to one: statsmodels gives them no interval)
    for (var, level), row in frame.drop(index="victim_group", level=0).iterrows():
        reference = without_nationality if var == "residence_status" else without_status
        assert_allclose(row["hr_x1000"], reference[f"{var}={level}"], rtol=1e-9)
    # two nearly identical covariates side by side would each have had a wide interval
    both = frame.loc[("residence_status", "eu_citizen")]
    assert both["hr_ci_high_x1000"] < 10 * both["hr_x1000"]
    assert "residence status" in cox.note_en.lower() and "verblijfsstatus" in cox.note_nl.lower()


def test_independent_covariates_are_all_kept(tables):
    cox = _cox(tables["independent"])
    assert cox.extra["own_model"] == []
    assert cox.extra["collinear_at"] == COX_COLLINEAR_V
    frame = cox.frame
    for var in ("minor", "sex", "nationality_group", "residence_status"):
        assert frame.loc[frame["covariate"] == var, "hr_x1000"].notna().all(), var
    assert "model of its own" not in cox.note_en


def test_a_rare_category_shared_by_two_covariates_does_not_make_them_the_same():
    """Twelve persons of unknown nationality and status, twelve EU nationals who are EU
    citizens, the rest independent: on the raw categories Cramér's V is about 0.8, but both
    small levels join the reference in the model, where the two are independent."""
    from scipy.stats.contingency import association

    persons, events = random_cohort()
    rng = np.random.default_rng(11)
    persons["nationality_group"] = rng.choice(["NL", "non_EU"], len(persons))
    persons.loc[:11, ["nationality_group", "residence_status"]] = ["unknown", "unknown"]
    persons.loc[12:23, ["nationality_group", "residence_status"]] = ["EU", "eu_citizen"]
    cohort = make_cohort(persons, events)
    p = cohort.persons
    raw = p.groupby(["nationality_group", "residence_status"]).size().unstack(fill_value=0)
    assert association(raw.to_numpy(), method="cramer") >= COX_COLLINEAR_V
    assert collinear(cohort) == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_chapter_says_which_covariate_has_a_model_of_its_own_only_when_one_has(
    tables, chapter_context, fast_charts, lang
):
    from traffickingmonitor.publish.chapters import revictimisation

    said = {
        "nl": (
            "De hazard ratio's van verblijfsstatus komen uit een eigen model zonder "
            "nationaliteit, omdat die twee kenmerken bijna hetzelfde zijn (Cramérs V 1,00, "
            "waarbij 1 betekent dat het ene kenmerk geheel uit het andere volgt)."
        ),
        "en": (
            "The hazard ratios of residence status come from a model of their own without "
            "nationality, because the two characteristics are nearly the same (Cramér's V "
            "1.00, where 1 means that one characteristic follows entirely from the other)."
        ),
    }[lang]

    def summary(name):
        content = revictimisation.build(chapter_context(tables[name], lang))
        return next(b for b in content.blocks if b.id == "revictimisation-cox").summary

    assert summary("same").endswith(" " + said)
    words = {"nl": "eigen model", "en": "model of their own"}[lang]
    assert words not in summary("independent")
