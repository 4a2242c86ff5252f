"""What linkage keeps in the store: per edition the model, the links and the episodes; across
editions the clerical decisions.

Tables (see ``store._DDL``): ``edition_linkage`` (model JSON, notes), ``edition_links``
(scored pairs at or above the link floor), ``edition_episodes`` (episode per registration)
and ``linkage_reviews`` (reviewed pairs; the latest decision on a pair counts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage.cluster import key_edges, shared_probabilities
from traffickingmonitor.linkage.engine import WEIGHT_COLUMNS, LinkageModel
from traffickingmonitor.linkage.linking import LINK_COLUMNS, LinkageResult, PreviousLinkage
from traffickingmonitor.linkage.settings import LinkageSettings


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
        links = linked.links[list(LINK_COLUMNS)]
        con.register("tm_links", links)
        weights = ", ".join(f'"{c}"' for c in WEIGHT_COLUMNS)
        try:
            con.execute(
                "INSERT INTO edition_links SELECT $e, registration_id_l, registration_id_r, "
                f"match_probability, match_weight, list_value({weights}) FROM tm_links",
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


def load_reviews(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Latest decision per reviewed pair (pairs ordered: ``registration_id_l`` < ``_r``)."""
    return con.execute(
        "SELECT registration_id_l, registration_id_r, decision FROM linkage_reviews "
        "QUALIFY row_number() OVER (PARTITION BY registration_id_l, registration_id_r "
        "ORDER BY reviewed_at DESC, rowid DESC) = 1 ORDER BY registration_id_l, registration_id_r"
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
    """An edition's scored pairs with their per-comparison weights (``LINK_COLUMNS``)."""
    select = ", ".join(f'weights[{i + 1}] AS "{c}"' for i, c in enumerate(WEIGHT_COLUMNS))
    return con.execute(
        "SELECT registration_id_l, registration_id_r, match_probability, match_weight, "
        f"{select} FROM edition_links WHERE edition_id = ? ORDER BY registration_id_l, registration_id_r",
        [edition_id],
    ).df()


def shared_link_probabilities(con: duckdb.DuckDBPyConnection, edition_id: str) -> np.ndarray:
    """The stored links' probabilities as clustering shared them out (one per link).

    What the threshold applied to when the edition's persons were made: the odds of a link
    shared among the person groups it competes with (``cluster.shared_probabilities``),
    the groups made by the strong links and the national-id key.
    """
    links = con.execute(
        "SELECT registration_id_l, registration_id_r, match_probability FROM edition_links "
        "WHERE edition_id = ?",
        [edition_id],
    ).df()
    if links.empty:
        return np.zeros(0)
    keys = con.execute(
        "SELECT p.registration_id, r.nid_token FROM edition_persons p "
        "JOIN registrations r USING (file_hash, registration_id) WHERE p.edition_id = ?",
        [edition_id],
    ).df()
    position = pd.Series(np.arange(len(keys)), index=keys["registration_id"].astype(str))
    a = position.reindex(links["registration_id_l"].astype(str)).to_numpy()
    b = position.reindex(links["registration_id_r"].astype(str)).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b))
    p = links["match_probability"].to_numpy(dtype=float)
    out = np.zeros(len(p))
    key_a, key_b = key_edges(keys["nid_token"].to_numpy(dtype=object))
    out[known] = shared_probabilities(
        len(keys), a[known].astype(np.int64), b[known].astype(np.int64), p[known], key_a, key_b
    )
    return out


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
