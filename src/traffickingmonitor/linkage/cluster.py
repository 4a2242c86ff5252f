"""From scored pairs to persons: connected components of the links at the threshold.

Clerical decisions override the model before clustering: a pair reviewed as a match is a
link whatever its score, a pair reviewed as no match is never a link (the two can still end
up in one person through other links; :func:`persons` counts those).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Clustering:
    person_index: np.ndarray  # 0..n_persons-1 per row, numbered by first row
    links_used: int
    reviewed_matches: int
    reviewed_no_matches: int
    no_match_pairs_together: int  # reviewed "no match" pairs still joined through others


def persons(
    n: int,
    links: pd.DataFrame,
    threshold: float,
    reviews: pd.DataFrame | None = None,
    same_key: np.ndarray | None = None,
) -> Clustering:
    """Person index per row.

    Parameters
    ----------
    n : int
        Number of rows (registrations), in the order that numbers the persons.
    links : pandas.DataFrame
        ``row_l``, ``row_r`` and ``match_probability`` of scored pairs.
    threshold : float
        Links at or above it join two rows.
    reviews : pandas.DataFrame, optional
        ``row_l``, ``row_r`` and ``decision`` ("match" or "no_match") of reviewed pairs.
    same_key : numpy.ndarray, optional
        A key per row (missing: None); rows with the same key are one person whatever their
        score: the national-id token, which has no typos, as an exact rule.
    """
    keep = links["match_probability"].to_numpy() >= threshold
    edges = pd.DataFrame(
        {"a": links["row_l"].to_numpy()[keep], "b": links["row_r"].to_numpy()[keep]}
    )
    matches = no_matches = 0
    forbidden = pd.DataFrame({"a": [], "b": []}, dtype="int64")
    if reviews is not None and len(reviews):
        a = np.minimum(reviews["row_l"], reviews["row_r"]).to_numpy()
        b = np.maximum(reviews["row_l"], reviews["row_r"]).to_numpy()
        is_match = (reviews["decision"] == "match").to_numpy()
        matches, no_matches = int(is_match.sum()), int((~is_match).sum())
        forbidden = pd.DataFrame({"a": a[~is_match], "b": b[~is_match]})
        pairs = np.minimum(edges["a"], edges["b"]), np.maximum(edges["a"], edges["b"])
        edges = pd.DataFrame({"a": pairs[0], "b": pairs[1]})
        if len(forbidden):
            merged = edges.merge(forbidden.assign(x=1), on=["a", "b"], how="left")
            edges = edges[merged["x"].isna().to_numpy()]
        edges = pd.concat(
            [edges, pd.DataFrame({"a": a[is_match], "b": b[is_match]})], ignore_index=True
        )
    if same_key is not None:
        a, b = key_edges(same_key)
        edges = pd.concat([edges, pd.DataFrame({"a": a, "b": b})], ignore_index=True)
    index = component_index(n, edges["a"].to_numpy(), edges["b"].to_numpy())
    together = (
        int((index[forbidden["a"].to_numpy()] == index[forbidden["b"].to_numpy()]).sum())
        if len(forbidden)
        else 0
    )
    return Clustering(index, len(edges), matches, no_matches, together)


def key_edges(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges chaining the rows that share a (non-missing) key."""
    values = pd.Series(keys)
    rows = np.flatnonzero(values.notna().to_numpy())
    if len(rows) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(values.iloc[rows])
    order = np.lexsort((rows, codes))
    rows, codes = rows[order], codes[order]
    chained = codes[1:] == codes[:-1]
    return rows[:-1][chained], rows[1:][chained]


def component_index(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of rows 0..n-1, numbered 0.. in order of their first row."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[labels]
