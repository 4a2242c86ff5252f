"""The attacker from the microdata: relations nobody declared are found, tables without
members are reported as not attacked, and members that do not make a table's counts are
refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from traffickingmonitor.analysis import members as m
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
from traffickingmonitor.disclosure.atoms import attack_protected
from traffickingmonitor.disclosure.attack import truth_of

RULE = DisclosureRule()


def _people(seed=3) -> pd.DataFrame:
    """60 persons of 2020: care (14), police (41) or the marechaussee (5); and a sex."""
    rng = np.random.default_rng(seed)
    org = ["care"] * 14 + ["police"] * 41 + ["kmar"] * 5
    return pd.DataFrame(
        {
            "unit_id": [f"p{i}" for i in range(60)],
            "year": 2020,
            "org": org,
            "sex": rng.choice(["f", "m"], 60, p=[0.7, 0.3]),
            "indicator": "care",
        }
    )


def _table(tid, dims, people, column="persons", **kw) -> MonitorTable:
    frame = people.groupby(list(dims), as_index=False).size().rename(columns={"size": column})
    return MonitorTable(tid, tid, tid, frame, dimensions=tuple(dims), counts=(column,), **kw)


def _edition(declare_repeat: bool) -> tuple[dict, dict]:
    people = _people()
    care = people[people["org"] == "care"]
    extra = {}
    if declare_repeat:
        extra["same_cells"] = [
            {
                "column": "numerator",
                "where": {"indicator": "care"},
                "table": "orgs",
                "as": {"org": "care"},
                "as_column": "persons",
            }
        ]
    tables = {
        "totals": _table("totals", ["year"], people),
        "orgs": _table("orgs", ["year", "org"], people),
        "sex": _table("sex", ["year", "sex"], people),
        # the programme repeats the care count under another name
        "programme": _table(
            "programme", ["indicator", "year"], care, "numerator", margin_of="", extra=extra
        ),
    }
    members = {
        tid: m.members(t.frame, t.dimensions, src, unit="person", column=t.counts[0])
        for tid, t, src in (
            ("totals", tables["totals"], people),
            ("orgs", tables["orgs"], people),
            ("sex", tables["sex"], people),
            ("programme", tables["programme"], care),
        )
    }
    return tables, members


def _verdicts(tables, members, missing=None):
    return _verdicts_of(protect_edition_details(tables, RULE).tables, members, tables, missing)


def test_members_make_every_count_and_a_changed_count_is_caught():
    tables, members = _edition(declare_repeat=False)
    for tid, t in tables.items():
        assert m.mismatches(t.frame, t.counts, members[tid]) == []
    frame = tables["orgs"].frame.copy()
    frame.loc[0, "persons"] += 1
    assert len(m.mismatches(frame, ("persons",), members["orgs"])) == 1


def test_an_undeclared_repeat_is_found_from_the_microdata():
    # the engine does not know that the programme repeats care: it shows 14 there while it
    # hides care beside the marechaussee's 5; the atoms make the two cells one
    verdicts = _verdicts(*_edition(declare_repeat=False))
    assert verdicts["orgs"].attacked and verdicts["orgs"].recovered
    # each finding names the published cells it was worked out from: the programme's repeat
    assert all(
        " from: " in f and "programme row 1 numerator" in f for f in verdicts["orgs"].recovered
    )
    declared = _verdicts(*_edition(declare_repeat=True))
    assert all(v.attacked and not v.recovered for v in declared.values())


def test_a_table_without_members_is_not_attacked_and_says_why():
    tables, members = _edition(declare_repeat=True)
    del members["sex"]
    verdicts = _verdicts(tables, members, {"sex": "no members from the microdata yet"})
    assert not verdicts["sex"].attacked
    assert verdicts["sex"].line() == "not attacked (no members from the microdata yet)"
    assert verdicts["orgs"].attacked


def test_the_demo_edition_tables_are_made_of_their_members(demo_edition):
    """Made again from the store, the members make every count of the tables they cover
    (person-years are recounted exactly: ties in a person's characteristics resolve the same
    way every time), in every chapter."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.analysis.microdata import edition_members

    edition, tables = editions.read_edition(demo_edition.db)
    con = store.connect(demo_edition.db, read_only=True)
    try:
        found = edition_members(con, edition.edition_id, tables, edition.config)
    finally:
        con.close()
    assert found.missing == {}
    assert set(found.members) == {tid for tid, t in tables.items() if t.counts}


