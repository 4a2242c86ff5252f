"""Linkage v0: registrations that share a national-id token, or a name and birth-date token,
are one person (transitively: connected components of the "same key" graph)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Registrations with neither key stay persons of their own: a name alone is too weak a key.
RULES: tuple[tuple[str, ...], ...] = (("nid_token",), ("name_token", "birth_date_token"))


def link_deterministic(registrations: pd.DataFrame) -> np.ndarray:
    """Person index (0..n_persons-1) for each row of ``registrations``, in row order.

    Persons are numbered by their first row, so the numbering is stable for a stable input
    order.
    """
    n = len(registrations)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rows, cols = [np.arange(n)], [np.arange(n)]
    offset = n
    for rule in RULES:
        keys = registrations[list(rule)]
        usable = keys.notna().all(axis=1).to_numpy()
        if not usable.any():
            continue
        codes, uniques = pd.MultiIndex.from_frame(keys[usable]).factorize()
        rows.append(np.flatnonzero(usable))
        cols.append(codes + offset)
        offset += len(uniques)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    component = labels[:n]
    # Renumber by first appearance for a stable, readable id.
    _, first = np.unique(component, return_index=True)
    order = np.argsort(first)
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[np.searchsorted(np.unique(component), component)]
