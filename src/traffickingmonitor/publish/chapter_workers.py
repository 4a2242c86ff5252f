"""The chapters of several languages built at the same time, in worker processes.

The chapters of one language do not depend on those of another, nor (but for the method
chapter) on each other, and building them is seconds of CPU per language in one Python
thread (text, tables, and charts drawn by vl-convert). ``run`` builds half of the first
language's chapters in its own process and the other half in a worker meanwhile, and then
the other languages in the worker (:func:`iter_languages`), on the cores the run leaves
idle: the first language is ready in about half the time, and what ``run`` does with it
(the demo's report) goes on beside the others.

The workers are started by ``spawn``, never forked: the process that starts them holds the
store open (DuckDB) and has threads of its own. They start early (:func:`language_workers`),
when ``run`` knows it makes a new edition, and load the chapters' code and vl-convert's
JavaScript engine while the linkage and analyses run, so that building starts at once. A
worker cannot open the store ``run`` holds: it is given what the chapters read from it
(:func:`stored_chapters.store_inputs`). A worker that fails costs nothing but time: its
part is then built in the run's own process.

``disclosure-check`` builds its chapters in its own process, with every number recorded
(``format.recording``): it does not use these workers.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from traffickingmonitor.warm_up import warm_up

if TYPE_CHECKING:  # the protection's code loads with the chapters' (``_load``), not here
    from traffickingmonitor.disclosure.api import PrimaryRule, ProtectedTable

log = logging.getLogger(__name__)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def language_workers(
    n: int, also: tuple[Callable[[], object], ...] = ()
) -> Iterator[Executor | None]:
    """Up to ``n`` worker processes, loaded and waiting, for :func:`iter_languages`; None
    (build in this process) with one core, or where workers cannot start. What building
    here needs, and ``also`` (what the caller needs next), is loaded meanwhile in a thread.

    Where the main module is a script that would run again in each worker (no ``if
    __name__ == "__main__"`` guard, see ``bootstrap.workers_from_fork_server``) there are
    none either.
    """
    from traffickingmonitor.analysis.mse.bootstrap import _main_is_guarded

    n = min(n, _cores() - 1)
    pool = None
    if n >= 1 and _main_is_guarded():
        try:
            pool = ProcessPoolExecutor(
                max_workers=n,
                mp_context=mp.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            for _ in range(n):
                pool.submit(_load)
        except (OSError, RuntimeError, ValueError) as exc:  # no processes, no semaphores
            log.warning("no worker processes for the chapters (%s): built one by one", exc)
            pool = None
    # this process builds half of the first language (with workers), or all of them; a
    # worker makes the charts' font on a first run (``chart_font``), not this busy process
    warm_up(functools.partial(_load, font=pool is None), *also)
    try:
        yield pool
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(owner_pid: int) -> None:
    """A worker ends with this process (after a kill -9 too), and as soon as the pool tells
    it to: its interpreter would first free every module and vl-convert's engine (about a
    second, which ``run`` waits for). Its exit has nothing to flush: its results go back
    through the pool."""
    from traffickingmonitor.analysis.mse.bootstrap import _die_with_parent

    _die_with_parent(owner_pid)
    atexit.register(os._exit, 0)  # run first of the exit functions, so the only one


def _load(font: bool = True) -> None:
    """Import what building chapters imports and start vl-convert's engine (half a second
    at the first chart), while the run has other work: the first chapter starts at once (in
    a worker, and in ``run``'s process, :mod:`warm_up`). With ``font``, give vl-convert the
    charts' font, made first if need be."""
    import vl_convert as vlc

    import traffickingmonitor.publish.chapters  # noqa: F401
    from traffickingmonitor.publish import chart_font

    if font:
        chart_font.register()
    vlc.vegalite_to_svg(
        {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a"}}}
    )


def _build(args: tuple, **part) -> tuple[list[dict], float]:
    """A worker's task: the chapters of one language (``part``: ``only`` some of them, or
    with some ``given``, as ``build_chapters`` takes them) and the seconds they took."""
    from traffickingmonitor.publish.stored_chapters import build_from

    t0 = time.perf_counter()
    chapters = build_from(*args, **part)
    return chapters, time.perf_counter() - t0


def _submit(pool: Executor | None, lang: str, args: tuple, **part) -> Future | None:
    if pool is None:
        return None
    try:
        return pool.submit(_build, args, **part)
    except RuntimeError as exc:  # the pool is broken or shut down
        log.warning("the chapters (%s) are built here: %s", lang, exc)
        return None


def _result(future: Future | None, lang: str, args: tuple, **part) -> tuple[list[dict], float]:
    """What the worker built, or (no worker, or one that failed) the same built here."""
    if future is not None:
        try:
            return future.result()
        except Exception as exc:  # a worker that died, or failed to pickle: build here
            log.warning(
                "the chapters (%s) could not be built in a worker process (%s): built here",
                lang,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
    return _build(args, **part)


def halves() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The chapters of the first language this process builds and those a worker builds
    meanwhile, in report order: of about the same ``Chapter.cost`` (the costliest first,
    each to the half that costs less so far). The chapters that read those before them
    (``READS_BUILT``) are built last, here."""
    from traffickingmonitor.publish.chapters import CHAPTERS, READS_BUILT

    chapters = [c for c in CHAPTERS if c.id not in READS_BUILT]
    here: set[str] = set()
    cost = [0, 0]  # here, there
    for c in sorted(chapters, key=lambda c: -c.cost):  # stable: report order among equals
        side = 0 if cost[0] <= cost[1] else 1
        cost[side] += c.cost
        if side == 0:
            here.add(c.id)
    return (
        tuple(c.id for c in chapters if c.id in here),
        tuple(c.id for c in chapters if c.id not in here),
    )


def iter_languages(
    db: Path | duckdb.DuckDBPyConnection,
    edition,
    rule: PrimaryRule,
    langs: list[str] | tuple[str, ...],
    protected: dict[str, ProtectedTable],
    pool: Executor | None,
) -> Iterator[tuple[str, tuple[list[dict], float]]]:
    """The chapters of each of ``langs`` in turn, with the seconds they took, as
    :func:`stored_chapters.build` builds them.

    With ``pool``, the first language is built in two halves at the same time (here and in
    a worker, :func:`halves`) and the others in the worker after its half: the first
    comes as soon as it can, and what the caller does with it (``run`` typesets the demo's
    report) goes on beside the other languages. None: one after the other, here.
    """
    from traffickingmonitor.publish.stored_chapters import store_inputs

    if not langs:
        return
    inputs = store_inputs(db, edition)
    args = {lang: (edition, rule, lang, protected, *inputs) for lang in langs}
    first, *others = langs
    t0 = time.perf_counter()
    here, there = halves()
    part = _submit(pool, first, args[first], only=there)
    futures = {lang: _submit(pool, lang, args[lang]) for lang in others}
    if part is None:
        yield first, _build(args[first])
    else:
        mine, _ = _build(args[first], only=here)
        theirs, _ = _result(part, first, args[first], only=there)
        given = dict.fromkeys([*here, *there])  # None: nothing to show
        given |= {c["id"]: c["content"] for c in [*mine, *theirs]}
        chapters, _ = _build(args[first], given=given)
        yield first, (chapters, time.perf_counter() - t0)
    for lang in others:
        yield lang, _result(futures[lang], lang, args[lang])
