"""``traffickingmonitor disclosure-check``: play the attacker against an edition's outputs.

Registered as a command by the CLI; heavy imports happen inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer

from traffickingmonitor.errors import UserError


def disclosure_check_command(
    db: Path = typer.Option(..., "--db", help="DuckDB store file."),
    edition: str | None = typer.Option(None, "--edition", help="Edition id (default: the latest)."),
    method: str | None = typer.Option(
        None, "--disclosure", help="suppression|rounding|dp (default: the edition's own)."
    ),
    microdata: bool = typer.Option(
        False,
        "--microdata",
        help="Also attack from the microdata: every count a sum of atoms (slow: minutes).",
    ),
    known: str = typer.Option(
        "tables",
        "--known",
        help="With --microdata, which combinations of cells the attacker knows to occur: "
        "tables (within each table; tables linked by the persons per year and by figures "
        "repeated under another name) or edition (across all tables: more than any reader).",
    ),
    channels: bool = typer.Option(
        True,
        "--channels/--no-channels",
        help="Also read the dashboard's pages and the API as every role, against the open data "
        "(the edition's own disclosure method only).",
    ),
) -> None:
    """Protect an edition as every channel does and try to recover hidden counts.

    Prints a verdict per table and per channel of the web server (API and pages, per role);
    exit code 0 only when every check passes. With ``--microdata``, every count table must
    also be attacked from the microdata, with nothing recovered ("not attacked" fails).
    """
    from traffickingmonitor.disclosure.atoms import VIEWS
    from traffickingmonitor.disclosure.check import check_edition

    if method is not None and method not in ("suppression", "rounding", "dp"):
        raise UserError(f"--disclosure must be suppression, rounding or dp, not {method!r}")
    if known not in VIEWS:
        raise UserError(f"--known must be {' or '.join(VIEWS)}, not {known!r}")
    from traffickingmonitor.cli import progress_steps

    with progress_steps() as step:
        result = check_edition(
            db,
            edition,
            method,
            microdata=known if microdata else None,
            channels=channels,
            step=step,
        )
    for line in result.lines():
        typer.echo(line)
    if not result.ok:
        raise typer.Exit(1)
