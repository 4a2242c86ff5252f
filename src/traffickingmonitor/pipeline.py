"""One pipeline run: intake → linkage → analysis, recorded as a new edition."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from traffickingmonitor import editions, store
from traffickingmonitor.errors import UserError
from traffickingmonitor.intake import api as intake
from traffickingmonitor.linkage import api as linkage
from traffickingmonitor.progress import StepFn, no_progress
from traffickingmonitor.warm_up import warm_up


@dataclass
class RunSummary:
    edition_id: str
    imported: list[intake.ImportResult] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    registrations: int = 0
    persons: int = 0
    notes: dict = field(default_factory=dict)
    # Set when nothing was recorded: the edition would equal this one (also edition_id)
    identical_to: str | None = None


@dataclass(frozen=True)
class FirstChapters:
    """What ``run`` hands its ``then`` as soon as the edition is protected and the chapters of
    the first language are stored: enough to write the report of that language."""

    edition: editions.Edition
    rule: object  # the edition's disclosure rule
    protected: dict
    lang: str
    chapters: list[dict]


def import_files(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    key: intake.Key,
    step: StepFn = no_progress,
    *,
    synthetic: dict | None = None,
) -> list[intake.ImportResult]:
    """Validate every file first, then load each in its own transaction.

    A bad file stops the run before anything is written, so an input folder is never
    half-imported because of one bad file in it. ``synthetic`` is the folder's synthetic
    marker: then every file must be one that `synth` wrote.
    """
    advance = step("Validating and pseudonymising", len(paths))
    prepared = []
    for path in paths:
        prepared.append(intake.prepare(path, con, key))
        advance(1)
    _check_unique_registration_ids(con, prepared)
    if synthetic is not None:
        _check_synthetic(synthetic, prepared)
    intake.check_key(con, key)
    advance = step("Loading into the store", len(prepared))
    results = []
    for p in prepared:
        results.append(intake.load(con, p))
        advance(1)
    return results


def run(
    input_dir: Path,
    db: Path,
    key: intake.Key,
    *,
    config: dict | None = None,
    step: StepFn = no_progress,
    skip_unknown: bool = False,
    first_lang: str | None = None,
    then: Callable[[FirstChapters], None] | None = None,
    then_loads: tuple[Callable[[], object], ...] = (),
) -> RunSummary:
    """Import the folder's files and record an edition, unless it would equal the latest.

    A file with a name that is no data standard kind stops the run (exit 2, nothing loaded)
    unless ``skip_unknown``. ``then`` is called once the chapters of ``first_lang`` (default:
    the first of ``LANGS``) are stored, while the other languages are built beside it (the
    demo writes its report there); an error in it is raised when they are stored. It is not
    called when the edition has no stored protection (its channels then refuse or compute it).
    ``then_loads``: what ``then`` will import or start, loaded while the run links
    (``warm_up``).
    """
    from traffickingmonitor.config import check_config

    config = check_config(config)  # a bad setting stops the run before anything is loaded
    paths, other = intake.discover(input_dir)
    if not skip_unknown:
        intake.refuse_unknown(other)
    marker = intake.read_synthetic_marker(input_dir)
    con = store.connect(db)
    try:
        results = import_files(con, paths, key, step, synthetic=marker)
        note = _synthetic_note(marker)
        same = _identical_edition(con, results, config, note)
        # A new edition has no chapters yet: the workers that will build those of the other
        # languages start now and load while the edition is made (``chapter_workers``).
        with _chapter_workers(new_edition=same is None, loads=then_loads) as workers:
            if same is not None:
                summary = RunSummary(
                    same.edition_id,
                    registrations=same.notes.get("registrations", 0),
                    persons=same.notes.get("persons", 0),
                    notes=same.notes,
                    identical_to=same.edition_id,
                )
            else:
                summary = _make_edition(con, results, config, step, note)
            protection, protected = _store_protection(con, summary, step)
            summary.notes = {**summary.notes, "protection": protection}
            if protected is not None:
                summary.notes["chapters"] = _store_chapters(
                    con, summary, *protected, step, workers, first_lang=first_lang, then=then
                )
    finally:
        con.close()
        _release_bootstrap_workers()
    summary.imported = results
    summary.skipped_files = [p.name for p in other]
    return summary


def _store_protection(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, step: StepFn
) -> tuple[dict, tuple | None]:
    """Protect the edition's tables under its own rule once and keep them in the store, so
    that ``report``, ``serve``, ``disclosure-check`` and the API read them (``disclosure.stored``).

    After the edition's transaction, in a transaction of its own: a failure here loses nothing
    but the stored protection (every channel then computes it, as before). An identical
    edition gets its protection stored when it has none yet (a store from before this step).
    Returns the note on it and, when stored, ``(edition, rule, protected tables)``.
    """
    from traffickingmonitor.disclosure.rule import rule_from_config
    from traffickingmonitor.disclosure.stored import stored_protection

    advance = step("Protecting the tables (disclosure control)", 1)
    t0 = time.perf_counter()
    try:
        edition = editions.get_edition(con, summary.edition_id)
        rule = rule_from_config(edition.config.get("disclosure"))
        found = stored_protection(
            con,
            edition.edition_id,
            lambda: editions.load_tables(con, edition.edition_id),
            rule,
            read_only=False,
            strict=True,
        )
    except UserError as exc:  # a decision, not a failure: no channel may publish the edition
        note = {"stored": False, "error": str(exc), "refused": exc.exit_code}
        protected = None
    except Exception as exc:  # the edition is recorded: never lose it over its protection
        logging.getLogger(__name__).warning(
            "the protected tables of edition %s were not stored (%s): every channel computes them",
            summary.edition_id,
            exc,
        )
        note, protected = {"stored": False, "error": str(exc)}, None
    else:
        note = {"stored": True, "computed": not found.stored}
        protected = (edition, rule, found.tables)
    advance(1)
    return {**note, "seconds": round(time.perf_counter() - t0, 2)}, protected


@contextlib.contextmanager
def _chapter_workers(
    *, new_edition: bool, loads: tuple[Callable[[], object], ...] = ()
) -> Iterator[Executor | None]:
    """Worker processes for the chapters (None: none), and ``loads`` loaded beside them."""
    from traffickingmonitor.publish.chapter_workers import language_workers
    from traffickingmonitor.publish.i18n import LANGS

    if not new_edition:
        yield None
        return
    with language_workers(len(LANGS) - 1, also=loads) as workers:
        yield workers


def _store_chapters(
    con: duckdb.DuckDBPyConnection,
    summary: RunSummary,
    edition,
    rule,
    protected,
    step: StepFn,
    workers: Executor | None = None,
    *,
    first_lang: str | None = None,
    then: Callable[[FirstChapters], None] | None = None,
) -> dict:
    """Build the edition's chapters in every language once and keep them in the store
    (``publish.stored_chapters``): ``report`` and ``serve`` read them. The languages not
    stored yet are built at the same time, with ``workers`` (``publish.chapter_workers``),
    ``first_lang`` first; ``then`` gets it while the others are built. A failure loses nothing
    but the stored chapters (the channels then build them); one of ``then`` is raised after."""
    from traffickingmonitor.publish.chapter_workers import iter_languages
    from traffickingmonitor.publish.stored_chapters import LANGS, edition_chapters, is_stored

    first_lang = first_lang or LANGS[0]
    langs = [first_lang, *(lang for lang in LANGS if lang != first_lang)]
    advance = step("Building the chapters (text, tables, charts)", len(langs))
    t0 = time.perf_counter()
    failed_then: Exception | None = None
    try:
        missing = [lang for lang in langs if not is_stored(con, edition, rule, lang)]
        built = iter_languages(con, edition, rule, missing, protected, workers)
        for lang in langs:
            made = next(built)[1] if lang in missing else None
            # stores what was built; reads (and checks) what was stored before
            chapters = edition_chapters(
                con, edition, rule, lang, protected, read_only=False, built=made
            )
            advance(1)
            if lang == first_lang and then is not None:
                try:
                    then(FirstChapters(edition, rule, protected, lang, chapters))
                except Exception as exc:  # raised once the other languages are stored
                    failed_then = exc
    except Exception as exc:  # the edition is recorded: never lose it over its chapters
        logging.getLogger(__name__).warning(
            "the chapters of edition %s were not stored (%s): report and serve build them",
            summary.edition_id,
            exc,
        )
        note = {"stored": False, "error": str(exc)}
    else:
        note = {"stored": True}
    if failed_then is not None:
        raise failed_then
    return {**note, "seconds": round(time.perf_counter() - t0, 2)}


def _synthetic_note(marker: dict | None) -> dict | None:
    """``notes["synthetic"]`` of the edition: the marker's parameters, without file hashes."""
    if marker is None:
        return None
    return {k: v for k, v in marker.items() if k not in ("synthetic", "files")}


