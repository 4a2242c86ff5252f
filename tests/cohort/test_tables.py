"""Cohort tables: how they add up, and what a small group may (not) show."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort_helpers import make_cohort, random_cohort
from traffickingmonitor.analysis.care_reach import care_reach_tables, falls_behind
from traffickingmonitor.analysis.crime_overlap import crime_overlap_tables
from traffickingmonitor.analysis.revictimisation import revictimisation_tables


@pytest.fixture(scope="module")
def tables():
    """600 persons, plus four of sex 'other' / status 'b8_permit' who all have every event.

    Four persons all victimised, suspected and reached would be "100%": they must show as
    hidden, never as a percentage.
    """
    persons, events = random_cohort()
    tiny = pd.DataFrame(
        {
            "person_id": [9001, 9002, 9003, 9004],
            "t0": pd.Timestamp("2017-03-01"),
            "sex": "other",
            "minor": "adult",
            "victim_group": "labour",
            "residence_status": "b8_permit",
        }
    )
    tiny_events = pd.DataFrame(
        [
            (pid, pd.Timestamp("2017-03-01") + pd.Timedelta(days=d), kind, group)
            for pid in tiny["person_id"]
            for d, kind, group in (
                (10, "victimisation", "property"),
                (0, "care_start", None),
                (20, "suspect", "drugs"),
            )
        ],
        columns=["person_id", "event_date", "event_type", "offence_group"],
    )
    cohort = make_cohort(
        pd.concat([persons, tiny], ignore_index=True),
        pd.concat([events, tiny_events], ignore_index=True),
    )
    return (
        revictimisation_tables(cohort, cox=False)
        + crime_overlap_tables(cohort)
        + care_reach_tables(cohort)
    )


def _by_id(tables):
    return {t.table_id: t for t in tables}


def test_breakdowns_add_up_to_their_margin(tables):
    """The declared margins hold (disclosure control relies on them)."""
    t = _by_id(tables)
    checks = {
        "revictimisation_sex": (
            "revictimisation",
            ["offence_group", "month"],
            ["at_risk", "events"],
        ),
        "revictimisation_minor": (
            "revictimisation",
            ["offence_group", "month"],
            ["at_risk", "events"],
        ),
        "revictimisation_residence_status": (
            "revictimisation",
            ["offence_group", "month"],
            ["at_risk", "events"],
        ),
        "crime_overlap_sex": ("crime_overlap", ["offence_group"], ["persons", "suspects"]),
        "care_reach_residence_status": ("care_reach", ["days"], ["persons", "reached"]),
    }
    for child, (margin, keys, cols) in checks.items():
        assert t[child].margin_of == margin
        summed = t[child].frame.groupby(keys)[cols].sum()
        total = t[margin].frame.set_index(keys)[cols].loc[summed.index]
        pd.testing.assert_frame_equal(summed, total, check_dtype=False, obj=child)
    # victim groups overlap: declared so, each at most the margin
    vg = t["revictimisation_victim_group"]
    assert vg.overlapping


def test_a_group_too_small_to_publish_is_hidden_never_0_or_100_percent(
    tables, chapter_context, fast_charts
):
    from traffickingmonitor.publish.chapters import care_reach, crime_overlap, revictimisation

    ctx = chapter_context(tables)
    sex = ctx.tables["revictimisation_sex"].frame
    other = sex[sex["sex"] == "other"]
    assert other.loc[other["month"] == 0, "at_risk"].tolist() == ["<10"]
    later = other[other["month"] > 0]
    assert (later["events"] == "<10").all()  # all four, by the first quarter: hidden
    assert later["cif_per_10000"].map(lambda v: isinstance(v, str)).all()
    for chapter in (revictimisation, crime_overlap, care_reach):
        content = chapter.build(ctx)
        assert content is not None and content.blocks
        for block in content.blocks:
            for row in block.rows:
                hidden_denominator = len(row) > 1 and str(row[1]).startswith(("<", "x"))
                if hidden_denominator:
                    assert not any("%" in str(c) for c in row), (block.id, row)
    # the rows of the tiny groups are there, with their percentages hidden
    care = care_reach.build(ctx)
    status = next(b for b in care.blocks if b.id == "care-residence-status")
    b8 = next(r for r in status.rows if "B8" in r[0])
    assert b8[1] == "<10" and "%" not in "".join(map(str, b8[2:]))
    overlap = crime_overlap.build(ctx)
    assert all("100%" not in str(c) for b in overlap.blocks for r in b.rows for c in r)


def test_chapters_are_written_in_both_languages(tables, chapter_context, fast_charts):
    from traffickingmonitor.publish.chapters import care_reach, crime_overlap, revictimisation

    titles = {}
    for lang in ("nl", "en"):
        ctx = chapter_context(tables, lang)
        contents = [c.build(ctx) for c in (revictimisation, crime_overlap, care_reach)]
        titles[lang] = [c.title for c in contents]
        for content in contents:
            for block in content.blocks:
                assert block.title and block.summary, block.id
                assert block.rows, block.id
    assert titles["nl"] == [
        "Opnieuw slachtoffer",
        "Slachtoffer en verdachte: overlap met criminaliteit",
        "Zorg en opvang: bereikt de hulp alle slachtoffers?",
    ]
    assert titles["en"][0] == "Re-victimisation"


def test_falls_behind_needs_the_whole_interval_below_the_national_share():
    assert falls_behind(600, 200, 0.6)  # 33%, interval well below 60%
    assert not falls_behind(20, 10, 0.6)  # 50% of 20: the interval reaches 60%
    assert not falls_behind(0, 0, 0.6)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_look_back_outside_the_events_is_not_measured(tables, chapter_context, fast_charts, lang):
    """Events from 2016 and registrations from 2016: the five years before a registration are
    mostly outside the data, so the chapter shows no "before" and says why; events from 2010
    cover them."""
    from traffickingmonitor.publish.chapters import crime_overlap

    def block(events_from):
        notes = {
            "revictimisation": {"cutoff": "2025-12-31"},
            "crime_overlap": {"window_years": 5, "events_from": events_from},
        }
        content = crime_overlap.build(chapter_context(tables, lang, notes=notes))
        return next(b for b in content.blocks if b.id == "crime-before-after")

    words = crime_overlap.TEXT[lang]
    reason = words["no_lookback"].format(window=5, start=2016, y0=2016, y1=2020)
    unseen = block("2016-01-05")
    assert len(unseen.header) == 3  # offence group, victim after, suspect after
    assert not any(words["before"] in h for h in unseen.header)
    assert reason in unseen.summary
    seen = block("2010-01-01")
    assert len(seen.header) == 5
    assert reason not in seen.summary and words["before"] in " ".join(seen.header)


def test_members_make_every_count_and_are_left_out_when_not_asked_for():
    """``run`` builds the tables without members (at a million registrations they are tens
    of millions of records); disclosure control asks for them and gets every count's persons."""
    from traffickingmonitor.analysis.members import mismatches

    cohort = make_cohort(*random_cohort())
    for build in (revictimisation_tables, crime_overlap_tables, care_reach_tables):
        on, off = build(cohort, with_members=True), build(cohort, with_members=False)
        assert [t.table_id for t in on] == [t.table_id for t in off]
        for a, b in zip(on, off, strict=True):
            pd.testing.assert_frame_equal(a.frame, b.frame)
            assert b.members is None
            assert len(a.members) and mismatches(a.frame, a.counts, a.members) == []


