"""Python's cycle collector, run rarely where a command makes many objects and then ends.

At the default thresholds the collector runs every 700 new container objects and keeps
scanning what the process holds (modules, frames, Altair charts, WeasyPrint's boxes) to free
almost nothing: about a sixth of the report's PDF and a few percent of ``run``. Within
:func:`fewer_collections` what the process already holds is set aside (``gc.freeze``) and the
youngest generation is collected every 100,000 objects; reference counting still frees all
that is not in a cycle at once. No result depends on when cycles are collected.

Not for a server: it would keep cyclic garbage for long; the thresholds are restored at the
end of the block.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: the collector's thresholds within :func:`fewer_collections` (default: 700, 10, 10)
THRESHOLD = (100_000, 50, 100)


_PROCESS_ENDS = False


def process_ends_after_command() -> None:
    """The console script (``cli.entry``) ends the process after its command: a block that
    ends with the command leaves the collector as it set it (see :func:`fewer_collections`)."""
    global _PROCESS_ENDS
    _PROCESS_ENDS = True


@contextlib.contextmanager
def fewer_collections(*, more_follows: bool = False) -> Iterator[None]:
    """Collect cycles rarely within the block; the thresholds and the objects set aside are
    restored at its end (a block within another restores the outer block's thresholds).

    Where the process ends with the command (:func:`process_ends_after_command`) and
    nothing more follows the block in it (``more_follows``: e.g. ``demo --serve`` goes on to
    serve), nothing is restored: the default thresholds would start, at the next object
    made, a full collection of all the block made (0.65 s after the demo), to free what the
    process's end frees anyway.
    """
    threshold = gc.get_threshold()
    # within an outer block (write_pdf within demo) what is set aside stays so until it ends:
    # an inner unfreeze would give every object held back to the collector
    outermost = gc.get_freeze_count() == 0
    if outermost:
        gc.freeze()
    gc.set_threshold(*THRESHOLD)
    try:
        yield
    finally:
        if not (outermost and _PROCESS_ENDS and not more_follows):
            gc.set_threshold(*threshold)
            if outermost:
                gc.unfreeze()