def test_relations_found_are_true_of_the_edition():
    """Each recovery comes with the relation that made it, over published cells; the true
    counts satisfy it, and so do the counts of any edition made of the same atoms."""
    tables, members = _edition(declare_repeat=False)
    protected = protect_edition_details(tables, RULE).tables
    truth = truth_of(tables)
    attack = attack_protected(protected, members, {}, truth, RULE)
    assert attack.relations
    for relation in attack.relations:
        assert relation.at(truth) >= -1e-6
    # the relation names the programme's repeat of the care count, which no one declared
    named = {key[0] for r in attack.relations for key, _ in r.terms}
    assert {"orgs", "programme"} <= named


def test_the_engine_given_the_relations_found_leaves_nothing_to_recover():
    from traffickingmonitor.disclosure.against_atoms import protect_against_atoms

    tables, members = _edition(declare_repeat=False)
    done = protect_against_atoms(tables, RULE, members)
    assert done.rounds >= 2  # the first pattern gave the care count away
    assert done.relations
    assert all(v.attacked and not v.recovered for v in done.attack.verdicts.values())
    # the verdicts are those of an attack on what is published
    again = _verdicts_of(done.protection.tables, members, tables)
    assert all(v.attacked and not v.recovered for v in again.values())
    # the care count is hidden in both places it is shown, as one cell
    orgs = done.protection.tables["orgs"].frame
    programme = done.protection.tables["programme"].frame
    care = orgs.loc[orgs["org"] == "care", "persons"].iloc[0]
    assert not str(care).isdigit()
    assert str(programme["numerator"].iloc[0]) == str(care)


def _verdicts_of(protected, members, tables, missing=None):
    return attack_protected(protected, members, missing or {}, truth_of(tables), RULE).verdicts


def test_hidden_number_members_leave_out_a_year_without_an_estimate():
    """A year with too few lists has no rows in the hidden-number table (synth --scale 0.1):
    its persons belong to no cell, and the table is still attacked."""
    from traffickingmonitor.analysis.microdata import Microdata, _hidden_number

    py = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d"],
            "year": [2017, 2017, 2018, 2019],
            "victim_groups": [["labour"], ["criminal"], ["labour"], ["labour"]],
        }
    )
    frame = pd.DataFrame(
        {
            "year": [2017, 2017, 2019, 2019],
            "victim_group": ["all", "labour", "all", "labour"],
            "observed": [2, 1, 1, 1],
        }
    )
    table = MonitorTable(
        "hidden_number", "h", "h", frame, dimensions=("year", "victim_group"), counts=("observed",)
    )
    found = _hidden_number(table, Microdata(py, pd.DataFrame(), pd.DataFrame()))
    assert m.mismatches(frame, ("observed",), found) == []
    assert "c" not in set(found["unit_id"])  # 2018 has no rows


def test_an_empty_hidden_cell_is_known_empty_only_across_the_edition():
    """Nobody counted in municipality C is a fact of the data: the table view gives a hidden
    cell without units room for the units of every year pattern, the edition view does not."""
    from traffickingmonitor.disclosure.atoms import Sheet, attack_atoms

    people = pd.DataFrame(
        {"unit_id": [f"p{i}" for i in range(30)], "year": 2020, "place": ["A"] * 25 + ["B"] * 5}
    )
    frames = {
        "totals": pd.DataFrame({"year": [2020], "persons": [30]}),
        "place": pd.DataFrame({"year": 2020, "place": ["A", "B", "C"], "persons": [25, 5, 0]}),
    }
    shown = {"totals": ["30"], "place": ["x", "x", "x"]}
    sheets = {
        tid: Sheet(tid, pd.DataFrame({"persons": shown[tid]}), False, {}, frame)
        for tid, frame in frames.items()
    }
    members = {
        tid: m.members(
            frame, [c for c in frame if c != "persons"], people, unit="person", column="persons"
        )
        for tid, frame in frames.items()
    }
    truth = {
        (tid, row, "persons"): int(v)
        for tid, frame in frames.items()
        for row, v in enumerate(frame["persons"])
    }

    def recovered(view):
        from traffickingmonitor.disclosure.atoms import VIEWS

        attack = attack_atoms(sheets, members, {}, truth, 10, 3, VIEWS[view])
        return attack.verdicts["place"].recovered

    assert recovered("tables") == []
    assert recovered("edition") == ["row 3 persons: pinned down to 0"]


