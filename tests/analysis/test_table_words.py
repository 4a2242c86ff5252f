"""A table's title and note come from the catalogs (context ``tables``), never from the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from traffickingmonitor.analysis import tables
from traffickingmonitor.analysis.tables import breakdown, table_words, words
from traffickingmonitor.publish.i18n import MissingMessage

SRC = Path(tables.__file__).parents[1]
#: the modules that build the monitor's tables
BUILDERS = [*sorted((SRC / "analysis").glob("*.py")), SRC / "publish" / "web" / "workspace_fit.py"]
WORDS = {"title_nl", "title_en", "note_nl", "note_en"}


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _problems(source: str) -> list[str]:
    """Each ``MonitorTable(...)`` call that does not take its words from ``**table_words(...)``
    or passes a title or note of its own (by name, or as the second or third argument)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _name(node.func) == "MonitorTable"):
            continue
        own = [kw.arg for kw in node.keywords if kw.arg in WORDS]
        if len(node.args) > 1:
            own.append(f"{len(node.args)} positional arguments")
        from_catalog = any(
            kw.arg is None
            and isinstance(kw.value, ast.Call)
            and _name(kw.value.func) == "table_words"
            for kw in node.keywords
        )
        if own or not from_catalog:
            out.append(f"line {node.lineno}: {', '.join(own) or 'no **table_words(...)'}")
    return out


@pytest.mark.parametrize("path", BUILDERS, ids=lambda p: p.name)
def test_every_table_takes_its_title_and_note_from_the_catalog(path):
    assert not _problems(path.read_text(encoding="utf-8")), path.name


def test_the_check_finds_words_written_in_the_code():
    assert _problems('MonitorTable("t", "Titel", "Title", frame, dimensions=())')
    assert _problems('MonitorTable("t", frame=f, title_nl=nl, title_en=en)')
    assert _problems('MonitorTable("t", frame=f, **table_words("t"), note_nl="Noot")')
    assert _problems('MonitorTable(table_id="t", frame=f, **words)')
    assert not _problems('MonitorTable("t", frame=f, **table_words("t", by=breakdown("sex")))')


def test_table_words_fills_fields_per_language_and_appends_further_sentences():
    assert table_words("care_reach", by=breakdown("region"))["title_nl"] == (
        "Zorg en opvang na de eerste registratie, naar regio (politie-eenheid)"
    )
    assert table_words("care_reach", by=breakdown(None))["title_en"] == (
        "Care and shelter after the first registration"
    )
    more = table_words(
        "care_reach", by="", also=[words("care_reach.municipalities", min_municipality=50)]
    )
    assert more["note_en"].endswith(
        "(times 10 in the open data). Only municipalities with at least 50 persons."
    )
    # a table without a note of its own has none; a shared note is named
    assert table_words("sex")["note_nl"] == ""
    assert table_words("sex", note="overlapping.note")["note_en"].startswith("One person")
    with pytest.raises(MissingMessage):
        table_words("no_such_table")
