"""Benchmark: person linkage of 100k and 1M synthetic registrations, ours next to raw Splink.

For each scale the synthetic edition is generated and pseudonymised once (cached in the work
folder), then linked twice, each in its own process so that its peak resident memory is its
own (``os.wait4`` returns the child's ``ru_maxrss``):

- ``ours``: ``linkage.link_full`` on the pseudonymised registrations with the default settings
  (preparing Splink's input, training, scoring, clustering, episodes, the model's estimate);
- ``raw``: plain Splink 5 calls with the same model, blocking, term-frequency tables,
  training steps and threshold on the same prepared input, clustered with Splink's
  ``cluster_pairwise_predictions_at_threshold``.

Both print wall seconds, peak memory and pairwise precision, recall and F1 against the
synthetic truth; the overhead is ours relative to raw (goal: within 20%).

Beside them the ceiling: the recall (and the F1 at a precision of 1) that a linkage would
reach if it found every true pair except those beyond reach. Within each true person the
registrations are joined by an edge where they carry a field that could join them:

- the same national-id token; or
- both have a name and the names share a part: a word, a deletion variant (one typo) of the
  family or first given name, or a phonetic code of either; or
- a name is missing on one side (or both) and the birth dates are equal and real (not a
  placeholder such as 1 January), or the birth years and residence municipalities are.

A true pair is within reach when the two registrations lie in one component of these edges
(a chain through the person's other registrations counts); the other true pairs carry no
field that could tell them apart from strangers. ``beyond`` is the number of those pairs,
``missed`` the true pairs the linkage did not put together.

    python benchmarks/linkage.py                      # scales 18 (~100k) and 180 (~1M)
    python benchmarks/linkage.py --scales 1 --seeds 20240101 7 11 --variants ours
    python benchmarks/linkage.py --scales 1 18 --work /tmp/tmlink   # data cached there
    python benchmarks/linkage.py --scales 180 --variants ours --work /tmp/tmlink --save-links

``--save-links`` writes ``links-ours.parquet`` in the work folder of each scale and seed: the
scored pairs of ``ours`` (``LinkageResult.links``: per-comparison weights, probability, the
shared-out probability clustering used) with ``same_person`` (true pair) and ``together``
(put in one person), for a look at the misses and the calibration of the model.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = b"benchmark-key-0123456789abcdef"
DEFAULT_SEED = 20240101


def prepare_data(scale: float, work: Path, seed: int = DEFAULT_SEED) -> Path:
    """Synthetic edition at ``scale``, pseudonymised as intake does; cached as Parquet."""
    import pandas as pd

    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    cached = work / "registrations.parquet"
    if cached.exists():
        return cached
    data = work / "data"
    write_synthetic_edition(data, scale=scale, seed=seed)
    key = intake.Key(KEY)
    frames = [intake.prepare(p, None, key).frame for p in sorted(data.glob("registrations_*.csv"))]
    regs = pd.concat(frames, ignore_index=True).sort_values(
        ["registered_on", "registration_id"], kind="stable"
    )
    (work / "truth.csv").write_bytes((data / "truth" / "registration_person.csv").read_bytes())
    regs.reset_index(drop=True).to_parquet(cached)
    shutil.rmtree(data)
    return cached


def ceiling(work: Path) -> dict:
    """True pairs within reach of the fields they carry (see the module's docstring); cached."""
    import numpy as np
    import pandas as pd

    from traffickingmonitor.linkage import api as linkage
    from traffickingmonitor.linkage import prepare
    from traffickingmonitor.linkage.cluster import component_index, key_edges

    cached = work / "ceiling.json"
    if cached.exists():
        return json.loads(cached.read_text())
    regs = pd.read_parquet(work / "registrations.parquet")
    truth = linkage.read_truth(work / "truth.csv").set_index("registration_id")["person_id"]
    person = pd.factorize(truth.reindex(regs["registration_id"].astype(str)).to_numpy())[0]
    n = len(regs)
    frame = prepare.splink_frame(regs, prepare.common_monthdays(regs))
    named = frame["name_token"].notna().to_numpy()
    edges_a, edges_b = [], []

    def chain(rows: np.ndarray, values: np.ndarray) -> None:
        keep = pd.notna(values)
        rows, values = rows[keep], values[keep]
        keys = pd.Series(person[rows].astype(str)) + "|" + pd.Series(values).astype(str)
        a, b = key_edges(keys.to_numpy())
        edges_a.append(rows[a])
        edges_b.append(rows[b])

    every = np.arange(n)
    chain(every, frame["nid_token"].to_numpy())
    for col in ("family_phonetic_token", "given_phonetic_token"):
        chain(every[named], frame[col].to_numpy()[named])
    for col in ("name_word_tokens", "family_variant_tokens", "given_variant_tokens"):
        parts = pd.Series(list(frame[col]), index=every)[named].explode().dropna()
        chain(parts.index.to_numpy(dtype=np.int64), (col + ":" + parts.astype(str)).to_numpy())
    # a name missing on one side: the same real birth date, or the same birth year and
    # municipality (groups of a person and such values with a nameless registration in
    # them are chained whole)
    real = frame["birth_date_token"].where(~frame["birth_md_common"])
    year_place = frame["birth_year"].astype(str) + "|" + frame["residence_municipality"].astype(str)
    year_place = year_place.where(
        frame["birth_year"].notna() & frame["residence_municipality"].notna()
    )
    for values in (real, year_place):
        group = pd.Series(person).astype(str) + "|" + values.astype(str)
        has_nameless = pd.Series(~named).groupby(group.to_numpy()).transform("max").to_numpy(bool)
        rows = every[has_nameless & values.notna().to_numpy()]
        chain(rows, values.to_numpy()[rows])
    reach = component_index(n, np.concatenate(edges_a), np.concatenate(edges_b))
    sizes = np.bincount(person)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    joint = pd.factorize(pd.Series(person).astype(str) + "|" + pd.Series(reach).astype(str))[0]
    sizes = np.bincount(joint)
    within = int((sizes * (sizes - 1) // 2).sum())
    out = {"true_pairs": true_pairs, "within_reach": within, "beyond": true_pairs - within}
    cached.write_text(json.dumps(out))
    return out


def run_ours(work: Path, save_links: bool = False) -> dict:
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
    if save_links:
        save_scored_links(work, linked, assignment)
    return {"seconds": seconds, "assignment": assignment, "links": len(linked.links)}


def save_scored_links(work: Path, linked, assignment) -> None:
    """The scored pairs with whether they are one true person and were put in one person."""
    from traffickingmonitor.linkage import api as linkage

    truth = linkage.read_truth(work / "truth.csv").set_index("registration_id")["person_id"]
    found = assignment.set_index(assignment["registration_id"].astype(str))["person_id"]
    links = linked.links
    left, right = links["registration_id_l"], links["registration_id_r"]
    links = links.assign(
        same_person=truth.reindex(left).to_numpy() == truth.reindex(right).to_numpy(),
        together=found.reindex(left).to_numpy() == found.reindex(right).to_numpy(),
    )
    links.to_parquet(work / "links-ours.parquet")


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


def child(variant: str, work: Path, save_links: bool = False) -> None:
    """Run one variant and print its result as JSON (in its own process)."""
    import resource

    from traffickingmonitor.linkage import api as linkage

    result = run_ours(work, save_links) if variant == "ours" else run_raw(work)
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
        "true_pairs_found": quality["correct_pairs"],
        "persons": quality["persons"],
        "true_persons": quality["true_persons"],
    }
    print(json.dumps(out))


def measure(variant: str, work: Path, save_links: bool = False) -> dict:
    start = time.perf_counter()
    extra = ["--save-links"] if save_links else []
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", variant, "--work", str(work), *extra],
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
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[DEFAULT_SEED], help="synthetic seeds"
    )
    parser.add_argument("--variants", nargs="+", choices=["ours", "raw"], default=["raw", "ours"])
    parser.add_argument("--work", type=Path, help="work folder (data are cached there)")
    parser.add_argument(
        "--save-links",
        action="store_true",
        help="write the scored pairs of ours, with the truth, to links-ours.parquet",
    )
    parser.add_argument("--child", choices=["ours", "raw"], help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child, opts.work, opts.save_links)
        return
    root = opts.work or Path(tempfile.mkdtemp(prefix="tm-linkage-bench-"))
    print(
        "ceiling R: recall if every true pair were found but those that carry no field that "
        "could join them (no national id, name part or, a name missing, real birth date or "
        "birth year and municipality in common, not even through the person's other registrations); ceiling F1 at precision 1; "
        "beyond: those pairs; missed: true pairs not put together",
        flush=True,
    )
    header = (
        f"{'scale':>6} {'seed':>8} {'registrations':>13} {'variant':<7} {'seconds':>8} "
        f"{'peak MiB':>9} {'precision':>9} {'recall':>7} {'F1':>7} {'ceil R':>7} "
        f"{'ceil F1':>7} {'missed':>7} {'beyond':>7} {'persons':>9} {'true':>9}"
    )
    print(header, flush=True)
    for scale in opts.scales:
        for seed in opts.seeds:
            work = root / f"scale-{scale:g}-seed-{seed}"
            work.mkdir(parents=True, exist_ok=True)
            prep_start = time.perf_counter()
            prepare_data(scale, work, seed)
            top = ceiling(work)
            prep = time.perf_counter() - prep_start
            ceil_r = top["within_reach"] / max(top["true_pairs"], 1)
            rows = {}
            for variant in opts.variants:
                r = measure(variant, work, opts.save_links and variant == "ours")
                rows[variant] = r
                missed = top["true_pairs"] - r["true_pairs_found"]
                print(
                    f"{scale:>6g} {seed:>8} {r['registrations']:>13,} {variant:<7} "
                    f"{r['seconds']:>8.1f} {r['peak_mib']:>9,} {r['precision']:>9.4f} "
                    f"{r['recall']:>7.4f} {r['f1']:>7.4f} {ceil_r:>7.4f} "
                    f"{2 * ceil_r / (1 + ceil_r):>7.4f} {missed:>7,} {top['beyond']:>7,} "
                    f"{r['persons']:>9,} {r['true_persons']:>9,}",
                    flush=True,
                )
            if len(rows) == 2:
                overhead = rows["ours"]["seconds"] / rows["raw"]["seconds"] - 1
                print(
                    f"{'':>6} overhead of ours over raw Splink: {overhead:+.0%} "
                    f"(data preparation and ceiling, cached: {prep:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
