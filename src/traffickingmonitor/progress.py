"""The progress protocol of long work: ``step(description, total)`` returns ``advance(n=1)``.

The CLI passes Rich progress bars (``cli.progress_steps``); library callers and tests pass
nothing and get :func:`no_progress`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable

StepFn = Callable[[str, int], Callable[[int], None]]


def no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda n=1: None


_SAID: set = set()


def say_once(log: logging.Logger, said: Hashable, message: str) -> None:
    """Log ``message`` as a warning the first time ``said`` comes up in this process: a
    server that meets the same stale entry on every request tells it once."""
    if said not in _SAID:
        _SAID.add(said)
        log.warning(message)
