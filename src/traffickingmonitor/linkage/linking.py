"""Link the registrations of an edition: train (or reuse) the model, score, cluster, fold.

Three ways in, one way out (:class:`LinkageResult`):

- a full link: train the person model on the edition, score every blocked pair, cluster;
- a full re-link with a given model (no training): the reference for incremental linkage;
- an incremental link: the previous edition's model and links, plus the pairs of each new
  registration with the existing and the other new ones (Splink's ``predict_between`` and
  ``predict_within``). Scoring is symmetric and the clustering a function of the links, so
  this gives the same persons as the full re-link with that model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from traffickingmonitor.linkage import cluster as clustering
from traffickingmonitor.linkage import engine, episodes, model, prepare, quality
from traffickingmonitor.linkage.backends import Backend, open_settings_backend
from traffickingmonitor.linkage.cluster import SHARED_PROBABILITY
from traffickingmonitor.linkage.engine import WEIGHT_COLUMNS, LinkageModel
from traffickingmonitor.linkage.settings import LinkageSettings

METHOD = "Splink 5 Fellegi-Sunter person model"
LINK_COLUMNS = (
    "registration_id_l",
    "registration_id_r",
    "match_probability",
    "match_weight",
    *WEIGHT_COLUMNS,
)
# ``LinkageResult.links``: the scored pairs and what clustering made of each
CLUSTERED_LINK_COLUMNS = (*LINK_COLUMNS, SHARED_PROBABILITY)


@dataclass
class LinkageResult:
    """Person ids (index aligned with the registrations) and what the edition should record.

    Attributes
    ----------
    person_id : pandas.Series
        Person number (from 1, in order of first registration) per registration.
    notes : dict
        Method, settings, the model's own quality estimate: shown in the method annex.
    model_json : str or None
        The trained model (Splink settings and parameters, term frequencies), kept with the
        edition so that it can be re-used, inspected and the edition reproduced.
    episodes : pandas.DataFrame or None
        ``episode_no`` and ``episode_start`` per registration (index aligned).
    links : pandas.DataFrame or None
        Scored pairs at or above the link floor, by registration id
        (``CLUSTERED_LINK_COLUMNS``): the scores and ``SHARED_PROBABILITY``, what clustering
        applied the threshold to (``cluster.Clustering.probability``).
    """

    person_id: pd.Series
    notes: dict = field(default_factory=dict)
    model_json: str | None = None
    episodes: pd.DataFrame | None = None
    links: pd.DataFrame | None = None  # CLUSTERED_LINK_COLUMNS


@dataclass
class PreviousLinkage:
    """What incremental linkage takes from the latest edition."""

    edition_id: str
    model: LinkageModel
    registration_ids: pd.Series
    links: pd.DataFrame  # LINK_COLUMNS


def link_full(
    registrations: pd.DataFrame,
    settings: LinkageSettings,
    *,
    trained: LinkageModel | None = None,
    reviews: pd.DataFrame | None = None,
    backend: Backend | None = None,
    scorer: engine.Scorer | None = None,
) -> LinkageResult:
    """Link every registration: train a model (or use ``trained``), score, cluster, fold.

    A ``scorer`` (of ``trained``) saves setting up Splink again when many small sets of
    registrations are linked with one model.
    """
    if scorer is not None:
        trained, backend = scorer.model, scorer.backend
    started = time.perf_counter()
    own = backend is None
    backend = backend or open_settings_backend(settings)
    try:
        placeholders = trained.placeholders if trained else prepare.common_monthdays(registrations)
        frame = prepare.splink_frame(registrations, placeholders)
        if len(frame) < 2:
            return _result(
                registrations,
                settings,
                _empty_links(),
                trained,
                reviews,
                "too few registrations to link",
                started,
            )
        mode = "given model"
        if trained is None:
            trained = engine.train(frame, settings, backend, placeholders)
            mode = "trained on this edition"
        scorer = scorer if scorer is not None else engine.Scorer(trained, backend)
        scored = scorer.within(frame, settings.link_floor)
    finally:
        if own:
            backend.close()
    return _result(
        registrations,
        settings,
        _by_registration(scored, _ids(registrations)),
        trained,
        reviews,
        mode,
        started,
    )


def link_incremental(
    registrations: pd.DataFrame,
    settings: LinkageSettings,
    previous: PreviousLinkage,
    *,
    reviews: pd.DataFrame | None = None,
    backend: Backend | None = None,
) -> LinkageResult:
    """Link new registrations to the persons of ``previous`` without re-scoring old pairs.

    Falls back to a full re-link with the previous model when a registration of the
    previous edition is gone (a revised file): its links can then no longer be trusted.
    """
    started = time.perf_counter()
    ids = _ids(registrations)
    known = ids.isin(set(previous.registration_ids.astype(str))).to_numpy()
    if known.sum() < len(previous.registration_ids):
        result = link_full(
            registrations, settings, trained=previous.model, reviews=reviews, backend=backend
        )
        result.notes["mode"] = (
            "re-linked with the previous model (registrations of the previous edition are gone)"
        )
        return result
    own = backend is None
    backend = backend or open_settings_backend(settings)
    try:
        positions = np.arange(len(registrations))
        existing = prepare.splink_frame(registrations[known], previous.model.placeholders)
        existing["uid"] = positions[known]
        new = prepare.splink_frame(registrations[~known], previous.model.placeholders)
        new["uid"] = positions[~known]
        scored = (
            engine.score_new(existing, new, previous.model, backend, settings.link_floor)
            if len(new)
            else None
        )
    finally:
        if own:
            backend.close()
    new_links = _by_registration(scored, ids) if scored is not None else _empty_links()
    old_links = previous.links[
        previous.links["registration_id_l"].isin(set(ids))
        & previous.links["registration_id_r"].isin(set(ids))
    ]
    links = pd.concat([old_links[list(LINK_COLUMNS)], new_links], ignore_index=True)
    result = _result(
        registrations,
        settings,
        links,
        previous.model,
        reviews,
        f"incremental on edition {previous.edition_id}",
        started,
    )
    result.notes["new_registrations"] = int((~known).sum())
    return result


def _result(
    registrations: pd.DataFrame,
    settings: LinkageSettings,
    links: pd.DataFrame,
    trained: LinkageModel | None,
    reviews: pd.DataFrame | None,
    mode: str,
    started: float,
) -> LinkageResult:
    ids = _ids(registrations)
    position = pd.Series(np.arange(len(ids)), index=ids)
    rows = pd.DataFrame(
        {
            "row_l": position.reindex(links["registration_id_l"]).to_numpy(),
            "row_r": position.reindex(links["registration_id_r"]).to_numpy(),
            "match_probability": links["match_probability"].to_numpy(),
        }
    ).dropna()
    rows = rows.astype({"row_l": "int64", "row_r": "int64"})
    review_rows = _review_rows(reviews, position)
    nid = (
        registrations["nid_token"].to_numpy(dtype=object) if "nid_token" in registrations else None
    )
    found = clustering.persons(len(ids), rows, settings.threshold, review_rows, same_key=nid)
    person_id = pd.Series(found.person_index + 1, index=registrations.index, name="person_id")
    # a link whose registration is not in the edition joined nothing
    shared = (
        pd.Series(found.probability, index=rows.index).reindex(range(len(links))).fillna(0.0)
    ).to_numpy()
    folded = _episodes(registrations, person_id, settings.episode_window_days)
    notes = {
        "method": METHOD,
        "mode": mode,
        "backend": settings.backend,
        "threshold": settings.threshold,
        "settings": settings.to_dict(),
        "comparisons": list(model.COMPARISONS),
        "exact_rule": "registrations with the same national-id token are one person",
        "never_compared": ["exploitation form", "registration date", "other exploitation details"],
        "registrations": len(ids),
        "persons": int(person_id.nunique()),
        "estimate": quality.model_estimate(
            shared,
            settings.threshold,
            len(ids),
            int(person_id.nunique()),
            settings.review_band,
        ),
        "reviews": {
            "matches_applied": found.reviewed_matches,
            "no_matches_applied": found.reviewed_no_matches,
            "no_match_pairs_still_together": found.no_match_pairs_together,
        },
        "seconds": round(time.perf_counter() - started, 2),
    }
    if trained is not None:
        notes["prior"] = trained.prior
        notes["training"] = trained.training
    if folded is not None:
        per_person = folded["episode_no"].groupby(person_id.to_numpy()).max()
        notes["episodes"] = {
            "window_days": settings.episode_window_days,
            "episodes": int(per_person.sum()),
            "persons_with_several_episodes": int((per_person > 1).sum()),
        }
    return LinkageResult(
        person_id,
        notes,
        trained.to_json() if trained is not None else None,
        folded,
        links.reset_index(drop=True).assign(**{SHARED_PROBABILITY: shared}),
    )


def _episodes(
    registrations: pd.DataFrame, person_id: pd.Series, window: int
) -> pd.DataFrame | None:
    if "registered_on" not in registrations:
        return None
    return episodes.fold_episodes(person_id, registrations["registered_on"], window)


def _review_rows(reviews: pd.DataFrame | None, position: pd.Series) -> pd.DataFrame | None:
    if reviews is None or reviews.empty:
        return None
    rows = pd.DataFrame(
        {
            "row_l": position.reindex(reviews["registration_id_l"].astype(str)).to_numpy(),
            "row_r": position.reindex(reviews["registration_id_r"].astype(str)).to_numpy(),
            "decision": reviews["decision"].to_numpy(),
        }
    ).dropna()
    return rows.astype({"row_l": "int64", "row_r": "int64"})


def _ids(registrations: pd.DataFrame) -> pd.Series:
    if "registration_id" in registrations:
        return registrations["registration_id"].astype(str).reset_index(drop=True)
    return pd.Series(registrations.index.astype(str), dtype=str)


def _by_registration(scored: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Scored pairs keyed by registration id, the earlier registration (row) on the left."""
    id_array = ids.to_numpy()
    out = pd.DataFrame(
        {
            "registration_id_l": id_array[scored["uid_l"].to_numpy()],
            "registration_id_r": id_array[scored["uid_r"].to_numpy()],
        }
    )
    for col in LINK_COLUMNS[2:]:
        out[col] = scored[col].to_numpy()
    return out


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=str if c.startswith("registration") else float) for c in LINK_COLUMNS}
    )
