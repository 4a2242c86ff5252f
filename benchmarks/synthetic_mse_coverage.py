"""Does the hidden-number estimate cover the synthetic generator's true population?

Run: ``python benchmarks/synthetic_mse_coverage.py [--seeds 10] [--first-seed 20240101]
[--n-boot 1000] [--jobs 2] [--scale 1]``.

For each seed: write a synthetic edition (2016-2020), build the person-years with *perfect
linkage* (the true person ids, :mod:`traffickingmonitor.synthetic.validation`), run
:func:`traffickingmonitor.analysis.hidden_number.estimate_hidden_number` (stratified by victim
group, stepwise selection, BCa intervals) and compare with the true latent population. Prints,
per year and per victim group, how often the 95% interval covers the truth and the median
ratio estimate / truth. Per group, "truth" is the true primary group; "recorded" is the group
the monitor can see (a victim recorded with an unknown form counts as other_unknown there),
the population the stratum's estimate is about. No assertions: numbers to read.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from traffickingmonitor.analysis.hidden_number import HiddenNumberSettings
from traffickingmonitor.synthetic.api import write_synthetic_edition
from traffickingmonitor.synthetic.validation import estimate_vs_truth


def run_seed(seed: int, settings: HiddenNumberSettings, scale: float) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="synth-mse-") as tmp:
        write_synthetic_edition(tmp, seed=seed, scale=scale)
        t = estimate_vs_truth(tmp, settings)
    return t.assign(seed=seed)


def _share(s: pd.Series) -> str:
    return f"{s.mean():5.0%} ({int(s.sum())}/{len(s)})"


def report(df: pd.DataFrame) -> None:
    total = df[df["victim_group"] == "all"]
    groups = df[(df["victim_group"] != "all") & (df["status"] == "estimated")]
    print("\nYearly totals (interval covers the true latent population):")
    print(f"  {'year':<6}{'coverage':<16}{'median ratio':>13}{'min':>7}{'max':>7}")
    for year, t in total.groupby("year"):
        r = t["ratio"]
        print(
            f"  {year:<6}{_share(t['covers']):<16}{r.median():>13.3f}{r.min():>7.2f}{r.max():>7.2f}"
        )
    print(
        f"  {'all':<6}{_share(total['covers']):<16}{total['ratio'].median():>13.3f}"
        f"{total['ratio'].min():>7.2f}{total['ratio'].max():>7.2f}"
    )
    print("\nVictim groups (estimated strata):")
    print(
        f"  {'group':<20}{'covers truth':<16}{'covers recorded':<17}"
        f"{'median ratio':>13}{'ratio rec.':>11}"
    )
    for group, g in groups.groupby("victim_group"):
        rec = (g["estimate"] / g["truth_recorded"]).median()
        print(
            f"  {group:<20}{_share(g['covers']):<16}{_share(g['covers_recorded']):<17}"
            f"{g['ratio'].median():>13.3f}{rec:>11.3f}"
        )
    print(
        f"  {'all groups':<20}{_share(groups['covers']):<16}"
        f"{_share(groups['covers_recorded']):<17}{groups['ratio'].median():>13.3f}"
    )
    skipped = df[(df["victim_group"] != "all") & (df["status"] != "estimated")]
    if len(skipped):
        print(f"  ({len(skipped)} strata not estimated: too few persons or no overlap)")
    width = ((total["ci_high"] - total["ci_low"]) / total["truth"]).median()
    print(f"\nMedian width of the yearly interval: {width:.0%} of the truth")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    ap.add_argument("--first-seed", type=int, default=20240101)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument(
        "--jobs", type=int, default=1, help="bootstrap worker processes (1 is fastest here)"
    )
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--verbose", action="store_true", help="print every seed's totals")
    args = ap.parse_args()
    settings = HiddenNumberSettings(n_boot=args.n_boot, n_jobs=args.jobs)
    seeds = [args.first_seed + k for k in range(args.seeds)]
    frames = []
    t0 = time.perf_counter()
    for seed in seeds:
        ts = time.perf_counter()
        t = run_seed(seed, settings, args.scale)
        frames.append(t)
        tot = t[t["victim_group"] == "all"]
        covered = int(tot["covers"].sum())
        print(
            f"seed {seed}: {covered}/{len(tot)} years covered, ratios "
            + " ".join(f"{r:.2f}" for r in tot["ratio"])
            + f"  ({time.perf_counter() - ts:.0f} s)",
            flush=True,
        )
        if args.verbose:
            cols = ["year", "observed", "estimate", "ci_low", "ci_high", "truth", "covers"]
            print(tot[cols].round(0).to_string(index=False))
    df = pd.concat(frames, ignore_index=True)
    print(
        f"\n{len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), n_boot={args.n_boot}, "
        f"scale={args.scale}, {time.perf_counter() - t0:.0f} s"
    )
    report(df)


if __name__ == "__main__":
    main()
