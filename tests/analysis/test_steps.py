"""The analysis steps: one runs beside the others, the results come in declared order."""

from __future__ import annotations

import contextvars
import threading

import pandas as pd
import pytest

from traffickingmonitor.analysis.steps import (
    STEPS,
    AnalysisStep,
    StepInput,
    StepResult,
    run_steps,
)

_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def _inputs() -> StepInput:
    return StepInput(None, "e", pd.DataFrame({"person_id": [1, 2]}), {})


def _bars(log: list):
    def step(description: str, total: int):
        log.append(("bar", description))
        return lambda n: log.append(("done", description))

    return step


def test_a_step_beside_runs_while_the_others_do_and_results_keep_their_order():
    others_ran = threading.Event()
    order = []

    def slow(inputs):
        # waits for a later step: it can only end if that one runs meanwhile
        assert others_ran.wait(60), "the steps after it did not run beside it"
        order.append("slow")
        inputs.cache["slow"] = _VAR.get()
        return StepResult([], {"by": "slow"})

    def other(inputs):
        order.append("other")
        others_ran.set()
        return StepResult([], {})

    def reader(inputs):
        order.append("reader")
        return StepResult([], {"saw": inputs.cache["slow"]})

    steps = [
        AnalysisStep("first", "First", lambda i: order.append("first") or StepResult([])),
        AnalysisStep("slow", "Slow", slow, beside=True),
        AnalysisStep("reader", "Reader", reader, after=("slow",)),
        AnalysisStep("other", "Other", other),
    ]
    log: list = []
    _VAR.set("the caller's")
    results = run_steps(_inputs(), _bars(log), steps)
    assert [s.key for s, _ in results] == ["first", "slow", "reader", "other"]
    # the reader waited for the step beside, and ran after the step that needs nothing
    assert order == ["first", "other", "slow", "reader"]
    # the step beside saw the caller's context (the bootstrap's workers are set in one)
    assert dict((s.key, r.notes) for s, r in results)["reader"] == {"saw": "the caller's"}
    # every bar was made once and ended once
    assert sorted(d for k, d in log if k == "bar") == sorted(s.description for s in steps)
    assert sorted(d for k, d in log if k == "done") == sorted(s.description for s in steps)


def test_errors_of_either_side_are_raised():
    ended = threading.Event()

    def beside(inputs):
        ended.set()
        return StepResult([])

    def fails(inputs):
        raise ValueError("main side")

    with pytest.raises(ValueError, match="main side"):
        run_steps(
            _inputs(),
            _bars([]),
            [AnalysisStep("b", "B", beside, beside=True), AnalysisStep("f", "F", fails)],
        )
    assert ended.is_set()  # raised once the step beside had ended

    def beside_fails(inputs):
        raise RuntimeError("beside")

    with pytest.raises(RuntimeError, match="beside"):
        run_steps(_inputs(), _bars([]), [AnalysisStep("b", "B", beside_fails, beside=True)])


def test_the_step_beside_gets_its_own_persons():
    seen = []

    def beside(inputs):
        seen.append(inputs.person_years)
        return StepResult([])

    inputs = _inputs()
    run_steps(inputs, _bars([]), [AnalysisStep("b", "B", beside, beside=True)])
    assert seen[0] is not inputs.person_years and seen[0].equals(inputs.person_years)


def test_the_edition_steps_wait_for_what_they_read():
    """Need versus effort allocates the hidden number: it runs after it, the only step
    beside the others."""
    by_key = {s.key: s for s in STEPS}
    assert [s.key for s in STEPS if s.beside] == ["hidden_number"]
    assert by_key["need_effort"].after == ("hidden_number",)
    keys = [s.key for s in STEPS]
    # what a step waits for comes before it (a later step would not be running yet)
    assert all(keys.index(k) < keys.index(s.key) for s in STEPS for k in s.after)
