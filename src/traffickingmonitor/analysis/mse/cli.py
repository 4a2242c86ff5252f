"""Placeholder: the helper building the estimator replaces this file."""

from __future__ import annotations

from pathlib import Path

import typer


def estimate_command(file: Path = typer.Argument(..., help="CSV: one 0/1 column per list plus count")) -> None:
    """Estimate the population size from a capture-recapture table (multiple systems estimation)."""
    raise typer.Exit(1)