def test_a_figure_under_two_names_holds_in_every_year_and_a_coincidence_is_not_one():
    """Care's persons per year are the reporting table's care row in every year: one figure,
    so hiding the care row beside a shown total gives nothing away only if both rows are
    hidden. All of town A's residents in care in 2020 (not in 2019) is chance: the attacker
    does not take town A's residents for its persons in care."""
    from traffickingmonitor.disclosure.atoms import VIEWS, Sheet, attack_atoms

    rows = []  # (year, town, in care): 2020 A 12/12, B 9/15; 2019 A 10/14, B 5/13
    for year, town, n, cared in ((2020, "A", 12, 12), (2020, "B", 15, 9), (2019, "A", 14, 10)):
        rows += [(year, town, i < cared) for i in range(n)]
    rows += [(2019, "B", i < 5) for i in range(13)]
    people = pd.DataFrame(rows, columns=["year", "town", "care"])
    people["unit_id"] = [f"p{i}" for i in range(len(people))]
    people["org"] = np.where(people["care"], "care", "police")
    cared = people[people["care"]]
    tables = {
        "totals": _table("totals", ["year"], people),
        "orgs": _table("orgs", ["year", "org"], people),
        "programme": _table("programme", ["year"], cared, "numerator"),
        "town": _table("town", ["year", "town"], people),
        "care_town": _table("care_town", ["year", "town"], cared),
    }
    source = {"programme": cared, "care_town": cared}
    members = {
        tid: m.members(
            t.frame, t.dimensions, source.get(tid, people), unit="person", column=t.counts[0]
        )
        for tid, t in tables.items()
    }
    hide = {"orgs": {2, 3}, "town": {2, 3}}  # 2020 in both (rows sorted by year first)
    sheets = {}
    for tid, t in tables.items():
        column = t.counts[0]
        shown = ["x" if r in hide.get(tid, ()) else str(v) for r, v in enumerate(t.frame[column])]
        sheets[tid] = Sheet(tid, pd.DataFrame({column: shown}), False, {}, t.frame, t.dimensions)
    truth = {
        (tid, r, t.counts[0]): int(v)
        for tid, t in tables.items()
        for r, v in enumerate(t.frame[t.counts[0]])
    }
    verdicts = attack_atoms(sheets, members, {}, truth, 10, 3, VIEWS["tables"]).verdicts
    # 2020's care row is the programme's 21: its police row is the year's 27 minus 21
    assert tables["orgs"].frame.loc[[2, 3], "org"].tolist() == ["care", "police"]
    assert any("pinned down to 21" in f for f in verdicts["orgs"].recovered)
    # town A of 2020 (12) is not tied to the 12 of care_town, so town B's 15 stays hidden
    assert tables["town"].frame.loc[2, ["year", "town"]].tolist() == [2020, "A"]
    assert verdicts["town"].attacked and verdicts["town"].recovered == []


