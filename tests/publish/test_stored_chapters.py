"""An edition's chapters are built once: ``run`` stores them, ``report`` and ``serve`` read them.

What is read back must equal what the chapter builders make (every word, table row and
chart), an entry of another code version is built again, and a read-only reader never writes.
"""

from __future__ import annotations

import logging
import shutil

import duckdb
import pytest

from traffickingmonitor import editions, pipeline
from traffickingmonitor.disclosure.api import rule_from_config
from traffickingmonitor.disclosure.stored import protected_tables, rule_key
from traffickingmonitor.intake.pseudonymise import Key
from traffickingmonitor.publish import chapters as chapters_package
from traffickingmonitor.publish import stored_chapters
from traffickingmonitor.publish.chapters import Block, ChapterContent
from traffickingmonitor.publish.report import write_report
from traffickingmonitor.publish.web.data import EditionData

from helpers import KEY, make_input_dir


@pytest.fixture(scope="module")
def edition_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("stored-chapters") / "monitor.duckdb"
    summary = pipeline.run(make_input_dir(tmp_path_factory.mktemp("in")), db, Key(KEY.encode()))
    assert summary.notes["chapters"]["stored"], summary.notes["chapters"]
    return db


def _copy(db, tmp_path, change: str):
    """A copy of the store with one SQL statement run on it (the module's store stays)."""
    out = tmp_path / db.name
    shutil.copy(db, out)
    con = duckdb.connect(str(out))
    try:
        con.execute(change)
    finally:
        con.close()
    return out


def _edition(db):
    edition, tables = editions.read_edition(db)
    rule = rule_from_config(edition.config.get("disclosure"))
    return edition, rule, protected_tables(db, edition.edition_id, tables, rule, read_only=True)


