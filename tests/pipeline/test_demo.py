"""The README's first command, end to end, on the synthetic national edition."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    # the whole national edition and its PDF: minutes on a busy machine, no short timeout
    result = run_cli("demo", "--out", out, env={"TRAFFICKINGMONITOR_KEY": ""}, timeout=None)
    assert result.returncode == 0, result.stderr
    return out, result


def test_demo_writes_report_pdf_and_tables(demo):
    out, result = demo
    report = out / "report"
    for name in (
        "report.html",
        "report.pdf",
        "tables/metadata.json",
        "tables/totals.csv",
        "tables/hidden_number.csv",
    ):
        assert (report / name).is_file(), name
    assert str((report / "report.html").resolve()) in result.stdout
    html = (report / "report.html").read_text("utf-8")
    assert 'id="hidden"' in html and html.count("<svg") >= 12


def test_demo_ends_without_a_warning(demo):
    """The console script ends without the interpreter's teardown (``cli.entry``): what exit
    would release still is, or the resource tracker (whose output this captures too: it
    holds the same stderr) would report leaked semaphores."""
    _, result = demo
    for text in ("Warning", "leaked", "Traceback", "resource_tracker"):
        assert text not in result.stderr, result.stderr


def test_no_published_count_from_1_to_9(demo):
    out, _ = demo
    tables = out / "report" / "tables"
    meta = json.loads((tables / "metadata.json").read_text("utf-8"))
    for t in meta["tables"]:
        frame = pd.read_csv(tables / t["file"], dtype=str, keep_default_na=False)
        for col in t["counts"]:
            small = frame[col][frame[col].str.fullmatch(r"[1-9]")]
            assert small.empty, (t["file"], col, small.tolist())
    html = (out / "report" / "report.html").read_text("utf-8")
    assert not [
        c for c in re.findall(r"<td>([^<]*)</td>", html) if re.fullmatch(r"[1-9]", c.strip())
    ]


def test_store_holds_no_synthetic_name_or_national_id(demo):
    out, _ = demo
    raw = (out / "monitor.duckdb").read_bytes()
    wal = out / "monitor.duckdb.wal"
    if wal.exists():
        raw += wal.read_bytes()
    regs = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in (out / "data").glob("registrations_*.csv")
    )
    names = set(regs["family_name"]) | set(regs["given_names"])
    names = {n for n in names if len(n) >= 5}
    ids = {i for i in regs["national_id"] if i}
    dates = {d for d in regs["birth_date"] if d}
    assert len(names) > 200 and len(ids) > 200 and len(dates) > 200
    for value in sorted(names | dates):
        assert value.encode() not in raw, value
    # A national id is nine digits: keyed tokens are hex, and a few thousand of them hold
    # nine-digit runs, so one of them may equal an id by chance (about one demo in twenty). An
    # id stored in clear stands on its own, not inside a longer run of hex digits.
    assert all(re.fullmatch(r"[0-9]{9}", i) for i in ids)
    alone = set(re.findall(rb"(?<![0-9a-f])[0-9]{9}(?![0-9a-f])", raw))  # one pass, not one per id
    assert not {i.encode() for i in ids} & alone


def test_demo_edition_is_listed_with_input_hashes(demo):
    out, _ = demo
    result = run_cli("editions", "--db", out / "monitor.duckdb")
    assert result.returncode == 0, result.stderr
    assert "registrations_police.csv" in result.stdout
    edition = json.loads((out / "report" / "tables" / "metadata.json").read_text("utf-8"))[
        "edition"
    ]
    assert edition in result.stdout


def test_the_report_written_during_the_run_equals_the_one_report_writes(demo, tmp_path):
    """The demo writes its report while the run builds the other language's chapters, from
    what the run has just stored; ``report`` on the finished store writes the same HTML and
    the same tables, and both languages' chapters are stored."""
    import duckdb

    out, _ = demo
    result = run_cli(
        "report", "--db", out / "monitor.duckdb", "--out", tmp_path, "--no-pdf", timeout=None
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report.html").read_bytes() == (out / "report" / "report.html").read_bytes()
    for name in sorted(p.name for p in (out / "report" / "tables").glob("*.csv")):
        assert (tmp_path / "tables" / name).read_bytes() == (
            out / "report" / "tables" / name
        ).read_bytes(), name
    con = duckdb.connect(str(out / "monitor.duckdb"), read_only=True)
    try:
        langs = con.execute("SELECT lang FROM edition_chapter_blocks ORDER BY lang").fetchall()
    finally:
        con.close()
    assert langs == [("en",), ("nl",)]


def test_demo_approves_its_synthetic_edition_and_says_so(demo):
    """The demo ends with a public dashboard: it approves its own edition (audited, with the
    reason); every page of its report says the data are synthetic, none says draft."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from traffickingmonitor.publish.web import approvals, create_app
    from traffickingmonitor.publish.web.state import AuditEntry

    out, _ = demo
    meta = json.loads((out / "report" / "tables" / "metadata.json").read_text("utf-8"))
    assert (meta["status"], meta["synthetic"]) == ("approved", True)
    html = (out / "report" / "report.html").read_text("utf-8")
    assert "Synthetische gegevens — geen echte personen" in html
    assert "CONCEPT / DRAFT" not in html
    app = create_app(out / "monitor.duckdb", secret_key="test")
    edition_id = meta["edition"]
    with app.state.db() as db:
        assert approvals.status(db, edition_id).approvers == ("demo",)
        (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "edition approve"))
    assert (entry.username, entry.target) == ("demo", edition_id)
    assert "synthetic" in entry.detail and "traffickingmonitor demo" in entry.detail
    r = TestClient(app).get("/")
    assert r.status_code == 200 and edition_id in r.text
    assert "Synthetische gegevens — geen echte personen" in r.text


def _eurostat_code(word: str) -> bool:
    """Whether ``word`` is one of Eurostat's own codes that the annex must name for a
    delivery (a dataset such as ``crim_thb_vsage``, a dimension, a code, an SDMX column), with
    the annex's marks around it (``*`` unconfirmed, brackets, "-tabel")."""
    from traffickingmonitor.publish import eurostat

    codes = {"crim_thb", *eurostat.DATASET, *eurostat.LEAD, *eurostat.TAIL}
    for cell in eurostat.CELLS:
        codes |= {part for pair in cell.codes for part in pair}
    core = re.sub(r"^[(\[]+|[)\],.;:*]+$", "", word).split("-")[0]
    return core in codes


def test_report_text_names_no_internal_identifier(demo):
    """What a reader sees names things as a reader does: no column or table ids (``_``), no
    model syntax (``care:other``), no CBS codes (``PV20``). File names a reader downloads or
    delivered (``*.csv``) are names, not identifiers, and may be cited."""
    import subprocess

    out, _ = demo
    text = subprocess.run(
        ["pdftotext", str(out / "report" / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = re.findall(r"\S+", text)
    files = re.compile(r"^[(\[]?[\w/.-]+\.(csv|json|html|pdf)[)\],.;:]*$")
    found = {
        "underscore": sorted(
            {w for w in words if "_" in w and not files.match(w) and not _eurostat_code(w)}
        ),
        "model syntax": sorted(set(re.findall(r"\b[a-z]+:[a-z_]+\b", text))),
        "codes": sorted(set(re.findall(r"\b(?:PV|GM|VR)\d{2,4}\b", text))),
    }
    assert found == {"underscore": [], "model syntax": [], "codes": []}


def _report_table(html: str, block_id: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (row label first) of a block's table in the report, as printed."""
    from html import unescape

    start = html.index(f'id="{block_id}"')
    section = html[start : html.index("</section>", start)]
    header = [unescape(h) for h in re.findall(r'<th scope="col">([^<]*)</th>', section)]
    rows = [
        [unescape(label), *(unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", rest))]
        for label, rest in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', section, re.S)
    ]
    return header, rows


def _n(text: str) -> int | None:
    """A printed whole number (thin-space thousands, a trailing share or mark left off)."""
    m = re.match(r"^(\d{1,3}(?:\u202f\d{3})*)(?:\s|\*|$)", text.strip())
    return int(m.group(1).replace("\u202f", "")) if m else None


def test_a_figure_shown_in_several_places_has_one_value(demo):
    """One figure, one definition: persons and registrations per year, police suspects and
    convictions, the hidden number and the persons registered by care organisations have the
    same value in every table of the report and in the open data that show them."""
    out, _ = demo
    html = (out / "report" / "report.html").read_text("utf-8")
    folder = out / "report" / "tables"
    csv = {
        name: pd.read_csv(folder / f"{name}.csv", dtype=str)
        for name in (
            "totals",
            "hidden_number",
            "perpetrator_chain",
            "programme_monitor",
            "reporting_org",
        )
    }
    seen: dict[tuple, set[int]] = {}

    def put(key, value):
        if value is not None:
            seen.setdefault(key, set()).add(int(value))

    for r in csv["totals"].itertuples():
        put(("persons", r.year), _n(r.persons))
        put(("registrations", r.year), _n(r.registrations))
    _, rows = _report_table(html, "totals")
    for year, registrations, persons in rows:
        put(("persons", year), _n(persons))
        put(("registrations", year), _n(registrations))
    for r in csv["hidden_number"][csv["hidden_number"]["victim_group"] == "all"].itertuples():
        put(("persons", r.year), _n(r.observed))
        put(("hidden estimate", r.year), _n(r.estimate))
    _, rows = _report_table(html, "hidden-total")
    for year, registered, estimate, *_ in rows:
        put(("persons", year), _n(registered))
        put(("hidden estimate", year), _n(estimate))
    chain = csv["perpetrator_chain"]
    for r in chain[chain["exploitation_form"] == "all"].itertuples():
        put(("police suspects", r.year), _n(r.police_suspects))
        put(("convictions", r.year), _n(r.convictions))
    header, rows = _report_table(html, "chain-years")
    for row in rows:
        if row[1] == "alle vormen":
            put(("police suspects", row[0]), _n(row[header.index("verdachten bij de politie")]))
            put(("convictions", row[0]), _n(row[header.index("veroordelingen")]))
    # the programme's indicators that are monitor figures (a value marked * is the programme's)
    labels = {
        "gemelde mogelijke slachtoffers": "persons",
        "verdachten bij de politie": "police suspects",
        "veroordelingen": "convictions",
        "personen gemeld door zorgorganisaties (monitor)": "care registrations",
    }
    for line in range(1, 6):
        if f'id="programme-line-{line}"' not in html:
            continue
        header, rows = _report_table(html, f"programme-line-{line}")
        years = [h for h in header if re.fullmatch(r"\d{4}", h)]
        for row in rows:
            if row[0] in labels:
                for year, cell in zip(years, row[3:], strict=False):
                    if not cell.endswith("*"):
                        put((labels[row[0]], year), _n(cell))
    care = csv["reporting_org"][csv["reporting_org"]["reporting_org"] == "care"]
    for r in care.itertuples():
        put(("care registrations", r.year), _n(r.persons))
    for r in csv["programme_monitor"].itertuples():
        put(("care registrations", r.year), _n(r.numerator))
    # the key figures of the last year
    start = html.index('class="key-figures"')
    cards = dict(
        (label, value)
        for value, label in re.findall(
            r'kf-value">([^<]*)</span> <span class="kf-label">([^<]*)', html[start:]
        )
    )
    last = max(csv["totals"]["year"])
    put(("persons", last), _n(cards[f"mogelijke slachtoffers geregistreerd in {last}"]))
    put(("registrations", last), _n(cards[f"meldingen in {last}"]))
    hidden_card = next(k for k in cards if k.startswith("geschat totaal aantal slachtoffers"))
    put(("hidden estimate", re.search(r"\d{4}", hidden_card).group(0)), _n(cards[hidden_card]))

    differ = {key: values for key, values in seen.items() if len(values) > 1}
    assert differ == {}
    # and the places were found: every kind of figure, for every year of the edition
    kinds = {kind for kind, _ in seen}
    assert kinds == {
        "persons",
        "registrations",
        "hidden estimate",
        "police suspects",
        "convictions",
        "care registrations",
    }
