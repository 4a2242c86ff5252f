"""Protection against the attacker from the microdata, on random small editions and random
sets of tables: whatever relations the engine was not told of, the loop of protect -> attack
-> add what was found ends with nothing recovered."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traffickingmonitor.analysis import members as m
from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.against_atoms import NotClosedError, protect_against_atoms
from traffickingmonitor.disclosure.atoms import attack_protected
from traffickingmonitor.disclosure.attack import truth_of
from traffickingmonitor.disclosure.rule import DisclosureRule

RULE = DisclosureRule()
YEARS = (2019, 2020)

#: table -> its dimensions (``year`` absent: persons over the period, counted once)
TABLES = {
    "orgs": ("year", "org"),
    "sex": ("year", "sex"),
    "age_group": ("year", "age_group"),
    "period_sex": ("sex",),
    "period_orgs": ("org",),
}


def _person_years(seed: int, persons: int) -> pd.DataFrame:
    """Persons seen in one or both years, with a sex and age group of their own and a
    reporting organisation per year; the care organisations' count is repeated by a
    programme indicator."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(persons):
        sex = rng.choice(["f", "m", "x"], p=[0.6, 0.35, 0.05])
        age = rng.choice(["minor", "adult"], p=[0.2, 0.8])
        for year in YEARS:
            if rng.random() < 0.6:
                org = rng.choice(["police", "care", "kmar"], p=[0.7, 0.2, 0.1])
                rows.append(
                    {"unit_id": f"p{i}", "year": year, "sex": sex, "age_group": age, "org": org}
                )
    return pd.DataFrame(rows)


def _count(tid: str, dims: tuple, units: pd.DataFrame, column: str = "persons", **kw):
    once = units.drop_duplicates(["unit_id", *dims])
    frame = once.groupby(list(dims), as_index=False).size().rename(columns={"size": column})
    table = MonitorTable(tid, tid, tid, frame, dimensions=dims, counts=(column,), **kw)
    return table, m.members(frame, dims, once, unit="person", column=column)


def _edition(seed: int, persons: int, chosen: list[str]):
    units = _person_years(seed, persons)
    made = {"totals": _count("totals", ("year",), units)}
    for tid in chosen:
        made[tid] = _count(
            tid, TABLES[tid], units, margin_of="" if "year" not in TABLES[tid] else None
        )
    care = units[units["org"] == "care"].assign(indicator="care")
    made["programme"] = _count("programme", ("indicator", "year"), care, "numerator", margin_of="")
    return {t: v[0] for t, v in made.items()}, {t: v[1] for t, v in made.items()}


def _on_random_editions(examples: int):
    """Hypothesis over random small editions: a seed, a number of persons and the tables."""
    return lambda test: settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )(
        given(
            seed=st.integers(0, 10_000),
            persons=st.integers(25, 90),
            chosen=st.lists(st.sampled_from(sorted(TABLES)), min_size=1, max_size=4, unique=True),
        )(test)
    )


@_on_random_editions(30)
def test_nothing_is_recovered_after_protection_against_the_atoms(seed, persons, chosen):
    tables, members = _edition(seed, persons, chosen)
    done = protect_against_atoms(tables, RULE, members)
    verdicts = attack_protected(
        done.protection.tables, members, {}, truth_of(tables), RULE
    ).verdicts
    assert set(verdicts) == set(tables)
    assert all(v.attacked and not v.recovered for v in verdicts.values()), [
        v.line() for v in verdicts.values() if v.recovered
    ]
    # every relation the engine was given holds for the true counts
    truth = truth_of(tables)
    assert all(r.at(truth) >= -1e-6 for r in done.relations)


def test_relations_the_engine_already_knows_add_no_round():
    """An edition whose relations are all declared needs one round: the attacker from the
    microdata finds nothing the engine did not protect against."""
    tables, members = _edition(3, 60, ["sex"])
    del tables["programme"], members["programme"]
    done = protect_against_atoms(tables, RULE, members)
    assert done.rounds == 1
    assert done.relations == []


