"""From scored pairs to persons: connected components of the links at the threshold.

A registration belongs to one person at most. Links of at least ``STRONG`` and the
national-id key make person groups; a link between two groups competes with the other
groups its registrations reach, so its odds are shared out among them
(:func:`shared_probabilities`): a report without a name that fits three people about
equally well joins none of them, one that fits one far better joins that one. The shared
probability is what the threshold is applied to.

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

# Links at or above this make the person groups among which the odds of the other links are
# shared out.
STRONG = 0.9

# The name of ``Clustering.probability`` where links are kept (``LinkageResult.links``, the
# store's ``edition_links``): every count of links at a threshold reads this one number.
SHARED_PROBABILITY = "shared_probability"


@dataclass(frozen=True)
class Clustering:
    person_index: np.ndarray  # 0..n_persons-1 per row, numbered by first row
    # per link (in the order given), what the threshold was applied to: its shared-out
    # probability, 1 for a pair reviewed as a match and 0 for one reviewed as no match
    probability: np.ndarray
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
    a_all = links["row_l"].to_numpy(dtype=np.int64)
    b_all = links["row_r"].to_numpy(dtype=np.int64)
    p_all = links["match_probability"].to_numpy(dtype=float)
    matches = no_matches = 0
    forbidden = pd.DataFrame({"a": [], "b": []}, dtype="int64")
    reviewed = pd.DataFrame({"a": [], "b": []}, dtype="int64")
    if reviews is not None and len(reviews):
        a = np.minimum(reviews["row_l"], reviews["row_r"]).to_numpy()
        b = np.maximum(reviews["row_l"], reviews["row_r"]).to_numpy()
        is_match = (reviews["decision"] == "match").to_numpy()
        matches, no_matches = int(is_match.sum()), int((~is_match).sum())
        forbidden = pd.DataFrame({"a": a[~is_match], "b": b[~is_match]})
        reviewed = pd.DataFrame({"a": a[is_match], "b": b[is_match]})
    allowed = ~_among(a_all, b_all, forbidden)
    key_a, key_b = key_edges(same_key) if same_key is not None else (_none(), _none())
    fixed_a = np.concatenate([key_a, reviewed["a"].to_numpy(dtype=np.int64)])
    fixed_b = np.concatenate([key_b, reviewed["b"].to_numpy(dtype=np.int64)])
    shared = shared_probabilities(n, a_all, b_all, p_all, fixed_a, fixed_b, allowed)
    shared[~allowed] = 0.0
    shared[_among(a_all, b_all, reviewed)] = 1.0
    keep = shared >= threshold
    edges_a = np.concatenate([a_all[keep], fixed_a])
    edges_b = np.concatenate([b_all[keep], fixed_b])
    index = component_index(n, edges_a, edges_b)
    together = (
        int((index[forbidden["a"].to_numpy()] == index[forbidden["b"].to_numpy()]).sum())
        if len(forbidden)
        else 0
    )
    return Clustering(index, shared, len(edges_a), matches, no_matches, together)


def shared_probabilities(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    fixed_a: np.ndarray | None = None,
    fixed_b: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Each link's probability once its odds are shared out among the groups it competes with.

    Person groups are the connected components of the links of at least ``STRONG`` (where
    ``allowed``) and of the ``fixed`` edges (the national-id key, reviewed matches). A link
    within a group keeps its probability. A link between groups joins its registration ``r``
    to the other group ``g``; ``r`` may belong to any one of the groups it reaches, or to
    none of them, with odds ``o_g`` (the best link of ``r`` into ``g``, odds p / (1 - p))
    against 1, so the probability that it belongs to ``g`` is ``o_g / (1 + sum of o)``. A
    registration that reaches one group keeps the link's probability; one that reaches
    several shares it. The link's probability is the lesser of its two ends' shares.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return p.copy()
    allowed = np.ones(len(p), dtype=bool) if allowed is None else np.asarray(allowed, bool)
    strong = (p >= STRONG) & allowed
    fixed_a = _none() if fixed_a is None else np.asarray(fixed_a, dtype=np.int64)
    fixed_b = _none() if fixed_b is None else np.asarray(fixed_b, dtype=np.int64)
    group = component_index(
        n, np.concatenate([a[strong], fixed_a]), np.concatenate([b[strong], fixed_b])
    )
    out = p.copy()
    cross = np.flatnonzero(group[a] != group[b])
    if len(cross) == 0:
        return out
    odds = np.clip(p[cross], 0.0, 1.0 - 1e-12)
    odds = odds / (1.0 - odds)
    # each end of a link between groups reaches the other end's group
    reach = pd.DataFrame(
        {
            "row": np.concatenate([a[cross], b[cross]]),
            "group": np.concatenate([group[b[cross]], group[a[cross]]]),
            "odds": np.concatenate([odds, odds]),
        }
    )
    best = reach.groupby(["row", "group"], sort=False)["odds"].max()
    total = best.groupby(level="row").sum()
    share = reach["odds"].to_numpy() / (1.0 + total.reindex(reach["row"]).to_numpy())
    m = len(cross)
    out[cross] = np.minimum(share[:m], share[m:])
    return out


def _among(a: np.ndarray, b: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    """Whether each link (``a``, ``b``) is one of ``pairs`` (columns ``a`` < ``b``)."""
    if len(pairs) == 0:
        return np.zeros(len(a), dtype=bool)
    links = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b)})
    merged = links.merge(pairs.drop_duplicates().assign(x=1), on=["a", "b"], how="left")
    return merged["x"].notna().to_numpy()


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


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
