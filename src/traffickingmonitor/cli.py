"""The ``traffickingmonitor`` command line (a contract: other tools rely on names and options)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import typer.exceptions
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from traffickingmonitor.analysis.cohort_cli import revictimisation_command
from traffickingmonitor.analysis.mse.cli import estimate_command
from traffickingmonitor.collector import fewer_collections, process_ends_after_command
from traffickingmonitor.disclosure.cli import disclosure_check_command
from traffickingmonitor.errors import UserError
from traffickingmonitor.intake.delivery_cli import check_command
from traffickingmonitor.linkage.cli import (
    linkage_quality_command,
    review_export_command,
    review_import_command,
)
from traffickingmonitor.publish.web.cli import (
    audit_app,
    editions_app,
    serve_command,
    sessions_app,
    users_app,
)
from traffickingmonitor.synthetic.cli import synth_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Human trafficking victim monitor: synthetic data, intake, linkage, analysis, report.",
)
console = Console(stderr=True)

KeyFileOption = typer.Option(
    None,
    "--key-file",
    help="File holding the pseudonymisation key (else the TRAFFICKINGMONITOR_KEY variable).",
    exists=False,
)


DISCLOSURE_METHODS = ("suppression", "rounding", "dp")
DisclosureOption = typer.Option(
    None,
    "--disclosure",
    help="Disclosure control: suppression (default), rounding (base 5) or dp (OpenDP noise).",
)


def _disclosure_method(value: str) -> str:
    if value not in DISCLOSURE_METHODS:
        raise UserError(
            f"--disclosure must be one of {', '.join(DISCLOSURE_METHODS)}, not {value!r}"
        )
    return value


@contextmanager
def progress_steps() -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """Rich progress bars, one per pipeline step."""
    with Progress(
        TextColumn("{task.description:<38}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def step(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=max(total, 1))
            return lambda n=1: progress.advance(task, n)

        yield step


@app.command("run")
def run_command(
    input_dir: Path = typer.Argument(..., help="Folder with data standard v1 files."),
    db: Path = typer.Option(..., "--db", help="DuckDB store file (created if absent)."),
    key_file: Path | None = KeyFileOption,
    disclosure: str | None = DisclosureOption,
    skip_unknown: bool = typer.Option(
        False,
        "--skip-unknown",
        help="Leave out files whose name is no data standard kind (else they stop the run).",
    ),
    state: str | None = typer.Option(
        None,
        "--state",
        help="SQLAlchemy URL of the dashboard's state, whose clerical review decisions this "
        "run applies (default: beside the store).",
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        # Rich reads [name] as markup: the sections are escaped to be shown
        help="TOML file of settings per section (\\[linkage], \\[hidden_number], \\[cohort], "
        "\\[local], \\[disclosure]); docs/edition.toml has every key. --disclosure overrides its method.",
    ),
) -> None:
    """Import every standard file in INPUT_DIR, link, analyse and record a new edition.

    Clerical review decisions made on the dashboard's review pages are applied first. Nothing
    is recorded when the input files and configuration equal the latest edition's.
    """
    from traffickingmonitor import pipeline
    from traffickingmonitor.config import check_config, read_config
    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.linkage import review_browser

    config = read_config(config_file) if config_file else {}
    if disclosure:
        given = config.get("disclosure")
        method = _disclosure_method(disclosure)
        config["disclosure"] = {**given, "method": method} if isinstance(given, dict) else method
        check_config(config)
    key = intake.load_key(key_file)
    # before the run: a failed run leaves them in the store, to be applied by the next one
    browser = review_browser.apply_state_decisions(db, state)
    if browser.at is not None:
        console.print(
            f"  clerical review from the dashboard: {browser.stored.matches:,} match, "
            f"{browser.stored.no_matches:,} no match",
            highlight=False,
        )
    with progress_steps() as step, fewer_collections():
        summary = pipeline.run(
            input_dir, db, key, config=config, step=step, skip_unknown=skip_unknown
        )
    if summary.identical_to is None and browser.at is not None:
        review_browser.mark_applied(db, summary.edition_id, state, until=browser.at)
    _print_run(summary)
    refused = (summary.notes.get("protection") or {}).get("refused")
    if refused:
        console.print(
            f"edition {summary.edition_id} is recorded, but its tables could not be protected: "
            "no channel will publish it",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(refused)


def _print_run(summary) -> None:
    for r in summary.imported:
        if r.status == "imported":
            detail = f"{r.rows:,} rows" + (f"; read as {r.read_as}" if r.read_as else "")
        else:
            detail = "already in the store"
        # soft_wrap: one line per file, whatever the terminal's width (scripts grep these)
        console.print(
            f"  {r.path.name}: {r.status} ({detail})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for name in summary.skipped_files:
        console.print(
            f"  {name}: skipped (not a data standard file name; --skip-unknown)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for key, what, read, otherwise in (
        (
            "protection",
            "protected tables",
            "report, serve and disclosure-check read them",
            "compute",
        ),
        ("chapters", "chapters", "report and serve read them", "build"),
    ):
        note = summary.notes.get(key) or {}
        if note.get("stored") and note.get("computed", True):
            console.print(f"  {what} stored ({note['seconds']:.1f} s): {read}", highlight=False)
        elif note.get("error"):
            console.print(
                f"  {what}: none ({note['error']})"
                if note.get("refused")
                else f"  {what} not stored ({note['error']}): report and serve {otherwise} them",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if summary.identical_to:
        console.print(
            f"nothing recorded: the edition would be identical to edition "
            f"[bold]{summary.identical_to}[/bold] (same input files, configuration and code "
            f"version): {summary.registrations:,} registrations, {summary.persons:,} persons",
            soft_wrap=True,
        )
        return
    console.print(
        f"edition [bold]{summary.edition_id}[/bold]: {summary.registrations:,} registrations, "
        f"{summary.persons:,} persons"
    )


@app.command("report")
def report_command(
    db: Path = typer.Option(..., "--db", help="DuckDB store file."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    lang: str = typer.Option("nl", "--lang", help="nl or en."),
    edition: str | None = typer.Option(None, "--edition", help="Edition id (default: the latest)."),
    threshold: int | None = typer.Option(
        None, "--threshold", min=2, help="Disclosure threshold (default: the edition's, 10)."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write report.pdf."),
    disclosure: str | None = DisclosureOption,
    state: str | None = typer.Option(
        None,
        "--state",
        help="SQLAlchemy URL of the state with the approvals (default: beside the store).",
    ),
    foreword: Path | None = typer.Option(
        None,
        "--foreword",
        help="Markdown file (UTF-8) with the analyst's foreword and conclusions, shown after "
        "the cover; raw HTML in it is escaped. Its numbers are the analyst's responsibility: "
        "they are not checked against the tables.",
    ),
    factsheets: bool = typer.Option(
        False,
        "--factsheets",
        help="Also write a factsheet (HTML, and PDF unless --no-pdf) per municipality, "
        "police unit, safety region and province into OUT/factsheets.",
    ),
) -> None:
    """Write report.html, report.pdf and tables/*.csv (protected) for an edition.

    An edition not approved yet (`editions approve`) is a draft: every page says so."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.publish import api as publish
    from traffickingmonitor.publish.web.cli import edition_statuses

    if lang not in ("nl", "en"):
        raise UserError(f"--lang must be nl or en, not {lang!r}")
    con = store.connect(db, read_only=True)
    try:
        edition = editions.get_edition(con, edition).edition_id
    finally:
        con.close()
    draft = edition_statuses(db, state, [edition])[edition].draft
    with progress_steps() as step, fewer_collections():
        written = publish.write_report(
            db,
            out,
            lang=lang,
            edition_id=edition,
            threshold=threshold,
            pdf=pdf,
            step=step,
            disclosure=_disclosure_method(disclosure) if disclosure else None,
            draft=draft,
            foreword=foreword,
        )
        sheets = None
        if factsheets:
            from traffickingmonitor.publish.factsheets import write_factsheets

            sheets = write_factsheets(
                db,
                out,
                lang=lang,
                edition_id=edition,
                threshold=threshold,
                disclosure=_disclosure_method(disclosure) if disclosure else None,
                draft=draft,
                pdf=pdf,
                step=step,
            )
    status = " (draft: not approved)" if draft else ""
    console.print(f"report of edition [bold]{written.edition_id}[/bold]{status}: {written.html}")
    if written.pdf:
        console.print(f"PDF: {written.pdf}")
    console.print(f"tables: {written.tables_dir} ({written.n_tables} CSV files + metadata.json)")
    if sheets is not None:
        per_level = ", ".join(
            f"{n} {level.replace('_', ' ')}" for level, n in sheets.counts.items()
        )
        kinds = "HTML + PDF" if sheets.n_pdf else "HTML"
        console.print(
            f"factsheets: {sheets.folder} ({sum(sheets.counts.values())} {kinds}: {per_level}; "
            f"{sheets.seconds:.0f} s)"
        )


def editions_command(
    ctx: typer.Context,
    db: Path | None = typer.Option(None, "--db", help="DuckDB store file."),
    state: str | None = typer.Option(
        None, "--state", help="SQLAlchemy URL of the state (default: beside the store)."
    ),
) -> None:
    """List the editions in a store with their status (approved or draft), input files and
    hashes; `editions approve` publishes one."""
    from traffickingmonitor import editions, store
    from traffickingmonitor.publish.web.cli import edition_statuses

    if ctx.invoked_subcommand is not None:
        return
    if db is None:
        raise UserError("give the store: traffickingmonitor editions --db FILE")
    if not db.exists():
        raise UserError(f"no store at {db}")
    con = store.connect(db, read_only=True)
    try:
        found = editions.list_editions(con)
    finally:
        con.close()
    if not found:
        typer.echo("no editions yet")
        return
    status = edition_statuses(db, state, [e.edition_id for e in found])
    for e in found:
        typer.echo(
            f"edition {e.edition_id}  created {e.created_at:%Y-%m-%d %H:%M:%S} UTC  code {e.code_version}  "
            f"{e.notes.get('registrations', 0):,} registrations  {e.notes.get('persons', 0):,} persons"
        )
        typer.echo(f"  status {status[e.edition_id].describe()}")
        if e.notes.get("synthetic"):
            typer.echo("  synthetic data (no real persons)")
        typer.echo(f"  inputs sha256 {e.inputs_hash}")
        width = max(len(n) for n in e.inputs["file_name"])
        for r in e.inputs.itertuples():
            typer.echo(f"  {r.file_name:<{width}}  {r.kind:<21}  {r.file_hash}")


def _load_report_code() -> None:
    from traffickingmonitor.publish.report import load_pdf_engine

    load_pdf_engine()


def _load_approval_code() -> None:
    import traffickingmonitor.publish.web.approvals
    import traffickingmonitor.publish.web.audit
    import traffickingmonitor.publish.web.cli  # noqa: F401


@app.command("demo")
def demo_command(
    out: Path = typer.Option(Path("demo"), "--out", help="Output folder."),
    seed: int = typer.Option(20240101, "--seed"),
    scale: float = typer.Option(1.0, "--scale"),
    lang: str = typer.Option("nl", "--lang", help="nl or en."),
    serve: bool = typer.Option(
        False,
        "--serve",
        help="Then start the dashboard on http://127.0.0.1:8000 with the demo users.",
    ),
    port: int = typer.Option(8000, "--port", help="Port of the dashboard (with --serve)."),
) -> None:
    """Synthetic demo edition end to end: synth + run + report, in one go."""
    # the report's and the dashboard's code load during the run (``then_loads``), not here
    from traffickingmonitor import pipeline
    from traffickingmonitor.analysis.mse import bootstrap
    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    if lang not in ("nl", "en"):
        raise UserError(f"--lang must be nl or en, not {lang!r}")
    data_dir, db, report_dir = out / "data", out / "monitor.duckdb", out / "report"
    key_path = out / ".traffickingmonitor.key"
    if not key_path.exists():
        intake.create_key_file(key_path)
    key = intake.load_key(key_path)
    # ``serve`` afterwards collects as usual: fewer collections only for synth, run, report
    with progress_steps() as step, fewer_collections(more_follows=serve):
        bars: dict[str, Callable[[int], None]] = {}
        done_so_far: dict[str, int] = {}

        def synth_progress(name: str, done: int, total: int) -> None:
            if name not in bars:
                bars[name] = step(f"Synthetic data: {name}"[:38], total)
                done_so_far[name] = 0
            bars[name](done - done_so_far[name])
            done_so_far[name] = done

        # the hidden number's worker processes load while the data are made, not while the
        # run links (the run takes them; it would start them itself)
        bootstrap.start_fork_server()
        try:
            write_synthetic_edition(data_dir, seed=seed, scale=scale, progress=synth_progress)
        except BaseException:
            bootstrap.release_ready()
            raise
        reports: list = []  # the WrittenReport of write_report_from

        def report(first: pipeline.FirstChapters) -> None:
            from traffickingmonitor.publish import api as publish

            # while the run builds the other language: the report reads what it stored
            reports.append(
                publish.write_report_from(
                    first.edition,
                    first.rule,
                    first.protected,
                    first.chapters,
                    report_dir,
                    lang=lang,
                    step=step,
                )
            )

        summary = pipeline.run(
            data_dir,
            db,
            key,
            config={"demo": True, "seed": seed, "scale": scale},
            step=step,
            first_lang=lang,
            then=report,
            then_loads=(_load_report_code, _load_approval_code),
        )
        from traffickingmonitor.publish import api as publish
        from traffickingmonitor.publish.web.cli import approve_demo_edition

        # Synthetic data, nobody to review them: the demo approves its edition itself, so
        # the report has no draft mark and the dashboard shows it to the public.
        approve_demo_edition(db, summary.edition_id)
        # without a stored protection the run had no report to write: `report` as usual
        written = (
            reports[0]
            if reports
            else publish.write_report(
                db, report_dir, lang=lang, edition_id=summary.edition_id, step=step
            )
        )
    _print_run(summary)
    typer.echo(f"report: {written.html.resolve()}")
    if written.pdf:
        typer.echo(f"pdf:    {written.pdf.resolve()}")
    typer.echo(f"tables: {written.tables_dir.resolve()}")
    serve_hint = f"traffickingmonitor serve --db {db} --demo-users"
    if serve:
        serve_command(db=db, host="127.0.0.1", port=port, state=None, threshold=10, demo_users=True)
    else:
        typer.echo(f"dashboard: {serve_hint}")


app.command("estimate")(estimate_command)
app.command("synth")(synth_command)
app.command("check")(check_command)
app.command("revictimisation")(revictimisation_command)
app.command("disclosure-check")(disclosure_check_command)
app.command("linkage-quality")(linkage_quality_command)
app.command("review-export")(review_export_command)
app.command("review-import")(review_import_command)
app.command("serve")(serve_command)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(sessions_app, name="sessions")
editions_app.callback(invoke_without_command=True)(editions_command)
app.add_typer(editions_app, name="editions")


def main() -> None:
    try:
        rc = app(standalone_mode=False)
    except UserError as exc:
        details = getattr(exc, "details", None)
        if callable(details) and getattr(exc, "total", 1) > 1:
            for line in details():
                console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        console.print("aborted")
        sys.exit(130)
    except Exception as exc:
        if isinstance(exc, typer.exceptions.TyperException):
            console.print(
                f"error: {exc.format_message()}",
                style="red",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(2)
        if os.environ.get("TRAFFICKINGMONITOR_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        console.print(
            f"internal error: {type(exc).__name__}: {first} "
            "(set TRAFFICKINGMONITOR_DEBUG=1 for the traceback)",
            style="red",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
    if isinstance(rc, int) and rc:
        sys.exit(rc)


def entry() -> None:
    """The console script: :func:`main`, then an end without the interpreter's teardown.

    After a command, Python would free every object one by one (the demo's WeasyPrint boxes,
    DuckDB, vl-convert's engine: most of a second) although the process ends anyway. What
    exit does before that is done here as the interpreter does it: threads are joined and
    worker pools told to end (``threading._shutdown``), then the ``atexit`` functions run
    (the log handlers; multiprocessing's release of its semaphores, which the resource
    tracker would otherwise report as leaked). The standard streams are flushed; where that
    fails the exit code is 120, as Python's own. ``main`` itself returns (tests and scripts
    call it and go on).
    """
    process_ends_after_command()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)
