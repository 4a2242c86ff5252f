"""The progress protocol of long work: ``step(description, total)`` returns ``advance(n=1)``.

The CLI passes Rich progress bars (``cli.progress_steps``); library callers and tests pass
nothing and get :func:`no_progress`.
"""

from __future__ import annotations

from collections.abc import Callable

StepFn = Callable[[str, int], Callable[[int], None]]


def no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda n=1: None
