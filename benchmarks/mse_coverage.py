"""Coverage of the estimator's 95% intervals on simulated populations of known size.

Run: ``python benchmarks/mse_coverage.py [--reps 100] [--n-boot 400] [--jobs N]``.

Each scenario fixes a population of ``N`` people and their capture probabilities on
3-5 lists, with dependence between lists (log-linear interactions) or heterogeneity
(a hard-to-find and an easy-to-find class, which makes every pair of lists positively
dependent and is *not* a two-way log-linear model). Each replicate draws who is on which
list, estimates with stepwise selection, and records whether the BCa interval (selection
rerun in every bootstrap replicate) and the model-conditional interval cover ``N``.
Prints coverage with its binomial standard error. No assertions: numbers to read.
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from traffickingmonitor.analysis.mse import CaptureTable, NotEstimableError, estimate_population
from traffickingmonitor.analysis.mse.table import all_patterns


@dataclass(frozen=True)
class Scenario:
    name: str
    N: int
    p: tuple[float, ...]  # per-list capture probability (main effect, or per class)
    pairs: dict[tuple[int, int], float] | None = None  # log odds ratios between lists
    classes: tuple[tuple[float, tuple[float, ...]], ...] | None = None  # (share, p)

    def cell_probs(self) -> np.ndarray:
        """Probabilities of the dark cell and of every observable pattern."""
        t = len(self.p)
        pats = np.vstack([np.zeros((1, t), dtype=int), all_patterns(t)])
        if self.classes is not None:
            prob = np.zeros(len(pats))
            for share, p in self.classes:
                p = np.array(p)
                prob += share * np.prod(np.where(pats == 1, p, 1 - p), axis=1)
            return prob
        logit = np.log(np.array(self.p) / (1 - np.array(self.p)))
        eta = pats @ logit
        for (i, j), lam in (self.pairs or {}).items():
            eta = eta + lam * pats[:, i] * pats[:, j]
        w = np.exp(eta)
        return w / w.sum()


SCENARIOS = [
    Scenario("3 lists, A:B dependence", 1000, (0.30, 0.25, 0.20), {(0, 1): 1.0}),
    Scenario(
        "4 lists, A:B positive, C:D negative",
        2000,
        (0.20, 0.15, 0.10, 0.25),
        {(0, 1): 0.8, (2, 3): -0.6},
    ),
    Scenario(
        "5 lists, sparse (UK-like)",
        5000,
        (0.03, 0.10, 0.20, 0.15, 0.06),
        {(0, 1): 1.5, (1, 4): 0.8, (2, 3): 0.5},
    ),
    # Misspecified on purpose: a mixture is not a two-way log-linear model, and the
    # hard-to-find class is under-represented in every overlap, so estimates run low.
    Scenario(
        "4 lists, heterogeneity (misspecified)",
        2000,
        (0.0, 0.0, 0.0, 0.0),
        classes=((0.6, (0.10, 0.08, 0.12, 0.07)), (0.4, (0.25, 0.20, 0.30, 0.18))),
    ),
]


def one_rep(args: tuple[Scenario, int, int]) -> tuple[bool, float, tuple, tuple]:
    sc, seed, n_boot = args
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(sc.N, sc.cell_probs())[1:]
    t = len(sc.p)
    table = CaptureTable(tuple("ABCDEFGH"[:t]), counts, f"sim{seed}")
    try:
        res = estimate_population(
            table,
            ci=["bca", "conditional"],
            n_boot=n_boot,
            seed=seed,
            n_jobs=1,
            diagnostics=False,
        )
    except NotEstimableError:
        return False, math.nan, (math.nan, math.nan), (math.nan, math.nan)
    b = res.interval("bca")
    c = res.interval("conditional")
    return True, res.estimate, (b.low, b.high), (c.low, c.high)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100, help="replicates per scenario")
    ap.add_argument("--n-boot", type=int, default=400, help="bootstrap replicates")
    ap.add_argument("--jobs", type=int, default=2, help="processes over replicates")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(f"reps={args.reps} n_boot={args.n_boot} jobs={args.jobs} seed={args.seed}")
    print(
        f"{'scenario':46s} {'ok':>4s} {'BCa cover':>10s} {'cond cover':>11s} "
        f"{'med est/N':>9s} {'BCa width/N':>11s} {'sec':>6s}"
    )
    all_b, all_c = [], []
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        for k, sc in enumerate(SCENARIOS):
            t0 = time.perf_counter()
            seeds = [args.seed * 100_000 + k * 10_000 + r for r in range(args.reps)]
            out = list(ex.map(one_rep, [(sc, s, args.n_boot) for s in seeds]))
            ok = [o for o in out if o[0]]
            cov_b = np.array([lo <= sc.N <= hi for _, _, (lo, hi), _ in ok])
            cov_c = np.array([lo <= sc.N <= hi for _, _, _, (lo, hi) in ok])
            if sc.classes is None:  # the misspecified scenario stays out of the summary
                all_b += cov_b.tolist()
                all_c += cov_c.tolist()
            est = np.median([e for _, e, _, _ in ok]) / sc.N
            width = np.median([(hi - lo) for _, _, (lo, hi), _ in ok]) / sc.N
            n = max(len(ok), 1)
            se_b = math.sqrt(max(cov_b.mean() * (1 - cov_b.mean()), 1e-12) / n)
            se_c = math.sqrt(max(cov_c.mean() * (1 - cov_c.mean()), 1e-12) / n)
            print(
                f"{sc.name:46s} {len(ok):4d} {cov_b.mean():6.1%}±{se_b:4.1%} "
                f"{cov_c.mean():6.1%}±{se_c:4.1%} {est:9.3f} {width:11.3f} "
                f"{time.perf_counter() - t0:6.1f}"
            )
    print(
        f"{'correctly specified scenarios':46s} {len(all_b):4d} {np.mean(all_b):6.1%}"
        f"       {np.mean(all_c):6.1%}"
    )


if __name__ == "__main__":
    main()
