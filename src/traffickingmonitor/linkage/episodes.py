"""Episodes: the reports of one person within a short window are one episode.

An episode starts at a person's first report; every report within ``window_days`` of that
start belongs to it (measured from the start, so an episode never stretches beyond the
window through a chain of reports). The first report after the window starts the next
episode: a possible re-registration, the event the re-victimisation chapter counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def fold_episodes(
    person_id: pd.Series, registered_on: pd.Series, window_days: int = 90
) -> pd.DataFrame:
    """Episode number (1, 2, ... per person) and episode start for each registration.

    Parameters
    ----------
    person_id, registered_on : pandas.Series
        Aligned on the same index (one row per registration).
    window_days : int
        Reports at most this many days after the episode start join the episode.

    Returns
    -------
    pandas.DataFrame
        ``episode_no`` (int) and ``episode_start`` (datetime64), index aligned with the input.
    """
    if len(person_id) == 0:
        return pd.DataFrame(
            {
                "episode_no": pd.Series(dtype="int64"),
                "episode_start": pd.Series(dtype="datetime64[ns]"),
            }
        )
    days = pd.to_datetime(registered_on).to_numpy().astype("datetime64[D]").astype(np.int64)
    persons = np.asarray(person_id)
    order = np.lexsort((days, persons))
    p_sorted, d_sorted = persons[order], days[order]
    episode = np.empty(len(order), dtype=np.int64)
    start = np.empty(len(order), dtype=np.int64)
    current_person, current_start, current_no = None, 0, 0
    # A plain loop: each report depends on the start of its episode (a million rows ~ 1 s).
    for i in range(len(order)):
        p, d = p_sorted[i], d_sorted[i]
        if p != current_person:
            current_person, current_start, current_no = p, d, 1
        elif d - current_start > window_days:
            current_start, current_no = d, current_no + 1
        episode[i] = current_no
        start[i] = current_start
    episode_no = np.empty_like(episode)
    episode_start = np.empty_like(start)
    episode_no[order] = episode
    episode_start[order] = start
    return pd.DataFrame(
        {
            "episode_no": episode_no,
            "episode_start": episode_start.astype("datetime64[D]").astype("datetime64[ns]"),
        },
        index=person_id.index,
    )


def episode_table(
    person_id: pd.Series, registered_on: pd.Series, window_days: int = 90
) -> pd.DataFrame:
    """One row per episode: person, number, start, end (last report) and number of reports."""
    folded = fold_episodes(person_id, registered_on, window_days)
    frame = pd.DataFrame(
        {
            "person_id": np.asarray(person_id),
            "episode_no": folded["episode_no"].to_numpy(),
            "episode_start": folded["episode_start"].to_numpy(),
            "registered_on": pd.to_datetime(registered_on).to_numpy(),
        }
    )
    out = frame.groupby(["person_id", "episode_no"], sort=True).agg(
        episode_start=("episode_start", "first"),
        episode_end=("registered_on", "max"),
        reports=("registered_on", "size"),
    )
    return out.reset_index()