def test_a_round_starts_from_the_cells_the_rounds_before_it_hid():
    """The loop's pattern only grows: cells a round hid are hidden in the next from the
    start (a pattern that showed them again would leave them to relations nobody looked
    for). Two cells the engine shows stay hidden when a round before hid them."""
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, _ = _edition(3, 60, ["sex"])
    # the cells the engine shows: women of 2019, men of 2020 (each year's other two hidden)
    rows = [0, 4]
    assert tables["sex"].frame.loc[rows, ["year", "sex"]].to_numpy().tolist() == [
        [2019, "f"],
        [2020, "m"],
    ]
    keep = frozenset(("sex", r, "persons") for r in rows)

    def status(**kw) -> list[str]:
        protected = protect_edition_details(tables, RULE, **kw).tables["sex"]
        return protected.status.loc[rows, "persons"].tolist()

    assert status() == ["", ""]
    assert status(keep_hidden=keep) == ["secondary", "secondary"]


def test_a_figure_repeated_under_another_name_is_found_without_a_declaration():
    """The programme repeats the care organisations' persons of both years, undeclared. The
    declared model alone hides care in one table and shows it in the other; protected with
    the repeats the microdata show, the two are one cell, and the members are made only for
    the tables of a possible repeat."""
    from traffickingmonitor.disclosure.against_atoms import protect_with_repeats
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _edition(1416, 81, ["orgs"])
    plain = protect_edition_details(tables, RULE)
    recovered = attack_protected(plain.tables, members, {}, truth_of(tables), RULE).verdicts
    assert recovered["orgs"].recovered, "the declared model alone misses the repeat"
    asked = []

    def members_of(tids):
        asked.append(set(tids))
        return members

    done = protect_with_repeats(tables, RULE, members_of)
    assert asked[0] == {"orgs", "programme"}
    verdicts = attack_protected(done.tables, members, {}, truth_of(tables), RULE).verdicts
    assert all(v.attacked and not v.recovered for v in verdicts.values()), [
        v.line() for v in verdicts.values() if v.recovered
    ]
    assert any("repeated under another name" in n for n in done.notes)
    # care and the programme: hidden or shown alike, year by year
    care = tables["orgs"].frame["org"] == "care"
    orgs = done.tables["orgs"].frame.loc[care, "persons"].astype(str).tolist()
    programme = done.tables["programme"].frame["numerator"].astype(str).tolist()
    assert orgs == programme


def test_a_loop_that_does_not_close_withholds_the_tables_still_recovered(caplog):
    """Stopped before the relations found reach the engine, the loop withholds the tables in
    which cells are still recovered: they keep their rows and a note, without a number, and
    then no table gives anything away, to the attacker from the microdata nor to the
    engine's own. The warning (it reaches the run's log) names the tables, never a count."""
    from traffickingmonitor.disclosure.check import check_tables

    tables, members = _edition(1416, 81, ["orgs"])  # two rounds are needed here
    with caplog.at_level(logging.WARNING):
        done = protect_against_atoms(tables, RULE, members, max_rounds=1)
    assert done.withheld == ("orgs",)
    orgs = done.protection.tables["orgs"]
    assert orgs.withheld and set(orgs.frame["persons"]) == {"x"}
    assert len(orgs.frame) == len(tables["orgs"].frame) and "Withheld" in orgs.spec.note_en
    shown = [t for tid, t in done.protection.tables.items() if tid != "orgs"]
    assert not any(t.withheld for t in shown)
    verdicts = attack_protected(done.protection.tables, members, {}, truth_of(tables), RULE)
    assert verdicts.verdicts["orgs"].line().startswith("withheld (no number published): ")
    assert all(v.ok for v in verdicts.verdicts.values())
    checked = check_tables(tables, RULE, protection=done.protection)
    assert checked.ok, checked.lines()
    # the plain check does not attack a withheld table: it says so, never "ok"
    assert any(line.startswith("  --    orgs") for line in checked.lines()), checked.lines()
    assert any("withheld" in n for n in done.protection.notes)
    assert "orgs" in caplog.text
    # a finding reads "pinned down to 8 from: ..." or "2..9, needs 1..6": none of it here
    assert not any(word in caplog.text for word in ("pinned", "from:", "needs", ".."))


