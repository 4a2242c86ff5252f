"""The Eurostat annex: published cells only, hidden cells flagged, every category placed.

Run on the demo edition as the report protects it, and protected again with a high threshold
so that many of the annex's cells are hidden (at the edition's threshold they are all shown).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from traffickingmonitor import editions
from traffickingmonitor.disclosure.api import protect_edition, rule_from_config
from traffickingmonitor.publish import eurostat
from traffickingmonitor.publish.chapters import eurostat_annex
from traffickingmonitor.publish.chapters.base import ChapterContext, edition_years
from traffickingmonitor.publish.labels import TEXT
from traffickingmonitor.publish.report import render_html
from web_helpers import build_demo_db

USED = ("totals", *eurostat.MAPPED_TABLES)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = build_demo_db(tmp_path_factory)
    edition, tables = editions.read_edition(db)
    rule = rule_from_config(edition.config.get("disclosure"))
    strict = rule_from_config(edition.config.get("disclosure"), threshold=40)
    used = {k: v for k, v in tables.items() if k in USED}
    return SimpleNamespace(
        edition=edition,
        rule=rule,
        protected={
            "edition": protect_edition(tables, rule),
            "strict": protect_edition(used, strict),
        },
    )


@pytest.fixture(params=["edition", "strict"])
def protected(request, demo):
    return demo.protected[request.param]


def _row(text: str) -> dict:
    return dict(part.split("=", 1) for part in text.split(";")) if text else {}


def test_every_value_is_the_published_cell_and_every_hidden_cell_is_confidential(protected):
    annex = eurostat.annex_frame(protected)
    # one row per series and year of its table: nothing left out, nothing added
    expected = sum(protected[c.table].frame["year"].nunique() for c in eurostat.CELLS)
    assert len(annex) == expected
    hidden = 0
    for r in annex.itertuples():
        table = protected[r.monitor_table]
        where = {"year": r.TIME_PERIOD, **_row(r.monitor_row)}
        value = table.value(where, r.monitor_column)
        mask = pd.Series(True, index=table.frame.index)
        for k, v in where.items():
            mask &= table.frame[k] == v
        suppressed = bool(table.suppressed.loc[mask, r.monitor_column].iloc[0])
        assert suppressed == isinstance(value, str), (r.monitor_table, where)
        assert r.monitor_value == value
        if suppressed:
            hidden += 1
            assert pd.isna(r.OBS_VALUE), (r.monitor_table, where)
            assert (r.OBS_FLAG, r.CONF_STATUS) == ("c", "C")
            assert value in (f"<{table.rule.threshold}", "x")
        else:
            assert int(value) == r.OBS_VALUE, (r.monitor_table, where)
            assert (r.OBS_FLAG, r.CONF_STATUS) == ("", "")
    if protected["sex"].rule.threshold > 10:
        assert hidden >= 10  # the strict protection hides many: the check above ran on them


def test_no_number_is_in_the_annex_that_its_table_does_not_publish(protected):
    annex = eurostat.annex_frame(protected)
    for tid, part in annex.groupby("monitor_table"):
        table = protected[tid]
        counts = table.frame[list(table.spec.counts)].to_numpy().ravel()
        published = {int(v) for v in counts if not isinstance(v, str) and pd.notna(v)}
        assert set(part["OBS_VALUE"].dropna().astype(int)) <= published, tid


def test_every_category_of_the_mapped_tables_is_placed_exactly_once(demo):
    protected = demo.protected["edition"]
    for tid in eurostat.MAPPED_TABLES:
        table = protected[tid]
        dims = [d for d in table.spec.dimensions if d != "year"]
        categories = {(d, c) for d in dims for c in table.frame[d].unique()}
        if tid == "perpetrator_chain":
            categories |= {("column", c) for c in table.spec.counts}
        placed = eurostat.covered(tid)
        assert set(placed) == categories, tid
        for key, where in placed.items():
            assert len(set(where)) == 1, (tid, key, where)  # one dataset, or left out
            # only the chain's row "all" fills several series, one per stage (a column)
            assert len(where) == 1 or key == ("exploitation_form", "all"), (tid, key)
    series = [(c.dataset, c.codes) for c in eurostat.CELLS]
    assert len(series) == len(set(series))
    for lo in eurostat.LEFT_OUT:  # every category left out says why, in both languages
        assert all(eurostat.REASONS[lang][lo.reason] for lang in ("nl", "en"))


def test_the_csvs_have_eurostats_columns(protected, tmp_path):
    folder = eurostat.write_annex(protected, tmp_path / "eurostat", "en")
    meta = json.loads((folder / "metadata.json").read_text("utf-8"))
    assert {f["file"] for f in meta["files"]} == {f"{d.code}.csv" for d in eurostat.DATASETS}
    for dataset in eurostat.DATASETS:
        frame = pd.read_csv(
            folder / f"{dataset.code}.csv", dtype=str, keep_default_na=False, encoding="utf-8"
        )
        columns = ["DATAFLOW", "freq", "unit", *dataset.dimensions, "geo", "TIME_PERIOD"]
        columns += ["OBS_VALUE", "OBS_FLAG", "CONF_STATUS"]
        assert list(frame.columns[: len(columns)]) == columns
        assert set(frame["DATAFLOW"]) == {dataset.code}
        assert set(frame["geo"]) == {"NL"}
        assert frame["TIME_PERIOD"].str.fullmatch(r"\d{4}").all()
        for dim in dataset.dimensions:
            assert (frame[dim] != "").all()
        flagged = frame["OBS_FLAG"] == "c"
        assert ((frame["OBS_VALUE"] == "") == flagged).all()
        assert (frame.loc[flagged, "CONF_STATUS"] == "C").all()
        assert frame.loc[~flagged, "OBS_VALUE"].str.fullmatch(r"\d+").all()
        assert not frame.duplicated([*dataset.dimensions, "TIME_PERIOD"]).any()
    mapping = pd.read_csv(folder / "mapping.csv", dtype=str, keep_default_na=False)
    assert len(mapping) == len(eurostat.CELLS) + len(eurostat.LEFT_OUT)
    # the dataset codes are in Eurostat's table of contents; what is not confirmed is the
    # dimension of the forms of exploitation (Eurostat has no "expl"; ICCS is inferred)
    assert meta["unconfirmed_codes"] == [
        "iccs=ICCS0204",
        "iccs=ICCS02041",
        "iccs=ICCS02042",
        "iccs=UNK",
    ]
    assert all(f["dataset_code_source"] != eurostat.UNCONFIRMED for f in meta["files"])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_both_languages_render_the_annex(demo, lang):
    protected = demo.protected["strict"]
    ctx = ChapterContext(
        protected, demo.edition, demo.rule, lang, TEXT[lang], edition_years(protected)
    )
    content = eurostat_annex.build(ctx)
    assert [b.id for b in content.blocks] == [
        f"eurostat-{d.code.replace('_', '-')}" for d in eurostat.DATASETS
    ]
    html = render_html(
        protected, demo.edition, demo.rule, lang, chapters=[{"id": "eurostat", "content": content}]
    )
    words = eurostat_annex.TEXT[lang]
    assert words["title"] in html
    not_crossed = {
        "nl": "Geslacht naar leeftijd wordt niet geleverd",
        "en": "Sex by age is not delivered",
    }
    assert not_crossed[lang] in html
    for d in eurostat.DATASETS:
        assert f'id="eurostat-{d.code.replace("_", "-")}"' in html
    assert f"&lt;{protected['sex'].rule.threshold}" in html  # hidden cells keep their symbol
    vsage = next(b for b in content.blocks if b.id == "eurostat-crim-thb-vsage")
    female = next(r for r in vsage.rows if "F" in r[0])
    sex = protected["sex"]
    assert female[2:] == [
        eurostat_annex.shown(sex.value({"year": y, "sex": "female"}, "persons")) for y in ctx.years
    ]
