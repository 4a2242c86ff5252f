"""Approval of editions: an edition is a draft until an analyst or administrator approves it.

Only approved editions are public (dashboard, API, downloads). With four eyes on (a setting
in the state database, so ``serve`` and the CLI respect it alike) an edition needs two
different persons; the first approval is "1 of 2". The approvals live in the state database,
beside the audit log: the analytic store stays read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import EditionApproval, Setting, User, utcnow

APPROVER_ROLES = ("admin", "analyst")
FOUR_EYES = "four_eyes"


@dataclass(frozen=True)
class Status:
    """Where an edition stands: approved (public) or a draft with the approvals so far."""

    edition_id: str
    approved: bool
    approvers: tuple[str, ...] = ()  # standing approvals, oldest first
    needed: int = 1
    approved_at: object = None
    rows: tuple = field(default=(), compare=False)

    @property
    def draft(self) -> bool:
        return not self.approved

    def describe(self) -> str:
        if self.approved:
            return (
                f"approved by {', '.join(self.approvers)} ({self.approved_at:%Y-%m-%d %H:%M} UTC)"
            )
        if self.approvers:
            return f"draft, {len(self.approvers)} of {self.needed} approvals ({', '.join(self.approvers)})"
        return "draft"


def four_eyes(db: Session) -> bool:
    row = db.get(Setting, FOUR_EYES)
    return row is not None and row.value == "on"


def set_four_eyes(db: Session, on: bool, by: str) -> None:
    row = db.get(Setting, FOUR_EYES)
    if row is None:
        row = Setting(key=FOUR_EYES)
        db.add(row)
    row.value = "on" if on else "off"
    row.changed_by = by
    row.changed_at = utcnow()
    db.commit()


def approved_ids(db: Session) -> frozenset[str]:
    """The public editions (one small query: status is read per request, so an approval made
    by another worker or the CLI counts at once)."""
    rows = db.scalars(
        select(EditionApproval.edition_id).where(
            EditionApproval.complete.is_(True), EditionApproval.withdrawn_at.is_(None)
        )
    )
    return frozenset(rows)


def status(db: Session, edition_id: str) -> Status:
    rows = list(
        db.scalars(
            select(EditionApproval)
            .where(EditionApproval.edition_id == edition_id, EditionApproval.withdrawn_at.is_(None))
            .order_by(EditionApproval.id)
        )
    )
    done = next((r for r in rows if r.complete), None)
    needed = rows[-1].needed if rows else (2 if four_eyes(db) else 1)
    return Status(
        edition_id,
        done is not None,
        tuple(r.username for r in rows),
        needed,
        done.at if done else None,
        tuple(rows),
    )


def statuses(db: Session, edition_ids: list[str]) -> dict[str, Status]:
    return {e: status(db, e) for e in edition_ids}


def approver(db: Session, username: str) -> User:
    """The active user ``username`` with a role that may approve, else a ``UserError``."""
    name = username.strip().lower()
    user = db.scalar(select(User).where(User.username == name))
    if user is None:
        raise UserError(f"no user {username!r} in the state database (see `users list`)")
    if not user.active:
        raise UserError(f"user {name!r} is disabled")
    if user.role not in APPROVER_ROLES:
        raise UserError(
            f"user {name!r} has role {user.role}: only an admin or analyst may approve an edition"
        )
    return user


def approve(
    db: Session,
    edition_id: str,
    username: str,
    role: str,
    *,
    user_id: int | None = None,
    source: str = "web",
    reason: str = "",
) -> Status:
    """Record ``username``'s approval of the edition; the status after it.

    Refused (``UserError``) when the edition is already approved, or when this person has
    approved it already (four eyes are two persons).
    """
    if role not in APPROVER_ROLES:
        raise UserError(f"role {role} may not approve an edition")
    now = status(db, edition_id)
    if now.approved:
        raise UserError(f"edition {edition_id} is approved already ({now.describe()})")
    if username in now.approvers:
        raise UserError(
            f"{username} approved edition {edition_id} already: four eyes need a second person"
        )
    needed = 2 if four_eyes(db) else 1
    db.add(
        EditionApproval(
            edition_id=edition_id,
            username=username,
            user_id=user_id,
            role=role,
            source=source,
            reason=reason,
            needed=needed,
            complete=len(now.approvers) + 1 >= needed,
        )
    )
    db.commit()
    return status(db, edition_id)


def withdraw(db: Session, edition_id: str, username: str) -> int:
    """End every standing approval of the edition (it is a draft again); how many ended."""
    result = db.execute(
        update(EditionApproval)
        .where(EditionApproval.edition_id == edition_id, EditionApproval.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by=username)
    )
    db.commit()
    if not result.rowcount:
        raise UserError(f"edition {edition_id} has no approval to withdraw")
    return result.rowcount
