"""Municipal self-assessment: nine criteria per municipality and year, with notes and history.

Every save adds rows (nothing is overwritten), so the history is the table itself and the
current answer to a criterion is its latest row.
"""

from __future__ import annotations

import datetime as dt

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from traffickingmonitor.codes.api import ASSESSMENT_CRITERION, ASSESSMENT_VALUE
from traffickingmonitor.publish.web.state import Assessment, User, utcnow

FIRST_YEAR = 2022  # municipalities must have an approach since 2022
MAX_NOTE = 2000


def year_choices() -> list[int]:
    return list(range(dt.date.today().year, FIRST_YEAR - 1, -1))


def parse_year(text: str | None, strict: bool = False) -> int:
    choices = year_choices()
    if not text and not strict:
        return choices[0]
    try:
        year = int(str(text))
    except ValueError:
        raise HTTPException(400, "bad year") from None
    if year not in choices:
        raise HTTPException(400, "year out of range")
    return year


def criteria(lang: str) -> list[dict]:
    return [{"code": c.code, "label": c.label(lang)} for c in ASSESSMENT_CRITERION.codes]


def values(lang: str) -> list[dict]:
    return [{"code": c.code, "label": c.label(lang)} for c in ASSESSMENT_VALUE.codes]


def parse_form(form) -> list[tuple[str, str, str]]:
    """``[(criterion, value, note)]`` for every criterion; 400 on an unknown value."""
    answers = []
    for code in ASSESSMENT_CRITERION.order():
        value = str(form.get(f"value_{code}", "unknown"))
        if value not in ASSESSMENT_VALUE.values:
            raise HTTPException(400, f"bad value for {code}")
        note = str(form.get(f"note_{code}", "")).strip()
        if len(note) > MAX_NOTE:
            raise HTTPException(400, f"note for {code} is longer than {MAX_NOTE} characters")
        answers.append((code, value, note))
    return answers


def load(db: Session, municipality: str, year: int) -> tuple[dict, list[dict]]:
    """Current answers ``{criterion: {value, note}}`` and the history, newest first."""
    rows = db.execute(
        select(Assessment, User.username)
        .outerjoin(User, Assessment.user_id == User.id)
        .where(Assessment.municipality == municipality, Assessment.year == year)
        .order_by(Assessment.id)
    ).all()
    current: dict = {}
    history = []
    for a, username in rows:
        current[a.criterion] = {"value": a.value, "note": a.note}
        history.append(
            {
                "at": a.saved_at.strftime("%Y-%m-%d %H:%M:%S"),
                "user": username or "-",
                "criterion": a.criterion,
                "value": a.value,
                "note": a.note,
            }
        )
    return current, list(reversed(history))


def save(db: Session, municipality: str, year: int, answers: list, user_id: int | None) -> set[str]:
    """Add a row for every criterion whose answer changed; returns those criteria."""
    current, _ = load(db, municipality, year)
    now = utcnow()
    changed = set()
    for code, value, note in answers:
        before = current.get(code)
        if before and before["value"] == value and before["note"] == note:
            continue
        if before is None and value == "unknown" and not note:
            continue
        db.add(
            Assessment(
                municipality=municipality,
                year=year,
                criterion=code,
                value=value,
                note=note,
                user_id=user_id,
                saved_at=now,
            )
        )
        changed.add(code)
    db.commit()
    return changed
