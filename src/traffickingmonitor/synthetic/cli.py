"""``traffickingmonitor synth``: write a synthetic edition (registered as a command by the CLI).

Heavy imports (numpy, pyarrow, the generator) happen inside the command, not at import time.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from traffickingmonitor.errors import UserError


def parse_years(text: str) -> tuple[int, int]:
    """'2016-2020' or '2019' to (first, last); a UserError for anything else."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", text or "")
    if not m:
        raise UserError(f"--years must look like 2016-2020 or 2019, got {text!r}")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if first > last:
        raise UserError(f"--years runs backwards: {text} (use {last}-{first})")
    return first, last


def synth_command(
    out: Path = typer.Option(..., "--out", help="Output directory (created if missing)."),
    seed: int = typer.Option(20240101, "--seed", help="Random seed (same seed, same files)."),
    years: str = typer.Option("2016-2020", "--years", help="Registration years, e.g. 2016-2020."),
    scale: float = typer.Option(1.0, "--scale", help="Multiplier of the latent population."),
    fmt: str = typer.Option("csv", "--format", help="csv|parquet"),
    only_org: str | None = typer.Option(
        None,
        "--only-org",
        help="Write one reporting organisation's registrations only "
        "(police|kmar|labour_inspectorate|care|other).",
    ),
    drop_org_year: list[str] = typer.Option(
        [],
        "--drop-org-year",
        help="Leave out one organisation's registrations of one year, e.g. police:2018 "
        "(repeatable).",
    ),
    no_events: bool = typer.Option(False, "--no-events", help="Write no events file."),
    no_assessments: bool = typer.Option(
        False, "--no-assessments", help="Write no municipal_assessments file."
    ),
    sex: str | None = typer.Option(
        None, "--sex", help="Make every person (and every record) female or male."
    ),
) -> None:
    """Write synthetic registrations, events and national files (data standard v1) with truth.

    The options after --format make odd but valid editions; the simulation stays the same and
    only what is written changes (except --sex, which relabels the victims before naming them).
    """
    first, last = parse_years(years)
    if not scale > 0:
        raise UserError(f"--scale must be positive, got {scale}")
    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format must be csv or parquet, got {fmt!r}")
    from traffickingmonitor.synthetic.variants import Shape, parse_org_year

    shape = Shape(
        only_org=only_org,
        drop_org_years=tuple(parse_org_year(t) for t in drop_org_year),
        events=not no_events,
        assessments=not no_assessments,
        sex=sex,
    ).validate((first, last))

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    from traffickingmonitor.synthetic.api import write_synthetic_edition

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<38}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done, total=total)

        summary = write_synthetic_edition(
            out,
            seed=seed,
            years=(first, last),
            scale=scale,
            fmt=fmt,
            progress=report,
            shape=shape,
        )

    table = Table(title=f"Synthetic edition in {summary.out_dir}", show_header=True)
    table.add_column("year")
    table.add_column("latent", justify="right")
    table.add_column("registered persons", justify="right")
    table.add_column("registrations", justify="right")
    table.add_column("women", justify="right")
    table.add_column("minors", justify="right")
    for year, agg in summary.aggregates.items():
        table.add_row(
            year,
            f"{agg['latent']:,}",
            f"{agg['registered_persons']:,}",
            f"{agg['registrations']:,}",
            f"{agg['female_share']:.0%}",
            f"{agg['minor_share']:.0%}",
        )
    out_console = Console()
    out_console.print(table)
    out_console.print(
        f"{summary.registrations:,} registrations of {summary.registered_persons:,} persons, "
        f"{summary.events_observed:,} observed events ({summary.events:,} in truth); "
        f"seed {summary.seed}, scale {summary.scale:g}, {summary.fmt}; "
        f"{summary.seconds:.1f} s, peak memory {summary.peak_memory_mb:,.0f} MB"
    )