def _one_table_attack(ids, table: MonitorTable, who, shown: dict, knowledge: dict):
    """The table view's verdict on ``table`` of persons ``ids`` (all of 2020, so ``totals``
    is one shown cell), its members in ``who`` (a ``Who``), its count columns shown as in
    ``shown`` (column -> texts; else as they are) and declaring ``knowledge``."""
    from traffickingmonitor.disclosure.atoms import VIEWS, Sheet, attack_atoms

    totals = pd.DataFrame({"year": [2020], "persons": [len(ids)]})
    who_totals = m.Who()
    who_totals.add(ids, 0, "persons")
    tables = {
        "totals": MonitorTable(
            "totals", "t", "t", totals, dimensions=("year",), counts=("persons",)
        ),
        table.table_id: table,
    }
    members = {"totals": who_totals.frame(), table.table_id: who.frame()}
    sheets, truth = {}, {}
    for tid, t in tables.items():
        own = shown if tid == table.table_id else {}
        cells = pd.DataFrame({c: own.get(c, t.frame[c].astype(str).tolist()) for c in t.counts})
        sheets[tid] = Sheet(
            tid, cells, False, knowledge if tid == table.table_id else {}, t.frame, t.dimensions
        )
        for c in t.counts:
            truth.update({(tid, r, c): int(v) for r, v in enumerate(t.frame[c])})
    return attack_atoms(sheets, members, {}, truth, 10, 3, VIEWS["tables"]).verdicts[table.table_id]


def _follow_up_curve(ids, day, event, months) -> tuple[list[dict], m.Who]:
    """The rows of a follow-up curve of persons ``ids`` (a row per month: at risk, those
    followed to that day at least; events, those with an event by that day) and its
    members."""
    curve, who = [], m.Who()
    for r, month in enumerate(months):
        start = month * 365 / 12
        who.add(ids[day >= start], r, "at_risk")
        who.add(ids[event & (day <= start)], r, "events")
        curve.append(
            {
                "month": month,
                "at_risk": (day >= start).sum(),
                "events": (event & (day <= start)).sum(),
            }
        )
    return curve, who


def test_nobody_left_unseen_is_a_fact_of_the_data_that_a_follow_up_curve_does_not_tell():
    """30 persons followed from month 0: 10 with an event by month 12, 5 between months 12
    and 24, 15 still followed at 24; nobody left unseen. The events at months 12 and 24
    hidden: without knowing that anyone may leave follow-up unseen, the attacker pins the
    events of month 12 to the 10 who are no longer at risk; a reader cannot."""
    ids = np.asarray([f"p{i}" for i in range(30)])
    day = np.r_[np.full(10, 100), np.full(5, 500), np.full(15, 1000)]
    event = np.r_[np.ones(15, bool), np.zeros(15, bool)]
    curve, who_curve = _follow_up_curve(ids, day, event, (0, 12, 24))
    table = MonitorTable(
        "curve", "c", "c", pd.DataFrame(curve), dimensions=("month",), counts=("at_risk", "events")
    )
    assert table.frame["events"].tolist() == [0, 10, 15]
    shown = {"events": ["0", "x", "x"]}
    follow_up = {"follow_up": {"time": "month", "at_risk": "at_risk", "exits": ["events"]}}
    assert _one_table_attack(ids, table, who_curve, shown, {}).recovered == [
        "row 2 events: pinned down to 10 from: +1 curve row 1 at_risk, -1 curve row 2 at_risk",
        "row 3 events: pinned down to 15 from: +1 curve row 1 at_risk, -1 curve row 3 at_risk",
    ]
    declared = _one_table_attack(ids, table, who_curve, shown, follow_up)
    assert declared.attacked and declared.hidden == 2 and declared.recovered == []


