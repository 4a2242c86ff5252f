"""The executive summary and the analyst's foreword.

Every number of every summary sentence (NL and EN) is recomputed here from the protected
tables, independently of the chapter code; the check is shown to fail on a wrong number.
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pytest

from traffickingmonitor.disclosure.api import DisclosureRule, protect_edition
from traffickingmonitor.publish.chapters import CHAPTERS, summary
from traffickingmonitor.publish.chapters.base import ChapterContext
from traffickingmonitor.publish.format import clearly_larger
from traffickingmonitor.publish.labels import TEXT
from web_helpers import demo_context, protected_demo

from helpers import KEY, run_cli

NUMBER = re.compile(r"\d+(?:\u202f\d{3})*(?:[.,]\d+)?")
RESIDUAL = ("unknown", "other", "other_unknown")
RANKING = {"nl": ("grootste", "daarna", "kleinste"), "en": ("largest", "next", "smallest")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo edition (seed 1): its store, edition, rule and protected tables."""
    return protected_demo(tmp_path_factory)


def _ctx(demo, lang: str) -> ChapterContext:
    return demo_context(demo, lang)


def numbers(text: str) -> list[float]:
    return [float(n.replace("\u202f", "").replace(",", ".")) for n in NUMBER.findall(text)]


# --- what each sentence must say, recomputed from the protected tables ---------------------


def _count(table, row, col) -> int | None:
    v = table.value(row, col)
    return None if v is None or isinstance(v, str) else int(v)


def _pct(a, b) -> int:
    return round(100 * a / b)


def _one(x: float) -> float:
    """A fraction as the percentage with one decimal the sentence shows."""
    return round(100 * x, 1)


