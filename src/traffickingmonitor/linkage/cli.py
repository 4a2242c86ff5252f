"""Linkage commands: quality against a synthetic truth, clerical review out and in.

Registered by ``traffickingmonitor.cli``:

- ``linkage-quality --db FILE --truth DIR [--edition ID] [--json]`` (:func:`linkage_quality_command`)
- ``review-export --db FILE --out FILE.csv [--edition ID] [--low P] [--high P]`` (:func:`review_export_command`)
- ``review-import FILE.csv --db FILE`` or ``review-import --from-state --db FILE [--state URL]``
  (:func:`review_import_command`)
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from traffickingmonitor.errors import UserError


def linkage_quality_command(
    db: Path = typer.Option(..., "--db", help="DuckDB store file."),
    truth: Path = typer.Option(
        ..., "--truth", help="Synthetic edition folder (with truth/registration_person.csv)."
    ),
    edition: str | None = typer.Option(None, "--edition", help="Edition id (default: the latest)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Linkage quality of an edition against the ground truth: pairwise and per person, by threshold."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.linkage import api as linkage

    con = store.connect(db, read_only=True)
    try:
        found = editions.get_edition(con, edition)
        assignment = linkage.load_assignment(con, found.edition_id)
        links = _links_or_none(con, found.edition_id)
        notes = linkage.load_notes(con, found.edition_id) or found.notes.get("linkage", {})
    finally:
        con.close()
    truth_frame = linkage.read_truth(truth)
    result = {
        "edition": found.edition_id,
        "method": notes.get("method"),
        "threshold": notes.get("threshold"),
    }
    result.update(linkage.quality_against_truth(assignment, truth_frame))
    floor = notes.get("settings", {}).get("link_floor", 0.0)
    if links is not None:
        thresholds = tuple(t for t in linkage.DEFAULT_SWEEP if t >= floor)
        result["sweep"] = linkage.threshold_sweep(
            assignment["registration_id"],
            links,
            truth_frame,
            thresholds,
            same_key=assignment["nid_token"],
        )
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_quality(result)


def review_export_command(
    db: Path = typer.Option(..., "--db", help="DuckDB store file."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    edition: str | None = typer.Option(None, "--edition", help="Edition id (default: the latest)."),
    low: float | None = typer.Option(
        None, "--low", help="Lowest match probability (default: the edition's band)."
    ),
    high: float | None = typer.Option(
        None, "--high", help="Probability above which pairs are certain enough."
    ),
) -> None:
    """Write the uncertain pairs of an edition with their evidence (no names, ids or dates) for review."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.linkage import api as linkage

    con = store.connect(db, read_only=True)
    try:
        found = editions.get_edition(con, edition)
        band = None
        if low is not None or high is not None:
            default = (
                linkage.load_notes(con, found.edition_id)
                .get("settings", {})
                .get("review_band", [0.3, 0.99])
            )
            band = (
                low if low is not None else default[0],
                high if high is not None else default[1],
            )
            if not 0 <= band[0] < band[1] <= 1:
                raise UserError("--low must be below --high, both between 0 and 1")
        n = linkage.export_review(con, out, found.edition_id, band)
    finally:
        con.close()
    typer.echo(f"{n:,} pairs of edition {found.edition_id} to review: {out}")
    typer.echo(
        "fill in decision with match or no_match, then: traffickingmonitor review-import FILE --db DB"
    )


def review_import_command(
    review_file: Path | None = typer.Argument(
        None, help="Reviewed CSV (from review-export); not with --from-state."
    ),
    db: Path = typer.Option(..., "--db", help="DuckDB store file."),
    from_state: bool = typer.Option(
        False,
        "--from-state",
        help="Take the decisions made on the review pages of the web app instead of a file.",
    ),
    state: str | None = typer.Option(
        None,
        "--state",
        help="SQLAlchemy URL of the web app's state (default: the SQLite file beside the store).",
    ),
) -> None:
    """Store reviewed decisions; the next run links reviewed pairs as decided."""
    from traffickingmonitor import store
    from traffickingmonitor.linkage import api as linkage

    if from_state:
        if review_file is not None:
            raise UserError("give a review file or --from-state, not both")
        done = _from_state(db, state)
    else:
        if review_file is None:
            raise UserError("give a review file, or --from-state for the web app's decisions")
        if not review_file.is_file():
            raise UserError(f"no review file at {review_file}")
        con = store.connect(db)
        try:
            done = linkage.import_review(con, review_file)
        finally:
            con.close()
    typer.echo(
        f"{done.matches:,} match and {done.no_matches:,} no-match decisions stored "
        f"({done.skipped:,} rows without a decision); they apply from the next run"
    )
    if done.unknown_ids:
        typer.echo(f"note: {done.unknown_ids:,} pairs name a registration that is not in the store")


def _from_state(db: Path, state: str | None):
    from sqlalchemy.exc import SQLAlchemyError

    from traffickingmonitor.linkage.review_browser import apply_state_decisions

    if not db.exists():
        raise UserError(f"no store at {db}")
    try:
        return apply_state_decisions(db, state).stored
    except SQLAlchemyError as exc:
        raise UserError(f"cannot read the state database: {exc.__class__.__name__}") from exc


def _links_or_none(con, edition_id: str):
    from traffickingmonitor.linkage import api as linkage

    if linkage.load_model(con, edition_id) is None:
        return None
    return linkage.load_links(con, edition_id)


def _print_quality(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"edition [bold]{result['edition']}[/bold] ({result.get('method')}, threshold {result.get('threshold')}): "
        f"{result['registrations']:,} registrations"
    )
    summary = Table(show_header=False)
    for key, label, fmt in (
        ("precision", "pairwise precision", "{:.4f}"),
        ("recall", "pairwise recall", "{:.4f}"),
        ("f1", "pairwise F1", "{:.4f}"),
        ("persons", "persons found", "{:,}"),
        ("true_persons", "true persons", "{:,}"),
        ("persons_vs_truth", "persons vs truth", "{:+.2%}"),
        ("true_persons_split", "true persons split", "{:.2%}"),
        ("persons_merging", "persons merging different people", "{:.2%}"),
    ):
        summary.add_row(label, fmt.format(result[key]))
    console.print(summary)
    if result.get("sweep"):
        sweep = Table(title="F1 by threshold")
        for col in ("threshold", "precision", "recall", "F1", "persons"):
            sweep.add_column(col, justify="right")
        for row in result["sweep"]:
            sweep.add_row(
                f"{row['threshold']:.3f}",
                f"{row['precision']:.4f}",
                f"{row['recall']:.4f}",
                f"{row['f1']:.4f}",
                f"{row['persons']:,}",
            )
        console.print(sweep)
