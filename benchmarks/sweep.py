"""Sweep: every edition publishes. Synth, run, report, disclosure-check and serve per edition.

Each edition (seed × scale × variant) goes through the pipeline as a user runs it, one CLI
process per stage: ``synth``, ``run``, ``report --no-pdf`` (HTML and CSV), ``disclosure-check``
and a ``serve`` start (polled until a page answers 200, then stopped). One line per edition
with the seconds of each stage and the result; a summary at the end; exit code 1 when any
edition failed. A failed edition's folder is kept with a log per stage.

    python benchmarks/sweep.py --seeds 10 --scales 1             # seeds 1-10 at scale 1
    python benchmarks/sweep.py --seeds 1-50 --scales 1 0.1:1-5 10:1-5 --odd
    python benchmarks/sweep.py --seeds 34 --scales 1 --work /tmp/sweep --keep

A scale may carry its own seeds (``SCALE:SEEDS``); seeds are ``N`` (1 to N), ``A-B`` or a
comma list of those (one seed: ``34-34``). ``--odd`` adds the odd but valid editions of
``ODD_VARIANTS`` (made by ``synth`` options) at ``--odd-scales`` with ``--odd-seeds``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("synth", "run", "report", "check", "serve")

#: odd but valid editions: variant name → extra ``synth`` options
ODD_VARIANTS: dict[str, tuple[str, ...]] = {
    "one-year": ("--years", "2019"),
    "police-only": ("--only-org", "police"),
    "no-events": ("--no-events",),
    "no-assessments": ("--no-assessments",),
    "police-gap-2018": ("--drop-org-year", "police:2018"),
    "all-female": ("--sex", "female"),
}

#: how long a ``serve`` start may take before the edition counts as failed; generous, because
#: the server builds every protected table before it answers and the machine may be busy
SERVE_START_LIMIT = 3600.0


@dataclass(frozen=True)
class Edition:
    seed: int
    scale: float
    variant: str = "default"
    synth_options: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"scale-{self.scale:g}-seed-{self.seed}-{self.variant}"


@dataclass
class Result:
    edition: Edition
    seconds: dict[str, float] = field(default_factory=dict)
    failed_stage: str | None = None
    error: str = ""
    tail: str = ""
    command: str = ""
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed_stage is None


def parse_seeds(text: str) -> list[int]:
    """'10' → 1..10, '31-34' → 31..34, '3,7,11-12' → [3, 7, 11, 12]."""
    seeds: list[int] = []
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError(f"no seeds in {text!r}")
    for part in parts:
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            if lo > hi:
                raise ValueError(f"seed range runs backwards: {part!r}")
            seeds.extend(range(lo, hi + 1))
        elif len(parts) == 1:
            seeds.extend(range(1, int(part) + 1))
        else:
            seeds.append(int(part))
    return list(dict.fromkeys(seeds))


def plan(
    seeds: str,
    scales: list[str],
    odd: bool = False,
    odd_seeds: str = "1",
    odd_scales: list[str] | None = None,
) -> list[Edition]:
    """The editions of a sweep, in order: each scale's seeds, then the odd variants."""
    editions: list[Edition] = []
    for spec in scales:
        scale, _, own = spec.partition(":")
        editions += [Edition(s, float(scale)) for s in parse_seeds(own or seeds)]
    if odd:
        for spec in odd_scales or ["1"]:
            for seed in parse_seeds(odd_seeds):
                for variant, options in ODD_VARIANTS.items():
                    editions.append(Edition(seed, float(spec), variant, options))
    return editions


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "traffickingmonitor", *args]


def _first_error(text: str) -> str:
    """The line a reader needs first: an error or FAIL line, else the last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        low = ln.lower()
        if low.startswith(("error", "internal error")) or "fail" in low.split()[:2]:
            return ln
    for ln in lines:
        if "error" in ln.lower():
            return ln
    return lines[-1] if lines else "(no output)"


def _tail(text: str, n: int = 15) -> str:
    return "\n".join(text.splitlines()[-n:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reap(proc: subprocess.Popen, block: bool = True) -> tuple[int, float] | None:
    """(exit code, CPU seconds) of a finished child; None while it runs (``block=False``).

    ``os.wait4`` gives the child's own resource use, which wall seconds on a shared machine
    do not: the CI budget is CPU.
    """
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _serve(db: Path, env: dict, log: Path) -> tuple[bool, str, float]:
    """Start ``serve``, poll until '/' answers 200, stop it; (started, output, CPU seconds)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _cli("serve", "--db", str(db), "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started = False
        ended = None
        deadline = time.monotonic() + SERVE_START_LIMIT
        try:
            while time.monotonic() < deadline and (ended := _reap(proc, block=False)) is None:
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        if response.status == 200:
                            started = True
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.5)
        finally:
            if ended is None:
                os.killpg(proc.pid, signal.SIGTERM)
                stop = time.monotonic() + 60
                while (ended := _reap(proc, block=False)) is None and time.monotonic() < stop:
                    time.sleep(0.2)
                if ended is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    ended = _reap(proc)
    text = log.read_text("utf-8", errors="replace")
    if not started and proc.returncode is not None and proc.returncode != 0 and not text.strip():
        text = f"serve exited with code {proc.returncode}"
    elif not started and not text.strip():
        text = f"serve did not answer 200 on {url}"
    return started, text, ended[1]


