"""Episodes: reports of one person within the window fold into one episode."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.linkage import api as linkage


def _fold(person, dates, window=90):
    return linkage.fold_episodes(pd.Series(person), pd.Series(pd.to_datetime(dates)), window)


def test_reports_within_the_window_are_one_episode():
    out = _fold([1, 1, 1, 1], ["2019-01-01", "2019-02-15", "2019-04-01", "2019-04-02"])
    # 2019-04-01 is day 90 after the start: still in; 2019-04-02 (day 91) starts episode 2.
    assert out["episode_no"].tolist() == [1, 1, 1, 2]
    assert out["episode_start"].dt.strftime("%Y-%m-%d").tolist() == ["2019-01-01"] * 3 + [
        "2019-04-02"
    ]


def test_the_window_counts_from_the_episode_start_not_the_last_report():
    # A report every 60 days: without a fixed start this would chain into one long episode.
    dates = pd.date_range("2019-01-01", periods=5, freq="60D")
    assert _fold([7] * 5, dates)["episode_no"].tolist() == [1, 1, 2, 2, 3]


def test_persons_are_folded_separately_and_order_does_not_matter():
    out = _fold([2, 1, 2, 1], ["2020-06-01", "2019-01-01", "2019-01-05", "2020-01-01"])
    assert out["episode_no"].tolist() == [2, 1, 1, 2]
    assert list(out.index) == [0, 1, 2, 3]


def test_window_setting_and_episode_table():
    dates = ["2019-01-01", "2019-01-20", "2019-03-01"]
    assert _fold([1, 1, 1], dates, window=30)["episode_no"].tolist() == [1, 1, 2]
    table = linkage.episode_table(pd.Series([1, 1, 1]), pd.Series(pd.to_datetime(dates)), 30)
    assert table[["episode_no", "reports"]].values.tolist() == [[1, 2], [2, 1]]
    assert _fold([], []).empty


def test_the_edition_stores_one_episode_per_registration(linked_edition):
    linked = linked_edition.linked
    assert linked.episodes is not None and len(linked.episodes) == len(linked_edition.registrations)
    episodes = linked.notes["episodes"]
    assert episodes["window_days"] == 90
    assert linked.person_id.nunique() <= episodes["episodes"] <= len(linked_edition.registrations)
    # Re-registrations after the window exist in the synthetic edition (re-victimisation).
    assert episodes["persons_with_several_episodes"] > 0
