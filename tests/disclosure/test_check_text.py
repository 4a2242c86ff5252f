"""``disclosure-check`` reads the chapters' running text: every count the chapters write is
known as written (``format.recording``), a shown cell or a figure worked out from shown ones,
and a shown cell must be a published number, never a small count."""

from __future__ import annotations

import pytest

from traffickingmonitor.publish import format as fmt


def test_recording_knows_each_number_as_written_and_by_whom():
    def chapter_sentence():
        return f"{fmt.shown(1234)} of {fmt.worked_out(5642)}, {fmt.interval(10, 20)}"

    assert fmt.shown(7) == "7"  # not recording: nothing kept
    with fmt.recording() as outer:
        with fmt.recording() as inner:
            text = chapter_sentence()
        fmt.shown("x")  # a symbol is no number
        fmt.shown(None)
    assert text == "1\u202f234 of 5\u202f642, 10–20"
    assert outer == []
    where = f"{__name__}.chapter_sentence"
    assert inner == [
        fmt.Formatted(1234, "cell", where),
        fmt.Formatted(5642, "worked_out", where),
        fmt.Formatted(10, "cell", where),
        fmt.Formatted(20, "cell", where),
    ]
    with fmt.recording() as worked:
        fmt.interval(10, 20, worked=True)
    assert [f.kind for f in worked] == ["worked_out", "worked_out"]


def test_the_numbers_of_the_text_are_sorted_by_what_wrote_them():
    from traffickingmonitor.disclosure.check import text_numbers
    from traffickingmonitor.publish.chapters import Block, ChapterContent

    with fmt.recording() as formatted:
        sentence = (
            f"In 2020, {fmt.shown(1338)} persons, {fmt.worked_out(982)} a year; 45.0% within "
            f"5 years, 26% fewer; {fmt.shown(989)} on 2025-12-31."
        )
    content = ChapterContent(
        title="Key figures 2020",
        intro=[sentence],
        blocks=[Block(id="b", title="t", summary="<svg>1 2 3</svg>", note="per 100")],
    )
    found = text_numbers([{"id": "c", "content": content}], formatted)
    assert found == {"cell": 2, "worked_out": 1, "share": 2, "rate": 0, "year": 3, "other": 2}


@pytest.fixture(scope="module")
def demo_protection(demo_edition):
    from traffickingmonitor import editions
    from traffickingmonitor.disclosure.rule import rule_from_config
    from traffickingmonitor.disclosure.stored import stored_protection

    edition, tables = editions.read_edition(demo_edition.db)
    rule = rule_from_config(edition.config.get("disclosure"))
    protection = stored_protection(
        demo_edition.db, edition.edition_id, tables, rule, read_only=False
    )
    return edition, rule, protection


def test_the_demo_chapters_write_only_published_counts(demo_edition, demo_protection):
    from traffickingmonitor.disclosure.check import chapter_verdicts

    edition, rule, protection = demo_protection
    verdicts = chapter_verdicts(demo_edition.db, edition, rule, protection)
    assert [v.table_id for v in verdicts] == ["chapters (nl)", "chapters (en)"]
    for v in verdicts:
        assert v.ok, v.detail
        assert "running text:" in v.detail and "not attacked" in v.detail
        read = int(v.detail.split("running text: ")[1].split()[0])
        cells = int(v.detail.split("numbers read: ")[1].split()[0])
        assert 0 < cells < read


@pytest.mark.parametrize("value", [5, 1_000_003])
def test_a_count_the_text_writes_that_no_table_shows_fails_the_check(
    demo_edition, demo_protection, monkeypatch, value
):
    """A sentence that wrote a small count, or a count of no published table (as a chapter
    reading the microdata would), fails, naming the function that wrote it."""
    from traffickingmonitor.disclosure.check import chapter_verdicts
    from traffickingmonitor.publish.chapters import summary

    edition, rule, protection = demo_protection
    honest = summary._registered

    def registered(ctx, w):
        return f"{honest(ctx, w)} {fmt.shown(value)}"

    monkeypatch.setattr(summary, "_registered", registered)
    verdicts = chapter_verdicts(demo_edition.db, edition, rule, protection)
    why = "a small count" if value < rule.threshold else "not a published number"
    for v in verdicts:
        assert not v.ok
        assert "the stored chapters are not what this code builds" in v.detail
        assert f"{__name__}.registered writes {value:g}, {why}" in v.detail
