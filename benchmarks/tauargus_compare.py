"""Benchmark: our secondary suppression next to tau-ARGUS (pytauargus, MOD and OPT), per table.

For every *single* table of an edition where tau-ARGUS applies, a table of persons by year and
one category whose rows partition the year's total (sex, age group, province, ...), the table
is protected alone, with the year's total (``totals``) as its margin:

* ours: ``protect_edition_details({"totals": ..., table: ...}, DisclosureRule())``;
* tau-ARGUS: one 1-dimensional table per year (the categories and their total) read as
  tabular data by pytauargus, the counts 1..9 set unsafe by hand with lower and upper
  protection levels of exactly our protection interval (``protection_level`` either way,
  within 1..9), cost per cell 1 + count (our engine's cost), then ``MOD`` (modular, HiTaS)
  and ``OPT`` (optimal, Fischetti & Salazar-González) each in a fresh engine.

It prints per table the cells, the primary cells, the secondary cells of each pattern, and
for each pattern the cells our attacker (``disclosure.attack``: ``<10`` is 1..9, an ``x``
next to ``<10`` is 0 or at least 10, integer bound propagation) narrows to less than the
protection interval, then a total line.

    python benchmarks/tauargus_compare.py                      # a fresh demo edition
    python benchmarks/tauargus_compare.py --db DIR/monitor.duckdb
    python benchmarks/tauargus_compare.py --db FILE --tables sex province

Needs pytauargus (``pip install -e '.[bench]'``); without it the script says so and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERSONS = "persons"


def _pytauargus():
    try:
        import pytauargus  # noqa: F401
        from pytauargus.engine import run_batch
    except ImportError:
        return None
    return run_batch


def demo_store(folder: Path) -> Path:
    """A demo edition (synth + run + report; needs no key), its store file."""
    cmd = [sys.executable, "-m", "traffickingmonitor", "demo", "--out", str(folder)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return folder / "monitor.duckdb"


def applicable(tables: dict) -> tuple[dict, dict]:
    """Tables of persons by year and one category whose rows add up to the year's total,
    each reduced to (year, category, persons); and why the others were left out."""
    totals = tables.get("totals")
    if totals is None or PERSONS not in totals.counts:
        raise SystemExit("the edition has no totals table with persons per year")
    per_year = totals.frame.set_index("year")[PERSONS]
    fit, skipped = {}, {}
    for tid, t in tables.items():
        if tid == "totals" or "year" not in t.dimensions or len(t.dimensions) != 2:
            continue
        if not t.counts:
            continue
        if t.overlapping:
            skipped[tid] = "overlapping rows"
            continue
        col = PERSONS if PERSONS in t.counts else t.counts[0]
        cat = next(d for d in t.dimensions if d != "year")
        f = t.frame[["year", cat, col]].rename(columns={col: PERSONS})
        if f[PERSONS].isna().any():
            skipped[tid] = "missing counts"
            continue
        if set(t.total_categories) or (f[cat].astype(str) == "all").any():
            skipped[tid] = "has a total row"
            continue
        sums = f.groupby("year")[PERSONS].sum()
        if not sums.index.isin(per_year.index).all() or (sums != per_year[sums.index]).any():
            skipped[tid] = "rows do not add up to the year's total"
            continue
        fit[tid] = (t, cat, f.reset_index(drop=True))
    return fit, skipped


def single(table, cat: str, frame, totals):
    """The table and the totals as MonitorTables of persons only, linked to nothing else."""
    keep = {k: v for k, v in table.extra.items() if k == "hidden_as_x"}
    t = dataclasses.replace(
        table,
        frame=frame,
        dimensions=("year", cat),
        counts=(PERSONS,),
        estimates=(),
        extra=keep,
        margin_of="totals",
        margin_columns={},
        total_categories={},
        additive_counts=(),
        members=None,
    )
    tot = dataclasses.replace(
        totals,
        frame=totals.frame[["year", PERSONS]].copy(),
        counts=(PERSONS,),
        estimates=(),
        extra={},
        margin_of="",
        margin_columns={},
        total_categories={},
        additive_counts=(),
        members=None,
    )
    return t, tot


RDA = """<SEPARATOR> ";"
<SAFE> "S"
<UNSAFE> "U"
<PROTECT> "P"
cat "" ""
  <RECODEABLE>
  <TOTCODE> "Total"
