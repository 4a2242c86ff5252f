"""From detections to registration rows (one row per report), with dates and ids.

A detected person-year has one signal date; each organisation that detected the person reports
within a few weeks of it (so reports of one person by several organisations fall in a short
window, as the linkage expects), and some organisations report the same person twice in a year.
The first report of a person-year is its "primary" row (the noise never degrades the recorded
exploitation form there, so the person-level form union is exactly what was calibrated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traffickingmonitor.synthetic.calibration import ORGS
from traffickingmonitor.synthetic.detection import YearDetection
from traffickingmonitor.synthetic.population import day

ID_PREFIX = {
    "police": "POL",
    "kmar": "KMA",
    "labour_inspectorate": "NLA",
    "care": "ZRG",
    "other": "OVR",
}
# Probability that an organisation reports a person it detected a second time in the year.
DUPLICATE_RATE = {
    "police": 0.03,
    "kmar": 0.02,
    "labour_inspectorate": 0.02,
    "care": 0.05,
    "other": 0.03,
}
REPORT_SPREAD_DAYS = 20  # sd of an organisation's report date around the signal date


@dataclass
class Registrations:
    person: np.ndarray  # int32 person index
    year: np.ndarray  # int16
    org: np.ndarray  # int8 ORGS index
    date: np.ndarray  # int32 registered_on
    rec_combo: np.ndarray  # int8 recorded combo of the person-year
    primary: np.ndarray  # bool: first report of the person-year
    duplicate: np.ndarray  # bool: second report by the same organisation
    seq: np.ndarray  # int64 number within the organisation (1-based)

    def __len__(self) -> int:
        return len(self.person)

    def id_width(self) -> int:
        return max(7, len(str(int(self.seq.max()) if len(self.seq) else 0)))

    def ids(self) -> pa.Array:
        """Registration ids (e.g. POL-0000001) as a pyarrow string array, in row order."""
        prefixes = pa.array([f"{ID_PREFIX[o]}-" for o in ORGS], pa.string())
        nums = pc.utf8_lpad(
            pa.array(self.seq).cast(pa.string()), width=self.id_width(), padding="0"
        )
        return pc.binary_join_element_wise(
            prefixes.take(pa.array(self.org.astype(np.int32))), nums, ""
        )

    def subset(self, keep: np.ndarray) -> Registrations:
        """The rows where ``keep`` is true; numbers (and so ids) stay those of the full edition."""
        return Registrations(**{k: v[keep] for k, v in self.__dict__.items()})

    def id_order(self) -> np.ndarray:
        """Row order that sorts the ids as strings (prefix, then the zero-padded number)."""
        rank = np.argsort(np.argsort([ID_PREFIX[o] for o in ORGS]))
        return np.lexsort((self.seq, rank[self.org]))


def build(rng: np.random.Generator, dets: list[YearDetection]) -> Registrations:
    parts = []
    for det in dets:
        y = det.year
        start, end = day(y, 1, 1), day(y, 12, 31)
        py, org = np.nonzero(det.detected)
        n_py = len(det.person)
        signal = rng.integers(start, end + 1, n_py)
        date = signal[py] + np.round(rng.normal(0, REPORT_SPREAD_DAYS, len(py))).astype(np.int64)
        date = np.where(date < start, 2 * start - date, date)  # reflect, no pile-up at 1 Jan
        date = np.where(date > end, 2 * end - date, date)
        dup_p = np.array([DUPLICATE_RATE[o] for o in ORGS])[org]
        dup = rng.random(len(py)) < dup_p
        room = np.minimum(end - date[dup], 120)
        dup_date = date[dup] + np.ceil(rng.random(int(dup.sum())) * room).astype(np.int64)
        py = np.concatenate([py, py[dup]])
        org = np.concatenate([org, org[dup]])
        date = np.concatenate([date, dup_date])
        is_dup = np.concatenate([np.zeros(len(dup), bool), np.ones(int(dup.sum()), bool)])
        parts.append(
            (
                det.person[py],
                np.full(len(py), y, np.int16),
                org,
                date,
                det.rec_combo[py],
                py,
                is_dup,
            )
        )
    person = np.concatenate([p[0] for p in parts]).astype(np.int32)
    year = np.concatenate([p[1] for p in parts])
    org = np.concatenate([p[2] for p in parts]).astype(np.int8)
    date = np.concatenate([p[3] for p in parts]).astype(np.int32)
    rec_combo = np.concatenate([p[4] for p in parts]).astype(np.int8)
    duplicate = np.concatenate([p[6] for p in parts])
    n = len(person)
    tiebreak = rng.random(n)
    # primary row: the first report (by date) of each person-year
    py_key = np.concatenate(
        [p[5].astype(np.int64) + off for p, off in zip(parts, _offsets(parts), strict=True)]
    )
    order = np.lexsort((tiebreak, date, py_key))
    first = np.ones(n, bool)
    first[1:] = py_key[order][1:] != py_key[order][:-1]
    primary = np.zeros(n, bool)
    primary[order[first]] = True
    # numbering within each organisation by date
    seq = np.zeros(n, np.int64)
    order = np.lexsort((tiebreak, date, org))
    org_sorted = org[order]
    start_of = np.searchsorted(org_sorted, np.arange(len(ORGS)))
    seq[order] = np.arange(n) - start_of[org_sorted] + 1
    return Registrations(person, year, org, date, rec_combo, primary, duplicate, seq)


def _offsets(parts) -> list[int]:
    out, acc = [], 0
    for p in parts:
        out.append(acc)
        acc += int(p[5].max()) + 1 if len(p[5]) else 0
    return out
