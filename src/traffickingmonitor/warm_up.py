"""Loading what a later step needs while the run waits in native code.

Importing WeasyPrint or the chapters' code and starting vl-convert's engine take a second or
two of one core each. ``run`` spends seconds in DuckDB (linkage), which leaves Python's
interpreter free: loading them then in a thread of their own takes them off the path to the
report. A load that fails costs nothing: the step that needs it loads it again, and says why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def warm_up(*loads: Callable[[], object]) -> threading.Thread:
    """Run ``loads`` one after the other in a daemon thread (started; returned for tests)."""
    thread = threading.Thread(target=_run, args=(loads,), name="warm-up", daemon=True)
    thread.start()
    return thread


def _run(loads: tuple[Callable[[], object], ...]) -> None:
    for load in loads:
        try:
            load()
        except Exception as exc:  # the step that needs it loads it again
            log.debug("warming up %s failed: %s", getattr(load, "__name__", load), exc)
