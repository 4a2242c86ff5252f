"""Municipal self-assessments of the local approach (2019-2024, all municipalities).

Each municipality has a capacity (larger municipalities higher, plus spread), each criterion a
difficulty (a contact officer is easy, a local regulation hard). The latent state of a
municipality on a criterion improves year by year, faster for larger municipalities and with a
push in 2022 (since then every municipality must have a clear and secured approach); a few
municipalities regress in some year (staff left, a policy lapsed). The state is read off as
no / partly / yes; some municipality-years did not respond (all criteria ``unknown``).
"""

from __future__ import annotations

import numpy as np

YEARS = tuple(range(2019, 2025))
CRITERIA_DIFFICULTY = {
    "policy_document": -0.2,
    "contact_officer": -0.6,
    "reporting_agreement": 0.2,
    "care_coordination": 0.0,
    "regional_shelter": -0.3,
    "active_signalling": 0.6,
    "trained_staff": 0.5,
    "local_regulation": 1.0,
    "registration_monitoring": 0.8,
}
NOTES = (
    "approach shared with the region",
    "policy document under revision",
    "contact officer vacancy",
    "regional care coordinator in place",
    "training planned",
)
NONRESPONSE = 0.03
ITEM_UNKNOWN = 0.01
REGRESS = 0.04  # per municipality and year


def assessments(rng: np.random.Generator, codes: np.ndarray, population: np.ndarray) -> dict:
    """Columns (municipality, year, criterion, value, note) as numpy object arrays."""
    from traffickingmonitor.codes.api import ASSESSMENT_CRITERION

    criteria = ASSESSMENT_CRITERION.order()
    delta = np.array([CRITERIA_DIFFICULTY[c] for c in criteria])
    n_m, n_c, n_y = len(codes), len(criteria), len(YEARS)
    size = np.log(population)
    size = (size - size.mean()) / size.std()
    capacity = 0.7 * size + rng.normal(0, 0.6, n_m)
    level = capacity[:, None] - delta[None, :] - 1.0 + rng.normal(0, 0.5, (n_m, n_c))
    states = np.empty((n_y, n_m, n_c))
    for t, year in enumerate(YEARS):
        if t:
            push = 0.5 if year == 2022 else 0.0
            step = 0.35 + push + 0.12 * size[:, None] + rng.normal(0, 0.25, (n_m, n_c))
            setback = rng.random(n_m) < REGRESS
            step[setback] = -rng.uniform(0.6, 1.4, (int(setback.sum()), 1))
            level = level + step
        states[t] = level
    value = np.where(states < -0.4, "no", np.where(states < 0.6, "partly", "yes")).astype(object)
    nonresp = rng.random((n_y, n_m)) < NONRESPONSE
    value[np.broadcast_to(nonresp[:, :, None], value.shape)] = "unknown"
    value[rng.random(value.shape) < ITEM_UNKNOWN] = "unknown"
    note = np.full(value.shape, "", dtype=object)
    has_note = rng.random(value.shape) < 0.03
    note[has_note] = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), int(has_note.sum()))]
    yy, mm, cc = np.meshgrid(np.arange(n_y), np.arange(n_m), np.arange(n_c), indexing="ij")
    order = np.lexsort((cc.ravel(), yy.ravel(), mm.ravel()))
    return {
        "municipality": codes[mm.ravel()][order],
        "year": np.array([str(y) for y in YEARS], dtype=object)[yy.ravel()][order],
        "criterion": np.array(criteria, dtype=object)[cc.ravel()][order],
        "value": value.ravel()[order],
        "note": note.ravel()[order],
    }