def expected(kind: str, p: dict, edition, rule, years: list[int], before) -> list[float]:
    last = years[-1]
    if kind == "registered":
        totals = p["totals"]
        n = _count(totals, {"year": last}, "persons")
        out = [last, n]
        n_prev = _count(totals, {"year": years[-2]}, "persons")
        out += [abs(_pct(n - n_prev, n_prev)), years[-2], n_prev]
        earlier = [_count(totals, {"year": y}, "persons") for y in years[:-1]]
        mean = round(sum(earlier) / len(earlier))
        return [*out, abs(_pct(n - mean, mean)), years[0], years[-2], mean]
    if kind == "who":
        sex, minor = p["sex"], p["minor"]
        f, m = (_count(sex, {"year": last, "sex": c}, "persons") for c in ("female", "male"))
        mi, ad = (_count(minor, {"year": last, "minor": c}, "persons") for c in ("minor", "adult"))
        return [last, _pct(f, f + m), _pct(mi, mi + ad)]
    if kind == "largest":
        vg, total = p["victim_group"], _count(p["totals"], {"year": last}, "persons")
        frame = vg.frame[vg.frame["year"] == last]
        counts = sorted(
            (int(r.persons), r.victim_groups)
            for r in frame.itertuples()
            if r.victim_groups not in RESIDUAL
        )[::-1]
        (n1, _), (n2, _) = counts[:2]
        return [last, n1, _pct(n1, total), n2, _pct(n2, total)]
    if kind == "revictimisation":
        t = p["revictimisation"]
        f = t.frame
        row = f[(f["offence_group"] == "any") & (f["month"] == 60)].iloc[0]
        size = f[(f["offence_group"] == "any") & (f["month"] == 0)].iloc[0]["at_risk"]
        cohorts = p["revictimisation_cohort_year"].frame["cohort_year"].astype(int)
        return [
            int(size),
            cohorts.min(),
            cohorts.max(),
            _one(row["cif_per_10000"] / 10000),
            95,
            _one(row["ci_low_per_10000"] / 10000),
            _one(row["ci_high_per_10000"] / 10000),
        ]
    if kind == "suspects":
        t = p["crime_overlap"]
        window = int(t.spec.extra.get("window_years", 5))
        persons = _count(t, {"offence_group": "any"}, "persons")
        anyone = _count(t, {"offence_group": "any"}, "suspects")
        drugs = _count(t, {"offence_group": "drugs"}, "suspects")
        return [persons, window, _pct(anyone, persons), _pct(drugs, persons)]
    if kind == "care":
        t = p["care_reach"]
        days = sorted(int(d) for d in t.frame["days"].unique())
        flag = 90 if 90 in days else days[len(days) // 2]

        def share(d):
            return _pct(_count(t, {"days": d}, "reached"), _count(t, {"days": d}, "persons"))

        median = round(t.value({"days": days[-1]}, "median_days_x10") / 10)
        longest = [] if days[-1] == 365 else [days[-1]]
        return [share(flag), flag, share(days[-1]), *longest, median]
    if kind == "hidden":
        f = p["hidden_number"].frame
        rows = f[(f["victim_group"] == "all") & f["estimate"].map(lambda v: not isinstance(v, str))]
        r = rows.iloc[-1]
        est, low, high, obs = (int(r[c]) for c in ("estimate", "ci_low", "ci_high", "observed"))
        # not registered: estimate minus registered, rounded to tens as the estimates are
        missing = [max(round(v - obs, -1), 0) for v in (est, low, high)]
        return [int(r["year"]), est, 95, low, high, obs, missing[0], 95, *missing[1:]]
    if kind == "edition":
        return numbers(before[-1]) if before else []
    if kind == "disclosure":
        hidden = sum(t.n_hidden() for t in p.values())
        cells = sum(t.n_cells() for t in p.values())
        return [rule.threshold, hidden, cells, _pct(hidden, cells)]
    if kind == "caveat_model":
        return [95]
    if kind in ("caveat_registrations", "hidden_lists"):
        return []
    raise AssertionError(f"a summary sentence of unknown kind {kind!r}: add its check here")


def check(kind: str, text: str, demo, lang: str) -> None:
    want = expected(kind, demo.protected, demo.edition, demo.rule, demo.years, demo.before)
    got = numbers(text)
    assert got == [float(w) for w in want], f"{lang} {kind}: {text!r} says {got}, tables {want}"
    if kind == "registered":
        totals = demo.protected["totals"]
        n_prev, n = (totals.shown_count({"year": y}, "persons") for y in demo.years[-2:])
        word = {"nl": ("meer", "minder"), "en": ("more", "fewer")}[lang][n < n_prev]
        assert n == n_prev or re.search(r"% (\w+)", text).group(1) == word, text


ALL_KINDS = {
    "registered",
    "who",
    "largest",
    "revictimisation",
    "suspects",
    "care",
    "hidden",
    "edition",
    "caveat_registrations",
    "caveat_model",
    "hidden_lists",
    "disclosure",
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_summary_number_is_recomputed_from_the_protected_tables(demo, lang):
    ctx = _ctx(demo, lang)
    content = summary.build(ctx)
    parts = content.data["sentences"]
    kinds = [k for items in parts.values() for k, _ in items]
    # the demo edition has every finding: none is silently left out of the check
    assert set(kinds) == ALL_KINDS
    for items in parts.values():
        for kind, text in items:
            check(kind, text, demo, lang)
    lead = content.intro[0]
    assert numbers(lead) == [demo.years[0], demo.years[-1], 95]
    # what the template shows is exactly these sentences
    shown_items = [i for s in content.data["sections"] for i in s["items"]]
    assert shown_items == [text for items in parts.values() for _, text in items]


def test_the_check_fails_on_a_wrong_number(demo):
    ctx = _ctx(demo, "en")
    parts = summary.sentences(ctx)
    kind, text = next((k, s) for k, s in parts["findings"] if k == "hidden")
    first = NUMBER.search(text.split("is ", 1)[1])
    wrong = text.replace(first.group(0), str(int(first.group(0).replace("\u202f", "")) + 10), 1)
    with pytest.raises(AssertionError):
        check(kind, wrong, demo, "en")
    kind, text = next((k, s) for k, s in parts["findings"] if k == "revictimisation")
    with pytest.raises(AssertionError):
        check(kind, text.replace("five years", "five years (7%)"), demo, "en")


def test_summary_is_the_first_chapter():
    assert CHAPTERS[0] is summary.CHAPTER
    assert CHAPTERS[1].id == "key-figures"


# --- the "largest" rule --------------------------------------------------------------------


def _groups_ctx(demo, counts: dict[str, int], total: int, lang: str) -> ChapterContext:
    """A context over ``totals`` and ``victim_group`` whose last year has these counts (a
    person is in at least one group: the groups add up to at least the total)."""
    last = demo.years[-1]
    totals, groups = demo.tables["totals"], demo.tables["victim_group"]
    tf = totals.frame.copy()
    tf.loc[tf["year"] == last, ["persons", "registrations"]] = total
    gf = groups.frame.copy()
    for g, n in counts.items():
        sel = (gf["year"] == last) & (gf["victim_groups"] == g)
        gf.loc[sel, ["persons", "registrations"]] = n
    tables = {
        "totals": dataclasses.replace(totals, frame=tf),
        "victim_group": dataclasses.replace(groups, frame=gf),
    }
    rule = DisclosureRule(threshold=10)
    protected = protect_edition(tables, rule)
    edition = SimpleNamespace(notes={})
    return ChapterContext(protected, edition, rule, lang, TEXT[lang], demo.years)


CLOSE = [
    # close in count: the gap is within chance
    ({"crossborder_sexual": 400, "labour": 390, "criminal": 200, "domestic_sexual": 150}, 1000),
    # beyond chance, but only 2 percentage points of all persons apart
    (
        {
            "crossborder_sexual": 4000,
            "labour": 3800,
            "criminal": 900,
            "domestic_sexual": 800,
            "other_unknown": 600,
        },
        10000,
    ),
]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("counts,total", CLOSE)
def test_no_largest_when_two_groups_are_close(demo, lang, counts, total):
    text = summary.sentences(_groups_ctx(demo, counts, total, lang))
    largest = dict(text["findings"])["largest"]
    lowered = largest.lower()
    assert not any(word in lowered for word in RANKING[lang]), largest
    assert ("niet duidelijk" if lang == "nl" else "do not differ clearly") in largest
    # both groups with their figures, as shares without a ranking
    assert numbers(largest)[1:] == [
        counts["crossborder_sexual"],
        _pct(counts["crossborder_sexual"], total),
        counts["labour"],
        _pct(counts["labour"], total),
    ]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_largest_when_clearly_above_the_next(demo, lang):
    counts = {"crossborder_sexual": 500, "labour": 300, "criminal": 200, "domestic_sexual": 150}
    largest = dict(summary.sentences(_groups_ctx(demo, counts, 1000, lang))["findings"])["largest"]
    assert RANKING[lang][0] in largest.lower()


def test_clearly_larger():
    assert clearly_larger(500, 300, 1000)
    assert not clearly_larger(400, 390, 1000)  # within chance
    assert not clearly_larger(4000, 3800, 10000)  # 2 points apart
    assert not clearly_larger(300, 500, 1000)


def test_a_hidden_group_means_no_ranking(demo):
    """A hidden count could be any size: the summary says nothing about the largest group."""
    counts = {
        "crossborder_sexual": 500,
        "labour": 5,
        "criminal": 200,
        "domestic_sexual": 150,
        "other_unknown": 200,
    }
    parts = summary.sentences(_groups_ctx(demo, counts, 1000, "en"))
    assert "largest" not in dict(parts["findings"])


# --- no internal names -----------------------------------------------------------------


INTERNAL = [
    re.compile(r"_"),  # snake_case names
    re.compile(r"\b\w+:\w+\b"),  # model terms and codes (care:other, GM:0363)
    re.compile(r"\b[A-Z]{2,}\d+"),  # codes such as PV20, GM0363
    re.compile(r"\b(?:nan|None|True|False)\b"),
]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_internal_identifier_in_the_summary(demo, lang):
    content = summary.build(_ctx(demo, lang))
    texts = [content.title, *content.intro]
    for section in content.data["sections"]:
        texts += [section["title"], *section["items"]]
    for text in texts:
        for pattern in INTERNAL:
            assert not pattern.search(text), f"{pattern.pattern!r} in {text!r}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_earlier_edition_is_named_without_its_counts(demo, lang):
    ctx = dataclasses.replace(_ctx(demo, lang), editions_before=("2025-06-01.1", "2026-01-15.2"))
    parts = summary.sentences(ctx)
    text = dict(parts["trend"])["edition"]
    assert "2026-01-15.2" in text and "dashboard" in text
    assert numbers(text) == numbers("2026-01-15.2")
    # not known (the dashboard builds chapters without the store's list): nothing is said
    unknown = summary.sentences(dataclasses.replace(ctx, editions_before=None))
    assert "edition" not in dict(unknown["trend"])


# --- the foreword ------------------------------------------------------------------------


def test_foreword_is_rendered_as_markdown_with_raw_html_escaped(demo, tmp_path):
    foreword = tmp_path / "foreword.md"
    foreword.write_text(
        "# Conclusions\n\nCare reaches **most** victims. <script>alert(1)</script>\n\n"
        '<img src="http://example.com/x.png" onerror="alert(2)">\n\n'
        "![remote](http://example.com/y.png)\n\n- one\n- two\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_cli(
        "report", "--db", demo.db, "--out", out, "--lang", "en", "--no-pdf",
        "--foreword", foreword, env={"TRAFFICKINGMONITOR_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (out / "report.html").read_text("utf-8")
    start = html.index('<section id="foreword"')
    section = html[start : html.index("</section>", start)]
    assert "<h2>Foreword and conclusions</h2>" in section
    assert "<h3>Conclusions</h3>" in section  # below the report's own headings
    assert "<strong>most</strong>" in section and "<li>one</li>" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script" not in html and "<img" not in section
    assert "analyst" in section  # whose numbers these are
    # after the cover, before the summary; listed in the contents
    assert html.index("</header>") < start < html.index('<section id="summary"')
    assert '<a href="#foreword">' in html


@pytest.mark.parametrize("content", [None, b"Voorwoord \xff\xfe caf\xe9\n"])
def test_a_missing_or_non_utf8_foreword_is_a_clear_error(demo, tmp_path, content):
    foreword = tmp_path / "voorwoord.md"
    if content is not None:
        foreword.write_bytes(content)
    result = run_cli(
        "report", "--db", demo.db, "--out", tmp_path / "out", "--no-pdf",
        "--foreword", foreword, env={"TRAFFICKINGMONITOR_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert str(foreword) in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "report.html").exists()


def test_foreword_words_in_dutch():
    from traffickingmonitor.publish.foreword import foreword_context

    assert foreword_context(None, "nl") is None
    ctx = foreword_context("Tekst met 12 slachtoffers.", "nl")
    assert ctx["title"] == "Voorwoord en conclusies"
    assert "<p>Tekst met 12 slachtoffers.</p>" in ctx["html"]
    assert "analist" in ctx["note"]


def test_a_hidden_count_leaves_its_finding_out(demo):
    """With a threshold above the last year's counts, the findings resting on them are left
    out: no number, no "0%" or "100%" from a hidden count."""
    ids = ("totals", "sex", "minor", "victim_group")
    rule = DisclosureRule(threshold=1000)
    protected = protect_edition({t: demo.tables[t] for t in ids}, rule)
    assert protected["totals"].shown_count({"year": demo.years[-1]}, "persons") is None
    ctx = ChapterContext(
        protected, SimpleNamespace(notes={}), rule, "en", TEXT["en"], demo.years, editions_before=()
    )
    parts = summary.sentences(ctx)
    kinds = {k for items in parts.values() for k, _ in items}
    assert not kinds & {"registered", "who", "largest"}
    assert {"edition", "caveat_registrations", "disclosure"} <= kinds
