"""Analysis steps of the local chapters: local figures, municipal approach, programme results,
perpetrator chain, need versus effort (registered in :mod:`traffickingmonitor.analysis.steps`).
"""

from __future__ import annotations

from dataclasses import dataclass

from traffickingmonitor.analysis import (
    local_figures,
    municipal_approach,
    need_effort,
    perpetrator_chain,
    programme,
)


@dataclass(frozen=True)
class LocalSettings:
    """The local chapters (the ``local`` section of a run's configuration).

    Attributes
    ----------
    need_effort_draws : int
        Replicates of the allocation of the national hidden number to police units.
    need_effort_seed : int
        Seed of those replicates (same input, same intervals).
    """

    need_effort_draws: int = need_effort.N_DRAWS
    need_effort_seed: int = need_effort.SEED

    def __post_init__(self):
        if self.need_effort_draws < 100:
            raise ValueError("need_effort_draws must be at least 100 (the intervals' tails)")

    @classmethod
    def from_config(cls, config: dict | None) -> LocalSettings:
        from traffickingmonitor.config import read_section

        return read_section(cls, "local", dict((config or {}).get("local") or {}))


def _hashes(inputs) -> tuple:
    return getattr(inputs, "input_hashes", None) or ()


def _rows(inputs, table: str):
    return local_figures.edition_rows(inputs.con, inputs.edition_id, table, _hashes(inputs))


def _status(inputs):
    """Approach status per municipality and year, computed once and shared by three steps."""
    cache = getattr(inputs, "cache", None)
    if cache is not None and "approach_status" in cache:
        return cache["approach_status"]
    assessments = _rows(inputs, "municipal_assessments")
    status = None
    if not assessments.empty:
        status = municipal_approach.municipality_status(assessments.astype({"year": int}))
    if cache is not None:
        cache["approach_status"] = status
    return status


def _local(inputs):
    from traffickingmonitor.analysis.steps import StepResult

    return StepResult(local_figures.local_tables(inputs.con, inputs.edition_id))


def _approach(inputs):
    from traffickingmonitor.analysis.steps import StepResult

    return StepResult(municipal_approach.approach_tables(_rows(inputs, "municipal_assessments")))


def _programme(inputs):
    from traffickingmonitor.analysis.steps import StepResult

    tables = programme.monitor_tables(inputs.person_years, _status(inputs))
    indicators = _rows(inputs, "programme_indicators")
    if not indicators.empty:
        tables.insert(0, programme.indicator_table(indicators))
    return StepResult(tables)


def _chain(inputs):
    from traffickingmonitor.analysis.steps import StepResult

    table = perpetrator_chain.chain_table(_rows(inputs, "perpetrator_chain"))
    return StepResult([table] if table is not None else [])


def _need_effort(inputs):
    from traffickingmonitor.analysis.steps import StepResult

    hidden = (getattr(inputs, "cache", None) or {}).get("hidden_number", {}).get("hidden_number")
    care = need_effort.care_events(inputs.con, inputs.edition_id, _hashes(inputs))
    settings = LocalSettings.from_config(getattr(inputs, "config", None))
    table = need_effort.need_effort_table(
        inputs.person_years,
        hidden,
        care,
        _status(inputs),
        settings.need_effort_draws,
        settings.need_effort_seed,
    )
    notes = {
        "method": "allocation",
        "draws": settings.need_effort_draws,
        "seed": settings.need_effort_seed,
    }
    return StepResult([table], notes) if table is not None else StepResult([])


#: (key, progress text, run) of each step, in order (after the hidden number: need versus
#: effort allocates its estimate).
LOCAL_STEPS = (  # key, progress text, step, the steps whose results it reads
    ("local_figures", "Local figures", _local, ()),
    ("municipal_approach", "Municipal approach", _approach, ()),
    ("programme", "Programme results", _programme, ()),
    ("perpetrator_chain", "Perpetrator chain", _chain, ()),
    ("need_effort", "Need versus effort", _need_effort, ("hidden_number",)),
)
