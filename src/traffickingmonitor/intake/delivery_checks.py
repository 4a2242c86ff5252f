"""The checks of a delivery: small functions, each yielding the findings of one rule.

Every check takes the delivery as read, the previous delivery (None without a store) and the
completeness table, and yields ``Finding``s; ``CHECKS`` is their order in the report.
Identifiers are never shown: persons are told apart by hashed keys, and a finding names
registration ids (the organisation's own reference) and counts only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pandas as pd

from traffickingmonitor.codes import api as codes
from traffickingmonitor.intake.delivery import (
    NO_PREVIOUS,
    Completeness,
    Delivery,
    DeliveryRow,
    Finding,
    count_persons,
    invalid_file,
    raw_filled,
)
from traffickingmonitor.intake.delivery_previous import PreviousDelivery
from traffickingmonitor.intake.errors import SHOWN_ERRORS
from traffickingmonitor.intake.schema import SCHEMAS

# A month is unusual at three times the organisation's median month (the rule of
# thumb), but only from this many registrations: an organisation registering one or two a
# month reaches three times its median by chance every year.
SPIKE_FACTOR = 3.0
SPIKE_MIN_REGISTRATIONS = 10
# A jump in "unknown" is worth a look from 15 percentage points between two years (a change an
# analyst sees in a published table), and only when it is unlikely to be chance: z >= 3 in a
# two-proportion test (about 1 in 700 comparisons of a steady organisation), as there are
# many fields, organisations and years to compare.
UNKNOWN_JUMP = 0.15
UNKNOWN_JUMP_Z = 3.0
# A field whose share filled falls by 20 percentage points from the previous delivery of the
# same organisation has likely lost a source column or a mapping, not changed in practice.
COMPLETENESS_DROP = 0.20
# A new delivery repeats the history of the previous one; corrections remove a few
# registrations, more than 2% fewer suggests a missing part (a year, a region, an export).
ROWS_DROP = 0.02
# Fields of registrations whose "unknown" share is watched (coded fields; empty is unknown).
UNKNOWN_FIELDS = tuple(
    f.name
    for f in SCHEMAS["registrations"].fields
    if f.type in ("code", "codes", "country") and not f.required
)
_EXAMPLES = 3

Check = Callable[[Delivery, PreviousDelivery | None, list[Completeness]], Iterator[Finding]]


UNRECOGNISED_ORG = "?"


def _orgs(frame: pd.DataFrame) -> pd.Series:
    """The reporting organisation of each row; anything but a known code is "?".

    An invalid file may hold anything in that column (a shifted header puts names there), and
    an organisation is shown.
    """
    if "reporting_org" not in frame:
        return pd.Series(UNRECOGNISED_ORG, index=frame.index)
    lowered = frame["reporting_org"].astype(str).str.lower()
    return lowered.where(lowered.isin(codes.REPORTING_ORG.values), UNRECOGNISED_ORG)


# --- summary and completeness -------------------------------------------------------------


def summary_rows(delivery: Delivery, previous: PreviousDelivery | None) -> list[DeliveryRow]:
    """Registrations per organisation (over its files), every other file on its own."""
    rows: list[DeliveryRow] = []
    by_org: dict[str, list] = {}
    for f in delivery.of_kind("registrations"):
        if f.raw is None:
            rows.append(DeliveryRow((f.name,), f.kind, None, f.status, None, None, None, None))
            continue
        for org, part in f.raw.groupby(_orgs(f.raw), sort=False):
            by_org.setdefault(org, []).append((f, part))
    for org, parts in by_org.items():
        valid = all(f.typed is not None for f, _ in parts)
        persons = None
        if valid:
            keys = pd.concat([f.typed.loc[_orgs(f.typed) == org, "person_key"] for f, _ in parts])
            persons = count_persons(keys)
        statuses = {f.status for f, _ in parts}
        rows.append(
            DeliveryRow(
                files=tuple(f.name for f, _ in parts),
                kind="registrations",
                org=org,
                status="valid" if valid else ("invalid" if "invalid" in statuses else "unreadable"),
                rows=sum(len(p) for _, p in parts),
                persons=persons,
                previous_rows=previous.org_rows.get(org) if previous else None,
                previous_persons=previous.org_persons.get(org) if previous else None,
            )
        )
    if previous:
        for org in sorted(set(previous.org_rows) - set(by_org)):
            rows.append(
                DeliveryRow(
                    (),
                    "registrations",
                    org,
                    "not delivered",
                    None,
                    None,
                    previous.org_rows[org],
                    previous.org_persons[org],
                )
            )
    for f in delivery.files:
        if f.kind == "registrations":
            continue
        before = previous.files.get(f.name) if previous else None
        rows.append(
            DeliveryRow(
                (f.name,),
                f.kind,
                None,
                f.status,
                None if f.raw is None else len(f.raw),
                None,
                before[1] if before and before[0] == f.kind else None,
                None,
            )
        )
    return rows


def completeness(delivery: Delivery, previous: PreviousDelivery | None) -> list[Completeness]:
    """Share filled per field: per organisation for registrations, per file for events."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in delivery.files:
        if f.raw is None or f.kind not in ("registrations", "events"):
            continue
        groups = _orgs(f.raw) if f.kind == "registrations" else pd.Series(f.name, f.raw.index)
        for name in SCHEMAS[f.kind].names:
            filled = raw_filled(f.raw, name)
            for group, n_filled in (
                filled.groupby(groups, sort=False).agg(["sum", "size"]).iterrows()
            ):
                total = counts.setdefault((group, name), [0, 0])
                total[0] += int(n_filled["sum"])
                total[1] += int(n_filled["size"])
    return [
        Completeness(
            group,
            name,
            filled,
            n,
            previous.completeness.get((group, name)) if previous else None,
        )
        for (group, name), (filled, n) in counts.items()
    ]


