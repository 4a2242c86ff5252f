"""Nonparametric bootstrap with model selection rerun, BCa limits, jackknife acceleration.

As SparseMSE's ``estimatepopulation``: resample the observed individuals (multinomial on
the observed pattern counts), rerun the whole selection in every replicate, take the
jackknife over individuals (one person removed from each non-empty pattern, weighted by
the pattern's count) for the acceleration, and apply ``bcaconfvalues`` (quantiles of
type 8, R's default there). Replicates are drawn in the parent process from one seeded
generator and then shared out to worker processes, so the result depends on the seed
only, never on the number of workers.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import multiprocessing as mp
import os
import re
import select
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

# the normal distribution's functions themselves: scipy.stats would cost the fork server
# most of a second of imports
from scipy.special import ndtr, ndtri

from traffickingmonitor.analysis.mse.design import Layout
from traffickingmonitor.analysis.mse.fit import Problem
from traffickingmonitor.analysis.mse.table import NotEstimableError

if TYPE_CHECKING:
    from traffickingmonitor.analysis.mse.selection import Selection

log = logging.getLogger(__name__)
#: what the fork server imports before it forks a worker: this module, and the model
#: selection it runs (scipy.optimize), which this module imports only where it is used so
#: that the process that starts the server (``demo``, before it makes its data) need not
_PRELOAD = (__name__, "traffickingmonitor.analysis.mse.selection")


@dataclass(frozen=True)
class Procedure:
    """A selection-and-estimation recipe that can be rerun on resampled counts.

    Attributes
    ----------
    method : str
        ``stepwise``, ``bic``, ``aic``, ``main`` or ``fixed``.
    base : tuple of int
        Terms always in the model.
    pthresh : float
        Stepwise threshold.
    interactions : tuple of int
        The fixed model's interactions (``method="fixed"``).
    models : tuple of tuple of int, optional
        Exhaustive methods: the candidate models (all, or the top ones by the
        original data's criterion, as MultipleSystemsEstimation's ``ntopmodels``).
    """

    method: str
    base: tuple[int, ...]
    pthresh: float = 0.02
    interactions: tuple[int, ...] = ()
    models: tuple[tuple[int, ...], ...] | None = None
    max_order: int = 2

    def run(self, problem: Problem, *, keep_ranking: bool = False) -> Selection:
        from traffickingmonitor.analysis.mse import selection

        if self.method == "stepwise":
            return selection.stepwise(problem, self.base, self.pthresh)
        if self.method == "main":
            return selection.main_effects(problem, self.base)
        if self.method == "fixed":
            return selection.fixed(problem, self.base, self.interactions)
        if self.method in ("bic", "aic"):
            return selection.exhaustive(
                problem,
                self.base,
                self.method,
                self.max_order,
                models=list(self.models) if self.models is not None else None,
                keep_ranking=keep_ranking,
            )
        raise ValueError(f"unknown method {self.method!r}")

    def estimate(self, layout: Layout, y: np.ndarray) -> float:
        """Point estimate on counts ``y``; NaN when no model can be fitted."""
        try:
            sel = self.run(Problem(layout, y))
        except NotEstimableError:
            return float("nan")
        est = sel.fit.estimate
        return est if sel.fit.converged and math.isfinite(est) else float("nan")

    def estimate_many(
        self, layout: Layout, Y: np.ndarray, start: np.ndarray | None = None
    ) -> np.ndarray:
        """:meth:`estimate` on every row of ``Y``; stepwise runs them all at once.

        ``start`` (the full data's counts) warm-starts the batched stepwise fits; the
        selections and estimates are those of :meth:`estimate` row by row (to the
        convergence tolerance of the fits), and each row's value does not depend on the
        other rows.
        """
        if self.method == "stepwise" and len(Y):
            from traffickingmonitor.analysis.mse import selection

            return selection.stepwise_estimates(layout, self.base, self.pthresh, Y, start)
        return np.array([self.estimate(layout, y) for y in Y])


def _run_chunk(args: tuple[Layout, Procedure, np.ndarray, np.ndarray | None]) -> np.ndarray:
    layout, procedure, Y, start = args
    return procedure.estimate_many(layout, Y, start)


def default_jobs() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, n)


_START_METHOD: contextvars.ContextVar[str] = contextvars.ContextVar("start_method", default="fork")
# the pools of a workers_from_fork_server block, by number of workers
_POOL: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pool", default=None)


@contextlib.contextmanager
def workers_from_fork_server():
    """Within this block, bootstrap workers are forked from a clean server process.

    A plain fork (the default: workers start instantly and inherit imports) copies the
    state of the caller's other threads, which is not safe where e.g. a DuckDB connection
    is open, as in the pipeline. The fork server is started once per process (it imports
    this module) and then forks workers as quickly as fork does. Like ``spawn``, every
    worker imports the main module again; where that module is a script without an
    ``if __name__ == "__main__"`` guard, its code would run again in every worker, so the
    work is done in this process instead.
    """
    token = _START_METHOD.set("forkserver" if _main_is_guarded() else "serial")
    # one pool for the whole block: a pipeline runs dozens of bootstraps (its workers
    # already started where start_fork_server started them)
    if _START_METHOD.get() == "forkserver":
        ready = dict(_READY)
        _READY.clear()
    else:
        release_ready()
        ready = {}
    pool_token = _POOL.set(ready)
    try:
        yield
    finally:
        for ex in _POOL.get().values():
            ex.shutdown()
        _POOL.reset(pool_token)
        _START_METHOD.reset(token)


# workers started by start_fork_server, by number: the next workers_from_fork_server block
# takes them
_READY: dict[int, ProcessPoolExecutor] = {}


def start_fork_server() -> None:
    """Start the fork server of :func:`workers_from_fork_server` now, where it is used, and
    the workers of the next such block.

    The server imports this module and the model selection (``_PRELOAD``; numpy, scipy:
    most of a CPU second) before it forks a first worker, and a pool's first map waits for
    its workers to start (half a second); started ahead (while ``demo`` makes its data, or
    ``run`` links the registrations), both are done by the time the first bootstrap asks for
    workers. The caller does not wait for either. Nothing else changes: the server is the one a
    block would start (once per process), and the workers are those it would fork.
    """
    if not _main_is_guarded() or "forkserver" not in mp.get_all_start_methods():
        return
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(list(_PRELOAD))
    forkserver.ensure_running()
    n_jobs = default_jobs()
    if n_jobs > 1 and n_jobs not in _READY:
        pool = _executor(n_jobs, "forkserver")
        # each start waits for the server's answer, which comes once it has imported what it
        # preloads: in a thread, so that the caller goes on meanwhile
        threading.Thread(
            target=_start_workers, args=(pool, n_jobs), name="bootstrap workers", daemon=True
        ).start()
        _READY[n_jobs] = pool


def _start_workers(pool: ProcessPoolExecutor, n: int) -> None:
    try:
        for _ in range(n):  # one task each: a pool starts a worker per waiting task
            pool.submit(os.getpid)
    except Exception as exc:  # ended meanwhile (release_ready), or a worker failed to start:
        # the block that takes the pool then says why
        log.debug("bootstrap workers not started ahead: %s", exc)


def release_ready() -> None:
    """End the workers :func:`start_fork_server` started that no block took (a step failed
    before the bootstrap): they would otherwise wait for work until the process ends."""
    while _READY:
        _, ex = _READY.popitem()
        ex.shutdown()


def _main_is_guarded() -> bool:
    """Whether worker processes may import the main module (it runs nothing on import)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path is None:
        return True  # interactive, a notebook, python -c: nothing is imported again
    try:
        source = Path(path).read_text("utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"""if\s+__name__\s*==\s*['"]__main__['"]""", source))


def _context(method: str | None = None):
    method = method or _START_METHOD.get()
    if method not in mp.get_all_start_methods():
        return None  # not POSIX: the platform's default
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(list(_PRELOAD))
    return ctx


def _die_with_parent(owner_pid: int) -> None:
    """Worker initializer: end this worker as soon as the process that owns the pool ends.

    A pool worker waits on its task queue, which its siblings also hold open, so it never
    sees its owner go; after a ``kill -9`` it would live on, and with it the fork server
    and the resource tracker (they end only when every holder of their pipes has ended).
    """
    if os.getppid() != owner_pid:
        # Forked from the fork server: should that single-threaded server be killed, take
        # this worker with it too.
        _parent_death_signal()
    threading.Thread(target=_watch_owner, args=(owner_pid,), daemon=True).start()


def _parent_death_signal() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _watch_owner(owner_pid: int) -> None:
    try:
        fd = os.pidfd_open(owner_pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd (old kernel, not Linux)
        fd = None
    if fd is not None:
        select.select([fd], [], [])  # readable once the owner has ended
        os._exit(1)
    while True:  # pragma: no cover - fallback: poll
        time.sleep(1.0)
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            os._exit(1)  # the pid now belongs to someone else's process


def _executor(n_jobs: int, method: str | None = None) -> ProcessPoolExecutor:
    """A pool of ``n_jobs`` workers started by ``method`` (default: the block's)."""
    return ProcessPoolExecutor(
        max_workers=n_jobs,
        mp_context=_context(method),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def run_many(
    layout: Layout,
    procedure: Procedure,
    Y: np.ndarray,
    n_jobs: int | None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Estimate on each row of ``Y``, in worker processes when worth it.

    ``start``: counts to warm-start from (see :meth:`Procedure.estimate_many`).
    """
    n_jobs = default_jobs() if n_jobs is None else max(1, int(n_jobs))
    if n_jobs == 1 or len(Y) < 8 or _START_METHOD.get() == "serial":
        return _run_chunk((layout, procedure, Y, start))
    # A batched (stepwise) chunk pays a fixed cost per step and learns which supports
    # need no linear programme: one chunk per worker (UK 6 lists: 3.3 s of worker CPU
    # against 4.5 s with two chunks per worker)
    per_job = 1 if procedure.method == "stepwise" else 4
    n_chunks = min(len(Y), n_jobs * per_job)
    parts = np.array_split(np.arange(len(Y)), n_chunks)
    chunks = [(layout, procedure, Y[p], start) for p in parts]
    pools = _POOL.get()
    if pools is None:
        with _executor(n_jobs) as ex:
            return np.concatenate(list(ex.map(_run_chunk, chunks)))
    if n_jobs not in pools:
        pools[n_jobs] = _executor(n_jobs)
    return np.concatenate(list(pools[n_jobs].map(_run_chunk, chunks)))


@dataclass
class BootstrapResult:
    """Bootstrap replicates, jackknife values and BCa limits."""

    estimate: float
    replicates: np.ndarray
    jackknife: np.ndarray
    jack_weights: np.ndarray
    acceleration: float
    bias_z0: float
    low: float
    high: float
    seed: int
    n_failed: int
    warnings: list[str]
    #: the upper BCa level falls among the replicates without a finite estimate (taken as an
    #: unbounded dark figure): ``high`` is then only the largest finite replicate's quantile
    upper_unbounded: bool = False


def acceleration(jack: np.ndarray, weights: np.ndarray) -> float:
    """Jackknife acceleration weighted by pattern counts (SparseMSE ``estimatepopulation``)."""
    w = weights.astype(float)
    mean = float(np.sum(w * jack) / np.sum(w))
    jr = mean - jack
    den = float(np.sum(w * jr**2))
    if den <= 0 or not math.isfinite(den):
        return 0.0
    return float(np.sum(w * jr**3) / (6.0 * den**1.5))


#: A replicate can reproduce the estimate exactly (the same ratios of counts: five of
#: Korea's 1,000); computed, it lands a rounding error (1e-12) above or below, and
#: ``replicates < estimate`` would then count it by chance. Within this relative
#: distance a replicate is equal to the estimate, as in exact arithmetic.
TIE_RTOL = 1e-9


def bca_limits(
    replicates: np.ndarray, estimate: float, ahat: float, probs: np.ndarray
) -> tuple[np.ndarray, float]:
    """BCa quantiles as SparseMSE's ``bcaconfvalues`` (type-8 quantiles).

    The bias correction ``z0 = qnorm(mean(replicates < estimate))`` is kept finite by
    clamping the share to ``[1/(2B), 1 - 1/(2B)]``. A replicate within ``TIE_RTOL`` of
    the estimate counts as equal to it, not below (see :data:`TIE_RTOL`).
    """
    reps = replicates[np.isfinite(replicates)]
    zq, z0 = bca_levels(replicates, estimate, ahat, probs)
    return np.quantile(reps, zq, method="median_unbiased"), z0


def bca_levels(
    replicates: np.ndarray, estimate: float, ahat: float, probs: np.ndarray
) -> tuple[np.ndarray, float]:
    """The quantile levels :func:`bca_limits` reads the finite replicates at, and ``z0``."""
    reps = replicates[np.isfinite(replicates)]
    B = len(reps)
    below = reps < estimate - TIE_RTOL * abs(estimate)
    share = min(max(float(np.mean(below)), 0.5 / B), 1 - 0.5 / B)
    z0 = float(ndtri(share))
    za0 = ndtri(probs) + z0
    return ndtr(z0 + za0 / (1 - ahat * za0)), z0


def unbounded_above(replicates: np.ndarray, level: float) -> bool:
    """Whether the upper limit at ``level`` is unbounded once the replicates without a finite
    estimate count as infinitely large: the level's order statistic (type 8, as
    :func:`bca_limits`) lies among them, or beyond the largest replicate."""
    n = len(replicates)
    n_finite = int(np.sum(np.isfinite(replicates)))
    if n_finite == n:
        return False
    # type-8 quantile position (1-based): (n + 1/3) p + 1/3
    return (n + 1 / 3) * level + 1 / 3 > n_finite


def bootstrap(
    layout: Layout,
    y: np.ndarray,
    procedure: Procedure,
    estimate: float,
    *,
    n_boot: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
    n_jobs: int | None = None,
) -> BootstrapResult:
    """Bootstrap BCa interval of the population size with selection rerun.

    Parameters
    ----------
    layout, y
        The table (cells and counts).
    procedure : Procedure
        Selection and estimation to rerun on every replicate.
    estimate : float
        The estimate on the original counts.
    n_boot : int
        Number of replicates (SparseMSE default 1000).
    seed : int, optional
        Seed; a fresh one is drawn (and reported) when omitted.
    n_jobs : int, optional
        Worker processes (default: every available core). The result does not depend
        on it.
    """
    ss = np.random.SeedSequence(seed)
    used_seed = int(ss.entropy) if seed is None else int(seed)
    rng = np.random.default_rng(ss)
    y = np.asarray(y, dtype=np.int64)
    n = int(y.sum())
    boot_Y = rng.multinomial(n, y / n, size=n_boot)
    nz = np.flatnonzero(y > 0)
    jack_Y = np.repeat(y[None, :], len(nz), axis=0)
    jack_Y[np.arange(len(nz)), nz] -= 1
    values = run_many(layout, procedure, np.vstack([boot_Y, jack_Y]), n_jobs, start=y)
    reps, jack = values[:n_boot], values[n_boot:]
    warnings: list[str] = []
    n_failed = int(np.sum(~np.isfinite(reps)))
    if n_failed:
        warnings.append(
            f"{n_failed} of {n_boot} bootstrap replicates had no estimable model and were "
            "left out of the BCa interval"
        )
    w = y[nz]
    if not np.all(np.isfinite(jack)):
        warnings.append("jackknife failed for some patterns: BCa acceleration set to 0")
        ahat = 0.0
    else:
        ahat = acceleration(jack, w)
    if np.sum(np.isfinite(reps)) < 10:
        return BootstrapResult(
            estimate,
            reps,
            jack,
            w,
            ahat,
            float("nan"),
            float("nan"),
            float("nan"),
            used_seed,
            n_failed,
            [*warnings, "too few usable bootstrap replicates"],
        )
    probs = np.array([alpha / 2, 1 - alpha / 2])
    (low, high), z0 = bca_limits(reps, estimate, ahat, probs)
    upper_level = float(bca_levels(reps, estimate, ahat, probs)[0][1])
    unbounded = unbounded_above(reps, upper_level)
    if unbounded:
        warnings.append(
            # no limit in the text: warnings reach the workspace, where estimates are rounded
            f"the BCa upper limit is unbounded: its level ({upper_level:.3f}) falls among the "
            f"{n_failed} of {n_boot} replicates without a finite estimate; the limit of the "
            "finite ones only is a lower bound"
        )
    return BootstrapResult(
        estimate,
        reps,
        jack,
        w,
        ahat,
        z0,
        float(low),
        float(high),
        used_seed,
        n_failed,
        warnings,
        unbounded,
    )
