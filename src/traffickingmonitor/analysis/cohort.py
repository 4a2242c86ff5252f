"""The cohort of an edition: every person from their first registration, with later events.

Shared by the cohort chapters (re-victimisation, crime overlap, care reach). A person enters the
cohort on the date of their first registration in the edition (day 0); events are counted in
days from that date. Events reach a person by the registration they name (``registration_id``,
through the edition's linkage) or, when they name none, by person tokens that match the
edition's registrations: the national-id token first, else the name token with the birth-date
token (or birth year). An event whose tokens match registrations of more than one person is
ambiguous and left out, because attaching it to either would be a guess.

Follow-up ends at the data cut-off: the configured ``cutoff`` of the edition, else the date of
its last event (the events extract is taken to be complete up to its last record). Persons
first registered on or after the cut-off have no follow-up and are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS, PLACE, person_years
from traffickingmonitor.codes import api as codes

YEAR_DAYS = 365.25
EXIT_EVENTS = ("death", "emigration")  # competing events: they end the time at risk
CARE_EVENTS = ("care_start", "shelter_admission")
# Characteristics the chapters break down by (column of ``Cohort.persons``).
GROUP_BY = (
    "victim_group",
    "sex",
    "minor",
    "age_group",
    "nationality_group",
    "residence_status",
    "cohort_year",
)


def horizon_days(years: float) -> int:
    """A horizon in whole days from the first registration (5 years = 1826 days)."""
    return round(years * YEAR_DAYS)


@dataclass
class Cohort:
    """Persons from their first registration and their events, in days since that registration.

    ``persons``: one row per person: ``person_id``, ``cohort_year`` (year of first
    registration), ``follow_days`` (days from the first registration to the cut-off, > 0) and
    the characteristics of the first registration year (``victim_groups`` as a list, ``sex``,
    ``minor``, ``age_group``, ``nationality_group``, ``residence_status``,
    ``place``, ``region``: its police unit). ``events``: ``person_id``, ``day`` (event date
    minus first registration date; negative before it), ``event_type``, ``offence_group``;
    only events on or before the cut-off.
    """

    persons: pd.DataFrame
    events: pd.DataFrame
    cutoff: dt.date | None
    notes: dict = field(default_factory=dict)
    _groups: dict = field(default_factory=dict, repr=False)  # group_by -> groups() result

    def __len__(self) -> int:
        return len(self.persons)

    def first_day(self, event_types, *, offence_group: str | None = None, after: int = 1):
        """Per person (aligned with ``persons``): first ``day >= after`` of these events, or NaN."""
        ev = self.events
        mask = ev["event_type"].isin(list(event_types)) & (ev["day"] >= after)
        if offence_group is not None:
            mask &= ev["offence_group"] == offence_group
        first = ev.loc[mask].groupby("person_id")["day"].min()
        return self.persons["person_id"].map(first).to_numpy(dtype=float)

    def any_between(self, event_types, low: int, high: int) -> dict[tuple[str, str], np.ndarray]:
        """Per event type and offence group (and ``any``): which persons have such an event on
        a day in [low, high], as boolean arrays aligned with ``persons`` (one pass)."""
        ev = self.events
        mask = ev["event_type"].isin(list(event_types)) & ev["day"].between(low, high)
        sub = ev.loc[mask, ["person_id", "event_type", "offence_group"]]
        where = pd.Index(self.persons["person_id"]).get_indexer(sub["person_id"])
        sub = sub.assign(pos=where)
        out = {}
        n = len(self.persons)
        for event_type in event_types:
            rows = sub[sub["event_type"] == event_type]
            hit = np.zeros(n, bool)
            hit[rows["pos"].to_numpy()] = True
            out[(event_type, "any")] = hit
            for group, part in rows.groupby("offence_group"):
                hit = np.zeros(n, bool)
                hit[part["pos"].to_numpy()] = True
                out[(event_type, str(group))] = hit
        return out

    def exit_day(self) -> np.ndarray:
        """First death or emigration after the first registration (competing events), or NaN."""
        return self.first_day(EXIT_EVENTS)

    def groups(self, group_by: str) -> list[tuple[str, np.ndarray]]:
        """(group code, boolean person mask) for each group of a characteristic.

        ``all`` gives the whole cohort. A person can be in several victim groups.
        """
        if group_by not in self._groups:
            self._groups[group_by] = self._make_groups(group_by)
        return self._groups[group_by]

    def _make_groups(self, group_by: str) -> list[tuple[str, np.ndarray]]:
        p = self.persons
        if group_by == "all":
            return [("all", np.ones(len(p), bool))]
        if group_by == "victim_group":
            member = p["victim_groups"].explode()  # index: the person's row (a RangeIndex)
            pos = member.index.to_numpy()
            out = []
            for g in codes.VICTIM_GROUP.order():
                mask = np.zeros(len(p), bool)
                mask[pos[(member == g).to_numpy()]] = True
                out.append((g, mask))
            return out
        values = pd.Categorical(p[group_by].astype(str))
        order = _ORDERS.get(group_by)
        present = sorted(values.categories)
        if order is not None:
            present = [c for c in order if c in set(present)] + [
                c for c in present if c not in order
            ]
        codes_ = values.codes
        return [(c, codes_ == values.categories.get_loc(c)) for c in present]


_ORDERS = {
    "sex": codes.SEX_GROUP.order(),
    "minor": codes.MINOR.order(),
    "age_group": codes.AGE_GROUP.order(),
    "nationality_group": codes.NATIONALITY_GROUP.order(),
    "residence_status": codes.RESIDENCE_STATUS.order(),
}


def edition_input_hashes(con: duckdb.DuckDBPyConnection, edition_id: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT file_hash FROM edition_inputs WHERE edition_id = ?", [edition_id]
        ).fetchall()
    ]


_EDITION_EVENTS = """
WITH ep AS (
    SELECT file_hash, registration_id, person_id FROM edition_persons WHERE edition_id = $edition
),
reg AS (
    SELECT r.nid_token, r.name_token, r.birth_date_token, r.birth_year, ep.person_id
    FROM registrations r JOIN ep USING (file_hash, registration_id)
),
ev AS (
    -- an empty registration_id (a CSV's empty field) names no registration
    SELECT row_number() OVER () AS ev_no, nullif(trim(registration_id), '') AS registration_id,
           nid_token, name_token, birth_date_token, birth_year, event_date, event_type,
           offence_group
    FROM events WHERE list_contains($hashes, file_hash)
),
by_id AS (
    SELECT ev.ev_no, any_value(ep.person_id) AS person_id
    FROM ev JOIN ep ON ev.registration_id = ep.registration_id GROUP BY ev.ev_no
),
by_nid AS (
    SELECT ev.ev_no, min(reg.person_id) AS person_id, count(DISTINCT reg.person_id) AS n
    FROM ev JOIN reg ON ev.registration_id IS NULL AND ev.nid_token = reg.nid_token
    GROUP BY ev.ev_no
),
by_name AS (
    SELECT ev.ev_no, min(reg.person_id) AS person_id, count(DISTINCT reg.person_id) AS n
    FROM ev JOIN reg
      ON ev.registration_id IS NULL AND ev.name_token = reg.name_token
     AND (ev.birth_date_token = reg.birth_date_token
          OR (ev.birth_date_token IS NULL AND ev.birth_year = reg.birth_year))
    GROUP BY ev.ev_no
)
SELECT
    ev.event_date, ev.event_type, ev.offence_group,
    CASE
        WHEN ev.registration_id IS NOT NULL THEN by_id.person_id
        WHEN by_nid.n = 1 THEN by_nid.person_id
        WHEN by_nid.n IS NULL AND by_name.n = 1 THEN by_name.person_id
    END AS person_id,
    CASE
        WHEN ev.registration_id IS NOT NULL
            THEN CASE WHEN by_id.person_id IS NULL THEN 'unknown_registration' ELSE 'registration' END
        WHEN by_nid.n = 1 THEN 'national_id'
        WHEN by_nid.n > 1 THEN 'ambiguous'
        WHEN by_name.n = 1 THEN 'name_birth'
        WHEN by_name.n > 1 THEN 'ambiguous'
        ELSE 'no_match'
    END AS linked_by
FROM ev
LEFT JOIN by_id USING (ev_no)
LEFT JOIN by_nid USING (ev_no)
LEFT JOIN by_name USING (ev_no)
"""

_FIRST_REGISTRATION = f"""
WITH reg AS ({EDITION_REGISTRATIONS})
SELECT
    person_id,
    min(registered_on) AS t0,
    {PLACE} AS place
FROM reg
GROUP BY person_id
"""


def load_cohort(
    con: duckdb.DuckDBPyConnection,
    edition_id: str,
    *,
    person_years_frame: pd.DataFrame | None = None,
    input_hashes: list[str] | None = None,
    cutoff: str | dt.date | None = None,
) -> Cohort:
    """The cohort of an edition, from the store.

    Parameters
    ----------
    con
        The store (inside the edition's transaction during a pipeline run).
    edition_id
        The edition whose persons (``edition_persons``) and input files are used.
    person_years_frame
        ``analysis.persons.person_years`` of the edition, when the caller has it already.
    input_hashes
        The edition's input files; read from ``edition_inputs`` when not given (the pipeline
        gives them, because it records the inputs only after the analyses).
    cutoff
        The data cut-off; default: the date of the edition's last event.

    Returns
    -------
    Cohort
        ``notes`` say how the events were linked and how many persons were left out.
    """
    hashes = input_hashes if input_hashes is not None else edition_input_hashes(con, edition_id)
    ev = con.execute(_EDITION_EVENTS, {"edition": edition_id, "hashes": list(hashes)}).df()
    first = con.execute(_FIRST_REGISTRATION, {"edition": edition_id}).df()
    py = person_years_frame if person_years_frame is not None else person_years(con, edition_id)
    linked = ev["linked_by"].value_counts().to_dict()
    # the extract's last date, whoever it is about: it says how far the data reach
    if cutoff is not None:
        cut = pd.Timestamp(cutoff).date()
    elif len(ev):
        cut = pd.Timestamp(ev["event_date"].max()).date()
    else:
        cut = None
    # ... and its first date: how far back the data reach (a look-back before it is unseen)
    start = pd.Timestamp(ev["event_date"].min()).date().isoformat() if len(ev) else None
    ev = ev[ev["person_id"].notna()]
    return from_frames(
        first,
        py,
        ev[["person_id", "event_date", "event_type", "offence_group"]],
        cut,
        notes={
            "events_linked_by": {str(k): int(v) for k, v in sorted(linked.items())},
            "events_from": start,
        },
    )


def from_frames(
    first: pd.DataFrame,
    py: pd.DataFrame,
    events: pd.DataFrame,
    cutoff: dt.date | None,
    notes: dict | None = None,
) -> Cohort:
    """Build a cohort from plain frames (the store's, or ground truth in a test).

    ``first``: ``person_id``, ``t0`` (first registration date), ``place`` (``persons.PLACE``
    over the person's registrations: the base of every regional figure).
    ``py``: person-years (``analysis.persons.person_years``): the row of a person's first
    year gives their characteristics. ``events``: ``person_id``, ``event_date``,
    ``event_type``, ``offence_group``.
    """
    notes = dict(notes or {})
    persons = first.copy()
    persons["t0"] = pd.to_datetime(persons["t0"])
    persons["cohort_year"] = persons["t0"].dt.year
    chars = py.rename(columns={"year": "cohort_year"})[
        [
            "person_id",
            "cohort_year",
            "victim_groups",
            "sex",
            "minor",
            "age_group",
            "nationality_group",
            "residence_status",
        ]
    ]
    persons = persons.merge(chars, on=["person_id", "cohort_year"], how="left")
    for col in ("sex", "minor", "age_group", "nationality_group", "residence_status"):
        persons[col] = persons[col].fillna(codes.UNKNOWN).astype(str)
    persons["victim_groups"] = persons["victim_groups"].map(
        lambda v: list(v) if isinstance(v, list | np.ndarray) else ["other_unknown"]
    )
    reference = codes.municipalities().set_index("code")
    persons["place"] = (persons["place"].where(persons["place"].isin(reference.index))).fillna(
        codes.UNKNOWN
    )
    persons["region"] = persons["place"].map(reference["police_unit"]).fillna(codes.UNKNOWN)
    if cutoff is None:
        persons["follow_days"] = 0
    else:
        persons["follow_days"] = (pd.Timestamp(cutoff) - persons["t0"]).dt.days
    late = int((persons["follow_days"] <= 0).sum())
    persons = persons[persons["follow_days"] > 0].reset_index(drop=True)
    persons["cohort_year"] = persons["cohort_year"].astype(int).astype(str)

    ev = events.merge(persons[["person_id", "t0"]], on="person_id", how="inner")
    ev["event_date"] = pd.to_datetime(ev["event_date"])
    if cutoff is not None:
        ev = ev[ev["event_date"] <= pd.Timestamp(cutoff)]
    ev = pd.DataFrame(
        {
            "person_id": ev["person_id"].to_numpy(),
            "day": (ev["event_date"] - ev["t0"]).dt.days.to_numpy(),
            "event_type": ev["event_type"].astype(str).to_numpy(),
            "offence_group": ev["offence_group"].astype(object).to_numpy(),
        }
    )
    notes.update(
        {
            "cutoff": cutoff.isoformat() if cutoff is not None else None,
            "persons": len(persons),
            "persons_without_follow_up": late,
            "events": len(ev),
        }
    )
    return Cohort(persons=persons, events=ev, cutoff=cutoff, notes=notes)