def _rows(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            f"SELECT edition_id, rule_key, lang, code_version FROM {stored_chapters.TABLE} "
            "ORDER BY lang"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def _no_building(monkeypatch):
    def fail(ctx):
        raise AssertionError("chapters built, though they are stored")

    monkeypatch.setattr(chapters_package, "build_chapters", fail)


def test_run_stores_what_the_chapter_builders_make_in_every_language(edition_db):
    edition, rule, protected = _edition(edition_db)
    rows = _rows(edition_db)
    assert [r[2] for r in rows] == sorted(stored_chapters.LANGS)
    assert {(r[0], r[1], r[3]) for r in rows} == {
        (edition.edition_id, rule_key(rule), stored_chapters.code_version())
    }
    for lang in stored_chapters.LANGS:
        stored = stored_chapters.edition_chapters(
            edition_db, edition, rule, lang, protected, read_only=True
        )
        built = stored_chapters.build(edition_db, edition, rule, lang, protected)
        assert [c["id"] for c in stored] == [c["id"] for c in built]
        assert len(built) > 3
        assert stored == built  # every title, sentence, table row and SVG


def test_every_chart_of_the_chapters_is_valid_vega_lite(edition_db, monkeypatch):
    """``run`` draws the charts without Altair's schema check (a second per language): here
    they are drawn with it, which raises on any spec that breaks the schema, and come out
    the same."""
    from traffickingmonitor.publish import charts

    edition, rule, protected = _edition(edition_db)
    monkeypatch.setattr(charts, "_VALIDATE", True)
    for lang in stored_chapters.LANGS:
        built = stored_chapters.build(edition_db, edition, rule, lang, protected)
        svgs = [b.svg for c in built for b in c["content"].blocks if b.svg]
        assert len(svgs) > 5
        stored = stored_chapters.edition_chapters(
            edition_db, edition, rule, lang, protected, read_only=True
        )
        assert built == stored


def test_report_and_dashboard_show_the_stored_chapters(edition_db, tmp_path, monkeypatch):
    edition, rule, protected = _edition(edition_db)
    expected = stored_chapters.build(edition_db, edition, rule, "en", protected)
    _no_building(monkeypatch)
    written = write_report(edition_db, tmp_path / "report", lang="en", pdf=False)
    html = written.html.read_text("utf-8")
    for chapter in expected:
        assert chapter["content"].title in html
    data = EditionData(edition_db)  # the edition's own rule, as the report uses
    assert data.rule(edition.edition_id) == rule
    web = data.chapters(edition.edition_id, "en")
    assert web == expected  # the dashboard names the editions before, as the report does


def test_chapters_of_another_code_version_are_built_again_and_replaced(
    edition_db, tmp_path, caplog
):
    db = _copy(
        edition_db, tmp_path, f"UPDATE {stored_chapters.TABLE} SET code_version = '0.0.1-old'"
    )
    edition, rule, protected = _edition(db)
    logger = stored_chapters.__name__
    with caplog.at_level(logging.WARNING, logger=logger):
        got = stored_chapters.edition_chapters(db, edition, rule, "nl", protected, read_only=False)
    messages = [r.getMessage() for r in caplog.records if r.name == logger]
    assert len(messages) == 1
    assert "0.0.1-old" in messages[0] and "replaced" in messages[0] and "\n" not in messages[0]
    assert got == stored_chapters.build(db, edition, rule, "nl", protected)
    versions = {r[2]: r[3] for r in _rows(db)}
    assert versions == {"en": "0.0.1-old", "nl": stored_chapters.code_version()}


def test_a_read_only_reader_builds_without_writing_and_says_so_once(edition_db, tmp_path, caplog):
    db = _copy(edition_db, tmp_path, f"DROP TABLE {stored_chapters.TABLE}")
    edition, rule, protected = _edition(db)
    logger = stored_chapters.__name__
    with caplog.at_level(logging.WARNING, logger=logger):
        for _ in range(2):
            got = stored_chapters.edition_chapters(
                db, edition, rule, "en", protected, read_only=True
            )
            assert [c["id"] for c in got]
    messages = [r.getMessage() for r in caplog.records if r.name == logger]
    assert len(messages) == 1 and "not stored" in messages[0], messages
    assert _rows(db) == []


def test_a_payload_of_another_format_or_with_an_unknown_entry_is_refused():
    content = ChapterContent(
        title="t",
        intro=["a", "b"],
        blocks=[Block(id="b1", title="x", header=["h"], rows=[["1", "<10"]])],
        data={"area_rows": {"k": (["h"], [["r", 1, 2.5, None, True]])}},
    )
    chapters = [{"id": "c", "content": content}]
    back = stored_chapters.decode(stored_chapters.encode(chapters))
    assert back == chapters
    assert isinstance(back[0]["content"].data["area_rows"]["k"], tuple)  # not a list
    import json
    import zlib

    doc = json.loads(zlib.decompress(stored_chapters.encode(chapters)))
    for broken in (
        {**doc, "format": stored_chapters.FORMAT + 1},
        {**doc, "chapters": [{"id": "c", "content": {"pickle": "..."}}]},
    ):
        with pytest.raises(ValueError):
            stored_chapters.decode(zlib.compress(json.dumps(broken).encode()))
    with pytest.raises(TypeError):
        stored_chapters.encode([{"id": "c", "content": ChapterContent(title="t", data={1: 2})}])


def test_the_languages_built_at_the_same_time_equal_those_built_one_by_one(edition_db, monkeypatch):
    """``run`` builds half of the first language's chapters in its process and the other
    half, then the other languages, in a worker process (``chapter_workers``): the chapters
    are those :func:`stored_chapters.build` makes, in every language (the method chapter,
    which lists every chapter's tables, too), and here only half of the first was built."""
    from traffickingmonitor.publish import chapter_workers

    edition, rule, protected = _edition(edition_db)
    expected = {
        lang: stored_chapters.build(edition_db, edition, rule, lang, protected)
        for lang in stored_chapters.LANGS
    }
    here = []
    build_from = stored_chapters.build_from

    def build_here(edition, rule, lang, *args, only=None, given=None):
        here.append((lang, only, None if given is None else frozenset(given)))
        return build_from(edition, rule, lang, *args, only=only, given=given)

    monkeypatch.setattr(stored_chapters, "build_from", build_here)
    monkeypatch.setattr(chapter_workers, "_cores", lambda: 2)  # a worker even on one core
    mine, theirs = chapter_workers.halves()
    assert mine and theirs and not set(mine) & set(theirs)
    with chapter_workers.language_workers(len(stored_chapters.LANGS) - 1) as pool:
        assert pool is not None
        built = dict(
            chapter_workers.iter_languages(
                edition_db, edition, rule, stored_chapters.LANGS, protected, pool
            )
        )
    first = stored_chapters.LANGS[0]
    assert here == [(first, mine, None), (first, None, frozenset({*mine, *theirs}))]
    assert {lang: chapters for lang, (chapters, _) in built.items()} == expected
    assert "method" in {c["id"] for c in expected[first]}


def test_the_halves_share_the_chapters_out_by_cost():
    """Every chapter but those that read the others is in one half, in report order, and
    the halves' costs differ by less than the costliest chapter's."""
    from traffickingmonitor.publish import chapter_workers
    from traffickingmonitor.publish.chapters import CHAPTERS, READS_BUILT

    mine, theirs = chapter_workers.halves()
    ids = [c.id for c in CHAPTERS if c.id not in READS_BUILT]
    assert sorted([*mine, *theirs]) == sorted(ids)
    assert list(mine) == [i for i in ids if i in mine]
    assert list(theirs) == [i for i in ids if i in theirs]
    cost = {c.id: c.cost for c in CHAPTERS}
    gap = abs(sum(cost[i] for i in mine) - sum(cost[i] for i in theirs))
    assert gap <= max(cost.values())


def test_then_gets_the_first_language_and_its_failure_waits_for_the_others(tmp_path):
    """``run(then=...)`` (the demo's report) gets the chapters of ``first_lang`` as they are
    stored; an error in it is raised once every language is stored, the edition kept."""
    from traffickingmonitor.errors import UserError

    db = tmp_path / "monitor.duckdb"
    got = []

    def then(first):
        got.append(first)
        raise UserError("cannot write to the report folder")

    with pytest.raises(UserError, match="report folder"):
        pipeline.run(make_input_dir(tmp_path), db, Key(KEY.encode()), first_lang="en", then=then)
    assert [row[2] for row in _rows(db)] == ["en", "nl"]
    (first,) = got
    edition, rule, protected = _edition(db)
    assert (first.lang, first.edition.edition_id, first.rule) == ("en", edition.edition_id, rule)
    assert first.protected.keys() == protected.keys()
    assert first.chapters == stored_chapters.edition_chapters(
        db, edition, rule, "en", protected, read_only=True
    )


def test_a_language_whose_worker_fails_is_built_here(edition_db, caplog):
    from concurrent.futures import Executor, Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from traffickingmonitor.publish import chapter_workers

    class Broken(Executor):
        def submit(self, fn, /, *args, **kwargs):
            future = Future()
            future.set_exception(BrokenProcessPool("a worker ended abruptly"))
            return future

    closed = ProcessPoolExecutor(1)
    closed.shutdown()
    edition, rule, protected = _edition(edition_db)
    expected = stored_chapters.build(edition_db, edition, rule, "en", protected)
    for pool in (Broken(), closed):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=chapter_workers.__name__):
            built = dict(
                chapter_workers.iter_languages(
                    edition_db, edition, rule, ["nl", "en"], protected, pool
                )
            )
        assert built["en"][0] == expected
        assert "built here" in caplog.text