def test_that_no_exit_fell_on_the_day_of_a_time_point_is_a_fact_of_the_data(monkeypatch):
    """14 persons followed from month 0: 3 with an event by month 6, 4 more by month 12, 4
    left unseen after month 12 and 3 followed to month 24 without one. At risk shown (14,
    11, 7, 3); the events of month 6 hidden. At
    risk at a month counts those followed up to that day, an event counts from its day on:
    an event on the day of month 6 is in both. So at risk falls by the events only where none
    fell on such a day, a fact of these data that no reader knows (the 4 at risk at month 6
    and not at 12 may have had theirs on that day): without the pattern the attacker pins
    the events of month 6 between 0 and 3."""
    from traffickingmonitor.disclosure.atoms import _Possible

    ids = np.asarray([f"p{i}" for i in range(14)])
    day = np.r_[np.full(3, 100), np.full(4, 300), np.full(4, 500), np.full(3, 1000)]
    event = np.r_[np.ones(7, bool), np.zeros(7, bool)]
    curve, who_curve = _follow_up_curve(ids, day, event, (0, 6, 12, 24))
    table = MonitorTable(
        "curve", "c", "c", pd.DataFrame(curve), dimensions=("month",), counts=("at_risk", "events")
    )
    assert table.frame["at_risk"].tolist() == [14, 11, 7, 3]
    assert table.frame["events"].tolist() == [0, 3, 7, 7]
    shown = {"events": ["0", "x", "7", "7"]}
    follow_up = {"follow_up": {"time": "month", "at_risk": "at_risk", "exits": ["events"]}}
    declared = _one_table_attack(ids, table, who_curve, shown, follow_up)
    assert declared.attacked and declared.hidden == 1 and declared.recovered == []
    monkeypatch.setattr(_Possible, "_exit_on_a_time", staticmethod(lambda now, exits, pattern: []))
    recovered = _one_table_attack(ids, table, who_curve, shown, follow_up).recovered
    assert recovered == [
        "row 2 events: 0..3, needs 1..6 from: +1 curve row 1 at_risk, -1 curve row 2 at_risk"
    ]


def test_the_engine_protects_what_a_reader_knows_of_a_follow_up_curve():
    """100 persons followed from month 0: 5 with an event by month 6, 25 more by month 12,
    70 without one to month 24. Only the events of month 6 are below 10. A reader knows that
    those with an event between months 6 and 12 were at risk at month 6 and are not at month
    24: events(12) - events(6) <= at_risk(6) - at_risk(24), so events(6) >= 5, its true value.
    The engine, told the curve's definition (``follow_up``), hides more than that one cell."""
    from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition

    ids = np.asarray([f"p{i}" for i in range(100)])
    day = np.r_[np.full(5, 100), np.full(25, 300), np.full(70, 1000)]
    event = np.r_[np.ones(30, bool), np.zeros(70, bool)]
    curve, who_curve = _follow_up_curve(ids, day, event, (0, 6, 12, 24))
    follow_up = {"follow_up": {"time": "month", "at_risk": "at_risk", "exits": ["events"]}}

    def protected_by(extra: dict) -> dict:
        table = MonitorTable(
            "curve",
            "c",
            "c",
            pd.DataFrame(curve),
            dimensions=("month",),
            counts=("at_risk", "events"),
            extra=extra,
        )
        assert table.frame["events"].tolist() == [0, 5, 30, 30]
        totals = MonitorTable(
            "totals",
            "t",
            "t",
            pd.DataFrame({"year": [2020], "persons": [100]}),
            dimensions=("year",),
            counts=("persons",),
        )
        frame = (
            protect_edition({"totals": totals, "curve": table}, DisclosureRule()).get("curve").frame
        )
        return table, {c: frame[c].astype(str).tolist() for c in ("at_risk", "events")}

    table, unaware = protected_by({})
    assert unaware["events"] == ["0", "<10", "30", "30"]  # the small cell alone
    assert _one_table_attack(ids, table, who_curve, unaware, follow_up).recovered == [
        "row 2 events: 5..9, needs 2..8 from: -1 curve row 2 at_risk, +1 curve row 4 at_risk, "
        "+1 curve row 3 events"
    ]
    table, aware = protected_by(follow_up)
    hidden = sum(v in ("x", "<10") for column in aware.values() for v in column)
    assert hidden > 1
    verdict = _one_table_attack(ids, table, who_curve, aware, follow_up)
    assert verdict.attacked and verdict.hidden == hidden and verdict.recovered == []


