"""Benchmark: the charts of one language measured on the charts' font copy, and without it.

vl-convert measures chart text by mapping the font file afresh for every text
(``publish/chart_font.py``). This builds the chapters of the store's latest edition in one
language in processes of their own, taking turns (vl-convert's fonts are the process's):
with the copy registered, as ``run`` does, and without it (DejaVu Sans itself, as before).
It prints, per variant, the number of charts, the seconds vl-convert took to draw them and
the seconds of the whole build, and whether the two give the same SVGs but for the copy's
name. Times are printed, never asserted.

    python benchmarks/chart_font.py --db demo/monitor.duckdb [--lang nl] [--repeat 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def _child(db: Path, lang: str, with_copy: bool, repeat: int) -> None:
    import vl_convert as vlc

    from traffickingmonitor.publish import chart_font
    from traffickingmonitor.publish.chapter_workers import _load
    from traffickingmonitor.publish.report import protected_edition
    from traffickingmonitor.publish.stored_chapters import build_from, store_inputs

    if not with_copy:
        chart_font.register = lambda: None  # DejaVu Sans, next in the charts' font-family
    _load(font=with_copy)  # vl-convert's engine started, as in a run's worker
    edition, rule, protected = protected_edition(db, None, None, None)
    inputs = store_inputs(db, edition)
    draw, drawn, spent = vlc.vegalite_to_svg, [], [0.0]

    def timed(*args, **kwargs):
        start = time.perf_counter()
        svg = draw(*args, **kwargs)
        spent[0] += time.perf_counter() - start
        drawn.append(svg)
        return svg

    vlc.vegalite_to_svg = timed
    runs = []
    for _ in range(repeat):
        drawn.clear()
        spent[0] = 0.0
        start = time.perf_counter()
        build_from(edition, rule, lang, protected, *inputs)
        runs.append((spent[0], time.perf_counter() - start))
    same = [svg.replace(f"{chart_font.FAMILY}, ", "") for svg in drawn]
    print(json.dumps({"charts": len(drawn), "runs": runs, "svgs": same}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--lang", default="nl")
    parser.add_argument("--repeat", type=int, default=2, help="builds per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per variant")
    parser.add_argument("--child", choices=["with", "without"], help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        _child(opts.db, opts.lang, opts.child == "with", opts.repeat)
        return
    found = {}
    here = [sys.executable, __file__, "--db", str(opts.db), "--lang", opts.lang]
    # the variants take turns, a process each, as this machine's speed drifts within minutes
    for _ in range(opts.rounds):
        for variant in ("without", "with"):
            done = subprocess.run(
                [*here, "--repeat", str(opts.repeat), "--child", variant],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                sys.exit(f"{variant} the copy failed: {done.stderr[-2000:]}")
            found[variant] = json.loads(done.stdout.splitlines()[-1])
            for charts_s, build_s in found[variant]["runs"]:
                print(
                    f"{variant:>7} the copy: {found[variant]['charts']} charts drawn in "
                    f"{charts_s:.2f} s, chapters ({opts.lang}) built in {build_s:.2f} s"
                )
    same = found["with"]["svgs"] == found["without"]["svgs"]
    print(f"the same SVGs but for the copy's name: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