def _check_synthetic(marker: dict, prepared: list[intake.PreparedFile]) -> None:
    """A folder marked synthetic holds only what `synth` wrote: an edition mixing synthetic
    and delivered data would be labelled synthetic, or real, wrongly."""
    written = marker["files"]
    foreign = [p.path.name for p in prepared if written.get(p.path.name) != p.file_hash]
    if foreign:
        raise UserError(
            f"{', '.join(foreign)}: not written by `synth`, though {intake.SYNTHETIC_MARKER} "
            "marks this folder as synthetic data; keep synthetic and delivered files in "
            f"separate folders (delete {intake.SYNTHETIC_MARKER} only if no file here is "
            "synthetic); nothing was loaded"
        )


def _identical_edition(
    con: duckdb.DuckDBPyConnection,
    results: list[intake.ImportResult],
    config: dict,
    synthetic: dict | None,
) -> editions.Edition | None:
    """The latest edition when a new one would repeat it: the same input files, configuration,
    code version and synthetic marker, and no clerical decision stored since (which would
    link the same inputs differently)."""
    found = editions.list_editions(con)
    if not found:
        return None
    latest = found[-1]
    same = (
        latest.inputs_hash == editions.inputs_hash([r.file_hash for r in results])
        and latest.config == json.loads(json.dumps(config))
        and latest.code_version == store.code_version()
        and latest.notes.get("synthetic") == synthetic
        and not con.execute(
            "SELECT 1 FROM linkage_reviews WHERE reviewed_at > ? LIMIT 1", [latest.created_at]
        ).fetchall()
    )
    return latest if same else None


