"""Public face of ``synthetic``: write a complete synthetic edition (data standard v1 + truth).

>>> summary = write_synthetic_edition("out", seed=1, years=(2016, 2020), scale=1.0)

Files in ``out_dir``: ``registrations_<org>.csv`` (police, kmar, labour_inspectorate, care,
other), ``events.csv``, ``municipal_assessments.csv``, ``programme_indicators.csv``,
``perpetrator_chain.csv``; in ``out_dir/truth``: ``registration_person.csv``, ``persons.csv``,
``population.csv``, ``population_primary.csv``, ``events.csv`` and ``summary.json``. The same
seed and options give byte-identical files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from traffickingmonitor.errors import UserError
from traffickingmonitor.synthetic.variants import Shape

GENERATOR_VERSION = "2"
Progress = Callable[[str, int, int], None]
"""progress(step, done, total): called as each step advances."""

STEPS = (
    "latent population and detection",
    "registrations and noise",
    "events",
    "municipal, programme and chain files",
    "writing files",
)

# random streams (one per component, so a change in one leaves the others alone)
_STREAM = {
    "population": 1,
    "registrations": 2,
    "names": 3,
    "bsn": 4,
    "events": 5,
    "noise": 6,
    "municipal": 7,
    "programme": 8,
    "chain": 9,
}


@dataclass
class SyntheticSummary:
    out_dir: str
    seed: int
    years: tuple[int, int]
    scale: float
    fmt: str
    cutoff: str
    files: list[str]
    latent_person_years: int
    registrations: int
    registered_persons: int
    events: int
    events_observed: int
    aggregates: dict = field(default_factory=dict)
    seconds: float = 0.0
    peak_memory_mb: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _rng(seed: int, name: str, *extra: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[name], *extra])


def _validate(out_dir, seed, years, scale, fmt, cutoff) -> tuple[Path, tuple[int, int], int]:
    from traffickingmonitor.synthetic.population import day

    try:
        first, last = (int(years[0]), int(years[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise UserError(f"years must be a pair of years, got {years!r}") from exc
    if first > last:
        raise UserError(f"years run backwards: {first}-{last}")
    if first < 1990 or last > 2100:
        raise UserError(f"years {first}-{last} outside 1990-2100")
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise UserError(f"scale must be a positive number, got {scale!r}")
    if scale * 668 < 1:
        raise UserError(f"scale {scale} is too small (less than one registration a year)")
    if fmt not in ("csv", "parquet"):
        raise UserError(f"format must be csv or parquet, got {fmt!r}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        cut = np.datetime64(str(cutoff), "D")
        y, m, d = (int(x) for x in str(cut).split("-"))
        cut_day = day(y, m, d)
    except ValueError as exc:
        raise UserError(f"cutoff is not a date (YYYY-MM-DD): {cutoff!r}") from exc
    if cut_day < day(last, 12, 31):
        raise UserError(f"cutoff {cutoff} is before the end of the last year {last}")
    out = Path(out_dir)
    try:
        (out / "truth").mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
        probe = out / "truth" / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"output directory {out} is not writable: {exc.strerror or exc}") from exc
    return out, (first, last), cut_day


def write_synthetic_edition(
    out_dir: str | os.PathLike,
    *,
    seed: int = 20240101,
    years: tuple[int, int] = (2016, 2020),
    scale: float = 1.0,
    fmt: str = "csv",
    cutoff: str = "2025-12-31",
    progress: Progress | None = None,
    shape: Shape | None = None,
) -> SyntheticSummary:
    """Simulate and write a synthetic edition; returns what was written and key aggregates.

    ``shape`` makes an odd but valid edition (:mod:`variants`): one organisation, a year
    without one organisation, no events or assessments file, one sex.
    """
    import resource
    import time

    out, (first, last), cut_day = _validate(out_dir, seed, years, scale, fmt, cutoff)
    shape = (shape or Shape()).validate((first, last))
    seed = int(seed)
    t_start = time.perf_counter()
    report = progress or (lambda step, done, total: None)
    result = _generate(
        out, seed, first, last, float(scale), fmt, str(cutoff), cut_day, report, shape
    )
    _write_marker(out, result, shape)
    result.seconds = round(time.perf_counter() - t_start, 2)
    # peak resident memory of the whole process so far (Linux reports KiB)
    result.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def _write_marker(out: Path, result: SyntheticSummary, shape: Shape) -> None:
    """``synthetic.json``: says which files of the folder `synth` wrote, and how, so that an
    edition made from them is recorded as synthetic (and a file put beside them is noticed).
    No timestamp: the same seed writes the same folder, byte for byte."""
    import hashlib

    from traffickingmonitor.intake.discover import SYNTHETIC_MARKER

    data_files = sorted(f for f in result.files if "/" not in f)
    doc = {
        "synthetic": True,
        "generator": "traffickingmonitor.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": result.seed,
        "years": list(result.years),
        "scale": result.scale,
        "format": result.fmt,
        "cutoff": result.cutoff,
        **({"options": shape.options()} if shape.options() else {}),
        "files": {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in data_files},
    }
    (out / SYNTHETIC_MARKER).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    result.files.append(SYNTHETIC_MARKER)


def _first_rows(regs, rows: np.ndarray, reg_index: np.ndarray, n_reg: int) -> np.ndarray:
    """Per registered person the row (among ``rows``) of the first registration, else -1.

    Earliest date first; ties by organisation and number.
    """
    order = rows[np.lexsort((regs.seq[rows], regs.org[rows], regs.date[rows], regs.person[rows]))]
    firsts = order[np.r_[True, regs.person[order][1:] != regs.person[order][:-1]]]
    first_row = np.full(n_reg, -1, np.int64)
    first_row[reg_index[regs.person[firsts]]] = firsts
    return first_row


def _generate(
    out, seed, first, last, scale, fmt, cutoff, cut_day, report, shape
) -> SyntheticSummary:
    import pyarrow as pa

    from traffickingmonitor.codes.api import EU_COUNTRIES
    from traffickingmonitor.synthetic import (
        chain,
        detection,
        events,
        municipal,
        names,
        noise,
        programme,
        registrations,
        variants,
    )
    from traffickingmonitor.synthetic.calibration import ORGS, year_targets
    from traffickingmonitor.synthetic.population import (
        NATIONALITIES,
        ST_ASYLUM,
        ST_B8,
        ST_EU,
        ST_NL,
        ST_PERMIT,
        Municipalities,
        Persons,
        forms_flags,
        new_persons,
    )
    from traffickingmonitor.synthetic.truth import population_tables

    years = tuple(range(first, last + 1))
    step = STEPS[0]
    report(step, 0, len(years))
    munis = Municipalities()
    rng = _rng(seed, "population")
    unit_effect = rng.normal(0, detection.POLICE_UNIT_SD, munis.n_units)
    persons = Persons()
    carry = np.zeros(0, np.int32)
    dets: list[detection.YearDetection] = []
    for k, y in enumerate(years):
        targets = year_targets(y, scale)
        n_new = max(round(targets.latent) - len(carry), 0)
        start = len(persons)
        persons.extend(new_persons(_rng(seed, "population", y), n_new, y, targets, munis))
        idx = np.concatenate([carry, np.arange(start, len(persons), dtype=np.int32)])
        det = detection.simulate_year(
            _rng(seed, "population", y, 1),
            persons,
            idx,
            y,
            targets,
            unit_effect,
            munis.police_unit,
        )
        dets.append(det)
        carry = detection.continuing(_rng(seed, "population", y, 2), det)
        report(step, k + 1, len(years))
    one_sex = variants.sex_code(shape)
    if one_sex is not None:
        # the same victims, detected as calibrated, then all of one sex: names, events and
        # records follow from here on
        persons.arrays["sex"] = np.full_like(persons["sex"], one_sex)

    # ---- registrations, registered persons, names, national ids
    step = STEPS[1]
    report(step, 0, 4)
    regs = registrations.build(_rng(seed, "registrations"), dets)
    reg_ids = regs.ids()
    reg_persons = np.unique(regs.person)
    n_reg = len(reg_persons)
    reg_index = np.full(len(persons), -1, np.int64)
    reg_index[reg_persons] = np.arange(n_reg)
    first_row = _first_rows(regs, np.arange(len(regs)), reg_index, n_reg)
    t0 = regs.date[first_row].astype(np.int64)
    report(step, 1, 4)

    nat_codes = np.array(NATIONALITIES, dtype=object)
    is_eu_nat = np.array([n in EU_COUNTRIES and n != "NL" for n in NATIONALITIES])
    p_nat = persons["nat"][reg_persons]
    p_sex = persons["sex"][reg_persons]
    p_status = persons["status"][reg_persons]
    rng_names = _rng(seed, "names")
    culture = np.array(
        [names.CULTURE_NAMES.index(names.culture_of(n)) for n in NATIONALITIES], dtype=np.int8
    )[p_nat]
    dutch = p_nat == NATIONALITIES.index("NL")
    mix = list(names.DUTCH_MIX)
    mix_p = np.array(list(names.DUTCH_MIX.values()))
    culture[dutch] = np.array([names.CULTURE_NAMES.index(c) for c in mix], dtype=np.int8)[
        rng_names.choice(len(mix), size=int(dutch.sum()), p=mix_p / mix_p.sum())
    ]
    female_names = (p_sex == 0) | ((p_sex == 2) & (rng_names.random(n_reg) < 0.8))
    pool, pool_index = names.build_pool()
    family, given, first_given = names.assign_names(
        rng_names, culture, female_names, pool, pool_index
    )
    rng_bsn = _rng(seed, "bsn")
    p_bsn = np.select(
        [
            np.isin(p_status, (ST_NL, ST_PERMIT, ST_B8)),
            p_status == ST_EU,
            p_status == ST_ASYLUM,
        ],
        [1.0, 0.6, 0.25],
        default=0.0,
    )
    has_bsn = rng_bsn.random(n_reg) < p_bsn
    bsn = np.full(n_reg, -1, np.int64)
    bsn[has_bsn] = noise.bsn_numbers(rng_bsn, int(has_bsn.sum()))
    report(step, 2, 4)

    # ---- events (needed before the noise: shelter referrals and B8 status)
    report(STEPS[2], 0, 1)
    _, _, crim, _ = forms_flags(persons["combo"][reg_persons])
    ev = events.simulate(
        _rng(seed, "events"),
        t0=t0,
        birth=persons["birth"][reg_persons],
        sex_female=p_sex == 0,
        nationality_nl=dutch,
        nationality_eu=is_eu_nat[p_nat],
        status=p_status,
        criminal=crim,
        has_bsn=has_bsn,
        cutoff=cut_day,
    )
    report(STEPS[2], 1, 1)

    rec = noise.record(
        _rng(seed, "noise"),
        regs,
        persons,
        reg_index,
        family,
        given,
        first_given,
        bsn,
        ev.b8_date,
        ev.shelter_date,
        pool,
        is_eu_nat,
    )
    if one_sex is not None:
        rec["sex"] = np.full_like(rec["sex"], one_sex)  # no record says otherwise, not even unknown
    report(step, 4, 4)

    # ---- small national files
    step = STEPS[3]
    report(step, 0, 3)
    muni_tab = municipal.assessments(_rng(seed, "municipal"), munis.codes, munis.population)
    report(step, 1, 3)
    prog_tab = programme.indicators(_rng(seed, "programme"))
    report(step, 2, 3)
    chain_years = tuple(range(first, last + 4))
    chain_tab = chain.chain(_rng(seed, "chain"), chain_years)
    report(step, 3, 3)

    # ---- write
    from traffickingmonitor.synthetic import truth, writer

    step = STEPS[4]
    # an odd edition writes a part of the registrations: the persons, events and truth that
    # remain are those of the written rows, events pointing at the first written registration
    keep = variants.kept_rows(shape, regs.org, regs.year) if shape.filters_registrations else None
    out_regs, out_rec, kept_person = regs, rec, None
    if keep is not None:
        out_regs = regs.subset(keep)
        out_rec = {k: v[keep] for k, v in rec.items()}
        first_row = _first_rows(regs, np.flatnonzero(keep), reg_index, n_reg)
        kept_person = first_row >= 0
        t0 = np.where(kept_person, regs.date[np.maximum(first_row, 0)], 0).astype(np.int64)
    n_files = 15 - (not shape.events) - (not shape.assessments)
    done = 0
    files: list[Path] = []

    def wrote(path: Path) -> None:
        nonlocal done
        files.append(path)
        done += 1
        report(step, done, n_files)

    report(step, 0, n_files)
    pids_reg = truth.person_ids(reg_persons, len(persons))
    pool_array = writer.strings(pool.strings)
    for oi, org in enumerate(ORGS):
        rows = np.flatnonzero(regs.org == oi)
        if keep is not None:
            rows = rows[keep[rows]]
            if not len(rows):
                continue
        rows = rows[np.argsort(regs.seq[rows], kind="stable")]
        columns = truth.registration_columns(rows, regs, reg_ids, rec, pool_array, munis, nat_codes)
        wrote(writer.write_table(out, f"registrations_{org}", columns, fmt))
    first_ids = reg_ids.take(pa.array(np.maximum(first_row, 0)))
    observed = ev.date <= cut_day
    obs_rows = np.flatnonzero(observed)
    if kept_person is not None:
        obs_rows = obs_rows[kept_person[ev.person[obs_rows]]]
    if shape.events:
        wrote(
            writer.write_batches(
                out,
                "events",
                (
                    truth.event_columns(ev, obs_rows[c], first_ids)
                    for c in writer.chunks(len(obs_rows))
                ),
                fmt,
            )
        )
    if shape.assessments:
        wrote(writer.write_table(out, "municipal_assessments", truth.plain(muni_tab), fmt))
    wrote(writer.write_table(out, "programme_indicators", truth.plain(prog_tab), fmt))
    wrote(writer.write_table(out, "perpetrator_chain", truth.plain(chain_tab), fmt))

    tdir = out / "truth"
    order_rp = regs.id_order()
    if keep is not None:
        order_rp = order_rp[keep[order_rp]]
    wrote(
        writer.write_table(
            tdir,
            "registration_person",
            {
                "registration_id": reg_ids.take(pa.array(order_rp)),
                "person_id": pids_reg.take(pa.array(reg_index[regs.person[order_rp]])),
            },
            fmt,
        )
    )
    pop, pop_primary, per_year = population_tables(dets, persons, scale)
    wrote(writer.write_table(tdir, "population", pop, fmt))
    wrote(writer.write_table(tdir, "population_primary", pop_primary, fmt))
    person_table = truth.person_columns(
        reg_persons,
        persons,
        pids_reg,
        family,
        given,
        bsn,
        dets,
        out_regs,
        first_ids,
        t0,
        ev,
        pool_array,
        munis,
        nat_codes,
    )
    ev_rows = np.arange(len(ev))
    if kept_person is not None:
        person_table = {k: v.filter(pa.array(kept_person)) for k, v in person_table.items()}
        ev_rows = ev_rows[kept_person[ev.person]]
    wrote(writer.write_table(tdir, "persons", person_table, fmt))
    wrote(
        writer.write_batches(
            tdir,
            "events",
            (
                truth.truth_event_columns(ev, ev_rows[c], observed, pids_reg)
                for c in writer.chunks(len(ev_rows))
            ),
            fmt,
        )
    )

    aggregates = truth.aggregates(out_regs, out_rec, reg_persons, reg_index, persons, dets)
    n_persons = n_reg if kept_person is None else int(kept_person.sum())
    summary = SyntheticSummary(
        out_dir=str(out),
        seed=seed,
        years=(first, last),
        scale=scale,
        fmt=fmt,
        cutoff=cutoff,
        files=[str(p.relative_to(out)) for p in files] + ["truth/summary.json"],
        latent_person_years=int(sum(len(d.person) for d in dets)),
        registrations=len(out_regs),
        registered_persons=n_persons,
        events=len(ev_rows),
        events_observed=len(obs_rows) if shape.events else 0,
        aggregates=aggregates,
    )
    doc = {
        "generator": "traffickingmonitor.synthetic",
        "generator_version": GENERATOR_VERSION,
        "parameters": {
            "seed": seed,
            "years": [first, last],
            "scale": scale,
            "format": fmt,
            "cutoff": cutoff,
            **({"options": shape.options()} if shape.options() else {}),
        },
        "counts": {
            "latent_person_years": summary.latent_person_years,
            "latent_per_year": per_year,
            "registrations": summary.registrations,
            "registrations_per_org": {
                org: int((out_regs.org == i).sum()) for i, org in enumerate(ORGS)
            },
            "registered_persons": n_persons,
            "latent_per_monitor_group": {
                str(d.year): {g: int(np.sum(d.group == k)) for k, g in enumerate(detection.STRATA)}
                for d in dets
            },
            "events": summary.events,
            "events_observed": summary.events_observed,
        },
        "aggregates": aggregates,
        "calibration": {
            str(d.year): {
                "iterations": d.params.iterations,
                "max_relative_error": d.params.max_rel_error,
                "org_intercepts": dict(zip(ORGS, d.params.a.tolist(), strict=True)),
                "expected_registered": d.expected_total,
            }
            for d in dets
        },
        "detection_model": detection.model_description(dets),
        "events_model": {
            "a_high": ev.params.a_high,
            "a_low": ev.params.a_low,
            "low_multiplier": events.LOW_MULTIPLIER,
            "rates_per_year": ev.params.rates,
            "fitted_shares": ev.params.fitted,
        },
        "noise": noise.NOISE,
        "duplicate_rate": registrations.DUPLICATE_RATE,
        "victim_group_rule": truth.VICTIM_GROUP_RULE,
    }
    (tdir / "summary.json").write_text(
        json.dumps(truth.rounded(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    report(step, n_files, n_files)
    return summary