def test_a_cox_model_that_does_not_converge_gives_no_hazard_ratio_and_no_message(monkeypatch):
    import warnings

    import numpy as np

    from traffickingmonitor.analysis import cox
    from traffickingmonitor.analysis.revictimisation import cox_table

    cohort = make_cohort(*random_cohort())
    tables = revictimisation_tables(cohort)
    fitted = next(t for t in tables if t.table_id == "revictimisation_cox").frame
    assert fitted["hr_x1000"].notna().any()  # the random cohort's model converges

    monkeypatch.setattr(cox, "_MAX_STEPS", 1)  # stopped before the maximum
    time = np.asarray(cohort.persons["follow_days"], dtype=float)
    status = np.zeros(len(time))
    status[: len(time) // 3] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing reaches the user
        frame = cox_table(cohort, time, status).frame
    assert len(frame) and frame["hr_x1000"].isna().all()
    assert frame["events"].sum() > 0  # the counts are still there


def test_persons_followed_for_care_are_the_curve_at_month_0_when_the_dates_say_so(tables):
    """One number, one cell: when the period ends at least a window before the cut-off,
    everyone followed for care within it is at risk at month 0 of the re-victimisation curve,
    group by group, and protection hides or shows both alike."""
    from traffickingmonitor.analysis.care_reach import SAME_GROUPS_AS_CURVES, WINDOWS
    from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
    from traffickingmonitor.disclosure.model import build_model

    by_id = _by_id(tables)
    model = build_model(by_id)
    protected = protect_edition_details(by_id, DisclosureRule()).tables
    checked = 0
    for by in SAME_GROUPS_AS_CURVES:
        care_id = "care_reach" if by == "all" else f"care_reach_{by}"
        curve_id = "revictimisation" if by == "all" else f"revictimisation_{by}"
        care, curve = by_id[care_id].frame, by_id[curve_id].frame
        month_0 = curve[(curve["month"] == 0) & (curve["offence_group"] == "any")]
        for pos, row in care.iterrows():
            [at] = month_0.index[month_0[by] == row[by]] if by != "all" else month_0.index
            assert row["persons"] == curve.at[at, "at_risk"]
            a = model.exprs[model.cell_index[(care_id, pos, "persons")]]
            b = model.exprs[model.cell_index[(curve_id, at, "at_risk")]]
            assert a == b, (care_id, pos)
            shown = protected[care_id].frame.at[pos, "persons"]
            assert shown == protected[curve_id].frame.at[at, "at_risk"], (care_id, pos)
            checked += 1
    assert checked >= len(WINDOWS) * len(SAME_GROUPS_AS_CURVES)

    # registrations up to the end of 2020, cut-off 200 days later: a reader knows only the
    # 30- and 90-day windows hold everyone
    persons, events = random_cohort(200)
    late = care_reach_tables(make_cohort(persons, events, cutoff="2021-07-19"))
    declared = {r["where"]["days"] for t in late for r in t.extra.get("same_cells", ())}
    assert declared == {30, 90}


def test_each_cox_row_names_a_breakdown_that_the_curves_have():
    """The Cox table is in long form: its ``long_form`` names the column holding the
    dimension and the one holding its value, so disclosure control reads a row as the group
    of the curves it is (a level with the same persons as its group's curve is one figure)."""
    tables = _by_id(revictimisation_tables(make_cohort(*random_cohort())))
    cox = tables["revictimisation_cox"]
    long = cox.extra["long_form"]
    assert {long["dimension"], long["value"]} <= set(cox.dimensions)
    for covariate, level in cox.frame[[long["dimension"], long["value"]]].itertuples(index=False):
        curve = tables[f"revictimisation_{covariate}"]
        assert covariate in curve.dimensions
        assert level in set(curve.frame[covariate].astype(str))
