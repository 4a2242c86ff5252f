"""Delivery checks: read an input folder as ``run`` would, compare it, and report findings.

Nothing is written anywhere: files are read and validated with ``intake``'s own reader and
validator, a previous delivery is read from a store opened read-only, and the result is a
``DeliveryReport`` of typed findings (Frictionless style) and summary rows per file and
reporting organisation. The checks themselves live in ``delivery_checks``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from traffickingmonitor.errors import UserError
from traffickingmonitor.intake import checks, discover, pseudonymise, readers
from traffickingmonitor.intake.errors import InvalidFile
from traffickingmonitor.intake.schema import SCHEMAS, kind_of

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# One exact key per person, in SQL so that the store and a new delivery are counted alike:
# the national id where given, else the name with the birth date (or year). No fuzzy linkage:
# that is the pipeline's work, and would need the key.
PERSON_KEY_SQL = (
    "CASE WHEN nid_token IS NOT NULL THEN 'n' || nid_token "
    "WHEN name_token IS NOT NULL AND birth_date_token IS NOT NULL "
    "THEN 'd' || name_token || birth_date_token "
    "WHEN name_token IS NOT NULL AND birth_year IS NOT NULL "
    "THEN 'y' || name_token || CAST(birth_year AS VARCHAR) END"
)
PERSONS_NOTE = (
    "persons = distinct exact person keys: the national id where given, else family and given "
    "names with the birth date (or year); a registration without any of these counts as one "
    "person. Identifiers are hashed in memory with a one-off random key (no key needed, "
    "nothing stored or shown); linked persons of an edition (typos, swapped names) are fewer."
)
NO_PREVIOUS = "no previous delivery"


@dataclass(frozen=True)
class Finding:
    """One thing an analyst should look at (or must fix, when the severity is ``error``)."""

    severity: Severity
    check: str
    file: str | None
    org: str | None
    field: str | None
    message: str
    figures: Mapping[str, int | float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryRow:
    """Rows and persons of one file (for registrations: of one organisation in its files)."""

    files: tuple[str, ...]
    kind: str
    org: str | None
    status: str  # "valid" | "invalid" | "unreadable"
    rows: int | None
    persons: int | None
    previous_rows: int | None
    previous_persons: int | None


@dataclass(frozen=True)
class Completeness:
    """Share of rows with a value (not empty, not "unknown") in one field of one group.

    ``group`` is the reporting organisation for registrations, the file name otherwise.
    """

    group: str
    field: str
    filled: int
    rows: int
    previous_share: float | None

    @property
    def share(self) -> float:
        return self.filled / self.rows if self.rows else 0.0


@dataclass
class DeliveryReport:
    input_dir: Path
    checked_at: dt.datetime
    previous_edition: str | None
    rows: list[DeliveryRow]
    completeness: list[Completeness]
    findings: list[Finding]
    persons_note: str = PERSONS_NOTE

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def named(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


@dataclass
class DeliveryFile:
    """One standard file as read: its raw strings, and typed (and hashed) when it is valid."""

    path: Path
    kind: str
    sha256: str | None = None
    raw: pd.DataFrame | None = None
    typed: pd.DataFrame | None = None
    error: UserError | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def status(self) -> str:
        if self.raw is None:
            return "unreadable"
        return "invalid" if self.typed is None else "valid"


@dataclass
class Delivery:
    input_dir: Path
    files: list[DeliveryFile]
    ignored: list[str]

    def of_kind(self, kind: str) -> list[DeliveryFile]:
        return [f for f in self.files if f.kind == kind]

    def registrations(self) -> pd.DataFrame:
        """The valid registration files as one typed frame, with ``file`` and ``person_key``."""
        frames = [
            f.typed.assign(file=f.name)
            for f in self.of_kind("registrations")
            if f.typed is not None
        ]
        if not frames:
            return pd.DataFrame(columns=["file", "reporting_org", "registered_on", "person_key"])
        return pd.concat(frames, ignore_index=True)


def read_delivery(input_dir: Path) -> Delivery:
    """Read and validate every standard file; a bad file is kept with its error, never raised."""
    paths, other = discover.discover(input_dir)
    # Counting persons needs hashed identifiers, not the monitor's key: a random key used for
    # this check only gives the same counts and can never link to the store.
    key = pseudonymise.Key(secrets.token_bytes(32))
    files = [_read_file(path, key) for path in paths]
    return Delivery(input_dir, files, [p.name for p in other])


def _read_file(path: Path, key: pseudonymise.Key) -> DeliveryFile:
    kind = kind_of(path.name)
    assert kind is not None  # discover returns standard file names only
    found = DeliveryFile(path, kind)
    try:
        raw = readers.read_table(path)
        found.sha256, found.raw = raw.sha256, raw.frame
        typed = checks.validate(raw, SCHEMAS[kind])
    except UserError as exc:
        found.error = exc
        return found
    if kind == "registrations":
        hashed = pseudonymise.pseudonymise(typed, key)
        typed = typed.assign(person_key=person_keys(hashed))
    found.typed = typed
    return found


def person_keys(hashed: pd.DataFrame) -> pd.Series:
    """``PERSON_KEY_SQL`` over a pseudonymised frame (None where a row has no person reference)."""
    columns = ["nid_token", "name_token", "birth_date_token", "birth_year"]
    con = duckdb.connect()
    try:
        con.register("hashed", hashed[columns].assign(row_no=range(len(hashed))))
        keys = con.execute(
            f"SELECT {PERSON_KEY_SQL} AS person_key FROM hashed ORDER BY row_no"
        ).df()["person_key"]
    finally:
        con.close()
    keys.index = hashed.index
    return keys


def count_persons(keys: pd.Series) -> int:
    """Distinct keys, plus one person per row without a key."""
    return int(keys.dropna().nunique() + keys.isna().sum())


def check_delivery(input_dir: Path, db: Path | None = None) -> DeliveryReport:
    """Check the files of ``input_dir``, against the latest edition in ``db`` when given."""
    from traffickingmonitor.intake import delivery_checks, delivery_previous

    delivery = read_delivery(input_dir)
    previous = delivery_previous.read_previous(db) if db is not None else None
    completeness = delivery_checks.completeness(delivery, previous)
    findings = [
        f for check in delivery_checks.CHECKS for f in check(delivery, previous, completeness)
    ]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])  # stable: within a severity, check order
    return DeliveryReport(
        input_dir=input_dir,
        checked_at=dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None),
        previous_edition=previous.edition_id if previous else None,
        rows=delivery_checks.summary_rows(delivery, previous),
        completeness=completeness,
        findings=findings,
    )


def raw_filled(raw: pd.DataFrame, name: str) -> pd.Series:
    """Rows with a value in ``name``: not empty and not the code "unknown" (as the validator)."""
    return pd.Series(checks.Parsed(raw=raw, typed={}).filled(name), index=raw.index)


def invalid_file(error: UserError) -> InvalidFile | None:
    return error if isinstance(error, InvalidFile) else None
