"""What linkage keeps in the store: per edition the model, the links and the episodes; across
editions the clerical decisions.

Tables (see ``store._DDL``): ``edition_linkage`` (model JSON, notes), ``edition_links``
(scored pairs at or above the link floor, with the probability clustering applied the
threshold to), ``edition_episodes`` (episode per registration) and ``linkage_reviews``
(reviewed pairs; the latest decision on a pair counts).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage import cluster
from traffickingmonitor.linkage.cluster import SHARED_PROBABILITY
from traffickingmonitor.linkage.engine import WEIGHT_COLUMNS, LinkageModel
from traffickingmonitor.linkage.linking import (
    CLUSTERED_LINK_COLUMNS,
    LinkageResult,
    PreviousLinkage,
)
from traffickingmonitor.linkage.settings import LinkageSettings
from traffickingmonitor.progress import say_once

log = logging.getLogger(__name__)


@dataclass
class EditionContext:
    """What a new edition's linkage takes from the store."""

    reviews: pd.DataFrame  # registration_id_l, registration_id_r, decision
    previous: PreviousLinkage | None


def edition_context(con: duckdb.DuckDBPyConnection, config: dict | None = None) -> EditionContext:
    """The clerical decisions and, for incremental linkage, the latest edition with a model."""
    incremental = LinkageSettings.from_config(config).incremental
    return EditionContext(load_reviews(con), load_previous(con) if incremental else None)


def save_edition(
    con: duckdb.DuckDBPyConnection,
    edition_id: str,
    registrations: pd.DataFrame,
    linked: LinkageResult,
) -> None:
    """Write the edition's model, links and episodes (call inside the edition's transaction)."""
    con.execute(
        "INSERT INTO edition_linkage VALUES (?, ?, ?)",
        [edition_id, linked.model_json, json.dumps(linked.notes, default=str)],
    )
    if linked.links is not None and len(linked.links):
        links = linked.links[list(CLUSTERED_LINK_COLUMNS)]
        con.register("tm_links", links)
        weights = ", ".join(f'"{c}"' for c in WEIGHT_COLUMNS)
        try:
            con.execute(
                "INSERT INTO edition_links (edition_id, registration_id_l, registration_id_r, "
                f"match_probability, match_weight, weights, {SHARED_PROBABILITY}) "
                "SELECT $e, registration_id_l, registration_id_r, match_probability, "
                f"match_weight, list_value({weights}), {SHARED_PROBABILITY} FROM tm_links",
                {"e": edition_id},
            )
        finally:
            con.unregister("tm_links")
    if linked.episodes is not None:
        frame = pd.DataFrame(
            {
                "file_hash": registrations["file_hash"].to_numpy(),
                "registration_id": registrations["registration_id"].astype(str).to_numpy(),
                "person_id": linked.person_id.to_numpy(),
                "episode_no": linked.episodes["episode_no"].to_numpy(),
                "episode_start": linked.episodes["episode_start"].to_numpy(),
            }
        )
        con.register("tm_episodes", frame)
        try:
            con.execute(
                "INSERT INTO edition_episodes SELECT $e, file_hash, registration_id, person_id, "
                "episode_no, CAST(episode_start AS DATE) FROM tm_episodes",
                {"e": edition_id},
            )
        finally:
            con.unregister("tm_episodes")


def load_reviews(con: duckdb.DuckDBPyConnection, before=None) -> pd.DataFrame:
    """Latest decision per reviewed pair (pairs ordered: ``registration_id_l`` < ``_r``),
    of those reviewed before the timestamp ``before`` if given."""
    return con.execute(
        "SELECT registration_id_l, registration_id_r, decision FROM linkage_reviews "
        "WHERE $before IS NULL OR reviewed_at <= $before "
        "QUALIFY row_number() OVER (PARTITION BY registration_id_l, registration_id_r "
        "ORDER BY reviewed_at DESC, rowid DESC) = 1 ORDER BY registration_id_l, registration_id_r",
        {"before": before},
    ).df()


