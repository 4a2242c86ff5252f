"""A ``run`` killed with SIGKILL leaves no process behind (issue 13, finding 11).

The hidden number is bootstrapped in a pool of workers forked from a fork server, with the
multiprocessing resource tracker beside them; none of them may outlive the killed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import KEY, run_cli

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
    pytest.mark.skipif(
        len(getattr(os, "sched_getaffinity", lambda _: ())(0)) < 2,
        reason="one core (or not Linux): the bootstrap runs without workers",
    ),
]

# Generous: the machine may be busy; the workers usually go within a second.
_GONE_WITHIN = 180.0
# Reaching the bootstrap takes some seconds of intake and linkage; a busy machine, minutes.
_POOL_WITHIN = 900.0


def _stat(pid: int) -> tuple[str, int, int] | None:
    """State letter, parent pid and start time, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1]), int(fields[19])


def _descendants(root: int) -> dict[tuple[int, int], int]:
    """Every living descendant of ``root`` as (pid, start time), with its depth below it."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                stats[int(entry.name)] = stat
    depth = {root: 0}
    changed = True
    while changed:
        changed = False
        for pid, (_, ppid, _) in stats.items():
            if pid not in depth and ppid in depth:
                depth[pid] = depth[ppid] + 1
                changed = True
    del depth[root]
    return {(pid, stats[pid][2]): d for pid, d in depth.items()}


def _alive(process: tuple[int, int]) -> bool:
    # The start time tells a survivor from a new process that got the same pid.
    stat = _stat(process[0])
    return stat is not None and stat[0] not in ("Z", "X") and stat[2] == process[1]


def test_killing_run_during_the_bootstrap_leaves_no_process(tmp_path):
    data = tmp_path / "in"
    synth = run_cli("synth", "--out", data)
    assert synth.returncode == 0, synth.stderr
    env = {**os.environ, "TRAFFICKINGMONITOR_KEY": KEY}
    run = subprocess.Popen(
        [sys.executable, "-m", "traffickingmonitor", "run", str(data), "--db", tmp_path / "m.db"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    seen: set[tuple[int, int]] = set()
    try:
        deadline = time.monotonic() + _POOL_WITHIN
        while True:
            family = _descendants(run.pid)
            seen |= set(family)
            # Workers are grandchildren: forked by the fork server, a child of the run.
            if sum(1 for d in family.values() if d >= 2) >= 2:
                break
            assert run.poll() is None, "run ended before its bootstrap workers were seen"
            assert time.monotonic() < deadline, "no bootstrap workers appeared"
            time.sleep(0.1)
        seen |= set(_descendants(run.pid))
        assert len(seen) >= 4  # resource tracker, fork server and two workers at least

        os.kill(run.pid, signal.SIGKILL)
        run.wait()

        deadline = time.monotonic() + _GONE_WITHIN
        survivors = [p for p in seen if _alive(p)]
        while survivors and time.monotonic() < deadline:
            time.sleep(0.2)
            survivors = [p for p in survivors if _alive(p)]
        assert survivors == [], f"{len(survivors)} process(es) outlived the killed run"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for process in seen:
            if _alive(process):
                os.kill(process[0], signal.SIGKILL)
