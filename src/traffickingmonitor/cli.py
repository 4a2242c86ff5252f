"""The ``traffickingmonitor`` command line (a contract: other tools rely on names and options)."""

from __future__ import annotations

import sys

import typer

from traffickingmonitor.analysis.mse.cli import estimate_command
from traffickingmonitor.errors import UserError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Human trafficking victim monitor: synthetic data, intake, linkage, analysis, report.",
)

app.command("estimate")(estimate_command)


def main() -> None:
    try:
        rc = app(standalone_mode=False)
    except UserError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(rc, int) and rc:
        sys.exit(rc)
