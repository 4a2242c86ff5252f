"""Column builders for the written files, the ground truth tables and the measured aggregates.

Victim groups (DESIGN.md): ``domestic_sexual`` = sexual exploitation and Dutch nationality,
``crossborder_sexual`` = sexual exploitation and another nationality, ``labour``,
``criminal``, ``other_unknown`` = none of these (other forms, organ removal). A person with
several forms belongs to several groups: ``population.csv`` counts each membership (its
groups overlap and do not add up to the number of victims); ``population_primary.csv`` gives
every person-year exactly one group by priority criminal > labour > sexual > other_unknown
(its counts add up to the latent population).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from traffickingmonitor.synthetic import writer
from traffickingmonitor.synthetic.calibration import COMBOS, ORGS
from traffickingmonitor.synthetic.events import EVENT_TYPES, OFFENCE_GROUPS, RISK_CLASSES, SOURCES
from traffickingmonitor.synthetic.noise import FORM_STRINGS, SEX_CODES, STATUS_CODES
from traffickingmonitor.synthetic.population import (
    COUNTRIES,
    NATIONALITIES,
    SECTORS,
    SEXES,
    STATUSES,
    forms_flags,
    minor_on,
)

VICTIM_GROUPS = ("domestic_sexual", "crossborder_sexual", "labour", "criminal", "other_unknown")
VICTIM_GROUP_RULE = (
    "population.csv counts every group membership (sexual & NL -> domestic_sexual, sexual & not "
    "NL -> crossborder_sexual, labour, criminal, none of these -> other_unknown; a person with "
    "two forms is counted in two groups). population_primary.csv assigns one group per "
    "person-year by priority criminal > labour > sexual (domestic/crossborder) > other_unknown. "
    "minor = under 18 on 1 July of the year."
)


def person_ids(index: np.ndarray, n_latent: int) -> pa.Array:
    """Person ids (P00000001 ...) of the persons with the given latent indices."""
    import pyarrow.compute as pc

    width = max(8, len(str(n_latent)))
    nums = pa.array(np.asarray(index, np.int64) + 1).cast(pa.string())
    return pc.binary_join_element_wise("P", pc.utf8_lpad(nums, width=width, padding="0"), "")


def plain(table: dict) -> dict[str, pa.Array]:
    """Object columns ('' = missing) to string arrays."""
    out = {}
    for k, v in table.items():
        arr = pa.array(list(v), type=pa.string())
        out[k] = pa.array([x if x else None for x in arr.to_pylist()], type=pa.string())
    return out


def _with_unknown(table) -> list[str]:
    return [*table, "unknown"]


def registration_columns(rows, regs, reg_ids, rec, pool_array, munis, nat_codes) -> dict:
    org = ORGS[int(regs.org[rows[0]])] if len(rows) else ""
    nat = rec["nationality"][rows].astype(np.int64)
    nat = np.where(nat < 0, len(nat_codes), nat)
    return {
        "registration_id": reg_ids.take(pa.array(rows)),
        "registered_on": writer.dates(regs.date[rows]),
        "reporting_org": writer.constant(org, len(rows)),
        "national_id": writer.integers(
            rec["national_id"][rows], rec["national_id"][rows] < 0, width=9
        ),
        "family_name": writer.codes(rec["family"][rows], pool_array),
        "given_names": writer.codes(rec["given"][rows], pool_array),
        "birth_date": writer.dates(rec["birth_date"][rows]),
        "birth_year": writer.integers(rec["birth_year"][rows], rec["birth_year"][rows] < 0),
        "sex": writer.codes(rec["sex"][rows], SEX_CODES),
        "nationality": writer.codes(nat, _with_unknown(nat_codes)),
        "exploitation_form": writer.codes(rec["form"][rows], FORM_STRINGS),
        "sector": writer.codes(rec["sector"][rows], SECTORS),
        "exploitation_country": writer.codes(rec["country"][rows], COUNTRIES),
        "exploitation_municipality": writer.codes(rec["expl_muni"][rows], munis.codes),
        "residence_municipality": writer.codes(rec["res_muni"][rows], munis.codes),
        "exploitation_start": writer.dates(rec["expl_start"][rows]),
        "residence_status": writer.codes(rec["status"][rows], STATUS_CODES),
        "shelter_referral": writer.dates(rec["shelter"][rows]),
    }


def event_columns(ev, rows, first_ids) -> dict:
    """Input events.csv columns for event rows ``rows`` (observed events only)."""
    n = len(rows)
    empty = writer.constant(None, n)
    return {
        "registration_id": first_ids.take(pa.array(ev.person[rows])),
        "national_id": empty,
        "family_name": empty,
        "given_names": empty,
        "birth_date": empty,
        "birth_year": empty,
        "event_date": writer.dates(ev.date[rows]),
        "event_type": writer.codes(ev.type[rows], EVENT_TYPES),
        "offence_group": writer.codes(ev.offence[rows], OFFENCE_GROUPS),
        "source": writer.codes(ev.source[rows], SOURCES),
    }


def truth_event_columns(ev, rows, observed, pids_reg) -> dict:
    return {
        "person_id": pids_reg.take(pa.array(ev.person[rows])),
        "event_date": writer.dates(ev.date[rows]),
        "event_type": writer.codes(ev.type[rows], EVENT_TYPES),
        "offence_group": writer.codes(ev.offence[rows], OFFENCE_GROUPS),
        "source": writer.codes(ev.source[rows], SOURCES),
        "observed": writer.codes(observed[rows].astype(np.int8), ("false", "true")),
    }


def _group_flags(persons, idx) -> np.ndarray:
    """(n, 5) bool memberships of VICTIM_GROUPS."""
    s, lab, c, _ = forms_flags(persons["combo"][idx])
    nl = persons["nat"][idx] == NATIONALITIES.index("NL")
    return np.column_stack([s & nl, s & ~nl, lab, c, ~(s | lab | c)])


def _primary_group(flags: np.ndarray) -> np.ndarray:
    g = np.full(len(flags), 4, np.int8)
    for k in (1, 0, 2, 3):  # later assignments win: criminal > labour > sexual
        g[flags[:, k]] = k
    return g


def population_tables(dets, persons, scale) -> tuple[dict, dict, dict]:
    n_g, n_s = len(VICTIM_GROUPS), len(SEXES)
    rows_m, rows_p = [], []
    per_year = {}
    for d in dets:
        flags = _group_flags(persons, d.person)
        sex = persons["sex"][d.person].astype(np.int64)
        minor = d.minor.astype(np.int64)
        cell = sex * 2 + minor
        m = np.zeros((n_g, n_s * 2), np.int64)
        for g in range(n_g):
            m[g] = np.bincount(cell[flags[:, g]], minlength=n_s * 2)
        prim = _primary_group(flags)
        pm = np.bincount(prim.astype(np.int64) * n_s * 2 + cell, minlength=n_g * n_s * 2)
        pm = pm.reshape(n_g, n_s * 2)
        for g in range(n_g):
            for s in range(n_s):
                for mi in range(2):
                    key = (str(d.year), VICTIM_GROUPS[g], SEXES[s], ("adult", "minor")[mi])
                    rows_m.append((*key, str(int(m[g, s * 2 + mi]))))
                    rows_p.append((*key, str(int(pm[g, s * 2 + mi]))))
        per_year[str(d.year)] = len(d.person)
    cols = ("year", "victim_group", "sex", "minor", "count")

    def table(rows):
        return {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(cols)}

    return table(rows_m), table(rows_p), per_year


def _year_masks(owner_idx: np.ndarray, year_off: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, np.int64)
    np.bitwise_or.at(mask, owner_idx, np.left_shift(np.int64(1), year_off.astype(np.int64)))
    return mask


def _mask_strings(mask: np.ndarray, first: int) -> pa.Array:
    uniq, inv = np.unique(mask, return_inverse=True)
    strs = [";".join(str(first + b) for b in range(63) if (int(u) >> b) & 1) or None for u in uniq]
    return writer.codes(inv, [s or "" for s in strs], missing=(uniq == 0)[inv])


def person_columns(
    reg_persons,
    persons,
    pids_reg,
    family,
    given,
    bsn,
    dets,
    regs,
    first_ids,
    t0,
    ev,
    pool_array,
    munis,
    nat_codes,
) -> dict:
    n = len(reg_persons)
    reg_index = np.full(len(persons), -1, np.int64)
    reg_index[reg_persons] = np.arange(n)
    first = dets[0].year
    parts_i, parts_y = [], []
    for d in dets:
        ri = reg_index[d.person]
        keep = ri >= 0
        parts_i.append(ri[keep])
        parts_y.append(np.full(int(keep.sum()), d.year - first))
    latent = _year_masks(np.concatenate(parts_i), np.concatenate(parts_y), n)
    registered = _year_masks(reg_index[regs.person], regs.year - first, n)

    p = reg_persons
    combo = persons["combo"][p]
    form_idx = np.array([FORM_STRINGS.index(";".join(c)) for c in COMBOS], dtype=np.int64)[combo]
    form_idx[(persons["organ"][p])] = FORM_STRINGS.index("organ_removal")
    return {
        "person_id": pids_reg,
        "family_name": writer.codes(family, pool_array),
        "given_names": writer.codes(given, pool_array),
        "sex": writer.codes(persons["sex"][p], SEXES),
        "birth_date": writer.dates(persons["birth"][p]),
        "nationality": writer.codes(persons["nat"][p], nat_codes),
        "residence_status": writer.codes(persons["status"][p], STATUSES),
        "national_id": writer.integers(bsn, bsn < 0, width=9),
        "exploitation_form": writer.codes(form_idx, FORM_STRINGS),
        "sector": writer.codes(persons["sector"][p], SECTORS),
        "exploitation_country": writer.codes(persons["country"][p], COUNTRIES),
        "exploitation_municipality": writer.codes(persons["expl_muni"][p], munis.codes),
        "residence_municipality": writer.codes(persons["res_muni"][p], munis.codes),
        "exploitation_start": writer.dates(persons["expl_start"][p]),
        "first_latent_year": writer.integers(persons["first_year"][p], np.zeros(n, bool)),
        "latent_years": _mask_strings(latent, first),
        "registered_years": _mask_strings(registered, first),
        "first_registration_id": first_ids,
        "first_registered_on": writer.dates(t0),
        "risk_class": writer.codes(ev.risk_class, RISK_CLASSES),
    }


def aggregates(regs, rec, reg_persons, reg_index, persons, dets) -> dict:
    """The published aggregates as measured on this edition (truth persons, recorded forms)."""
    bits = np.zeros(len(FORM_STRINGS), np.int64)
    for i, s in enumerate(FORM_STRINGS):
        for f in s.split(";"):
            bits[i] |= {"sexual": 1, "labour": 2, "criminal": 4}.get(f, 0)
    out: dict = {}
    for d in dets:
        rows = np.flatnonzero(regs.year == d.year)
        person = regs.person[rows]
        order = np.lexsort((regs.date[rows], person))
        person_sorted = person[order]
        starts = np.flatnonzero(np.r_[True, person_sorted[1:] != person_sorted[:-1]])
        uniq = person_sorted[starts]
        fbits = np.bitwise_or.reduceat(bits[rec["form"][rows][order]], starts)
        first_date = regs.date[rows][order][starts]
        n = len(uniq)
        sex = persons["sex"][uniq]
        minor = minor_on(persons["birth"][uniq], first_date)
        org_counts = {}
        for oi, org in enumerate(ORGS):
            org_counts[org] = len(np.unique(person[regs.org[rows] == oi]))
        nat = persons["nat"][uniq]
        cnt = np.bincount(nat, minlength=len(NATIONALITIES))
        top = np.argsort(-cnt, kind="stable")[:5]
        out[str(d.year)] = {
            "registered_persons": n,
            "registrations": len(rows),
            "female_share": float(np.mean(sex == 0)) if n else 0.0,
            "minor_share": float(np.mean(minor)) if n else 0.0,
            "forms": {
                "sexual": int(np.sum(fbits & 1 > 0)),
                "labour": int(np.sum(fbits & 2 > 0)),
                "criminal": int(np.sum(fbits & 4 > 0)),
                "unknown": int(np.sum(fbits == 0)),
                "two_or_more_share": float(
                    np.mean(
                        (fbits & 1 > 0).astype(int)
                        + (fbits & 2 > 0).astype(int)
                        + (fbits & 4 > 0).astype(int)
                        >= 2
                    )
                )
                if n
                else 0.0,
            },
            "orgs": org_counts,
            "top_nationalities": [[NATIONALITIES[i], int(cnt[i])] for i in top],
            "latent": len(d.person),
        }
    del reg_persons, reg_index
    return out


def rounded(obj):
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, dict):
        return {str(k): rounded(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return round(float(obj), 6)
    return obj
