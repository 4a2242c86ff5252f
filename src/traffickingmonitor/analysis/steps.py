"""The analyses of an edition, in order. Each step turns the edition's persons into tables.

To add an analysis: write a function ``run(inputs) -> StepResult`` in its own module and
append an ``AnalysisStep`` to ``STEPS``. The pipeline runs every step inside the edition's
transaction, stores the tables and puts the notes in the edition under ``key``.
"""

from __future__ import annotations

from collections.abc import Callable
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
    key: str  # notes key and configuration key
    description: str  # progress bar text
    run: Callable[[StepInput], StepResult]


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
    AnalysisStep("hidden_number", "Estimating the hidden number", _hidden_number),
    *(AnalysisStep(key, text, run) for key, text, run in LOCAL_STEPS),
    *(AnalysisStep(key, text, run) for key, text, run in COHORT_STEPS),
]