def test_a_withheld_table_whose_small_counts_the_others_give_away_publishes_nothing():
    """Withholding helps only where the table's own numbers gave its small counts away. The
    persons of the year registered by the police, beside the year's total, tell the care
    organisations' persons (the only other organisation here; one a person a year) whether
    or not the table by organisation is published: then nothing may be."""
    units = _person_years(7, 30).replace({"org": {"kmar": "police"}})
    made = {
        "totals": _count("totals", ("year",), units),
        "orgs": _count("orgs", ("year", "org"), units),
        "not_care": _count("not_care", ("year",), units[units["org"] != "care"]),
    }
    tables, members = {t: v[0] for t, v in made.items()}, {t: v[1] for t, v in made.items()}
    care = tables["orgs"].frame.query("org == 'care'")["persons"]
    assert care.between(1, RULE.threshold - 1).any(), "the case needs a small care count"
    with pytest.raises(NotClosedError) as raised:
        protect_against_atoms(tables, RULE, members, max_rounds=1)
    assert "withheld tables" in str(raised.value) and "orgs" in str(raised.value)


def _recovered(attack) -> set[tuple[str, str]]:
    """(table, "row N column") of every cell the attacker recovered."""
    return {(t, f.split(":")[0]) for t, v in attack.verdicts.items() for f in v.recovered}


@_on_random_editions(20)
def test_the_table_view_recovers_only_what_the_edition_view_does(seed, persons, chosen):
    """Knowing the combinations of cells only within each table, the attacker allows every
    edition the whole-edition view allows (and more): it recovers a subset, and the relations
    it finds hold for the true counts."""
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _edition(seed, persons, chosen)
    protected = protect_edition_details(tables, RULE).tables
    truth = truth_of(tables)
    within = attack_protected(protected, members, {}, truth, RULE, "tables")
    across = attack_protected(protected, members, {}, truth, RULE, "edition")
    assert _recovered(within) <= _recovered(across)
    assert all(r.at(truth) >= -1e-6 for r in within.relations)


def test_a_coincidence_between_tables_is_known_only_to_the_edition_view():
    """Which persons of a year turn up in the period table under the same organisation is a
    fact of these data, not of the tables' definitions: the whole-edition view uses it, the
    table view does not."""
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _edition(0, 60, ["orgs", "period_orgs"])
    protected = protect_edition_details(tables, RULE).tables
    truth = truth_of(tables)
    within = _recovered(attack_protected(protected, members, {}, truth, RULE, "tables"))
    across = _recovered(attack_protected(protected, members, {}, truth, RULE, "edition"))
    assert {t for t, _ in across - within} == {"period_orgs"}


