"""``disclosure-check --microdata`` on a small stored edition: every count table is attacked
from its members (none "not attacked"), and the verdicts are those of the attacker."""

from __future__ import annotations


def test_every_table_of_a_small_edition_is_attacked_from_the_microdata(tmp_path):
    from traffickingmonitor import pipeline
    from traffickingmonitor.disclosure.check import check_edition
    from traffickingmonitor.intake import api as intake
    from traffickingmonitor.synthetic.api import write_synthetic_edition

    # two years at a tenth of the demo: 2018 then has too few lists for a hidden number, the
    # case whose members once made both hidden-number tables "not attacked"
    write_synthetic_edition(tmp_path / "data", seed=3, scale=0.1, years=(2017, 2018))
    key = intake.load_key(intake.create_key_file(tmp_path / "key"))
    db = tmp_path / "monitor.duckdb"
    config = {"linkage": {"method": "deterministic"}, "hidden_number": {"n_boot": 20}}
    pipeline.run(tmp_path / "data", db, key, config=config)
    result = check_edition(db, microdata="tables")
    assert result.microdata
    assert [v.table_id for v in result.microdata if not v.attacked] == []
    lines = result.lines()
    assert any(
        line.startswith("attacker from the microdata") and "within each table" in line
        for line in lines
    )
    # the verdict of the whole check follows the attacker's
    recovered = any(v.recovered for v in result.microdata)
    assert result.ok is (not recovered and all(v.ok for v in result.verdicts))
    # `run` reads the members through its own open connection (against_microdata)
    from traffickingmonitor import editions, store
    from traffickingmonitor.analysis.microdata import stored_members

    edition, tables = editions.read_edition(db)
    con = store.connect(db, read_only=True)
    try:
        found = stored_members(con, edition.edition_id, tables)
    finally:
        con.close()
    assert found.missing == {}
    assert set(found.members) == {v.table_id for v in result.microdata}


def test_a_small_count_in_a_chapter_table_fails_the_check():
    from traffickingmonitor.disclosure.check import chapter_counts
    from traffickingmonitor.publish.chapters import Block, ChapterContent

    def chapters(rows, person_counts=True):
        block = Block(
            id="b", title="t", header=["", "2019"], rows=rows, person_counts=person_counts
        )
        return [{"id": "c", "content": ChapterContent(title="t", blocks=[block])}]

    clean = [["3 or more", "<10"], ["total", "1\u202f234"], ["x", "x"], ["share", "12%"]]
    assert chapter_counts(chapters(clean), 10) == (1, 0)  # the row's name is no count
    assert chapter_counts(chapters([*clean, ["women", "7"]]), 10) == (2, 1)
    assert chapter_counts(chapters([["score", "7"]], person_counts=False), 10) == (0, 0)
