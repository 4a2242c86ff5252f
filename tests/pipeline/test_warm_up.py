"""Loads run in a thread of their own, in order; one that fails does not stop the next."""

from __future__ import annotations

import logging

from traffickingmonitor.warm_up import warm_up


def test_loads_run_in_order_and_a_failure_is_only_noted(caplog):
    done = []

    def broken():
        done.append("broken")
        raise ImportError("no such engine")

    with caplog.at_level(logging.DEBUG, logger="traffickingmonitor.warm_up"):
        thread = warm_up(lambda: done.append("first"), broken, lambda: done.append("last"))
        thread.join()
    assert thread.daemon
    assert done == ["first", "broken", "last"]
    assert "no such engine" in caplog.text
