"""Linkage quality: against a ground truth (synthetic editions) or as the model's own estimate.

Pairwise measures count pairs of registrations: a pair is predicted when both are given the
same person, true when the truth says so. Cluster measures look at persons: the share of
true persons split over several linked persons, and the share of linked persons that merge
registrations of different true persons.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage.cluster import SHARED_PROBABILITY, component_index, key_edges

DEFAULT_SWEEP = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)


def read_truth(truth: Path | pd.DataFrame) -> pd.DataFrame:
    """``registration_id, person_id`` from a synthetic edition's folder, file or a frame."""
    if isinstance(truth, pd.DataFrame):
        frame = truth
    else:
        path = Path(truth)
        if path.is_dir():
            path = (
                path / "truth" / "registration_person.csv"
                if (path / "truth").is_dir()
                else path / "registration_person.csv"
            )
        if not path.is_file():
            raise UserError(
                f"no ground truth at {truth}: expected DIR/truth/registration_person.csv"
            )
        frame = pd.read_csv(path, dtype=str)
    missing = {"registration_id", "person_id"} - set(frame.columns)
    if missing:
        raise UserError(f"the ground truth lacks column(s) {', '.join(sorted(missing))}")
    return frame[["registration_id", "person_id"]].astype(str)


def _pairs(labels: np.ndarray) -> int:
    counts = np.bincount(labels)
    return int((counts * (counts - 1) // 2).sum())


def pairwise(predicted: np.ndarray, true: np.ndarray) -> dict:
    """Pairwise precision, recall and F1 of two labellings of the same rows."""
    p = pd.factorize(np.asarray(predicted))[0]
    t = pd.factorize(np.asarray(true))[0]
    both = pd.factorize(p.astype(np.int64) * (t.max() + 1 if len(t) else 1) + t)[0]
    tp, pp, tt = _pairs(both), _pairs(p), _pairs(t)
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": tt,
        "predicted_pairs": pp,
        "correct_pairs": tp,
    }


def clusters(predicted: np.ndarray, true: np.ndarray) -> dict:
    """Persons found and true, and the shares of split true persons and of merging persons."""
    frame = pd.DataFrame({"p": np.asarray(predicted), "t": np.asarray(true)})
    per_true = frame.groupby("t")["p"].nunique()
    per_pred = frame.groupby("p")["t"].nunique()
    return {
        "persons": int(frame["p"].nunique()),
        "true_persons": int(frame["t"].nunique()),
        "persons_vs_truth": (frame["p"].nunique() - frame["t"].nunique())
        / max(frame["t"].nunique(), 1),
        "true_persons_split": float((per_true > 1).mean()) if len(per_true) else 0.0,
        "persons_merging": float((per_pred > 1).mean()) if len(per_pred) else 0.0,
    }


def quality_against_truth(assignment: pd.DataFrame, truth: Path | pd.DataFrame) -> dict:
    """Quality of a person assignment against the ground truth.

    Parameters
    ----------
    assignment : pandas.DataFrame
        ``registration_id`` and ``person_id`` (e.g. an edition's ``edition_persons``).
    truth : path or pandas.DataFrame
        The synthetic edition's folder (its ``truth/registration_person.csv``) or the frame.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (pairwise), ``persons``, ``true_persons``,
        ``persons_vs_truth`` (relative difference), ``true_persons_split``,
        ``persons_merging``, pair counts and ``registrations`` compared.
    """
    joined = _join(assignment, truth)
    return {
        **pairwise(joined["person_id"].to_numpy(), joined["true_person"].to_numpy()),
        **clusters(joined["person_id"].to_numpy(), joined["true_person"].to_numpy()),
        "registrations": len(joined),
    }


def threshold_sweep(
    registration_ids: pd.Series,
    links: pd.DataFrame,
    truth: Path | pd.DataFrame,
    thresholds: tuple[float, ...] = DEFAULT_SWEEP,
    same_key: pd.Series | None = None,
) -> list[dict]:
    """Quality at each threshold, re-clustering the kept links (F1 by threshold).

    ``links`` holds ``registration_id_l``, ``registration_id_r`` and ``shared_probability``
    (an edition's ``edition_links``, or ``LinkageResult.links``): what clustering applied
    the threshold to, so the sweep at the edition's threshold gives the edition's persons.
    Thresholds below the edition's link floor would miss links and are the caller's to
    avoid. ``same_key`` (aligned with ``registration_ids``, e.g. the national-id token) joins
    registrations outright, as the edition's exact rule does.
    """
    ids = pd.Series(registration_ids).astype(str).reset_index(drop=True)
    position = pd.Series(np.arange(len(ids)), index=ids)
    a = position.reindex(links["registration_id_l"].astype(str)).to_numpy()
    b = position.reindex(links["registration_id_r"].astype(str)).to_numpy()
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok].astype(np.int64), b[ok].astype(np.int64)
    p = links[SHARED_PROBABILITY].to_numpy(dtype=float)[ok]
    truth_frame = read_truth(truth)
    key_a, key_b = (
        key_edges(same_key.to_numpy(dtype=object))
        if same_key is not None
        else (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    )
    out = []
    for t in thresholds:
        keep = p >= t
        labels = component_index(
            len(ids), np.concatenate([a[keep], key_a]), np.concatenate([b[keep], key_b])
        )
        q = quality_against_truth(
            pd.DataFrame({"registration_id": ids, "person_id": labels}), truth_frame
        )
        out.append(
            {
                "threshold": t,
                **{k: q[k] for k in ("precision", "recall", "f1", "persons", "true_persons")},
            }
        )
    return out


def model_estimate(
    shared: np.ndarray,
    threshold: float,
    registrations: int,
    persons: int,
    review_band: tuple[float, float],
) -> dict:
    """The model's own view of its quality, without any truth.

    ``shared`` holds, per scored pair, what clustering applied the threshold to: the
    probability of a link once its odds are shared out among the persons it competes for
    (``cluster.Clustering.probability``). Expected matching pairs are the sum of those
    probabilities over the scored pairs; the expected pairwise precision at the threshold is
    the mean probability of the links kept, the expected recall the share of expected
    matches that they hold. Pairs never scored (outside the blocking) are not in it, so the
    recall is an upper bound. Pairs for review: those in ``review_band`` [low, high), as
    ``review.uncertain_pairs`` selects them.
    """
    p = np.asarray(shared, dtype=float)
    low, high = review_band
    kept = p[p >= threshold]
    expected = float(p.sum())
    return {
        "threshold": threshold,
        "registrations": registrations,
        "persons": persons,
        "links_kept": len(kept),
        "expected_matching_pairs": round(expected, 1),
        "expected_precision": round(float(kept.mean()), 4) if len(kept) else None,
        "expected_recall": round(float(kept.sum()) / expected, 4) if expected else None,
        "uncertain_pairs": int(((p >= low) & (p < high)).sum()),
    }


def _join(assignment: pd.DataFrame, truth: Path | pd.DataFrame) -> pd.DataFrame:
    truth_frame = read_truth(truth).rename(columns={"person_id": "true_person"})
    frame = assignment[["registration_id", "person_id"]].astype({"registration_id": str})
    joined = frame.merge(truth_frame, on="registration_id", how="inner")
    if joined.empty:
        raise UserError(
            "no registration of the edition is in the ground truth: is it the truth of this edition?"
        )
    return joined