# --- checks -------------------------------------------------------------------------------


def validation(delivery, previous, table) -> Iterator[Finding]:
    """Every file that the validator (or the reader) refuses: each shown error is a finding."""
    for f in delivery.files:
        if f.error is None:
            continue
        invalid = invalid_file(f.error)
        if invalid is None:
            yield Finding("error", "validation", f.name, None, None, str(f.error))
            continue
        for e in invalid.errors[:SHOWN_ERRORS]:
            figures = {"row": e.row} if hasattr(e, "row") else {}
            yield Finding(
                "error",
                "validation",
                f.name,
                None,
                getattr(e, "column", None),
                e.describe(),
                figures,
            )
        hidden = invalid.total - min(len(invalid.errors), SHOWN_ERRORS)
        if hidden > 0:
            yield Finding(
                "error",
                "validation",
                f.name,
                None,
                None,
                f"{hidden:,} more error(s) in this file",
                {"errors": invalid.total},
            )


def unknown_files(delivery, previous, table) -> Iterator[Finding]:
    for name in delivery.ignored:
        yield Finding(
            "warning",
            "unknown file",
            name,
            None,
            None,
            "not a data standard file name (names start with the kind of file, e.g. "
            "registrations_police.csv): not checked; rename it if it holds data for the edition",
        )


def duplicate_ids(delivery, previous, table) -> Iterator[Finding]:
    """Registration ids twice in one file or in two files (``run`` refuses both)."""
    seen: list[tuple[str, pd.Index]] = []
    for f in delivery.of_kind("registrations"):
        if f.raw is None or "registration_id" not in f.raw:
            continue
        ids = f.raw["registration_id"]
        ids = ids[ids != ""]
        twice = ids[ids.duplicated()].unique()
        if len(twice):
            yield Finding(
                "error",
                "duplicate ids",
                f.name,
                None,
                "registration_id",
                f"{len(twice):,} registration id(s) appear more than once in the file "
                f"(e.g. {_examples(twice)})",
                {"ids": len(twice)},
            )
        unique = pd.Index(ids.unique())
        for other, other_ids in seen:
            both = unique.intersection(other_ids)
            if len(both):
                yield Finding(
                    "error",
                    "duplicate ids",
                    f.name,
                    None,
                    "registration_id",
                    f"{len(both):,} registration id(s) also in {other} (e.g. {_examples(both)}); "
                    "ids must be unique across the files of an edition",
                    {"ids": len(both), "other_file": other},
                )
        seen.append((f.name, unique))


