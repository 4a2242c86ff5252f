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
) -> None:
    """Protect an edition as every channel does and try to recover hidden counts.

    Prints a verdict per table; exit code 0 only when every check passes.
    """
    from traffickingmonitor.disclosure.check import check_edition

    if method is not None and method not in ("suppression", "rounding", "dp"):
        raise UserError(f"--disclosure must be suppression, rounding or dp, not {method!r}")
    result = check_edition(db, edition, method)
    for line in result.lines():
        typer.echo(line)
    if not result.ok:
        raise typer.Exit(1)
