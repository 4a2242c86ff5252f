"""The Cox model of re-victimisation: covariates nearly the same as another are left out."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_covariate_that_follows_from_an_earlier_one_is_left_out_and_said_so(tables):
    cox = _cox(tables["same"])
    assert cox.extra["left_out"] == [
        {"covariate": "residence_status", "because_of": "nationality_group", "cramers_v": 1.0}
    ]
    frame = cox.frame
    assert "residence_status" not in set(frame["covariate"])
    # the covariate kept is estimated, on its own now
    nationality = frame[frame["covariate"] == "nationality_group"]
    assert set(nationality["level"]) == {"EU", "non_EU"}
    assert nationality["hr_x1000"].notna().all()
    assert (nationality["hr_ci_high_x1000"] < 10 * nationality["hr_x1000"]).all()
    # no new counts: the table keeps its count column, and left_out holds words and a measure
    assert cox.counts == ("events",)
    assert "residence status" in cox.note_en and "verblijfsstatus" in cox.note_nl


def test_independent_covariates_are_all_kept(tables):
    cox = _cox(tables["independent"])
    assert cox.extra["left_out"] == []
    assert cox.extra["collinear_at"] == COX_COLLINEAR_V
    frame = cox.frame
    for var in ("minor", "sex", "nationality_group", "residence_status"):
        assert frame.loc[frame["covariate"] == var, "hr_x1000"].notna().all(), var
    assert "Left out" not in cox.note_en


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
def test_the_chapter_says_what_was_left_out_only_when_something_was(
    tables, chapter_context, fast_charts, lang
):
    from traffickingmonitor.publish.chapters import revictimisation

    said = {
        "nl": (
            "Verblijfsstatus is niet in het model opgenomen, omdat dit kenmerk bijna hetzelfde "
            "is als nationaliteit (Cramérs V 1,00, waarbij 1 betekent dat het ene kenmerk geheel "
            "uit het andere volgt)."
        ),
        "en": (
            "Residence status is left out of the model because it is nearly the same as "
            "nationality (Cramér's V 1.00, where 1 means that one characteristic follows "
            "entirely from the other)."
        ),
    }[lang]

    def summary(name):
        content = revictimisation.build(chapter_context(tables[name], lang))
        return next(b for b in content.blocks if b.id == "revictimisation-cox").summary

    assert summary("same").endswith(" " + said)
    words = {"nl": "niet in het model opgenomen", "en": "left out of the model"}[lang]
    assert words not in summary("independent")
