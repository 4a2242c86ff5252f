"""What the store tells of an edition's quality: fields filled and the linkage's match weights.

Read once per report and shared with the staff workspace (one figure, one definition). Only
shares and counts of pairs leave here, never a value of a registration. The report rounds
them before they are shown (``sources_quality``), since they are not in the protected tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Registration columns that are the row's identity or its organisation, not a field to fill.
NOT_FIELDS = ("file_hash", "registration_id", "reporting_org")


def _filled(name: str, typ: str) -> str:
    """SQL: the field is filled (not empty, not ``unknown``; a list is not empty)."""
    q = f'"{name}"'
    if typ.endswith("[]"):
        return f"{q} IS NOT NULL AND len({q}) > 0"
    if typ == "VARCHAR":
        return f"{q} IS NOT NULL AND {q} NOT IN ('', 'unknown')"
    return f"{q} IS NOT NULL"


def registration_fields(con) -> list[tuple[str, str]]:
    """The stored registration columns that are fields (name, DuckDB type)."""
    described = con.execute("DESCRIBE registrations").fetchall()
    return [(name, typ) for name, typ, *_ in described if name not in NOT_FIELDS]


def field_completeness(con, edition_id: str, *, per_org: bool) -> list[tuple]:
    """Rows of (organisation or None, registrations, share filled per field ...) in the order
    of ``registration_fields``; one row for the whole edition unless ``per_org``."""
    from traffickingmonitor.analysis.persons import EDITION_REGISTRATIONS

    shares = [
        f"avg(CASE WHEN {_filled(n, t)} THEN 1.0 ELSE 0.0 END)" for n, t in registration_fields(con)
    ]
    key = "reporting_org" if per_org else "NULL"
    group = " GROUP BY reporting_org ORDER BY reporting_org" if per_org else ""
    return con.execute(
        f"WITH reg AS ({EDITION_REGISTRATIONS}) SELECT {key}, count(*), "
        + ", ".join(shares)
        + f" FROM reg{group}",
        {"edition": edition_id},
    ).fetchall()


def match_weight_histogram(con, edition_id: str) -> dict[int, int]:
    """Stored pairs (those at or above the link floor) per whole match weight."""
    rows = con.execute(
        "SELECT floor(match_weight)::INTEGER AS bin, count(*) FROM edition_links "
        "WHERE edition_id = ? GROUP BY bin ORDER BY bin",
        [edition_id],
    ).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class EditionQuality:
    """``completeness``: share filled per stored field over all the edition's registrations;
    ``histogram``: stored pairs per whole match weight (empty: no linkage model)."""

    completeness: dict[str, float] = field(default_factory=dict)
    histogram: dict[int, int] = field(default_factory=dict)


def read_quality(db, edition_id: str) -> EditionQuality:
    """The edition's quality, from a store file or an open connection."""
    from traffickingmonitor import store

    with store.reading(db) as con:
        names = [n for n, _ in registration_fields(con)]
        row = field_completeness(con, edition_id, per_org=False)[0]
        completeness = {} if not row[1] else dict(zip(names, map(float, row[2:]), strict=True))
        has_links = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'edition_links'"
        ).fetchone()[0]
        histogram = match_weight_histogram(con, edition_id) if has_links else {}
    return EditionQuality(completeness, histogram)
