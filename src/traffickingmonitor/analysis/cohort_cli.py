"""``traffickingmonitor revictimisation``: the published re-victimisation figures of an edition.

A contract for checks by other tools. It reads the edition's stored tables and passes them
through disclosure control exactly as the report does, so it prints published values only:
a hidden count is its symbol (e.g. ``"<10"``), a hidden or non-estimable proportion is null.

Only typer is imported at module level: the main CLI imports this module on every start.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer


def revictimisation_command(
    db: Annotated[Path, typer.Option("--db", help="DuckDB store file.")],
    edition: Annotated[
        str | None, typer.Option("--edition", help="Edition id (default: the latest).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    threshold: Annotated[
        int | None,
        typer.Option("--threshold", min=2, help="Disclosure threshold (default: the edition's)."),
    ] = None,
) -> None:
    """Re-victimisation after the first registration (Aalen-Johansen), published values."""
    from traffickingmonitor import editions
    from traffickingmonitor.disclosure.api import rule_from_config
    from traffickingmonitor.disclosure.stored import protected_tables
    from traffickingmonitor.errors import UserError

    found, tables = editions.read_edition(db, edition)
    if "revictimisation" not in tables:
        reason = found.notes.get("revictimisation", {}).get("skipped")
        raise UserError(
            f"edition {found.edition_id} has no re-victimisation figures"
            + (f": {reason}" if reason else " (made before this analysis existed)")
        )
    # the edition's disclosure rule, over all its tables, as every output channel does:
    # secondary suppression depends on the other tables
    rule = rule_from_config(found.config.get("disclosure"), threshold=threshold)
    with _native_output_to_stderr():
        protected = protected_tables(db, found.edition_id, tables, rule, read_only=False)
    out = {
        "edition": found.edition_id,
        "cutoff": found.notes.get("revictimisation", {}).get("cutoff"),
        "disclosure": rule.to_dict(),
        **published_revictimisation(protected),
    }
    if json_out:
        typer.echo(json.dumps(out, allow_nan=False, ensure_ascii=False))
        return
    _print_rich(out)


@contextmanager
def _native_output_to_stderr():
    """Send what native code (the HiGHS solver) prints to stdout to stderr meanwhile.

    stdout carries the one JSON object of ``--json``; a solver message there would break it.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real file descriptor (e.g. a test runner's capture)
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def published_revictimisation(protected: dict) -> dict:
    """The published re-victimisation figures of an edition as plain JSON values.

    ``protected``: the edition's protected tables. ``cohort_size`` and counts are ints or the
    symbol of a hidden count; ``cif``, ``ci_low`` and ``ci_high`` are fractions, or None where
    hidden or not estimable. Horizons are keyed by years (``"5"``).
    """
    from traffickingmonitor.analysis.cohort import GROUP_BY
    from traffickingmonitor.analysis.revictimisation import PER
    from traffickingmonitor.disclosure.api import require_protected

    main = require_protected(protected["revictimisation"])
    horizon_months = main.spec.extra.get("horizon_months", [12, 24, 60, 84])

    def count(v):
        if v is None or isinstance(v, str):
            return v
        return None if v != v else int(v)  # NaN: not a number to publish

    def fraction(v):
        if v is None or isinstance(v, str) or v != v:
            return None
        return round(int(v) / PER, 4)

    def horizons(frame) -> dict:
        out = {}
        for m in horizon_months:
            rows = frame[frame["month"] == m]
            if rows.empty:
                continue
            r = rows.iloc[0]
            out[f"{m / 12:g}"] = {
                "cif": fraction(r["cif_per_10000"]),
                "ci_low": fraction(r["ci_low_per_10000"]),
                "ci_high": fraction(r["ci_high_per_10000"]),
                "at_risk": count(r["at_risk"]),
                "events": count(r["events"]),
            }
        return out

    def size(frame):
        rows = frame[frame["month"] == 0]
        return count(rows.iloc[0]["at_risk"]) if len(rows) else None

    frame = main.frame
    overall = frame[frame["offence_group"] == "any"]
    by_offence = {
        g: horizons(part)
        for g, part in frame[frame["offence_group"] != "any"].groupby("offence_group", sort=False)
    }
    by_group: dict = {}
    for by in GROUP_BY:
        table = protected.get(f"revictimisation_{by}")
        if table is None:
            continue
        sub = require_protected(table).frame
        by_group[by] = {
            str(g): {"persons": size(part), "horizons": horizons(part)}
            for g, part in sub.groupby(by, sort=False)
        }
    return {
        "cohort_size": size(overall),
        "overall": horizons(overall),
        "by_offence_group": by_offence,
        "by_group": by_group,
    }


def _print_rich(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    def pct(h: dict) -> str:
        if h["cif"] is None:
            return "–"
        interval = (
            f" ({100 * h['ci_low']:.1f}–{100 * h['ci_high']:.1f})"
            if h["ci_low"] is not None and h["ci_high"] is not None
            else ""
        )
        return f"{100 * h['cif']:.1f}%{interval}"

    console = Console()
    console.print(
        f"edition {out['edition']}: cohort of {out['cohort_size']} persons, "
        f"data cut-off {out['cutoff']}"
    )
    years = list(out["overall"])
    t = Table(title="Victimised again (cumulative incidence, 95% interval)")
    t.add_column("offence group")
    for y in years:
        t.add_column(f"{y} yr", justify="right")
    t.add_row("any", *[pct(out["overall"][y]) for y in years])
    for g, hs in out["by_offence_group"].items():
        t.add_row(g, *[pct(hs[y]) if y in hs else "–" for y in years])
    console.print(t)