def same_person_same_day(delivery, previous, table) -> Iterator[Finding]:
    """One organisation registering the same person (exact key) twice on one day."""
    regs = delivery.registrations()
    keyed = regs[regs["person_key"].notna()]
    if keyed.empty:
        return
    group = ["reporting_org", "person_key", "registered_on"]
    sizes = keyed.groupby(group)["registration_id"].transform("size")
    twice = keyed[sizes > 1]
    for org, part in twice.groupby("reporting_org", sort=True):
        pairs = part.groupby(["person_key", "registered_on"])["registration_id"].agg(list)
        shown = "; ".join(" and ".join(ids) for ids in pairs.head(_EXAMPLES))
        yield Finding(
            "warning",
            "same person same day",
            ", ".join(sorted(part["file"].unique())),
            org,
            None,
            f"{len(pairs):,} time(s) the same person was registered more than once on one day "
            f"(registration ids {shown}{'; ...' if len(pairs) > _EXAMPLES else ''})",
            {"cases": len(pairs), "registrations": len(part)},
        )


def month_spikes(delivery, previous, table) -> Iterator[Finding]:
    """Months with at least ``SPIKE_FACTOR`` times the organisation's median month."""
    regs = delivery.registrations()
    for org, part in regs.groupby("reporting_org", sort=True):
        months = part["registered_on"].dt.to_period("M")
        counts = months.value_counts().sort_index()
        span = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
        counts = counts.reindex(span, fill_value=0)  # a month without registrations counts
        median = float(counts.median())
        limit = max(SPIKE_FACTOR * median, SPIKE_MIN_REGISTRATIONS)
        for month, n in counts[counts >= limit].items():
            yield Finding(
                "warning",
                "month spike",
                ", ".join(sorted(part["file"].unique())),
                org,
                "registered_on",
                f"{n:,} registrations in {month}, {n / median:.1f} times the median month "
                f"({median:g})"
                if median
                else f"{n:,} registrations in {month}; the median month has none",
                {"month": str(month), "registrations": int(n), "median": median},
            )


def unknown_jumps(delivery, previous, table) -> Iterator[Finding]:
    """A rise in the share of "unknown" in a coded field from one year to the next."""
    regs = delivery.registrations()
    if regs.empty:
        return
    years = regs["registered_on"].dt.year
    for org, part in regs.groupby("reporting_org", sort=True):
        year = years.loc[part.index]
        for name in UNKNOWN_FIELDS:
            if name not in part:
                continue
            unknown = (part[name] == codes.UNKNOWN).groupby(year).agg(["sum", "size"])
            for (y0, before), (y1, after) in zip(
                unknown.iterrows(), list(unknown.iterrows())[1:], strict=False
            ):
                if y1 != y0 + 1:
                    continue
                p0, p1 = before["sum"] / before["size"], after["sum"] / after["size"]
                z = _two_proportion_z(before["sum"], before["size"], after["sum"], after["size"])
                if p1 - p0 >= UNKNOWN_JUMP and z >= UNKNOWN_JUMP_Z:
                    yield Finding(
                        "warning",
                        "unknown jump",
                        ", ".join(sorted(part["file"].unique())),
                        org,
                        name,
                        f'"unknown" rose from {p0:.0%} in {y0} to {p1:.0%} in {y1} '
                        f"({int(after['sum']):,} of {int(after['size']):,} registrations)",
                        {"year": int(y1), "share_before": round(p0, 3), "share": round(p1, 3)},
                    )