def _suspects_by_offence(ids, group) -> tuple[MonitorTable, m.Who]:
    """A crime-overlap table of persons ``ids``, each a suspect of the offence group in
    ``group`` (a, b or c; "" for none): a row for any offence, then one per group."""
    rows, who = [], m.Who()
    for r, offence in enumerate(("any", "a", "b", "c")):
        mask = group != "" if offence == "any" else group == offence
        who.add(ids, r, "persons")
        who.add(ids[mask], r, "suspects")
        rows.append({"offence_group": offence, "persons": len(ids), "suspects": int(mask.sum())})
    table = MonitorTable(
        "overlap",
        "o",
        "o",
        pd.DataFrame(rows),
        dimensions=("offence_group",),
        counts=("persons", "suspects"),
        overlapping=True,
    )
    return table, who


def test_which_offence_groups_occur_together_is_a_fact_of_the_data_that_union_rows_do_not_tell():
    """40 persons followed, 33 of them suspects of one offence group only (10, 12, 11): "any
    offence" hidden. From the combinations that occur it is the groups' sum; a reader knows
    only that it is at least the largest group and at most their sum."""
    ids = np.asarray([f"p{i}" for i in range(40)])
    group = np.asarray(["a"] * 10 + ["b"] * 12 + ["c"] * 11 + [""] * 7)
    table, who = _suspects_by_offence(ids, group)
    shown = {"suspects": ["x", "10", "12", "11"]}
    union = {"union_rows": {"offence_group": "any"}}
    recovered = _one_table_attack(ids, table, who, shown, {}).recovered
    assert recovered[0].startswith("row 1 suspects: pinned down to 33")
    declared = _one_table_attack(ids, table, who, shown, union)
    assert declared.attacked and declared.hidden == 1 and declared.recovered == []


def test_how_many_offence_groups_a_suspect_has_is_a_fact_of_the_data():
    """30 persons followed, three suspects, each of one offence group of three; every
    suspects count is `<10`. Were a suspect in at most two groups (one group more than the
    data show), "any offence" would be at least half the groups' sum: 1.5 or more, where it
    must stay open down to 1. A reader knows only that it lies between the largest group and
    the groups' sum: any suspect may have any number of kinds of offence."""
    ids = np.asarray([f"p{i}" for i in range(30)])
    group = np.asarray(["a", "b", "c"] + [""] * 27)
    table, who = _suspects_by_offence(ids, group)
    shown = {"suspects": ["<10"] * 4}
    union = {"union_rows": {"offence_group": "any"}}
    verdict = _one_table_attack(ids, table, who, shown, union)
    assert verdict.attacked and verdict.hidden == 4 and verdict.recovered == []
    # every other set of groups, not only one group fewer or more
    from traffickingmonitor.disclosure.atoms import _other_sets

    assert _other_sets(["a", "b", "c"], {"a"}) == [
        ("b",),
        ("c",),
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
        ("a", "b", "c"),
    ]


WINDOWS = {"follow_windows": {"time": "days", "followed": "persons", "within": "reached"}}


def _care_windows(ids, followed_days, first_care, windows=(30, 90, 365)) -> MonitorTable:
    """A care-reach table of persons ``ids``: per window, those followed that long and
    those of them reached by then (``first_care`` in days, NaN for never)."""
    rows, who = [], m.Who()
    for r, d in enumerate(windows):
        followed = followed_days >= d
        reached = followed & (first_care <= d)
        who.add(ids[followed], r, "persons")
        who.add(ids[reached], r, "reached")
        rows.append({"days": d, "persons": int(followed.sum()), "reached": int(reached.sum())})
    table = MonitorTable(
        "care",
        "c",
        "c",
        pd.DataFrame(rows),
        dimensions=("days",),
        counts=("persons", "reached"),
        margin_of="",
    )
    return table, who


