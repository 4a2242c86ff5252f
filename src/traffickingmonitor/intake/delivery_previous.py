"""The previous delivery, as the latest edition of a store holds it (read-only, never written).

Figures are made to match those of a new delivery: rows and exact-key persons per reporting
organisation, rows per file name, and the share filled per field (from the stored columns
that stand for a delivered field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traffickingmonitor import editions, store
from traffickingmonitor.intake.delivery import PERSON_KEY_SQL
from traffickingmonitor.intake.schema import SCHEMAS

# The stored column standing for a delivered field where the names differ (identifiers are
# stored as tokens). ``birth_year`` is left out: the store fills it from the birth date, so
# its share is not the share delivered.
_STORED = {
    "national_id": "nid_token",
    "family_name": "family_token",
    "given_names": "given_token",
    "birth_date": "birth_date_token",
    "exploitation_form": "exploitation_forms",
}
_NOT_COMPARABLE = {"birth_year"}


@dataclass
class PreviousDelivery:
    edition_id: str
    org_rows: dict[str, int] = field(default_factory=dict)
    org_persons: dict[str, int] = field(default_factory=dict)
    # file name -> (kind, rows, sha256)
    files: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    # (org for registrations / file name for events, field) -> share filled
    completeness: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def hashes(self) -> dict[str, str]:
        return {sha: name for name, (_, _, sha) in self.files.items()}


def _filled_sql(name: str) -> str:
    column = _STORED.get(name, name)
    if column == "exploitation_forms":
        return (
            "(exploitation_forms IS NOT NULL AND NOT list_contains(exploitation_forms, 'unknown'))"
        )
    return f"({column} IS NOT NULL AND lower(CAST({column} AS VARCHAR)) NOT IN ('', 'unknown'))"


def read_previous(db: Path) -> PreviousDelivery | None:
    """The latest edition's figures, or None for a store without editions."""
    con = store.connect(db, read_only=True)
    try:
        found = editions.list_editions(con)
        if not found:
            return None
        edition = found[-1]
        previous = PreviousDelivery(edition.edition_id)
        files = con.execute(
            "SELECT i.file_name, i.kind, f.n_rows, i.file_hash FROM edition_inputs i "
            "JOIN import_files f USING (file_hash) WHERE i.edition_id = ?",
            [edition.edition_id],
        ).fetchall()
        previous.files = {name: (kind, int(n), sha) for name, kind, n, sha in files}
        hashes = {"h": [sha for _, _, _, sha in files]}
        regs = SCHEMAS["registrations"].names
        fields = [f for f in regs if f not in _NOT_COMPARABLE]
        shares = ", ".join(f"avg(CAST({_filled_sql(f)} AS DOUBLE))" for f in fields)
        rows = con.execute(
            f"SELECT reporting_org, count(*), count(DISTINCT {PERSON_KEY_SQL}), "
            f"count(*) FILTER (WHERE ({PERSON_KEY_SQL}) IS NULL), {shares} "
            "FROM registrations WHERE list_contains($h, file_hash) GROUP BY reporting_org",
            hashes,
        ).fetchall()
        for org, n, keyed, unkeyed, *share in rows:
            previous.org_rows[org] = int(n)
            previous.org_persons[org] = int(keyed) + int(unkeyed)
            previous.completeness.update({(org, f): s for f, s in zip(fields, share, strict=True)})
        events = [f for f in SCHEMAS["events"].names if f not in _NOT_COMPARABLE]
        shares = ", ".join(f"avg(CAST({_filled_sql(f)} AS DOUBLE))" for f in events)
        rows = con.execute(
            f"SELECT i.file_name, {shares} FROM events e JOIN edition_inputs i "
            "ON i.file_hash = e.file_hash AND i.edition_id = $e GROUP BY i.file_name",
            {"e": edition.edition_id},
        ).fetchall()
        for name, *share in rows:
            previous.completeness.update({(name, f): s for f, s in zip(events, share, strict=True)})
        return previous
    finally:
        con.close()
