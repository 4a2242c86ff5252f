"""The perpetrator chain: police suspects to custodial sentences per year and exploitation form.

Totals follow the published order of magnitude (about 170-285 police suspects and 100-160
convictions a year); each stage is a share of the stage before (a funnel), split over the
exploitation forms (sexual exploitation the largest; convictions are relatively more frequent
for sexual exploitation). Counts are monotone along the chain for every form and in total.
"""

from __future__ import annotations

import numpy as np

FORMS = ("sexual", "labour", "criminal", "other")
FORM_SHARE = np.array([0.66, 0.16, 0.14, 0.04])
# ratio of each stage to the stage before (prosecution_inflow .. custodial_sentences)
STAGE_RATIO = np.array([0.95, 0.80, 0.95, 0.78, 0.70])
# form-specific adjustment of the ratios (sexual exploitation cases hold up better)
FORM_RATIO_ADJ = np.array([1.02, 0.93, 0.97, 0.95])
SUSPECTS_RANGE = (175, 280)
CONVICTIONS_RANGE = (102, 158)


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = total * shares / shares.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


def chain(rng: np.random.Generator, years: tuple[int, ...]) -> dict:
    from traffickingmonitor.codes.api import CHAIN_STAGE

    stages = CHAIN_STAGE.order()
    rows = []
    level = rng.uniform(200, 250)
    for y in years:
        level = float(np.clip(level * np.exp(rng.normal(0, 0.12)), *SUSPECTS_RANGE))
        total = round(level)
        counts = np.zeros((len(FORMS), len(stages)), int)
        counts[:, 0] = _largest_remainder(total, FORM_SHARE * rng.uniform(0.9, 1.1, len(FORMS)))
        ratio = STAGE_RATIO * np.exp(rng.normal(0, 0.03, len(STAGE_RATIO)))
        conv_share = float(np.prod(ratio[:4]))
        lo, hi = CONVICTIONS_RANGE
        scale = np.clip(conv_share * total, lo, hi) / (conv_share * total)
        ratio[:4] *= scale**0.25
        for s in range(1, len(stages)):
            r = np.minimum(ratio[s - 1] * FORM_RATIO_ADJ, 1.0)
            counts[:, s] = np.minimum(rng.binomial(counts[:, s - 1], r), counts[:, s - 1])
        conv = counts[:, stages.index("convictions")].sum()
        if conv < lo or conv > hi:  # keep the published range exactly
            target = int(np.clip(conv, lo, hi))
            k = stages.index("convictions")
            counts[:, k] = np.minimum(
                _largest_remainder(target, counts[:, k] + 1e-9), counts[:, k - 1]
            )
            for s in range(k + 1, len(stages)):
                counts[:, s] = np.minimum(counts[:, s], counts[:, s - 1])
        for fi, f in enumerate(FORMS):
            for si, s in enumerate(stages):
                rows.append((str(y), f, s, str(int(counts[fi, si]))))
    cols = ("year", "exploitation_form", "stage", "count")
    return {c: np.array([r[i] for r in rows], dtype=object) for i, c in enumerate(cols)}