def run_edition(edition: Edition, work: Path, env: dict, keep: bool = False) -> Result:
    """Run one edition through every stage; stops at the first stage that fails."""
    folder = work / edition.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data, db, report = folder / "in", folder / "monitor.duckdb", folder / "out"
    commands = {
        "synth": (
            "synth",
            "--out",
            str(data),
            "--seed",
            str(edition.seed),
            "--scale",
            f"{edition.scale:g}",
            *edition.synth_options,
        ),
        "run": ("run", str(data), "--db", str(db)),
        "report": ("report", "--db", str(db), "--out", str(report), "--no-pdf"),
        "check": ("disclosure-check", "--db", str(db)),
    }
    result = Result(edition)
    for stage in STAGES:
        log = folder / f"{stage}.log"
        start = time.perf_counter()
        if stage == "serve":
            result.command = f"traffickingmonitor serve --db {db} --port <free port>"
            ok, text, result.cpu[stage] = _serve(db, env, log)
        else:
            args = commands[stage]
            result.command = "traffickingmonitor " + " ".join(args)
            with log.open("wb") as out:
                proc = subprocess.Popen(_cli(*args), env=env, stdout=out, stderr=subprocess.STDOUT)
                code, result.cpu[stage] = _reap(proc)
            text = log.read_text("utf-8", errors="replace")
            ok = code == 0
            if ok and stage == "report":
                missing = [
                    p
                    for p in (report / "report.html", report / "tables" / "metadata.json")
                    if not p.is_file()
                ]
                if missing or not list((report / "tables").glob("*.csv")):
                    ok, text = False, f"report wrote no {missing or 'CSV tables'}"
        result.seconds[stage] = time.perf_counter() - start
        if not ok:
            result.failed_stage = stage
            result.error = _first_error(text)
            result.tail = _tail(text)
            return result
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def line(result: Result) -> str:
    e = result.edition
    times = " ".join(f"{s} {result.seconds[s]:6.1f}" for s in STAGES if s in result.seconds)
    verdict = "ok" if result.ok else f"FAILED at {result.failed_stage}: {result.error}"
    cpu = sum(result.cpu.values())
    return f"seed {e.seed:>4} scale {e.scale:>5g} {e.variant:<16} {times} cpu {cpu:6.1f}  {verdict}"


def summary(results: list[Result], seconds: float) -> str:
    """Editions published and failed; per stage the median and the slowest seconds."""
    import statistics

    failed = [r for r in results if not r.ok]
    per_stage = []
    for s in STAGES:
        times = [r.seconds[s] for r in results if s in r.seconds]
        if times:
            per_stage.append(f"{s} {statistics.median(times):.1f}/{max(times):.1f}")
    cpu = [sum(r.cpu.values()) for r in results]
    return (
        f"{len(results) - len(failed)} of {len(results)} editions published, "
        f"{len(failed)} failed; {seconds:.0f} s in all; seconds per stage (median/slowest): "
        + ", ".join(per_stage)
        + (f"; CPU s per edition median {statistics.median(cpu):.0f}" if cpu else "")
    )


def code_location(env: dict) -> str:
    """The package the stage processes import (a sweep may run a snapshot via PYTHONPATH)."""
    found = subprocess.run(
        [sys.executable, "-c", "import traffickingmonitor; print(traffickingmonitor.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    return Path(found.stdout.strip()).parent.as_posix() if found.returncode == 0 else "?"


def sweep_env() -> dict:
    return {
        **os.environ,
        "TRAFFICKINGMONITOR_KEY": os.environ.get("TRAFFICKINGMONITOR_KEY")
        or "sweep-key-" + "0" * 54,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="10", help="N (1 to N), A-B or a comma list")
    parser.add_argument(
        "--scales",
        nargs="*",
        default=["1"],
        help="scales, each SCALE or SCALE:SEEDS (none: odd only)",
    )
    parser.add_argument("--odd", action="store_true", help="add the odd but valid editions")
    parser.add_argument("--odd-seeds", default="1", help="seeds of the odd editions (as --seeds)")
    parser.add_argument("--odd-scales", nargs="+", default=["1"], help="scales of the odd ones")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep every edition's folder")
    parser.add_argument("--jobs", type=int, default=1, help="editions run at the same time")
    opts = parser.parse_args(argv)
    try:
        editions = plan(opts.seeds, opts.scales, opts.odd, opts.odd_seeds, opts.odd_scales)
    except ValueError as exc:
        parser.error(str(exc))
    if opts.jobs < 1:
        parser.error("--jobs must be at least 1")
    work = opts.work or Path(tempfile.mkdtemp(prefix="tm-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    env = sweep_env()
    print(f"{len(editions)} editions in {work}; code {code_location(env)}", flush=True)
    start = time.perf_counter()
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        futures = [pool.submit(run_edition, e, work, env, opts.keep) for e in editions]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            print(line(result), flush=True)
            if not result.ok:
                print(f"    command: {result.command}", flush=True)
                print("    " + result.tail.replace("\n", "\n    "), flush=True)
    print(summary(results, time.perf_counter() - start), flush=True)
    if not opts.work and not opts.keep and all(r.ok for r in results):
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
