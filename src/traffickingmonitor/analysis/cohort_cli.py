"""``traffickingmonitor revictimisation``: the published re-victimisation figures of an edition.

A contract for checks by other tools. It reads the edition's stored tables and passes them
through disclosure control exactly as the report does, so it prints published values only:
a hidden count is its symbol (e.g. ``"<10"``), a hidden or non-estimable proportion is null.

Only typer is imported at module level: the main CLI imports this module on every start.
"""

from __future__ import annotations

import json
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
        int, typer.Option("--threshold", min=2, help="Disclosure threshold.")
    ] = 10,
) -> None:
    """Re-victimisation after the first registration (Aalen-Johansen), published values."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.disclosure.api import PrimaryRule, protect_edition
    from traffickingmonitor.errors import UserError

    con = store.connect(db, read_only=True)
    try:
        found = editions.get_edition(con, edition)
        tables = editions.load_tables(con, found.edition_id)
    finally:
        con.close()
    if "revictimisation" not in tables:
        reason = found.notes.get("revictimisation", {}).get("skipped")
        raise UserError(
            f"edition {found.edition_id} has no re-victimisation figures"
            + (f": {reason}" if reason else " (made before this analysis existed)")
        )
    rule = PrimaryRule(threshold)
    # protect the whole edition, as every output channel does (secondary suppression may
    # depend on the other tables)
    protected = protect_edition(tables, rule)["revictimisation"]
    out = published_revictimisation(protected)
    out = {
        "edition": found.edition_id,
        "cutoff": found.notes.get("revictimisation", {}).get("cutoff"),
        "disclosure": rule.to_dict(),
        **out,
    }
    if json_out:
        typer.echo(json.dumps(out, allow_nan=False, ensure_ascii=False))
        return
    _print_rich(out)


def published_revictimisation(table) -> dict:
    """The published figures of a protected ``revictimisation`` table as plain JSON values.

    ``cohort_size`` and counts are ints or the suppression symbol; ``cif``, ``ci_low`` and
    ``ci_high`` are fractions, or None where hidden or not estimable.
    """
    from traffickingmonitor.analysis.revictimisation import PER
    from traffickingmonitor.disclosure.api import require_protected

    require_protected(table)
    frame = table.frame

    def count(v):
        return v if isinstance(v, str) else (None if v is None else int(v))

    def fraction(v):
        return None if v is None or isinstance(v, str) else round(int(v) / PER, 4)

    def horizons(rows) -> dict:
        return {
            str(int(r.horizon_years)): {
                "cif": fraction(r.cif_per_10000),
                "ci_low": fraction(r.ci_low_per_10000),
                "ci_high": fraction(r.ci_high_per_10000),
                "at_risk": count(r.at_risk),
                "events": count(r.events),
            }
            for r in rows.itertuples()
        }

    overall = frame[(frame["group_by"] == "all") & (frame["offence_group"] == "any")]
    size = count(overall.iloc[0]["persons"]) if len(overall) else 0
    by_offence = {
        g: horizons(part)
        for g, part in frame[
            (frame["group_by"] == "all") & (frame["offence_group"] != "any")
        ].groupby("offence_group", sort=False)
    }
    by_group: dict = {}
    sub = frame[(frame["group_by"] != "all") & (frame["offence_group"] == "any")]
    for (group_by, group), part in sub.groupby(["group_by", "group"], sort=False):
        by_group.setdefault(group_by, {})[str(group)] = {
            "persons": count(part.iloc[0]["persons"]),
            "horizons": horizons(part),
        }
    return {
        "cohort_size": size,
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