def test_that_nobody_was_reached_between_two_windows_is_a_fact_of_the_data():
    """20 persons followed for a year: 8 reached within 30 days, 5 more within 90, none
    between 90 and 365 days, 7 never. Reached within 90 days hidden: from the patterns that
    occur it is the 13 of the year; a reader knows only that it lies between the 30 days'
    count and the year's."""
    ids = np.asarray([f"p{i}" for i in range(20)])
    first = np.r_[np.full(8, 10.0), np.full(5, 60.0), np.full(7, np.nan)]
    table, who = _care_windows(ids, np.full(20, 400), first)
    assert table.frame["reached"].tolist() == [8, 13, 13]
    shown = {"reached": ["<10", "x", "13"]}
    recovered = _one_table_attack(ids, table, who, shown, {}).recovered
    assert recovered[0].startswith("row 2 reached: pinned down to 13")
    declared = _one_table_attack(ids, table, who, shown, WINDOWS)
    assert declared.attacked and declared.hidden == 2 and declared.recovered == []


def test_the_engine_protects_what_a_reader_knows_of_windows():
    """60 persons, 50 followed for 30 days, 45 of them for 90 days and a year: the 5
    reached within 30 days left follow-up before 90 days, and nobody else was reached. A reader
    knows that those reached within 30 days and not within 90 are no longer followed at 90
    days: reached(30) <= reached(90) + persons(30) - persons(90) = 5, its true value. The
    engine, told the windows (``follow_windows``), hides more than that one cell."""
    from traffickingmonitor.disclosure.api import protect_edition

    ids = np.asarray([f"p{i}" for i in range(60)])
    followed = np.r_[np.full(10, 10), np.full(5, 60), np.full(45, 400)]
    first = np.r_[np.full(10, np.nan), np.full(5, 10.0), np.full(45, np.nan)]

    def protected_by(extra: dict) -> tuple[MonitorTable, dict]:
        table, who = _care_windows(ids, followed, first)
        table = dataclasses.replace(table, extra=extra)
        totals = MonitorTable(
            "totals",
            "t",
            "t",
            pd.DataFrame({"year": [2020], "persons": [60]}),
            dimensions=("year",),
            counts=("persons",),
        )
        frame = protect_edition({"totals": totals, "care": table}, RULE).get("care").frame
        return table, who, {c: frame[c].astype(str).tolist() for c in ("persons", "reached")}

    table, who, unaware = protected_by({})
    assert table.frame["persons"].tolist() == [50, 45, 45]
    assert table.frame["reached"].tolist() == [5, 0, 0]
    assert unaware["reached"] == ["<10", "0", "0"]  # the small cell alone
    assert _one_table_attack(ids, table, who, unaware, WINDOWS).recovered == [
        "row 1 reached: 1..5, needs 2..8 from: +1 care row 1 persons, -1 care row 2 persons, "
        "+1 care row 2 reached"
    ]
    table, who, aware = protected_by(WINDOWS)
    hidden = sum(v in ("x", "<10") for column in aware.values() for v in column)
    assert hidden > 1
    verdict = _one_table_attack(ids, table, who, aware, WINDOWS)
    assert verdict.attacked and verdict.hidden == hidden and verdict.recovered == []


def _attack_shown(tables: dict, members: dict, shown: dict, knowledge: dict) -> dict:
    """The table view's verdicts on ``tables`` published as in ``shown`` (table -> column ->
    texts; else as they are), each declaring what ``knowledge`` gives it."""
    from traffickingmonitor.disclosure.atoms import VIEWS, Sheet, attack_atoms

    sheets, truth = {}, {}
    for tid, t in tables.items():
        own = shown.get(tid, {})
        cells = pd.DataFrame({c: own.get(c, t.frame[c].astype(str).tolist()) for c in t.counts})
        sheets[tid] = Sheet(tid, cells, False, knowledge.get(tid, {}), t.frame, t.dimensions)
        truth.update({(tid, r, c): int(v) for c in t.counts for r, v in enumerate(t.frame[c])})
    return attack_atoms(sheets, members, {}, truth, 10, 3, VIEWS["tables"]).verdicts


