"""Clerical review decisions made in the browser, kept in the state database until a run.

The analytic store is read-only to the server, so a decision waits here: one row per
edition and pair (the two registration ids as ``linkage.review`` orders them), changeable
until it is applied. Applying (``linkage.review_browser``) copies the pending rows into the
store's ``linkage_reviews`` and stamps ``applied_at``; the run that used them then sets
``applied_in_edition``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import Base, utcnow

DECISIONS = ("match", "no_match")


class ReviewDecision(Base):
    """A reviewer's decision on one pair of an edition (the latest one counts)."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("edition_id", "registration_id_l", "registration_id_r"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(40), index=True)
    # The pair's number on the review pages (its place in the edition's uncertain pairs):
    # what the browser and the audit log show instead of the registration ids.
    pair_no: Mapped[int] = mapped_column(Integer)
    registration_id_l: Mapped[str] = mapped_column(String(120))
    registration_id_r: Mapped[str] = mapped_column(String(120))
    decision: Mapped[str] = mapped_column(String(10))
    username: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    applied_in_edition: Mapped[str | None] = mapped_column(String(40), nullable=True)


def ordered(left: str, right: str) -> tuple[str, str]:
    """A pair as the store keeps it (``registration_id_l`` < ``registration_id_r``)."""
    return (left, right) if left < right else (right, left)


def decisions(db: Session, edition_id: str) -> dict[tuple[str, str], ReviewDecision]:
    """The edition's decisions by ordered pair."""
    rows = db.scalars(select(ReviewDecision).where(ReviewDecision.edition_id == edition_id))
    return {(r.registration_id_l, r.registration_id_r): r for r in rows}


def decide(
    db: Session,
    edition_id: str,
    pair_no: int,
    pair: tuple[str, str],
    decision: str,
    username: str,
) -> ReviewDecision:
    """Store (or change) the decision on a pair; an applied decision can no longer change."""
    if decision not in DECISIONS:
        raise UserError(f"decision must be match or no_match, not {decision!r}")
    left, right = ordered(*pair)
    row = db.scalar(
        select(ReviewDecision).where(
            ReviewDecision.edition_id == edition_id,
            ReviewDecision.registration_id_l == left,
            ReviewDecision.registration_id_r == right,
        )
    )
    if row is not None and row.applied_at is not None:
        raise UserError(f"pair {pair_no} was applied at {row.applied_at:%Y-%m-%d %H:%M}")
    if row is None:
        row = ReviewDecision(
            edition_id=edition_id,
            pair_no=pair_no,
            registration_id_l=left,
            registration_id_r=right,
        )
        db.add(row)
    row.decision = decision
    row.username = username
    row.decided_at = utcnow()
    db.commit()
    return row


def pending(db: Session) -> list[ReviewDecision]:
    """Decisions not yet copied into the store, oldest first."""
    return list(
        db.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.applied_at.is_(None))
            .order_by(ReviewDecision.decided_at, ReviewDecision.id)
        )
    )


def mark_stored(db: Session, ids: list[int], at: dt.datetime) -> None:
    """The decisions ``ids`` are in the store now: no more changes."""
    if ids:
        db.execute(update(ReviewDecision).where(ReviewDecision.id.in_(ids)).values(applied_at=at))
    db.commit()


def mark_applied(db: Session, edition_id: str, until: dt.datetime | None = None) -> int:
    """Decisions stored (up to ``until``) before a run are in effect in the edition it made."""
    where = [ReviewDecision.applied_at.is_not(None), ReviewDecision.applied_in_edition.is_(None)]
    if until is not None:
        where.append(ReviewDecision.applied_at <= until)
    done = db.execute(update(ReviewDecision).where(*where).values(applied_in_edition=edition_id))
    db.commit()
    return done.rowcount
