"""Benchmark: seconds and peak resident memory of every step of one ``run``.

``benchmarks/pipeline.py`` times whole commands; this one opens ``run`` up: it calls
``pipeline.run`` in this process with a progress callback that notes when each step starts,
and samples the resident memory every half second (``/proc/self/status``, Linux). A step's
peak is the highest sample while it ran.

A step's CPU seconds are those of this process and every process under it (the chapters'
worker, the bootstrap's fork server and its workers: ``/proc``, Linux), so that a step run
in workers is not taken for a cheap one; on a busy machine they say more than the seconds.

    python benchmarks/run_steps.py DATA_DIR [--db FILE]        # e.g. after synth --scale 180
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path


def _rss_gib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def _tree_cpu() -> float:
    """CPU seconds of this process, of its children it has waited for, and of every living
    process under it (with the children those have waited for)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # ppid; utime, stime, cutime, cstime (clock ticks)
            stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    below, changed = {os.getpid()}, True
    while changed:
        changed = False
        for pid, (ppid, _) in stats.items():
            if pid not in below and ppid in below:
                below.add(pid)
                changed = True
    below.discard(os.getpid())
    return total + sum(stats[pid][1] for pid in below) / tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="an input folder (synth --out)")
    parser.add_argument("--db", type=Path, help="the store to write (default: a temporary one)")
    args = parser.parse_args()
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake import api as intake

    work = Path(tempfile.mkdtemp(prefix="tm-run-steps-"))
    db = args.db or work / "monitor.duckdb"
    key = intake.load_key(intake.create_key_file(work / "key"))
    steps: list[list] = []  # [name, start, peak GiB, CPU seconds at start]

    def sample() -> None:
        while True:
            rss = _rss_gib()
            if steps and rss > steps[-1][2]:
                steps[-1][2] = rss
            time.sleep(0.5)

    def step(description: str, total: int):
        steps.append([description, time.perf_counter(), _rss_gib(), _tree_cpu()])
        return lambda n=1: None

    threading.Thread(target=sample, daemon=True).start()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    start, cpu_start = time.perf_counter(), _tree_cpu()
    summary = pipeline.run(args.data, db, key, step=step)
    end, cpu_end = time.perf_counter(), _tree_cpu()
    print(f"{summary.registrations:,} registrations, {summary.persons:,} persons")
    print(f"{'step':<46} {'seconds':>8} {'CPU s':>6} {'peak GiB':>9}")
    for i, (name, began, peak, cpu) in enumerate(steps):
        stop, cpu_stop = (
            (steps[i + 1][1], steps[i + 1][3]) if i + 1 < len(steps) else (end, cpu_end)
        )
        print(f"{name:<46} {stop - began:8.1f} {cpu_stop - cpu:6.1f} {peak:9.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f"{'run':<46} {end - start:8.1f} {cpu_end - cpu_start:6.1f} {peak:9.1f}")
    print(f"load average at end:   {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