def _towns(pooled: bool, b_in_both: int = 2):
    """Persons of 2019 and 2020 by town, and the cohort by year of first registration: 3
    of town A and 2 of town B in both years, 4 of town C and 10 of town B in 2019 only, 13
    of town B and 5 of town D in 2020 only. So the persons of 2020 registered before (23 -
    18 = 5) include the 3 of town A; the attacker knows it from which years town A's
    persons have, a reader does not."""
    spec = [("A", (2019, 2020), 3), ("B", (2019, 2020), b_in_both), ("C", (2019,), 4)]
    spec += [("B", (2019,), 12 - b_in_both), ("B", (2020,), 15 - b_in_both), ("D", (2020,), 5)]
    rows, n = [], 0
    for town, years, count in spec:
        for _ in range(count):
            rows += [{"unit_id": f"p{n}", "year": y, "town": town} for y in years]
            n += 1
    person_years = pd.DataFrame(rows)
    first = person_years.groupby("unit_id", as_index=False)["year"].min()
    first = first.rename(columns={"year": "cohort_year"})
    towns = ("town",) if pooled else ("year", "town")
    sources = {
        "totals": (("year",), person_years),
        "towns": (towns, person_years),
        "cohort": (("cohort_year",), first),
    }
    tables, members = {}, {}
    for tid, (dims, src) in sources.items():
        tables[tid] = _table(tid, dims, src, margin_of="" if tid != "totals" else None)
        members[tid] = m.members(tables[tid].frame, dims, src, unit="person", column="persons")
    return tables, members


def _findings(verdict, row: int) -> list[str]:
    return [f for f in verdict.recovered if f.startswith(f"row {row} ")]


def test_which_years_a_table_by_year_counts_a_unit_in_is_a_fact_of_the_data(monkeypatch):
    """Town A's persons of 2020 (3, hidden with town D's) are at most the persons of 2020
    registered before, 5, for an attacker that knows they were all registered in 2019 too.
    A reader knows only the rows of each year: with the unit one year fewer beside the
    patterns that occur, that finding goes. (The attacker still knows which towns the
    persons of both years were in, and narrows other cells by it.)"""
    from traffickingmonitor.disclosure import atoms

    tables, members = _towns(pooled=False)
    frame = tables["towns"].frame
    assert frame[["year", "town", "persons"]].to_numpy().tolist() == [
        [2019, "A", 3],
        [2019, "B", 12],
        [2019, "C", 4],
        [2020, "A", 3],
        [2020, "B", 15],
        [2020, "D", 5],
    ]
    assert tables["cohort"].frame["persons"].tolist() == [19, 18]
    shown = {"towns": {"persons": ["<10", "12", "<10", "<10", "15", "<10"]}}
    verdict = _attack_shown(tables, members, shown, {})["towns"]
    assert verdict.attacked and verdict.hidden == 4 and _findings(verdict, 4) == []
    monkeypatch.setattr(atoms._YearsApart, "alternatives", lambda self, tid, link, cells: [])
    knowing = _attack_shown(tables, members, shown, {})["towns"]
    assert _findings(knowing, 4) == [
        "row 4 persons: 1..5, needs 1..6 from: -1 cohort row 2 persons, +1 totals row 2 persons"
    ]


def test_which_years_a_pooled_count_holds_is_a_fact_of_the_data():
    """Persons pooled over the two years (person-years), none of town B in both: town A's 6
    are 3 persons of both years, twice the 3 persons of 2020 registered before for an
    attacker that knows it. Told the table is pooled (``pooled_years``), the attacker takes
    each person for possibly one year fewer, and that finding goes."""
    tables, members = _towns(pooled=True, b_in_both=0)
    assert tables["towns"].frame["persons"].tolist() == [6, 27, 4, 5]
    assert tables["cohort"].frame["persons"].tolist() == [19, 20]
    shown = {"towns": {"persons": ["<10", "27", "<10", "<10"]}}
    knowing = _attack_shown(tables, members, shown, {})["towns"]
    assert _findings(knowing, 1) == [
        "row 1 persons: pinned down to 6 from: -2 cohort row 2 persons, +2 totals row 2 persons"
    ]
    declared = _attack_shown(tables, members, shown, {"towns": {"pooled_years": 2}})["towns"]
    assert declared.attacked and declared.hidden == 3 and _findings(declared, 1) == []
