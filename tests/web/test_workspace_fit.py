"""The hidden-number model against its table: the observed counts the workspace shows keep
every hidden count uncertain to a reader who knows each list's size and the total."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from traffickingmonitor.disclosure.api import DisclosureRule
from traffickingmonitor.publish.web.workspace_fit import ALL, fit_table, model_fit

LISTS = ["police", "care", "labour_inspection", "other"]


def _fit(seed: int) -> dict:
    """Made-up observed counts per capture pattern (many small), fitted near them."""
    rng = np.random.default_rng(seed)
    patterns = []
    for on in itertools.product((0, 1), repeat=len(LISTS)):
        if any(on):
            n = int(rng.choice([0, 1, 2, 4, 7, 12, 35, 180]))
            name = "+".join(x for x, o in zip(LISTS, on, strict=True) if o)
            patterns.append([name, n, max(n + float(rng.normal(0, 2)), 0.5)])
    return {"lists": LISTS, "model": ["police:care"], "patterns": patterns}


def _ranges(fit: dict, rule: DisclosureRule) -> list[tuple[int, float, float]]:
    """For every hidden pattern: (true count, fewest, most) a linear program finds from
    every shown cell of the protected table (the patterns, the list sizes, the total)."""
    from traffickingmonitor.disclosure.api import protect_edition

    table = fit_table(fit, 2020)
    shown = protect_edition({table.table_id: table}, rule)[table.table_id]
    dims = list(table.dimensions)
    cells = [on for on in itertools.product((0, 1), repeat=len(LISTS))]
    truth = dict.fromkeys(cells, 0)
    for name, n, _ in fit["patterns"]:
        truth[tuple(int(x in name.split("+")) for x in LISTS)] = n
    a_eq, b_eq, bounds = [], [], [(0, None)] * len(cells)
    for idx, rec in shown.frame.iterrows():
        combo = [rec[d] for d in dims]
        member = [
            float(all(c == ALL or int(c) == o for c, o in zip(combo, on, strict=True)))
            for on in cells
        ]
        value = rec["observed"]
        if not shown.suppressed.loc[idx, "observed"]:
            a_eq.append(member)
            b_eq.append(int(value))
        elif value == rule.symbol and sum(member) == 1:
            bounds[member.index(1.0)] = (1, rule.threshold - 1)
    out = []
    for i, on in enumerate(cells):
        row = shown.frame[(shown.frame[dims] == [str(o) for o in on]).all(axis=1)].index[0]
        if not shown.suppressed.loc[row, "observed"]:
            continue
        c = np.zeros(len(cells))
        c[i] = 1
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds).fun
        high = -linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds).fun
        out.append((truth[on], low, high))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_pattern_is_narrowed_below_the_protection(seed):
    rule = DisclosureRule()
    ranges = _ranges(_fit(seed), rule)
    assert ranges, "the made-up table has small counts to hide"
    p = rule.protection_level
    for true, low, high in ranges:
        assert low - 1e-6 <= true <= high + 1e-6
        if 0 < true < rule.threshold:
            # a small count keeps the protection either way (within 1..threshold-1)
            assert (
                low <= max(1, true - p) + 1e-6 and high >= min(rule.threshold - 1, true + p) - 1e-6
            )


def test_shown_rows_carry_fitted_and_residual_hidden_rows_neither():
    fit = _fit(3)
    out = model_fit(fit, 2020, DisclosureRule(), "en")
    fitted = {name: (n, m) for name, n, m in fit["patterns"]}
    assert len(out["rows"]) == len(fit["patterns"])
    assert any(r["hidden"] for r in out["rows"]) and any(not r["hidden"] for r in out["rows"])
    for r in out["rows"]:
        if r["hidden"]:
            assert r["fitted"] is None and r["residual"] is None
            assert r["observed"] in ("<10", "x")
    for r in (r for r in out["rows"] if not r["hidden"]):
        n, m = fitted["+".join(r["lists"])]
        assert int(r["observed"]) == n and r["fitted"] == m
        assert r["residual"] == pytest.approx((n - m) / m**0.5)
    # deviance of the whole table against a direct computation
    obs = np.array([n for _, n, _ in fit["patterns"]], float)
    mu = np.array([m for _, _, m in fit["patterns"]], float)
    pos = obs > 0
    expected = 2 * (np.sum(obs[pos] * np.log(obs[pos] / mu[pos])) - np.sum(obs - mu))
    assert out["deviance"] == pytest.approx(expected)
    assert out["df"] == 15 - (1 + 4 + 1)
    assert out["chart"].startswith("<svg")


def test_rounding_rule_shows_no_fit():
    out = model_fit(_fit(1), 2020, DisclosureRule(method="rounding"), "en")
    assert out == {"rows": [], "not_shown": "rounding"}
    assert model_fit(None, 2020, DisclosureRule(), "en") is None
