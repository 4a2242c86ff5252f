"""Benchmark: synth + run + report + serve start at several scales; seconds and peak memory.

Each stage runs as its own process (the CLI, as a user runs it), so its peak resident memory
is its own: ``os.wait4`` returns the child's ``ru_maxrss``. The last stage starts ``serve`` on
the store and counts the seconds until ``/`` answers 200 (``serve_start.serve_seconds``; no
peak memory: the server is stopped, not waited for as a stage).

    python benchmarks/pipeline.py                 # scales 1, 10, 100
    python benchmarks/pipeline.py --scales 1 1000 --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serve_start import serve_seconds


def stage(args: list[str], env: dict) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "traffickingmonitor", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"stage {args[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # KiB → MiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1, 10, 100])
    parser.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF in the report stage")
    opts = parser.parse_args()
    root = opts.keep or Path(tempfile.mkdtemp(prefix="tm-bench-"))
    env = {
        **os.environ,
        "TRAFFICKINGMONITOR_KEY": os.environ.get(
            "TRAFFICKINGMONITOR_KEY", "benchmark-key-0123456789"
        ),
    }
    print(f"{'scale':>7} {'stage':<8} {'seconds':>9} {'peak MiB':>9}  detail")
    for scale in opts.scales:
        work = root / f"scale-{scale:g}"
        shutil.rmtree(work, ignore_errors=True)
        data, db, report = work / "data", work / "monitor.duckdb", work / "report"
        stages = [
            ("synth", ["synth", "--out", str(data), "--scale", f"{scale:g}"]),
            ("run", ["run", str(data), "--db", str(db)]),
            (
                "report",
                [
                    "report",
                    "--db",
                    str(db),
                    "--out",
                    str(report),
                    *(["--no-pdf"] if opts.no_pdf else []),
                ],
            ),
        ]
        total = 0.0
        for name, args in stages:
            seconds, peak = stage(args, env)
            total += seconds
            detail = ""
            if name == "synth":
                n = sum(p.read_bytes().count(b"\n") - 1 for p in data.glob("registrations_*.csv"))
                detail = f"{n:,} registrations"
            if name == "run":
                detail = f"store {db.stat().st_size / 2**20:.0f} MiB"
            print(f"{scale:>7g} {name:<8} {seconds:>9.1f} {peak:>9.0f}  {detail}", flush=True)
        seconds = serve_seconds(db)
        total += seconds
        print(f"{scale:>7g} {'serve':<8} {seconds:>9.1f} {'':>9}  until / answers 200", flush=True)
        print(f"{scale:>7g} {'total':<8} {total:>9.1f}")
    if not opts.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