def load_previous(con: duckdb.DuckDBPyConnection) -> PreviousLinkage | None:
    """The latest edition with a trained model, its registrations and links."""
    row = con.execute(
        "SELECT l.edition_id, l.model FROM edition_linkage l JOIN editions e USING (edition_id) "
        "WHERE l.model IS NOT NULL ORDER BY e.created_at DESC, e.edition_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    edition_id, model_json = row
    ids = con.execute(
        "SELECT registration_id FROM edition_persons WHERE edition_id = ?", [edition_id]
    ).df()["registration_id"]
    return PreviousLinkage(
        edition_id, LinkageModel.from_json(model_json), ids, load_links(con, edition_id)
    )


def load_links(con: duckdb.DuckDBPyConnection, edition_id: str) -> pd.DataFrame:
    """An edition's scored pairs with their per-comparison weights and what clustering made of
    them (``CLUSTERED_LINK_COLUMNS``)."""
    select = ", ".join(f'weights[{i + 1}] AS "{c}"' for i, c in enumerate(WEIGHT_COLUMNS))
    links = con.execute(
        "SELECT registration_id_l, registration_id_r, match_probability, match_weight, "
        f"{select} FROM edition_links WHERE edition_id = ? "
        "ORDER BY registration_id_l, registration_id_r",
        [edition_id],
    ).df()
    return links.assign(**{SHARED_PROBABILITY: shared_link_probabilities(con, edition_id)})


def shared_link_probabilities(con: duckdb.DuckDBPyConnection, edition_id: str) -> np.ndarray:
    """Per stored link (ordered by ``registration_id_l``, ``_r``), the probability that
    clustering applied the edition's threshold to (``cluster.Clustering.probability``).

    Stored with the links when the edition was made. A store from before that keeps them
    (opened read-only, so not upgraded by ``store.connect``) has them computed here, as
    clustering computed them, and says so once.
    """
    if _has_shared_column(con):
        stored = (
            con.execute(
                "SELECT shared_probability FROM edition_links WHERE edition_id = ? "
                "ORDER BY registration_id_l, registration_id_r",
                [edition_id],
            )
            .df()["shared_probability"]
            .to_numpy(dtype=float)  # a link stored before the column reads as NaN
        )
        if not np.isnan(stored).any():
            return stored
    started = time.perf_counter()
    _, shared = _cluster_again(con, edition_id)
    say_once(
        log,
        ("shared probability", edition_id),
        f"the links of edition {edition_id} were stored by an older version without the "
        f"probability clustering used: computed ({time.perf_counter() - started:.1f} s); "
        "opening the store for writing (`traffickingmonitor run` or `report`) stores it",
    )
    return shared


def store_shared_probabilities(con: duckdb.DuckDBPyConnection, edition_id: str) -> None:
    """Compute and store the shared-out probabilities of an edition stored without them."""
    started = time.perf_counter()
    links, shared = _cluster_again(con, edition_id)
    con.register("tm_shared", links.assign(shared=shared))
    try:
        con.execute(
            "UPDATE edition_links AS l SET shared_probability = s.shared FROM tm_shared s "
            "WHERE l.edition_id = ? AND l.registration_id_l = s.registration_id_l "
            "AND l.registration_id_r = s.registration_id_r",
            [edition_id],
        )
    finally:
        con.unregister("tm_shared")
    log.warning(
        "the links of edition %s were stored by an older version: the probability clustering "
        "used computed and stored (%.1f s)",
        edition_id,
        time.perf_counter() - started,
    )


def _has_shared_column(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'edition_links' "
            "AND column_name = 'shared_probability'"
        ).fetchone()[0]
    )


def _cluster_again(
    con: duckdb.DuckDBPyConnection, edition_id: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The links of an edition (ordered) and their probability as clustering computed it, from
    what clustering was given: the scores, the national-id key and the clerical decisions
    made before the edition."""
    links = con.execute(
        "SELECT registration_id_l, registration_id_r, match_probability FROM edition_links "
        "WHERE edition_id = ? ORDER BY registration_id_l, registration_id_r",
        [edition_id],
    ).df()
    keys = con.execute(
        "SELECT p.registration_id, r.nid_token FROM edition_persons p "
        "JOIN registrations r USING (file_hash, registration_id) WHERE p.edition_id = ?",
        [edition_id],
    ).df()
    made = con.execute(
        "SELECT created_at FROM editions WHERE edition_id = ?", [edition_id]
    ).fetchone()
    threshold = load_notes(con, edition_id).get("threshold", 0.5)
    position = pd.Series(np.arange(len(keys)), index=keys["registration_id"].astype(str))

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return (
            frame.assign(
                row_l=position.reindex(frame["registration_id_l"].astype(str)).to_numpy(),
                row_r=position.reindex(frame["registration_id_r"].astype(str)).to_numpy(),
            )
            .dropna(subset=["row_l", "row_r"])
            .astype({"row_l": "int64", "row_r": "int64"})
        )

    known = rows(links)
    found = cluster.persons(
        len(keys),
        known,
        threshold,
        rows(load_reviews(con, before=made[0] if made else None)),
        same_key=keys["nid_token"].to_numpy(dtype=object),
    )
    shared = np.zeros(len(links))
    shared[known.index.to_numpy()] = found.probability
    return links, shared


def load_notes(con: duckdb.DuckDBPyConnection, edition_id: str) -> dict:
    row = con.execute(
        "SELECT notes FROM edition_linkage WHERE edition_id = ?", [edition_id]
    ).fetchone()
    return json.loads(row[0]) if row else {}


def load_model(con: duckdb.DuckDBPyConnection, edition_id: str) -> LinkageModel | None:
    row = con.execute(
        "SELECT model FROM edition_linkage WHERE edition_id = ?", [edition_id]
    ).fetchone()
    return LinkageModel.from_json(row[0]) if row and row[0] else None


def load_assignment(con: duckdb.DuckDBPyConnection, edition_id: str) -> pd.DataFrame:
    """``registration_id, person_id`` (and the ``nid_token``) of an edition, in registration order."""
    frame = con.execute(
        "SELECT p.registration_id, p.person_id, r.nid_token FROM edition_persons p "
        "JOIN registrations r USING (file_hash, registration_id) WHERE p.edition_id = ? "
        "ORDER BY r.registered_on, p.registration_id",
        [edition_id],
    ).df()
    if frame.empty:
        raise UserError(f"edition {edition_id} has no linked registrations")
    return frame


def load_episodes(con: duckdb.DuckDBPyConnection, edition_id: str) -> pd.DataFrame:
    """One row per episode: person, number, start, end and number of reports."""
    return con.execute(
        "SELECT e.person_id, e.episode_no, min(e.episode_start) AS episode_start, "
        "max(r.registered_on) AS episode_end, count(*) AS reports "
        "FROM edition_episodes e JOIN registrations r USING (file_hash, registration_id) "
        "WHERE e.edition_id = ? GROUP BY ALL ORDER BY e.person_id, e.episode_no",
        [edition_id],
    ).df()
