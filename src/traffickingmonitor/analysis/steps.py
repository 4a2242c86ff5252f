"""The analyses of an edition, in order. Each step turns the edition's persons into tables.

To add an analysis: write a function ``run(inputs) -> StepResult`` in its own module and
append an ``AnalysisStep`` to ``STEPS``. The pipeline runs every step inside the edition's
transaction, stores the tables and puts the notes in the edition under ``key``.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from traffickingmonitor.analysis.cohort_steps import COHORT_STEPS
from traffickingmonitor.analysis.descriptive import descriptive_tables
from traffickingmonitor.analysis.hidden_number import (
    HiddenNumberSettings,
    estimate_hidden_number,
    list_frame,
)
from traffickingmonitor.analysis.local_steps import LOCAL_STEPS
from traffickingmonitor.analysis.mse.bootstrap import workers_from_fork_server
from traffickingmonitor.analysis.tables import MonitorTable


@dataclass
class StepInput:
    con: duckdb.DuckDBPyConnection  # the store, inside the edition's transaction
    edition_id: str
    person_years: pd.DataFrame  # analysis.persons.person_years of the edition
    config: dict  # the edition's configuration (``run`` options)
    # the edition's input files (``edition_inputs`` is written only after the analyses)
    input_hashes: list[str] | None = None
    cache: dict = field(default_factory=dict)  # shared between steps (e.g. the cohort)
    # the tables keep the units behind their counts (``MonitorTable.members``): disclosure
    # control's microdata asks for them; ``run`` does not (they are made again from the store)
    members: bool = False


@dataclass
class StepResult:
    tables: list[MonitorTable]
    notes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisStep:
    """``beside``: the step reads no store, only the persons and the configuration, so it
    runs in a thread beside the steps after it (the hidden number waits on its worker
    processes most of its time). A step that reads its result from ``cache`` names it in
    ``after`` and runs once it is done, after the steps that need nothing running."""

    key: str  # notes key and configuration key
    description: str  # progress bar text
    run: Callable[[StepInput], StepResult]
    beside: bool = False
    after: tuple[str, ...] = ()


def _descriptive(inputs: StepInput) -> StepResult:
    return StepResult(descriptive_tables(inputs.con, inputs.edition_id, inputs.person_years))


def _hidden_number(inputs: StepInput) -> StepResult:
    settings = HiddenNumberSettings.from_config(inputs.config)
    # every core, with workers that are never a fork of this process (it has the store open)
    with workers_from_fork_server():
        result = estimate_hidden_number(list_frame(inputs.person_years), settings)
    # need versus effort allocates this estimate to the regions
    inputs.cache["hidden_number"] = {t.table_id: t for t in result.tables}
    return StepResult(result.tables, result.notes)


STEPS: list[AnalysisStep] = [
    AnalysisStep("descriptive", "Computing monitor tables", _descriptive),
    AnalysisStep("hidden_number", "Estimating the hidden number", _hidden_number, beside=True),
    *(AnalysisStep(key, text, run, after=after) for key, text, run, after in LOCAL_STEPS),
    *(AnalysisStep(key, text, run) for key, text, run in COHORT_STEPS),
]


def run_steps(
    inputs: StepInput,
    step: Callable[[str, int], Callable[[int], None]],
    steps: list[AnalysisStep] = STEPS,
) -> list[tuple[AnalysisStep, StepResult]]:
    """Every step's result, in the order of ``steps`` whatever order they ran in (a step
    ``beside`` in a thread; those ``after`` it once it is done). ``step`` makes a progress
    bar. An error of a step is raised once the step running beside it has ended."""
    results: dict[str, StepResult] = {}
    running: dict[str, tuple[Future, Callable[[int], None]]] = {}

    def finish(key: str) -> None:
        future, advance = running.pop(key)
        results[key] = future.result()
        advance(1)

    waiting = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis") as beside:
        for s in steps:
            if any(k in running for k in s.after):
                waiting.append(s)
                continue
            advance = step(s.description, 1)
            if s.beside:
                # its own copy of the persons: pandas may reorganise a frame as it reads it
                own = dataclasses.replace(inputs, person_years=inputs.person_years.copy())
                running[s.key] = (
                    beside.submit(contextvars.copy_context().run, s.run, own),
                    advance,
                )
                continue
            results[s.key] = s.run(inputs)
            advance(1)
        for s in waiting:
            for key in s.after:
                if key in running:
                    finish(key)
            advance = step(s.description, 1)
            results[s.key] = s.run(inputs)
            advance(1)
        for key in list(running):
            finish(key)
    return [(s, results[s.key]) for s in steps]
