"""The chapters of several languages built at the same time, in worker processes.

The chapters of one language do not depend on those of another, and building them is
seconds of CPU per language in one Python thread (text, tables, and charts drawn by
vl-convert): ``run`` builds the first language in its own process and the others in
worker processes meanwhile (:func:`build_languages`), on the cores the run leaves idle.

The workers are started by ``spawn``, never forked: the process that starts them holds the
store open (DuckDB) and has threads of its own. They start early (:func:`language_workers`),
when ``run`` knows it makes a new edition, and load the chapters' code and vl-convert's
JavaScript engine while the linkage and analyses run, so that building starts at once. A
worker cannot open the store ``run`` holds: it is given what the chapters read from it
(:func:`stored_chapters.store_inputs`). A worker that fails costs nothing but time: its
language is then built in the run's own process.

``disclosure-check`` builds its chapters in its own process, with every number recorded
(``format.recording``): it does not use these workers.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import duckdb

from traffickingmonitor.disclosure.api import PrimaryRule, ProtectedTable

log = logging.getLogger(__name__)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def language_workers(n: int) -> Iterator[Executor | None]:
    """Up to ``n`` worker processes, loaded and waiting, for :func:`build_languages`; None
    (build in this process) with one core, or where workers cannot start.

    Where the main module is a script that would run again in each worker (no ``if
    __name__ == "__main__"`` guard, see ``bootstrap.workers_from_fork_server``) there are
    none either.
    """
    from traffickingmonitor.analysis.mse.bootstrap import _die_with_parent, _main_is_guarded

    n = min(n, _cores() - 1)
    pool = None
    if n >= 1 and _main_is_guarded():
        try:
            pool = ProcessPoolExecutor(
                max_workers=n,
                mp_context=mp.get_context("spawn"),
                # a kill -9 of this process ends them too
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            for _ in range(n):
                pool.submit(_load)
        except (OSError, RuntimeError, ValueError) as exc:  # no processes, no semaphores
            log.warning("no worker processes for the chapters (%s): built one by one", exc)
            pool = None
    try:
        yield pool
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _load() -> None:
    """Import what building chapters imports and start vl-convert's engine (half a second
    at the first chart), while the run has other work: the first chapter starts at once."""
    import vl_convert as vlc

    import traffickingmonitor.publish.chapters  # noqa: F401

    vlc.vegalite_to_svg(
        {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a"}}}
    )


def _build(args: tuple) -> tuple[list[dict], float]:
    """A worker's task: the chapters of one language and the seconds they took."""
    from traffickingmonitor.publish.stored_chapters import build_from

    t0 = time.perf_counter()
    chapters = build_from(*args)
    return chapters, time.perf_counter() - t0


def build_languages(
    db: Path | duckdb.DuckDBPyConnection,
    edition,
    rule: PrimaryRule,
    langs: list[str] | tuple[str, ...],
    protected: dict[str, ProtectedTable],
    pool: Executor | None,
) -> dict[str, tuple[list[dict], float]]:
    """The chapters of each of ``langs`` and the seconds they took, as
    :func:`stored_chapters.build` builds them: the first language here, the others in
    ``pool`` at the same time (None: one after the other, here)."""
    from traffickingmonitor.publish.stored_chapters import store_inputs

    if not langs:
        return {}
    inputs = store_inputs(db, edition)
    futures = {}
    if pool is not None:
        for lang in langs[1:]:
            try:
                futures[lang] = pool.submit(_build, (edition, rule, lang, protected, *inputs))
            except RuntimeError as exc:  # the pool is broken or shut down
                log.warning("the chapters (%s) are built here: %s", lang, exc)
                break
    built = {
        lang: _build((edition, rule, lang, protected, *inputs))
        for lang in langs
        if lang not in futures
    }
    for lang, future in futures.items():
        try:
            built[lang] = future.result()
        except Exception as exc:  # a worker that died, or failed to pickle: build here
            log.warning(
                "the chapters (%s) could not be built in a worker process (%s): built here",
                lang,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
            built[lang] = _build((edition, rule, lang, protected, *inputs))
    return {lang: built[lang] for lang in langs}
