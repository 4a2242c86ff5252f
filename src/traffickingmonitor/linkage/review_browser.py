"""Decisions made on the review pages of the web app, brought into the store before a run.

The server never writes the store: its decisions wait in the state database
(``publish.web.review_state``). ``run`` (and ``review-import --from-state``) copies the
pending ones into ``linkage_reviews`` the way a reviewed file is imported
(:func:`~traffickingmonitor.linkage.review.store_decisions`), so the linkage applies them
from that run on, and marks them stored; after the run, :func:`mark_applied` records the
edition they took effect in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from traffickingmonitor.linkage.review import ReviewImport, store_decisions


@dataclass(frozen=True)
class BrowserApply:
    stored: ReviewImport
    at: dt.datetime | None  # when they were stored (None: there was nothing to store)


_NOTHING = BrowserApply(ReviewImport(0, 0, 0, 0), None)


def _session(db: Path, state_url: str | None):
    """A session on the state database, or None when the default one was never made (no
    server ever ran beside this store: nothing was decided)."""
    from traffickingmonitor.publish.web.state import (
        _sqlite_file,
        default_state_url,
        make_engine,
        session_factory,
    )

    url = state_url or default_state_url(Path(db))
    file = _sqlite_file(url) if url.startswith("sqlite") else None
    if file is not None and not file.exists():
        return None
    return session_factory(make_engine(url))()


def apply_state_decisions(db: Path, state_url: str | None = None) -> BrowserApply:
    """Copy the browser's pending decisions into the store at ``db`` (all or nothing).

    Parameters
    ----------
    db
        The DuckDB store; nothing happens when it does not exist yet.
    state_url
        The state database; default the SQLite file beside ``db`` (as ``serve``).
    """
    from traffickingmonitor import store
    from traffickingmonitor.publish.web import review_state
    from traffickingmonitor.publish.web.state import utcnow

    if not Path(db).exists():
        return _NOTHING
    session = _session(db, state_url)
    if session is None:
        return _NOTHING
    with session:
        rows = review_state.pending(session)
        if not rows:
            return _NOTHING
        frame = pd.DataFrame(
            {
                "registration_id_l": [r.registration_id_l for r in rows],
                "registration_id_r": [r.registration_id_r for r in rows],
                "decision": [r.decision for r in rows],
                "source": [f"browser {r.username} {r.edition_id}" for r in rows],
            }
        )
        con = store.connect(Path(db))
        try:
            stored = store_decisions(con, frame, frame["source"])
        finally:
            con.close()
        # After the store's commit: a failure here leaves them pending, and storing the same
        # decisions again changes nothing (the latest decision on a pair counts).
        at = utcnow()
        review_state.mark_stored(session, [r.id for r in rows], at)
    return BrowserApply(stored, at)


def mark_applied(
    db: Path, edition_id: str, state_url: str | None = None, until: dt.datetime | None = None
) -> int:
    """Record that the stored browser decisions (up to ``until``) are in effect in
    ``edition_id``; returns how many."""
    from traffickingmonitor.publish.web import review_state

    session = _session(db, state_url)
    if session is None:
        return 0
    with session:
        return review_state.mark_applied(session, edition_id, until)
