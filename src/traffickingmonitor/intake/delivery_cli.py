"""``traffickingmonitor check``: the delivery checks (registered as a command by the CLI).

Heavy imports (pandas, DuckDB, the checks) happen inside the command, not at import time.
"""

from __future__ import annotations

from pathlib import Path

import typer


def check_command(
    input_dir: Path = typer.Argument(..., help="Folder with a delivery (data standard v1 files)."),
    db: Path | None = typer.Option(
        None,
        "--db",
        help="Store whose latest edition is the previous delivery (opened read-only).",
    ),
    html: Path | None = typer.Option(None, "--html", help="Also write the report as an HTML page."),
) -> None:
    """Check a delivery before `run`: rows and persons against the previous delivery,
    completeness per field, unusual months, jumps in "unknown", duplicates, invalid files.

    Writes nothing to the store.

    Exit code: 0 no error, 1 a finding is an error, 2 a usage error (e.g. no such folder).
    """
    from rich.console import Console
    from rich.text import Text

    from traffickingmonitor.intake.delivery import check_delivery
    from traffickingmonitor.intake.delivery_render import print_report, render_page

    report = check_delivery(input_dir, db)
    console = Console()
    print_report(report, console)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        tmp = html.with_name(html.name + ".part")
        tmp.write_text(render_page(report), encoding="utf-8")
        tmp.replace(html)  # never a half-written page under the final name
        console.print(Text(f"HTML report: {html}"))
    if report.has_errors:
        raise typer.Exit(1)