def _release_bootstrap_workers() -> None:
    """The bootstrap's workers started ahead (``_make_edition``) that no step took end with
    the run, not at exit (where they would wait for work)."""
    bootstrap = sys.modules.get("traffickingmonitor.analysis.mse.bootstrap")
    if bootstrap is not None:
        bootstrap.release_ready()


def _load_analysis() -> None:
    import traffickingmonitor.analysis.api
    import traffickingmonitor.analysis.steps  # noqa: F401


def _make_edition(
    con: duckdb.DuckDBPyConnection,
    results: list[intake.ImportResult],
    config: dict,
    step: StepFn,
    synthetic: dict | None = None,
) -> RunSummary:
    hashes = [r.file_hash for r in results]
    regs = con.execute(
        "SELECT * EXCLUDE (exploitation_forms) FROM registrations "
        "WHERE list_contains($h, file_hash) ORDER BY registered_on, registration_id",
        {"h": hashes},
    ).df()
    if regs.empty:
        raise UserError(
            "the input folder has no registrations file: an edition needs registrations"
        )
    # the hidden number's bootstrap forks its workers from a server process: started now,
    # it loads while the registrations are linked and they start at once; the analyses'
    # code (scipy, statsmodels: most of a second) loads meanwhile in a thread
    from traffickingmonitor.analysis.mse.bootstrap import start_fork_server

    start_fork_server()
    loading = warm_up(_load_analysis)
    advance = step("Linking registrations into persons", 1)
    context = linkage.edition_context(con, config.get("linkage"))
    linked = linkage.link_edition(regs, config.get("linkage"), context)
    regs["person_id"] = linked.person_id
    advance(1)
    with store.transaction(con):
        edition_id = editions.new_edition_id(con)
        con.register("linked", regs[["file_hash", "registration_id", "person_id"]])
        con.execute(
            "INSERT INTO edition_persons SELECT $e, file_hash, registration_id, person_id FROM linked",
            {"e": edition_id},
        )
        con.unregister("linked")
        linkage.save_edition(con, edition_id, regs, linked)  # model, links, episodes
        loading.join()  # the analyses' modules are never imported by two threads at once
        from traffickingmonitor.analysis import api as analysis
        from traffickingmonitor.analysis.steps import StepInput, run_steps

        inputs = StepInput(
            con, edition_id, analysis.person_years(con, edition_id), config, input_hashes=hashes
        )
        tables, notes = [], {"linkage": linked.notes}
        if synthetic is not None:
            notes["synthetic"] = synthetic
        for analysis_step, result in run_steps(inputs, step):
            tables += result.tables
            if result.notes:
                notes[analysis_step.key] = result.notes
        totals = analysis.edition_totals(con, edition_id)
        notes.update(totals)
        editions.record(
            con, edition_id, [(r.file_hash, r.path.name, r.kind) for r in results], config, notes
        )
        editions.save_tables(con, edition_id, tables)
    return RunSummary(
        edition_id, registrations=totals["registrations"], persons=totals["persons"], notes=notes
    )


def _check_unique_registration_ids(
    con: duckdb.DuckDBPyConnection, prepared: list[intake.PreparedFile]
) -> None:
    """Events refer to registrations by id, so an id must name one registration in an edition."""
    seen: dict[str, str] = {}
    for p in prepared:
        if p.kind != "registrations":
            continue
        if p.frame is not None:
            ids = p.frame["registration_id"]
        else:
            ids = con.execute(
                "SELECT registration_id FROM registrations WHERE file_hash = ?", [p.file_hash]
            ).df()["registration_id"]
        for rid in ids[ids.isin(seen.keys())].head(1):
            raise UserError(
                f"registration_id {rid!r} appears in both {seen[rid]} and {p.path.name}: "
                "registration ids must be unique across the files of an edition; nothing was loaded"
            )
        seen.update(dict.fromkeys(ids, p.path.name))
