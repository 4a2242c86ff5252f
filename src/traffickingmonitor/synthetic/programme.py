"""Indicators of the national programme "Samen tegen mensenhandel" (2019-2024).

Action lines (English labels, as used here): 1 awareness and prevention, 2 signalling and
detection, 3 support and protection of victims, 4 tackling perpetrators, 5 local and regional
approach. Indicator codes and the baseline (2018) and target (2024) values are synthetic; the
yearly values move from the baseline toward the target with noise (not all targets are met).
"""

from __future__ import annotations

import numpy as np

YEARS = tuple(range(2019, 2025))
# action_line, indicator, unit, baseline, target, realised share of the way at 2024
INDICATORS: tuple[tuple[int, str, str, float, float, float], ...] = (
    (1, "awareness_campaign_reach", "percent", 18.0, 40.0, 0.9),
    (1, "professionals_trained", "count", 1200.0, 5000.0, 1.1),
    (1, "school_prevention_sessions", "count", 150.0, 600.0, 0.7),
    (2, "registered_possible_victims", "count", 668.0, 1500.0, 0.6),
    (2, "signals_from_municipalities", "count", 90.0, 400.0, 0.8),
    (2, "labour_inspections_with_trafficking_signals", "count", 60.0, 150.0, 0.5),
    (3, "victims_in_categorical_shelter", "count", 220.0, 350.0, 0.8),
    (3, "b8_permits_granted", "count", 290.0, 400.0, 0.4),
    (3, "care_coordination_coverage", "percent", 60.0, 100.0, 0.95),
    (4, "police_suspects", "count", 230.0, 350.0, 0.3),
    (4, "convictions", "count", 120.0, 200.0, 0.35),
    (4, "financial_investigations", "count", 40.0, 120.0, 0.7),
    (5, "municipalities_with_approach", "percent", 25.0, 100.0, 0.85),
    (5, "regional_coordinators", "count", 10.0, 25.0, 1.0),
)


def indicators(rng: np.random.Generator) -> dict:
    rows: list[tuple[str, ...]] = []
    n_y = len(YEARS)
    for line, code, unit, base, target, reach in INDICATORS:
        path = base + (target - base) * reach * (np.arange(1, n_y + 1) / n_y) ** 0.8
        noisy = path * (1 + rng.normal(0, 0.05, n_y))
        if unit == "percent":
            noisy = np.clip(noisy, 0, 100)
        for y, v in zip(YEARS, noisy, strict=True):
            val = f"{v:.1f}" if unit == "percent" else str(round(float(v)))
            base_s = f"{base:.1f}" if unit == "percent" else str(int(base))
            tgt_s = f"{target:.1f}" if unit == "percent" else str(int(target))
            rows.append((str(line), code, unit, str(y), base_s, tgt_s, val))
    cols = ("action_line", "indicator", "unit", "year", "baseline", "target", "value")
    return {c: np.array([r[i] for r in rows], dtype=object) for i, c in enumerate(cols)}
