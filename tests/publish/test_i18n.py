"""The report's words in gettext catalogs: complete, consistent, loud when a key is missing."""

from __future__ import annotations

import pickle
import re
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.util import pathmatch

from traffickingmonitor.publish import charts, i18n, i18n_extract
from traffickingmonitor.publish.i18n import MissingMessage, catalog

PUBLISH = Path(i18n.__file__).parent


def _po(lang: str):
    with i18n.po_path(lang).open("rb") as f:
        return pofile.read_po(f, abort_invalid=True)


def _entries(lang: str) -> dict[tuple[str, str], object]:
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in _po(lang) if m.id}


def _used_keys() -> set[tuple[str, str]]:
    """What ``pybabel extract -F pyproject.toml`` finds: the mappings of ``[tool.babel]``
    (the first pattern a file matches, as Babel does), by the same extractors."""
    with (PUBLISH.parents[2] / "pyproject.toml").open("rb") as f:
        babel = tomllib.load(f)["tool"]["babel"]
    extractors = {
        name: getattr(i18n_extract, target.split(":")[1])
        for name, target in babel["extractors"].items()
    }
    used = set()
    for path in sorted(PUBLISH.rglob("*")):
        rel = path.relative_to(PUBLISH).as_posix()
        mapping = next((m for m in babel["mappings"] if pathmatch(m["pattern"], rel)), None)
        if mapping is None or not path.is_file():
            continue
        options = {k: v for k, v in mapping.items() if k not in ("method", "pattern")}
        with path.open("rb") as f:
            for _, _, msg, _ in extractors[mapping["method"]](f, {}, [], options):
                used.add((msg[0], msg[1]))
    return used


def test_every_key_the_code_reads_is_in_both_catalogs_and_no_entry_is_unused():
    used = _used_keys()
    for lang in i18n.LANGS:
        have = {k for k, m in _entries(lang).items() if m.string and not m.fuzzy}
        assert not used - have, f"{lang}: read by the code, not in the catalog: {used - have}"
        assert not set(_entries(lang)) - used, f"{lang}: never read: {set(_entries(lang)) - used}"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_placeholders_are_the_same_in_both_languages_and_plurals_have_both_forms():
    nl, en = _entries("nl"), _entries("en")
    assert set(nl) == set(en)
    for key, m_en in en.items():
        m_nl = nl[key]
        forms_en = m_en.string if isinstance(m_en.string, tuple) else (m_en.string,)
        forms_nl = m_nl.string if isinstance(m_nl.string, tuple) else (m_nl.string,)
        assert len(forms_en) == len(forms_nl), key
        if isinstance(m_en.id, tuple):
            assert len(forms_en) == 2 and all(forms_en) and all(forms_nl), key
        for a, b in zip(forms_en, forms_nl, strict=True):
            assert _fields(a) == _fields(b), (key, a, b)
            # paragraphs: the same number in both languages
            assert a.count(i18n.PARAGRAPH_SEP) == b.count(i18n.PARAGRAPH_SEP), key


def test_the_dutch_catalog_shows_the_english_source():
    for key, m in _entries("nl").items():
        assert m.auto_comments, f"{key}: no English text as extracted comment"


def test_a_missing_key_raises_naming_context_key_and_language():
    with pytest.raises(MissingMessage, match=r"'no_such_key'.*'need_effort'.*'nl'"):
        catalog("need_effort")["nl"]["no_such_key"]
    with pytest.raises(MissingMessage, match=r"hn_status\.nope"):
        catalog("labels")["en"]["hn_status"]["nope"]
    assert catalog("labels")["en"].get("no_such_key", "x") == "x"
    assert "no_such_key" not in catalog("labels")["en"]


def test_sections_paragraphs_plurals_and_pickling():
    t = catalog("labels")["nl"]
    assert t["hn_status"]["skipped"] == t["hn_status.skipped"]
    lines = catalog("need_effort")["en"].paragraphs("annex_lines")
    assert len(lines) == 4 and all(lines)
    w = catalog("programme")["nl"]
    assert w.plural("summary_behind", 1).format(behind=1) == "1 loopt achter."
    assert w.plural("summary_behind", 2).format(behind=2) == "2 lopen achter."
    assert catalog("categories")["en"].plural("years", 1).format(n=1) == "1 year"
    assert pickle.loads(pickle.dumps(t))["title"] == t["title"]


def test_an_edited_po_is_read_without_a_compiled_mo(tmp_path, monkeypatch):
    po = tmp_path / "nl" / "LC_MESSAGES" / "traffickingmonitor.po"
    po.parent.mkdir(parents=True)
    text = i18n.po_path("nl").read_text(encoding="utf-8")
    text = text.replace('msgstr "Slachtoffermonitor mensenhandel"', 'msgstr "Bewerkte titel"')
    po.write_text(text, encoding="utf-8")
    monkeypatch.setattr(i18n, "locale_dir", lambda: tmp_path)
    i18n.translations.cache_clear()
    i18n._messages.cache_clear()
    try:
        assert catalog("labels")["nl"]["title"] == "Bewerkte titel"
    finally:
        i18n.translations.cache_clear()
        i18n._messages.cache_clear()


@pytest.mark.slow
def test_dutch_charts_write_dutch_numbers():
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({"x": ["a", "b"], "y": [1600.0, 45.1]})
    chart = (
        alt.Chart(frame).mark_bar().encode(x="x:N", y=alt.Y("y:Q", axis=alt.Axis(format=",.1f")))
    )
    with charts.chart_language("nl"):
        nl = charts.to_svg(chart)
    with charts.chart_language("en"):
        en = charts.to_svg(chart)
    # decimal comma in Dutch, point in English; thousands as in the text (narrow no-break space)
    assert re.search(r">1\u202f600,0<", nl), "no Dutch 1 600,0 on the axis"
    assert re.search(r">1\u202f600\.0<", en)
    assert ",0<" in nl and ".0<" not in nl


@pytest.mark.parametrize(
    "kwargs,nl,en",
    [
        ({}, ["1 tot en met 9", "'<10'", "'x'", "op tientallen"], ["1 to 9", "nearest 10."]),
        (
            {"threshold": 5, "estimate_rounding": 5},
            ["1 tot en met 4", "'<5'", "veelvouden van 5."],
            ["1 to 4", "'<5'", "nearest 5."],
        ),
        ({"method": "rounding", "rounding_base": 3}, ["veelvouden van 3:"], ["multiples of 3:"]),
        ({"method": "dp", "epsilon": 0.25}, ["ε = 0.25"], ["ε = 0.25"]),
    ],
)
def test_the_rule_is_described_with_its_own_parameters(kwargs, nl, en):
    """The rule's words come from the catalogs (context disclosure_rule), filled in with
    the edition's threshold, symbols and rounding bases."""
    from traffickingmonitor.disclosure.rule import DisclosureRule

    rule = DisclosureRule(**kwargs)
    for lang, parts in (("nl", nl), ("en", en)):
        text = rule.describe(lang)
        assert "{" not in text, text
        for part in parts:
            assert part in text, (lang, part, text)
