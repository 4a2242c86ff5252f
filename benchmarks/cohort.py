"""Benchmark: the cohort analyses (re-victimisation, crime overlap, care reach) at scales 1 and 100.

For each scale: a synthetic edition (``traffickingmonitor synth``, once; kept with ``--keep``),
a pipeline run into a store (deterministic linkage and a short hidden-number bootstrap: what is
timed here are the cohort steps, not linkage or the hidden number), then the cohort analyses
again on the finished edition, step by step, in this process:

    python benchmarks/cohort.py                           # scales 1 and 100
    python benchmarks/cohort.py --scales 1 --keep /tmp/cb # keep (and reuse) data and stores

Prints wall seconds per step and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _synth(data: Path, scale: float) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "traffickingmonitor",
            "synth",
            "--out",
            str(data),
            "--scale",
            f"{scale:g}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _run(data: Path, db: Path) -> dict[str, float]:
    """The pipeline, with the seconds of every step it reports (progress callbacks)."""
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake.pseudonymise import Key

    seconds: dict[str, float] = {}

    def step(description: str, total: int):
        start = time.perf_counter()

        def advance(n: int = 1) -> None:
            seconds[description] = time.perf_counter() - start

        return advance

    config = {"linkage": {"method": "deterministic"}, "hidden_number": {"n_boot": 40}}
    start = time.perf_counter()
    pipeline.run(data, db, Key(b"b" * 32), config=config, step=step)
    seconds["pipeline total"] = time.perf_counter() - start
    return seconds


def _analyses(db: Path) -> list[tuple[str, float, str]]:
    """The cohort analyses again on the stored edition, timed one by one."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.analysis import care_reach, crime_overlap, revictimisation
    from traffickingmonitor.analysis.cohort import load_cohort

    con = store.connect(db, read_only=True)
    try:
        edition = editions.get_edition(con).edition_id
        out = []
        t = time.perf_counter()
        cohort = load_cohort(con, edition)
        out.append(
            (
                "load cohort",
                time.perf_counter() - t,
                f"{len(cohort):,} persons, {len(cohort.events):,} events",
            )
        )
    finally:
        con.close()
    t = time.perf_counter()
    tables = revictimisation.revictimisation_tables(cohort, cox=False)
    cells = sum(len(x.frame) for x in tables)
    out.append(
        ("Aalen-Johansen tables", time.perf_counter() - t, f"{len(tables)} tables, {cells} rows")
    )
    time_, status = revictimisation.time_status(
        cohort.first_day(("victimisation",)),
        cohort.exit_day(),
        cohort.persons["follow_days"].to_numpy(float),
    )
    t = time.perf_counter()
    revictimisation.cox_table(cohort, time_, status)
    out.append(
        ("cause-specific Cox", time.perf_counter() - t, f"{int((status == 1).sum()):,} events")
    )
    t = time.perf_counter()
    crime_overlap.crime_overlap_tables(cohort)
    out.append(("crime before/after, overlap", time.perf_counter() - t, ""))
    t = time.perf_counter()
    care_reach.care_reach_tables(cohort)
    out.append(("care reach", time.perf_counter() - t, ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1, 100])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) data and stores here")
    opts = parser.parse_args()
    root = opts.keep or Path(tempfile.mkdtemp(prefix="tm-cohort-bench-"))
    cohort_steps = ("Re-victimisation", "Crime before/after", "Care reach")
    print(f"{'scale':>6}  {'step':<34} {'seconds':>8}  detail")
    for scale in opts.scales:
        work = root / f"scale-{scale:g}"
        data, db = work / "data", work / "monitor.duckdb"
        if not (data / "truth" / "summary.json").exists():
            shutil.rmtree(work, ignore_errors=True)
            print(f"{scale:>6g}  {'synth':<34} {_synth(data, scale):>8.1f}", flush=True)
        if not db.exists():
            for name, seconds in _run(data, db).items():
                if name.startswith(cohort_steps) or name == "pipeline total":
                    print(f"{scale:>6g}  {'run: ' + name:<34} {seconds:>8.1f}", flush=True)
        for name, seconds, detail in _analyses(db):
            print(f"{scale:>6g}  {name:<34} {seconds:>8.1f}  {detail}", flush=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{scale:>6g}  {'peak memory (MiB, this process)':<34} {peak:>8.0f}", flush=True)
    if not opts.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
