"""Fewer collections of cycles within a batch command's work, as before after it."""

from __future__ import annotations

import gc

from traffickingmonitor.collector import THRESHOLD, fewer_collections


def test_the_thresholds_and_the_set_aside_objects_come_back():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == THRESHOLD
        assert gc.get_freeze_count() > 0  # what the process held is set aside
        frozen = gc.get_freeze_count()
        with fewer_collections():  # write_pdf within demo
            assert gc.get_threshold() == THRESHOLD
        assert gc.get_threshold() == THRESHOLD
        # still set aside until the outer block ends (an unfreeze would leave 0; a frozen
        # object freed meanwhile leaves the permanent generation, so not ``>= frozen``)
        assert gc.get_freeze_count() > frozen // 2
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_within_are_still_collected():
    class Node:
        pass

    with fewer_collections():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2  # an explicit collection still frees them


def test_a_block_that_ends_the_process_leaves_the_collector_as_it_set_it(monkeypatch):
    """From the console script the process ends with the command: restoring would only
    start a full collection of what the end frees anyway; a block with more to follow in
    the process (``demo --serve``) restores as usual."""
    from traffickingmonitor import collector

    before = gc.get_threshold()
    monkeypatch.setattr(collector, "_PROCESS_ENDS", True)
    try:
        with fewer_collections(more_follows=True):
            pass
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
        with fewer_collections():
            pass
        assert gc.get_threshold() == THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
