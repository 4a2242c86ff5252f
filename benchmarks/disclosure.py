"""Benchmark: the protection step (protect_edition) of an edition, per method, at scale 1 and 100.

Builds each scale's edition once (synth + run, deterministic linkage and a short bootstrap:
the tables' counts are what disclosure control works on), then times ``protect_edition``
under suppression, rounding and noise, the attacker's audit of the suppressed edition, and
suppression as ``run`` computes it (``compute_protection``: in rounds, against the figures
the microdata repeat under another name).

    python benchmarks/disclosure.py                       # scales 1 and 100
    python benchmarks/disclosure.py --scales 1 --keep /tmp/bench-disclosure
    python benchmarks/disclosure.py --db DIR/monitor.duckdb   # an existing store
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def build(scale: float, folder: Path) -> Path:
    from traffickingmonitor import pipeline
    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    write_synthetic_edition(folder / "data", seed=20240101, scale=scale)
    key = intake.load_key(intake.create_key_file(folder / "key"))
    db = folder / "monitor.duckdb"
    config = {"linkage": {"method": "deterministic"}, "hidden_number": {"n_boot": 20}}
    pipeline.run(folder / "data", db, key, config=config)
    return db


def measure(db: Path, label: str) -> None:
    from traffickingmonitor import editions, store
    from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
    from traffickingmonitor.disclosure.attack import attack, published_from_protected, truth_of
    from traffickingmonitor.disclosure.stored import compute_protection

    con = store.connect(db, read_only=True)
    try:
        edition_id = editions.get_edition(con).edition_id
        tables = editions.load_tables(con, edition_id)
    finally:
        con.close()
    for method in ("suppression", "rounding", "dp"):
        rule = DisclosureRule(method=method)
        result = protect_edition_details(tables, rule)
        c = result.counts()
        extra = ""
        if result.suppression is not None:
            s = result.suppression
            extra = f", {s.milps} MILPs ({s.fallbacks} LP fallbacks)"
        print(
            f"{label}  {method:<11}  {result.seconds:7.1f} s  tables {len(tables)}, "
            f"count cells {c['count_cells']}, published {c['published']}, "
            f"primary {c['primary']}, secondary {c['secondary']}, withheld {c['withheld']}{extra}"
        )
        if method == "suppression":
            t0 = time.perf_counter()
            report = attack(
                published_from_protected(result.tables),
                rule.threshold,
                truth_of(tables),
                rule.protection_level,
            )
            print(
                f"{label}  attacker     {time.perf_counter() - t0:7.1f} s  hidden cells "
                f"{len(report.findings)}, recovered {len(report.recoveries)}"
            )
            as_run = compute_protection(tables, rule, db, edition_id)
            c = as_run.counts()
            print(
                f"{label}  as run       {as_run.seconds:7.1f} s  published {c['published']}, "
                f"primary {c['primary']}, secondary {c['secondary']}, withheld {c['withheld']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1, 100])
    parser.add_argument("--keep", type=Path, help="keep the editions in this folder")
    parser.add_argument("--db", type=Path, help="measure an existing store instead")
    args = parser.parse_args()
    if args.db:
        measure(args.db, args.db.name)
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
    try:
        for scale in args.scales:
            folder = root / f"scale-{scale:g}"
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            db = build(scale, folder)
            print(f"scale {scale:g}: edition built in {time.perf_counter() - t0:.0f} s")
            measure(db, f"scale {scale:g}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