def _areas(cared_ids: str = "p", small: int = 3, a4: int = 0):
    """Person-years by area over two years (``place``, a margin of ``place_total``) and
    persons reached by care by area (``care``), sharing the area. In a1 they agree by
    coincidence (its 20 persons were registered in one year, all reached), unless the care
    persons of a1 are others (``cared_ids``); a2 (``small`` person-years, nobody reached);
    a4, when ``a4`` persons, agrees the same way and is shown in both tables."""

    def people(prefix, n, area, years):
        return [
            {"unit_id": f"{prefix}{i}", "area": area, "year": y} for i in range(n) for y in years
        ]

    years = pd.DataFrame(
        people("p", 20, "a1", [2019])
        + people("q", small, "a2", [2019])
        + people("r", 20, "a3", YEARS)
        + people("t", a4, "a4", [2019])
    )
    cared = pd.DataFrame(
        people(cared_ids, 20, "a1", [2019])
        + people("r", 15, "a3", [2019])
        + people("t", a4, "a4", [2019])
    )
    frame = years.groupby("area", as_index=False).size().rename(columns={"size": "persons"})
    total = pd.DataFrame({"persons": [len(years)]})
    care = cared.groupby("area", as_index=False).size().rename(columns={"size": "persons"})
    care = pd.concat([care, pd.DataFrame({"area": ["a2"], "persons": [0]})])
    care = care.sort_values("area").reset_index(drop=True)
    tables = {
        "place_total": MonitorTable(
            "place_total", "t", "t", total, dimensions=(), counts=("persons",), margin_of=""
        ),
        "place": MonitorTable(
            "place",
            "p",
            "p",
            frame,
            dimensions=("area",),
            counts=("persons",),
            margin_of="place_total",
        ),
        "care": MonitorTable(
            "care", "c", "c", care, dimensions=("area",), counts=("persons",), margin_of=""
        ),
    }
    members = {
        "place_total": m.members(total, (), years, unit="person", column="persons"),
        "place": m.members(frame, ("area",), years, unit="person", column="persons"),
        "care": m.members(care, ("area",), cared, unit="person", column="persons"),
    }
    return tables, members


def _protected_with_repeats(tables, members, truth):
    """The edition protected with the repeats the microdata show, which the attacker from
    the microdata then attacks in every table without recovering a cell."""
    from traffickingmonitor.disclosure.against_atoms import protect_with_repeats

    done = protect_with_repeats(tables, RULE, lambda tids: members)
    verdicts = attack_protected(done.tables, members, {}, truth, RULE).verdicts
    assert all(v.attacked and not v.recovered for v in verdicts.values()), [
        v.line() for v in verdicts.values() if v.recovered
    ]
    return done


def test_a_figure_equal_by_coincidence_in_one_area_is_found_and_shown_alike():
    """The two tables agree in a1 only, so they do not repeat each other by definition. The
    declared model hides a1's person-years as the partner of the small a2 and shows its care
    persons, the same 20 persons: a2 would be given away. The repeats in sight find the
    coincidence from the members (not when the 20 are other persons), and protected with it
    a1 is one number in both tables, a2 still protected."""
    from traffickingmonitor.disclosure.atoms import repeats_in_sight
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _areas()
    truth = truth_of(tables)
    plain = protect_edition_details(tables, RULE)
    assert plain.tables["place"].frame["persons"].astype(str).tolist() == ["x", "<10", "40"]
    assert plain.tables["care"].frame.at[0, "persons"] == 20
    a1 = (("place", 0, "persons"), ("care", 0, "persons"))
    found = repeats_in_sight(plain.tables, truth, lambda tids: members)
    assert {frozenset(k for k, _ in r.terms) for r in found} == {frozenset(a1)}

    others, other_members = _areas(cared_ids="s")
    assert repeats_in_sight(plain.tables, truth_of(others), lambda tids: other_members) == []

    done = _protected_with_repeats(tables, members, truth)
    place, care = done.tables["place"].frame, done.tables["care"].frame
    assert str(place.at[0, "persons"]) == str(care.at[0, "persons"])
    assert place.at[1, "persons"] == "<10"


def test_a_range_a_hair_wide_is_one_whole_number():
    """A relation found in the microdata holds to a tolerance (1e-6), so the attacker's range
    of a figure it pins is a hair wide: counts are whole numbers, so that is the figure
    known exactly, and a helper cell so known protects nothing (the engine shows it)."""
    from traffickingmonitor.disclosure.secondary import _whole_numbers

    assert _whole_numbers(20 - 1e-6, 20 + 1e-6) == 1
    assert _whole_numbers(19.2, 20.7) == 1
    assert _whole_numbers(19.0, 20.0) == 2
    assert _whole_numbers(19.3, 19.7) == 0
    assert _whole_numbers(-math.inf, 20.0) == 2


