"""Speed of the multiple systems estimator against the R reference, side by side.

Run: ``python benchmarks/mse_speed.py [--n-boot 1000] [--jobs N] [--only kosovo,uk6]``.

For every stepwise + BCa task the same table goes through SparseMSE's
``estimatepopulation`` (``benchmarks/mse_speed.R``: stepwise with p-threshold 0.02,
``nboot`` multinomial replicates with the selection rerun in each, jackknife
acceleration, BCa limits) and through ``estimate_population(ci="bca")`` here, one after
the other in this run, and both times and their ratio are printed. R is used when
``Rscript`` is on the PATH and has the SparseMSE package; otherwise the line says
``R reference: not measured (why)`` and the ratio is taken against the seconds stored
in ``shared/mse/README.md`` (measured elsewhere, on the same kind of 2-core machine),
marked ``stored``. The exhaustive BIC tasks are always compared with stored seconds
(MultipleSystemsEstimation is not run here). Bootstrap limits of R and Python use
different random numbers, so they agree statistically, not to the digit. No
assertions: numbers to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from pathlib import Path

from traffickingmonitor.analysis.mse import CaptureTable, estimate_population

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "mse" / "data"
R_SCRIPT = HERE / "mse_speed.R"

# Seconds taken by the R packages (shared/mse/README.md: SparseMSE for stepwise + BCa,
# MultipleSystemsEstimation for the exhaustive BIC point estimate).
STORED = {
    "uk5": 181.0,
    "uk6": 333.0,
    "kosovo": 73.0,
    "korea": 19.0,
    "bic": 63.0,
}

TABLES = {
    "uk5": ("UK 5 lists", "uk_2013_5lists.csv"),
    "uk6": ("UK 6 lists", "uk_2013_6lists.csv"),
    "kosovo": ("Kosovo", "kosovo_killings_4lists.csv"),
    "korea": ("Korea", "korea_comfort_women_3lists.csv"),
}


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def r_status() -> str | None:
    """``None`` when R with SparseMSE can run the reference, else the reason it cannot."""
    if shutil.which("Rscript") is None:
        return "Rscript not found on the PATH"
    probe = subprocess.run(
        ["Rscript", "-e", 'quit(status = !requireNamespace("SparseMSE", quietly = TRUE))'],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return "the R package SparseMSE is not installed"
    return None


def run_r(csv: Path, n_boot: int, seed: int) -> tuple[float, float, float, float]:
    """SparseMSE ``estimatepopulation`` on one table: seconds, estimate, BCa low, high."""
    out = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), str(n_boot), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    sec, est, low, high = (float(v) for v in out.stdout.split()[-4:])
    return sec, est, low, high


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    ap.add_argument("--seed", type=int, default=1234, help="both sides (SparseMSE's iseed)")
    ap.add_argument(
        "--only",
        default=",".join([*TABLES, "bic"]),
        help="comma-separated tasks among " + ", ".join([*TABLES, "bic"]),
    )
    ap.add_argument("--no-r", action="store_true", help="do not run R (stored seconds)")
    args = ap.parse_args()
    only = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(only) - {*TABLES, "bic"}
    if unknown:
        ap.error(f"unknown task(s): {', '.join(sorted(unknown))}")

    why = "--no-r given" if args.no_r else r_status()
    if why is None:
        print("R reference: SparseMSE estimatepopulation via benchmarks/mse_speed.R, measured now")
    else:
        print(
            f"R reference: not measured ({why}); speed-ups use the stored seconds of "
            "shared/mse/README.md (another run, 1,000 replicates)"
        )
        if args.n_boot != 1000:
            print("  (--n-boot is not 1000: those speed-ups compare unlike work)")
    print(f"n_boot={args.n_boot} jobs={args.jobs or 'all'} seed={args.seed} load={load()}")
    print(
        f"{'task':44s} {'Python s':>8s} {'R s':>7s} {'R from':>8s} {'speed-up':>8s}  "
        "Python result | R result"
    )

    def row(name: str, sec: float, ref: float, src: str, res, r_res: str = "") -> None:
        ci = f"{res.ci.method} {res.ci.low:,.0f}-{res.ci.high:,.0f}"
        line = (
            f"{name:44s} {sec:8.2f} {ref:7.1f} {src:>8s} {ref / sec:7.1f}x  "
            f"{res.estimate:,.1f} ({ci})"
        )
        print(line + (f" | {r_res}" if r_res else ""), flush=True)

    for key in only:
        if key == "bic":
            continue
        label, file = TABLES[key]
        csv = DATA / file
        table = CaptureTable.from_csv(csv)
        r_res = ""
        if why is None:
            ref, r_est, r_low, r_high = run_r(csv, args.n_boot, args.seed)
            src = "measured"
            r_res = f"{r_est:,.1f} (bca {r_low:,.0f}-{r_high:,.0f})"
        else:
            ref, src = STORED[key], "stored"
        sec, res = timed(
            lambda table=table: estimate_population(
                table,
                ci="bca",
                n_boot=args.n_boot,
                seed=args.seed,
                n_jobs=args.jobs,
                diagnostics=False,
            )
        )
        row(f"stepwise + BCa, {label}", sec, ref, src, res, r_res)

    if "bic" in only:
        uk5 = CaptureTable.from_csv(DATA / TABLES["uk5"][1])
        for name, order in (("pairs", 2), ("order 3, MSE default", 3)):
            sec, res = timed(
                lambda order=order: estimate_population(
                    uk5, method="bic", max_order=order, diagnostics=False
                )
            )
            row(f"exhaustive BIC, UK 5 ({name})", sec, STORED["bic"], "stored", res)
    print(f"load={load()}")


if __name__ == "__main__":
    main()
