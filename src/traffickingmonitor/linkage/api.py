"""Public face of ``linkage``: registrations in, persons and episodes out, with measured quality.

>>> linked = link_edition(registrations, {"threshold": 0.7})
>>> linked.person_id, linked.episodes, linked.notes["estimate"]

The pipeline calls :func:`link_edition` with :func:`edition_context` (clerical decisions, the
previous edition for incremental linkage) and stores the result with :func:`save_edition`.
Quality against a synthetic truth: :func:`quality_against_truth`, :func:`threshold_sweep`.
"""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.linkage.backends import memory_hint
from traffickingmonitor.linkage.deterministic import RULES, link_deterministic
from traffickingmonitor.linkage.engine import LinkageModel
from traffickingmonitor.linkage.episodes import episode_table, fold_episodes
from traffickingmonitor.linkage.linking import (
    CLUSTERED_LINK_COLUMNS,
    LinkageResult,
    PreviousLinkage,
    link_full,
    link_incremental,
)
from traffickingmonitor.linkage.quality import (
    DEFAULT_SWEEP,
    model_estimate,
    quality_against_truth,
    read_truth,
    threshold_sweep,
)
from traffickingmonitor.linkage.review import (
    ReviewImport,
    export_review,
    import_review,
    uncertain_pairs,
)
from traffickingmonitor.linkage.settings import LinkageSettings
from traffickingmonitor.linkage.store_io import (
    EditionContext,
    edition_context,
    load_assignment,
    load_episodes,
    load_links,
    load_model,
    load_notes,
    save_edition,
)

REQUIRED_COLUMNS = sorted({c for rule in RULES for c in rule})

__all__ = [
    "DEFAULT_SWEEP",
    "EditionContext",
    "LinkageModel",
    "LinkageResult",
    "LinkageSettings",
    "PreviousLinkage",
    "ReviewImport",
    "edition_context",
    "episode_table",
    "export_review",
    "fold_episodes",
    "import_review",
    "link_edition",
    "link_persons",
    "load_assignment",
    "load_episodes",
    "load_links",
    "load_model",
    "load_notes",
    "model_estimate",
    "quality_against_truth",
    "read_truth",
    "save_edition",
    "threshold_sweep",
    "uncertain_pairs",
]


def link_persons(registrations: pd.DataFrame, *, method: str = "deterministic") -> pd.Series:
    """Linkage v0: person id (int, from 1) per registration by exact keys only.

    Kept as a fallback (``{"method": "deterministic"}``) and a baseline; ``registrations``
    holds the store's tokens, ordered by registration date so that numbers follow first
    registration.
    """
    if method != "deterministic":
        raise ValueError(f"unknown linkage method {method!r}")
    missing = [c for c in REQUIRED_COLUMNS if c not in registrations]
    if missing:
        raise ValueError(f"registrations lack linkage columns {missing}")
    return pd.Series(
        link_deterministic(registrations) + 1, index=registrations.index, name="person_id"
    )


def link_edition(
    registrations: pd.DataFrame,
    config: dict | None = None,
    context: EditionContext | None = None,
) -> LinkageResult:
    """The pipeline's entry: link the registrations of one edition into persons and episodes.

    Parameters
    ----------
    registrations : pandas.DataFrame
        The edition's registrations with the store's columns, ordered by registration date
        (and id): person numbers follow first registration.
    config : dict, optional
        The ``linkage`` section of the run configuration (see :class:`LinkageSettings`).
    context : EditionContext, optional
        Clerical decisions to apply and, for ``incremental``, the previous edition.
    """
    settings = LinkageSettings.from_config(config)
    reviews = context.reviews if context is not None else None
    if settings.method == "deterministic":
        return _deterministic(registrations, settings)
    if len(registrations) < settings.min_registrations and not (
        settings.incremental and context and context.previous
    ):
        result = _deterministic(registrations, settings)
        result.notes["why"] = (
            f"{len(registrations)} registrations: too few to estimate the probabilistic model "
            f"(at least {settings.min_registrations})"
        )
        return result
    with memory_hint(settings):
        if settings.incremental and context is not None and context.previous is not None:
            return link_incremental(registrations, settings, context.previous, reviews=reviews)
        return link_full(registrations, settings, reviews=reviews)


def _deterministic(registrations: pd.DataFrame, settings: LinkageSettings) -> LinkageResult:
    person_id = link_persons(registrations)
    folded = (
        fold_episodes(person_id, registrations["registered_on"], settings.episode_window_days)
        if "registered_on" in registrations
        else None
    )
    notes = {
        "method": "deterministic v0",
        "rules": [list(r) for r in RULES],
        "persons": int(person_id.nunique()),
    }
    # No scored pairs without a model, but an empty frame keeps the store writer uniform.
    links = pd.DataFrame(columns=list(CLUSTERED_LINK_COLUMNS))
    return LinkageResult(person_id, notes, None, folded, links)