persons "" ""
  <NUMERIC>
freq "" ""
  <FREQUENCY>
cost "" ""
  <NUMERIC> <COSTVAR>
status "" ""
  <STATUS>
lpl "" ""
  <NUMERIC> <LOWERPL>
upl "" ""
  <NUMERIC> <UPPERPL>
"""

ARB = """<OPENTABLEDATA> "{tab}"
<OPENMETADATA> "{rda}"
<SPECIFYTABLE> "cat"|"persons"||"cost"
<SAFETYRULE>
<READTABLE> 1
<SUPPRESS> {method}(1)
<WRITETABLE> (1,5,"SO+","{out}")
"""


def tau_argus(run_batch, values: list[int], total: int, method: str, rule, work: Path) -> set:
    """Secondary cells (positions in ``values``) of one year's table under tau-ARGUS.

    Categories are coded c0001.. (ASCII, fixed width), zeros are empty cells (never hidden,
    like ours); a count 1..threshold-1 is unsafe with lower and upper protection levels of
    our protection interval. The total is a cell of the table, unsafe only if it is small.
    """
    small = range(1, rule.threshold)
    pl = rule.protection_level

    def line(code: str, v: int) -> str:
        lo = min(pl, v - 1) if v in small else 0
        hi = min(pl, rule.threshold - 1 - v) if v in small else 0
        status = "U" if v in small else "S"
        return f"{code};{v};{v};{1 + v};{status};{lo};{hi}"

    work.mkdir(parents=True, exist_ok=True)
    lines = [line(f"c{i:04d}", v) for i, v in enumerate(values)] + [line("Total", total)]
    (work / "t.tab").write_text("\n".join(lines) + "\n", "ascii")
    (work / "t.rda").write_text(RDA, "ascii")
    out = work / f"{method}.tab"
    arb = work / f"{method}.arb"
    arb.write_text(
        ARB.format(tab=work / "t.tab", rda=work / "t.rda", method=method, out=out), "ascii"
    )
    with contextlib.chdir(work):  # the native solvers write their logs to the working folder
        run_batch(str(arb))
    secondary = set()
    for row in out.read_text().splitlines():
        f = row.split(";")
        code = f[0].strip().strip('"')
        if f[-3] == "M" and code.startswith("c"):
            secondary.add(int(code[1:]))
    return secondary


def published(table, totals, frame, primary, secondary, rule, all_x=False):
    """The two tables as a reader sees them under a pattern (for the attacker): as the
    edition publishes them (``<10`` for a primary cell unless the table shows every hidden
    cell as ``x``), or with ``all_x`` every hidden cell as a bare ``x`` (some count >= 0:
    what tau-ARGUS assumes a reader knows)."""
    from traffickingmonitor.disclosure.attack import Published

    as_x = all_x or bool(table.extra.get("hidden_as_x", False))
    shown = []
    for i, v in enumerate(frame[PERSONS].astype(int)):
        if i in primary:
            shown.append("x" if as_x else rule.symbol)
        elif i in secondary:
            shown.append("x")
        else:
            shown.append(str(v))
    f = frame.copy()
    f[PERSONS] = shown
    tot = totals.frame[["year", PERSONS]].copy()
    tot[PERSONS] = tot[PERSONS].astype(int).astype(str)
    return [
        Published("totals", tot, ("year",), (PERSONS,)),
        Published(table.table_id, f, table.dimensions, (PERSONS,), False, x_not_small=not as_x),
    ]


def recovered(table, totals, frame, primary, secondary, rule, all_x=False) -> int:
    """Hidden cells of 1..9 persons the attacker narrows to less than the protection
    interval (or pins down) from the two tables under the pattern."""
    from traffickingmonitor.disclosure.attack import attack

    truth = {(table.table_id, i, PERSONS): int(v) for i, v in enumerate(frame[PERSONS])}
    report = attack(
        published(table, totals, frame, primary, secondary, rule, all_x),
        rule.threshold,
        truth,
        rule.protection_level,
    )
    return len(report.recoveries)


def _slash(xs) -> str:
    return "/".join(str(x) for x in xs)


def compare(db: Path, only: list[str] | None, work: Path) -> int:
    from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition_details
    from traffickingmonitor.editions import read_edition

    run_batch = _pytauargus()
    rule = DisclosureRule()
    edition, tables = read_edition(db)
    fit, skipped = applicable(tables)
    if only:
        fit = {k: v for k, v in fit.items() if k in only}
    print(
        f"edition {edition.edition_id} from {db}; rule: counts 1..{rule.threshold - 1} "
        f"sensitive, protection {rule.protection_level} either way within "
        f"1..{rule.threshold - 1}; per table with totals as margin"
    )
    for tid, why in sorted(skipped.items()):
        print(f"  skipped {tid}: {why}")
    head = (
        f"{'table':<28}{'cells':>6}{'prim':>6}{'ours':>6}{'MOD':>6}{'OPT':>6}"
        f"   recovered ours/MOD/OPT: <10 shown | all x   seconds ours/MOD/OPT"
    )
    print(head)
    print("-" * len(head))
    grand = [0] * 5
    more = []
    rec_total = [0] * 6
    for tid, (table, cat, frame) in fit.items():
        t, tot = single(table, cat, frame, tables["totals"])
        t0 = time.perf_counter()
        ours = protect_edition_details({"totals": tot, tid: t}, rule).tables[tid]
        s_ours = time.perf_counter() - t0
        status = ours.status[PERSONS].reset_index(drop=True)
        primary = set(status.index[status == "primary"])
        sec_ours = set(status.index[status == "secondary"])
        values = frame[PERSONS].astype(int)
        tau = {"MOD": set(), "OPT": set()}
        secs = {"MOD": 0.0, "OPT": 0.0}
        for year, rows in frame.groupby("year").groups.items():
            pos = list(rows)
            if not any(p in primary for p in pos):
                continue
            total = int(tot.frame.set_index("year").at[year, PERSONS])
            for method in ("MOD", "OPT"):
                t1 = time.perf_counter()
                sec = tau_argus(
                    run_batch,
                    [int(values[p]) for p in pos],
                    total,
                    method,
                    rule,
                    work / tid / str(year),
                )
                secs[method] += time.perf_counter() - t1
                tau[method] |= {pos[i] for i in sec}
        rec = [
            recovered(t, tot, frame, primary, s, rule, all_x)
            for all_x in (False, True)
            for s in (sec_ours, tau["MOD"], tau["OPT"])
        ]
        row = [len(frame), len(primary), len(sec_ours), len(tau["MOD"]), len(tau["OPT"])]
        grand = [a + b for a, b in zip(grand, row, strict=True)]
        rec_total = [a + b for a, b in zip(rec_total, rec, strict=True)]
        if len(sec_ours) > min(len(tau["MOD"]), len(tau["OPT"])):
            more.append(tid)
        print(
            f"{tid:<28}{row[0]:>6}{row[1]:>6}{row[2]:>6}{row[3]:>6}{row[4]:>6}"
            f"   {_slash(rec[:3]):>20} | {_slash(rec[3:]):<8}"
            f"  {s_ours:6.2f}/{secs['MOD']:.2f}/{secs['OPT']:.2f}"
        )
    print("-" * len(head))
    print(
        f"{'total (' + str(len(fit)) + ' tables)':<28}{grand[0]:>6}{grand[1]:>6}{grand[2]:>6}"
        f"{grand[3]:>6}{grand[4]:>6}   {_slash(rec_total[:3]):>20} | {_slash(rec_total[3:])}"
    )
    if more:
        print("ours hides more than tau-ARGUS (MOD or OPT) on: " + ", ".join(more))
    else:
        print("ours hides no more cells than tau-ARGUS MOD and OPT on any table")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a store written by `run` or `demo`")
    parser.add_argument("--tables", nargs="+", help="only these table ids")
    parser.add_argument("--keep", type=Path, help="keep the demo edition and tau-ARGUS files here")
    args = parser.parse_args()
    if _pytauargus() is None:
        print("pytauargus is not installed: pip install -e '.[bench]'")
        return 2
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-tauargus-"))
    db = args.db
    if db is None:
        print(f"making a demo edition in {root / 'demo'} ...", flush=True)
        db = demo_store(root / "demo")
    return compare(db, args.tables, root / "tauargus")


if __name__ == "__main__":
    sys.exit(main())
