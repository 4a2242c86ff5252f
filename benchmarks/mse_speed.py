"""Speed of the multiple systems estimator against the R reference (shared/mse/README.md).

Run: ``python benchmarks/mse_speed.py [--n-boot 1000] [--jobs N]``. Prints seconds per
task and the speed-up over the times measured for SparseMSE / MultipleSystemsEstimation
on the same kind of 2-core machine. No assertions: numbers to read.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from traffickingmonitor.analysis.mse import CaptureTable, estimate_population

DATA = Path(__file__).resolve().parents[1] / "tests" / "mse" / "data"

# Seconds taken by the R packages (README of the reference values).
REFERENCE = {
    "stepwise + BCa, UK 5 lists": 181.0,
    "stepwise + BCa, UK 6 lists": 333.0,
    "stepwise + BCa, Kosovo": 73.0,
    "stepwise + BCa, Korea": 19.0,
    "exhaustive BIC, UK 5 lists (pairs)": 63.0,
    "exhaustive BIC, UK 5 lists (order 3, MSE default)": 63.0,
}


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    uk5 = CaptureTable.from_csv(DATA / "uk_2013_5lists.csv")
    uk6 = CaptureTable.from_csv(DATA / "uk_2013_6lists.csv")
    kos = CaptureTable.from_csv(DATA / "kosovo_killings_4lists.csv")
    kor = CaptureTable.from_csv(DATA / "korea_comfort_women_3lists.csv")

    def boot(table):
        return lambda: estimate_population(
            table,
            ci="bca",
            n_boot=args.n_boot,
            seed=args.seed,
            n_jobs=args.jobs,
            diagnostics=False,
        )

    tasks = {
        "stepwise + BCa, UK 5 lists": boot(uk5),
        "stepwise + BCa, UK 6 lists": boot(uk6),
        "stepwise + BCa, Kosovo": boot(kos),
        "stepwise + BCa, Korea": boot(kor),
        "exhaustive BIC, UK 5 lists (pairs)": lambda: estimate_population(
            uk5, method="bic", diagnostics=False
        ),
        "exhaustive BIC, UK 5 lists (order 3, MSE default)": lambda: estimate_population(
            uk5, method="bic", max_order=3, diagnostics=False
        ),
    }
    print(f"n_boot={args.n_boot} jobs={args.jobs or 'all'} seed={args.seed}")
    print(f"{'task':52s} {'seconds':>8s} {'R (s)':>7s} {'speed-up':>9s}  result")
    for name, fn in tasks.items():
        sec, res = timed(fn)
        ref = REFERENCE[name]
        ci = f"{res.ci.method} {res.ci.low:,.0f}-{res.ci.high:,.0f}"
        print(f"{name:52s} {sec:8.2f} {ref:7.0f} {ref / sec:8.0f}x  {res.estimate:,.1f} ({ci})")


if __name__ == "__main__":
    main()