def test_coincidences_of_the_other_areas_are_found_with_the_first():
    """Where a hidden area's two figures are the same units, the other areas of the same two
    columns often are too (nobody anywhere registered in two years). Found one at a time,
    the engine would move its partner from area to area, one round each, and not close in
    the rounds it has (a small edition of twelve police units); so the shown a4, equal in
    both tables, is found in the same look as the hidden a1."""
    from traffickingmonitor.disclosure.atoms import repeats_in_sight
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _areas(a4=30)
    truth = truth_of(tables)
    plain = protect_edition_details(tables, RULE)
    place = plain.tables["place"].frame["persons"].astype(str).tolist()
    assert place == ["x", "<10", "40", "30"]
    found = repeats_in_sight(plain.tables, truth, lambda tids: members)
    pairs = {frozenset(k for k, _ in r.terms) for r in found}
    assert pairs == {
        frozenset({("place", row, "persons"), ("care", row, "persons")}) for row in (0, 3)
    }


def _cox_and_curve(cox_ids: str = "m"):
    """A curve of events by minor and month (``curve``, a margin of ``curve_total``): at
    month 96 the minors' 43 events and the adults' 3. A Cox table (``cox``) in long form,
    covariate and level, whose level "minor" counts events of ``cox_ids`` persons: the
    minors' 43 of the curve (no event after month 96), or 43 others."""
    minors = [{"unit_id": f"m{i}", "minor": "minor", "month": 96} for i in range(43)]
    adults = [{"unit_id": f"a{i}", "minor": "adult", "month": 96} for i in range(3)]
    events = pd.DataFrame(minors + adults)
    curve, curve_members = _count("curve", ("minor", "month"), events, "events", margin_of="")
    total, total_members = _count("curve_total", ("month",), events, "events", margin_of="")
    curve = MonitorTable(
        "curve",
        "c",
        "c",
        curve.frame,
        dimensions=("minor", "month"),
        counts=("events",),
        margin_of="curve_total",
    )
    cox_events = pd.DataFrame(
        [{"unit_id": f"{cox_ids}{i}", "covariate": "minor", "level": "minor"} for i in range(43)]
    ).assign(reference="adult")
    cox, cox_members = _count(
        "cox",
        ("covariate", "level", "reference"),
        cox_events,
        "events",
        margin_of="",
        extra={"long_form": {"dimension": "covariate", "value": "level"}},
    )
    tables = {"curve_total": total, "curve": curve, "cox": cox}
    members = {"curve_total": total_members, "curve": curve_members, "cox": cox_members}
    return tables, members


def test_a_cox_level_and_its_groups_curve_are_looked_at_as_one_group():
    """The Cox table names its group in a column (covariate "minor", level "minor"; declared
    as ``long_form``), so it shares no dimension with the minors' curve, and yet counts the same persons when nobody
    had an event after the curve's last month. The engine hides the minors' 43 as the
    partner of the adults' 3 and the Cox table shows 43: the repeats in sight find the two
    as one group from the members (not when the Cox events are other persons), and
    protected with it the adults' 3 is not given away."""
    from traffickingmonitor.disclosure.atoms import repeats_in_sight
    from traffickingmonitor.disclosure.edition import protect_edition_details

    tables, members = _cox_and_curve()
    truth = truth_of(tables)
    plain = protect_edition_details(tables, RULE)
    assert plain.tables["curve"].frame["events"].astype(str).tolist() == ["<10", "x"]
    assert plain.tables["cox"].frame.at[0, "events"] == 43
    found = repeats_in_sight(plain.tables, truth, lambda tids: members)
    assert {frozenset(k for k, _ in r.terms) for r in found} == {
        frozenset({("curve", 1, "events"), ("cox", 0, "events")})
    }
    others, other_members = _cox_and_curve(cox_ids="o")
    assert repeats_in_sight(plain.tables, truth_of(others), lambda tids: other_members) == []

    done = _protected_with_repeats(tables, members, truth)
    assert str(done.tables["cox"].frame.at[0, "events"]) == "x"
