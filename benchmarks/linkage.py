"""Benchmark: person linkage of 100k and 1M synthetic registrations, ours next to raw Splink.

For each scale the synthetic edition is generated and pseudonymised once (cached in the work
folder), then linked twice, each in its own process so that its peak resident memory is its
own (``os.wait4`` returns the child's ``ru_maxrss``):

- ``ours``: ``linkage.link_full`` on the pseudonymised registrations with the default settings
  (preparing Splink's input, training, scoring, clustering, episodes, the model's estimate);
- ``raw``: plain Splink 5 calls with the same model, blocking, term-frequency tables,
  training steps and threshold on the same prepared input, clustered with Splink's
  ``cluster_pairwise_predictions_at_threshold``.

Both print wall seconds, peak memory and pairwise F1 against the synthetic truth; the
overhead is ours relative to raw (goal: within 20%).

    python benchmarks/linkage.py                      # scales 18 (~100k) and 180 (~1M)
    python benchmarks/linkage.py --scales 1 18 --work /tmp/tm-linkage-bench
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = b"benchmark-key-0123456789abcdef"


def prepare_data(scale: float, work: Path) -> Path:
    """Synthetic edition at ``scale``, pseudonymised as intake does; cached as Parquet."""
    import pandas as pd

    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    cached = work / "registrations.parquet"
    if cached.exists():
        return cached
    data = work / "data"
    write_synthetic_edition(data, scale=scale)
    key = intake.Key(KEY)
    frames = [intake.prepare(p, None, key).frame for p in sorted(data.glob("registrations_*.csv"))]
    regs = pd.concat(frames, ignore_index=True).sort_values(
        ["registered_on", "registration_id"], kind="stable"
    )
    regs.reset_index(drop=True).to_parquet(cached)
    (work / "truth.csv").write_bytes((data / "truth" / "registration_person.csv").read_bytes())
    return cached


def run_ours(work: Path) -> dict:
    import pandas as pd

    from traffickingmonitor.linkage import api as linkage
    from traffickingmonitor.linkage.linking import link_full

    regs = pd.read_parquet(work / "registrations.parquet")
    start = time.perf_counter()
    linked = link_full(regs, linkage.LinkageSettings())
    seconds = time.perf_counter() - start
    assignment = pd.DataFrame(
        {"registration_id": regs["registration_id"], "person_id": linked.person_id}
    )
    return {"seconds": seconds, "assignment": assignment, "links": len(linked.links)}


def run_raw(work: Path) -> dict:
    """Plain Splink: the same settings, training and threshold, Splink's own clustering."""
    import logging

    import pandas as pd
    from splink import DuckDBAPI, Linker, block_on

    from traffickingmonitor.linkage import engine, prepare
    from traffickingmonitor.linkage import model as person_model
    from traffickingmonitor.linkage.settings import LinkageSettings

    settings = LinkageSettings()
    regs = pd.read_parquet(work / "registrations.parquet")
    frame = prepare.splink_frame(regs, prepare.common_monthdays(regs))
    blocking = engine.choose_blocking(frame, settings)
    start = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(
        db_api.register(frame),
        person_model.settings_dict("duckdb", blocking),
        log_level=logging.ERROR,
    )
    # The same term-frequency tables (counted over people) through Splink's own lookup API.
    for col, rows in engine.term_frequency_tables(frame)[0].items():
        table = pd.DataFrame(rows, columns=[col, f"tf_{col}"])
        linker.table_management.register_term_frequency_lookup(
            db_api.register(table, table_name=f"tf_lookup_{col}"), col
        )
    linker.training.estimate_probability_two_random_records_match(
        list(person_model.DETERMINISTIC_RULES), recall=settings.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    for keys in person_model.TRAINING_BLOCKING:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*keys), max_pairs=settings.em_max_pairs
        )
    predictions = linker.inference.predict(threshold_match_probability=settings.link_floor)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=settings.threshold
    )
    result = clusters.as_pandas_dataframe()[["uid", "cluster_id"]]
    seconds = time.perf_counter() - start
    ids = regs["registration_id"].to_numpy()
    assignment = pd.DataFrame(
        {"registration_id": ids[result["uid"].to_numpy()], "person_id": result["cluster_id"]}
    )
    return {"seconds": seconds, "assignment": assignment, "links": None}


def child(variant: str, work: Path) -> None:
    """Run one variant and print its result as JSON (in its own process)."""
    import resource

    from traffickingmonitor.linkage import api as linkage

    result = run_ours(work) if variant == "ours" else run_raw(work)
    quality = linkage.quality_against_truth(
        result["assignment"], linkage.read_truth(work / "truth.csv")
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "variant": variant,
        "seconds": round(result["seconds"], 1),
        "peak_mib": round(peak),
        "registrations": quality["registrations"],
        "f1": round(quality["f1"], 4),
        "precision": round(quality["precision"], 4),
        "recall": round(quality["recall"], 4),
        "persons": quality["persons"],
        "true_persons": quality["true_persons"],
    }
    print(json.dumps(out))


def measure(variant: str, work: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", variant, "--work", str(work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{variant} failed: {stderr.decode()[-3000:]}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - start, 1)
    result["peak_mib"] = round(usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[18, 180])
    parser.add_argument("--work", type=Path, help="work folder (data are cached there)")
    parser.add_argument("--child", choices=["ours", "raw"], help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child, opts.work)
        return
    root = opts.work or Path(tempfile.mkdtemp(prefix="tm-linkage-bench-"))
    header = f"{'scale':>6} {'registrations':>13} {'variant':<6} {'seconds':>8} {'peak MiB':>9} {'F1':>7} {'precision':>9} {'recall':>7} {'persons':>9} {'true':>9}"
    print(header, flush=True)
    for scale in opts.scales:
        work = root / f"scale-{scale:g}"
        work.mkdir(parents=True, exist_ok=True)
        prep_start = time.perf_counter()
        prepare_data(scale, work)
        prep = time.perf_counter() - prep_start
        rows = {}
        for variant in ("raw", "ours"):
            r = measure(variant, work)
            rows[variant] = r
            print(
                f"{scale:>6g} {r['registrations']:>13,} {variant:<6} {r['seconds']:>8.1f} {r['peak_mib']:>9,} "
                f"{r['f1']:>7.4f} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['persons']:>9,} {r['true_persons']:>9,}",
                flush=True,
            )
        overhead = rows["ours"]["seconds"] / rows["raw"]["seconds"] - 1
        print(
            f"{'':>6} overhead of ours over raw Splink: {overhead:+.0%} (data preparation, cached: {prep:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