def _two_proportion_z(x0: int, n0: int, x1: int, n1: int) -> float:
    pooled = (x0 + x1) / (n0 + n1)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    return (x1 / n1 - x0 / n0) / se if se else 0.0


def completeness_drops(delivery, previous, table) -> Iterator[Finding]:
    """A field far emptier than last time, or empty for one organisation while others fill it."""
    by_field: dict[str, list[Completeness]] = {}
    for c in table:
        by_field.setdefault(c.field, []).append(c)
        if c.previous_share is not None and c.previous_share - c.share >= COMPLETENESS_DROP:
            yield Finding(
                "warning",
                "completeness",
                None,
                c.group,
                c.field,
                f"filled in {c.share:.0%} of {c.rows:,} rows; {c.previous_share:.0%} in the "
                "previous delivery",
                {"share": round(c.share, 3), "previous_share": round(c.previous_share, 3)},
            )
    orgs = {r.org for r in summary_rows(delivery, None) if r.kind == "registrations"}
    for cells in by_field.values():
        regs = [c for c in cells if c.group in orgs]
        filled_elsewhere = [c for c in regs if c.filled]
        for c in regs:
            if c.filled == 0 and filled_elsewhere and not _dropped(c):
                yield Finding(
                    "warning",
                    "completeness",
                    None,
                    c.group,
                    c.field,
                    f"empty in all {c.rows:,} rows, while "
                    f"{', '.join(o.group for o in filled_elsewhere)} fill it",
                    {"share": 0.0},
                )


def _dropped(c: Completeness) -> bool:
    return c.previous_share is not None and c.previous_share - c.share >= COMPLETENESS_DROP


def previous_delivery(delivery, previous, table) -> Iterator[Finding]:
    """Fewer rows than last time, an organisation or a file not delivered again."""
    if previous is None:
        yield Finding(
            "info",
            "previous delivery",
            None,
            None,
            None,
            f"{NO_PREVIOUS} to compare with (give --db STORE with an edition)",
        )
        return
    for row in summary_rows(delivery, previous):
        if row.previous_rows is None:
            continue
        files = ", ".join(row.files) or None
        if row.rows is None:
            if row.status == "not delivered":
                yield Finding(
                    "warning",
                    "previous delivery",
                    None,
                    row.org,
                    None,
                    f"no registrations of {row.org} in this delivery; "
                    f"{row.previous_rows:,} in edition {previous.edition_id}",
                    {"previous_rows": row.previous_rows},
                )
            continue
        if row.rows < row.previous_rows * (1 - ROWS_DROP):
            yield Finding(
                "warning",
                "previous delivery",
                files,
                row.org,
                None,
                f"{row.rows:,} rows, {row.previous_rows - row.rows:,} fewer than the "
                f"{row.previous_rows:,} of edition {previous.edition_id}",
                {"rows": row.rows, "previous_rows": row.previous_rows},
            )
    delivered = {f.name for f in delivery.files}
    for name, (kind, n, _) in sorted(previous.files.items()):
        if name not in delivered:
            yield Finding(
                "warning",
                "previous delivery",
                name,
                None,
                None,
                f"in edition {previous.edition_id} ({kind}, {n:,} rows) but not in this delivery",
                {"previous_rows": n},
            )
    known = previous.hashes
    same = [f.name for f in delivery.files if f.sha256 in known]
    if same:
        yield Finding(
            "info",
            "previous delivery",
            ", ".join(same),
            None,
            None,
            f"{len(same)} file(s) byte for byte the same as in edition {previous.edition_id}",
            {"files": len(same)},
        )


def _examples(values) -> str:
    shown = [str(v) for v in list(values)[:_EXAMPLES]]
    return ", ".join(shown) + (", ..." if len(values) > _EXAMPLES else "")


CHECKS: tuple[Check, ...] = (
    validation,
    duplicate_ids,
    previous_delivery,
    completeness_drops,
    month_spikes,
    unknown_jumps,
    same_person_same_day,
    unknown_files,
)
