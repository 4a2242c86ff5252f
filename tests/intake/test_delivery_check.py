"""`traffickingmonitor check`: a synthetic delivery passes, and every planted problem of a
copy is named, in the terminal, in the HTML page and in the report object; nothing is written
and no identifier is shown."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from traffickingmonitor.intake.delivery import NO_PREVIOUS, check_delivery
from traffickingmonitor.intake.delivery_render import (
    completeness_cells,
    render_body,
    summary_cells,
)

from helpers import (
    KEY,
    REGISTRATION_COLUMNS,
    make_input_dir,
    registration,
    run_cli,
    snapshot,
    write_csv,
)


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    """A synthetic delivery, a store holding it as an edition, and a copy with planted problems."""
    root = tmp_path_factory.mktemp("delivery")
    clean = root / "clean"
    result = run_cli("synth", "--out", clean, "--seed", "1", "--scale", "0.2")
    assert result.returncode == 0, result.stderr
    db = root / "store.duckdb"
    result = run_cli("run", clean, "--db", db, env={"TRAFFICKINGMONITOR_KEY": KEY})
    assert result.returncode == 0, result.stderr
    planted = root / "planted"
    shutil.copytree(clean, planted)
    return clean, db, planted, _plant(planted)


def _plant(folder) -> dict:
    """Each problem in its own organisation's file, so that one cannot hide another."""
    plan = {}
    # police: the busiest month three times over (the copies carry no person reference, so
    # they are not also the same person twice on one day) ...
    police = _read(folder / "registrations_police.csv")
    months = police["registered_on"].str[:7]
    month = months.value_counts().idxmax()
    copies = pd.concat([police[months == month]] * 2, ignore_index=True)
    copies["registration_id"] = [f"POL-COPY-{i}" for i in range(len(copies))]
    for column in ("national_id", "family_name", "given_names", "birth_date", "birth_year"):
        copies[column] = ""
    # ... and one person registered twice on the same day.
    first = police[police["national_id"] != ""].iloc[[0]]
    twice = first.assign(registration_id="POL-TWICE")
    plan["month"], plan["twice"] = month, ("POL-TWICE", first["registration_id"].iat[0])
    police_ids = list(police["registration_id"].iloc[:2])
    _write(
        pd.concat([police, copies, twice], ignore_index=True), folder / "registrations_police.csv"
    )
    # other: a field emptied in every row.
    other = _read(folder / "registrations_other.csv")
    assert (other["sector"] != "").any()
    _write(other.assign(sector=""), folder / "registrations_other.csv")
    # kmar: two registration ids that are police's too.
    kmar = _read(folder / "registrations_kmar.csv")
    kmar.loc[:1, "registration_id"] = police_ids
    plan["duplicated"] = police_ids
    _write(kmar, folder / "registrations_kmar.csv")
    # care: nationality unknown for most registrations of its last year.
    care = _read(folder / "registrations_care.csv")
    year = care["registered_on"].str[:4]
    last = year.max()
    rows = care.index[year == last]
    care.loc[rows[: int(len(rows) * 0.7)], "nationality"] = ""
    plan["jump_year"] = int(last)
    _write(care, folder / "registrations_care.csv")
    # labour inspectorate: one impossible date, so the file fails validation.
    labour = _read(folder / "registrations_labour_inspectorate.csv")
    labour.loc[3, "registered_on"] = "2019-02-30"
    _write(labour, folder / "registrations_labour_inspectorate.csv")
    plan["bad_row"] = 5  # line 5 of the file: the header is line 1
    (folder / "registratie_extra.csv").write_text("a,b\n1,2\n")
    return plan


def _rows_by_org(report) -> dict:
    return {r.org: r for r in report.rows if r.kind == "registrations"}


def test_synthetic_delivery_passes_without_store(delivery):
    clean, _, _, _ = delivery
    # No key needed: persons are counted with a one-off key.
    result = run_cli("check", clean, env={"TRAFFICKINGMONITOR_KEY": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    report = check_delivery(clean)
    assert not report.has_errors
    assert [f for f in report.findings if f.severity == "warning"] == []
    assert report.previous_edition is None
    by_org = _rows_by_org(report)
    for path in clean.glob("registrations_*.csv"):
        org = path.stem.removeprefix("registrations_")
        assert by_org[org].rows == len(_read(path)) and by_org[org].status == "valid"
        assert 0 < by_org[org].persons <= by_org[org].rows
        assert by_org[org].previous_rows is None
    assert NO_PREVIOUS in result.stdout
    assert "0 errors" in result.stdout


def test_synthetic_delivery_against_its_own_edition(delivery):
    clean, db, _, _ = delivery
    before = snapshot(db)
    report = check_delivery(clean, db)
    assert snapshot(db) == before  # never written
    assert report.previous_edition is not None
    rows = [r for r in report.rows if r.previous_rows is not None]
    assert len(rows) == len(report.rows)
    for r in rows:
        assert r.rows == r.previous_rows
        if r.kind == "registrations":
            assert r.persons == r.previous_persons  # the same count in store and delivery
    compared = [c for c in report.completeness if c.previous_share is not None]
    assert len(compared) > 30
    for c in compared:
        assert c.share == pytest.approx(c.previous_share), (c.group, c.field)
    assert not report.has_errors
    assert report.named("completeness") == [] and report.named("month spike") == []
    same = report.named("previous delivery")
    assert any("byte for byte" in f.message for f in same)


def test_planted_problems_are_each_named(delivery, tmp_path):
    _, db, planted, plan = delivery
    before = snapshot(db)
    html_path = tmp_path / "check.html"
    result = run_cli("check", planted, "--db", db, "--html", html_path, env={"COLUMNS": "200"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert snapshot(db) == before
    out = result.stdout
    report = check_delivery(planted, db)

    spikes = report.named("month spike")
    assert [(f.org, f.figures["month"]) for f in spikes] == [("police", plan["month"])]
    assert plan["month"] in out

    emptied = [f for f in report.named("completeness") if f.field == "sector"]
    assert [f.org for f in emptied] == ["other"]
    assert emptied[0].figures["share"] == 0 and emptied[0].figures["previous_share"] > 0.5

    dups = report.named("duplicate ids")
    assert len(dups) == 1 and dups[0].severity == "error"
    assert {dups[0].file, dups[0].figures["other_file"]} == {
        "registrations_kmar.csv",
        "registrations_police.csv",
    }
    assert dups[0].figures["ids"] == 2 and plan["duplicated"][0] in dups[0].message

    jumps = report.named("unknown jump")
    assert [(f.org, f.field, f.figures["year"]) for f in jumps] == [
        ("care", "nationality", plan["jump_year"])
    ]

    invalid = report.named("validation")
    assert [(f.file, f.field, f.figures["row"]) for f in invalid] == [
        ("registrations_labour_inspectorate.csv", "registered_on", plan["bad_row"])
    ]
    labour = _rows_by_org(report)["labour_inspectorate"]
    assert labour.status == "invalid" and labour.persons is None and labour.rows > 0

    twice = report.named("same person same day")
    assert [f.org for f in twice] == ["police"] and twice[0].figures["cases"] == 1
    assert all(rid in twice[0].message for rid in plan["twice"])

    assert [f.file for f in report.named("unknown file")] == ["registratie_extra.csv"]

    for check in (
        "month spike",
        "completeness",
        "duplicate ids",
        "unknown jump",
        "validation",
        "same person same day",
        "unknown file",
    ):
        assert check in out, check
    assert "not counted (file invalid)" in out
    assert f"{report.counts()['error']} errors" in out

    page = _parse(html_path.read_text("utf-8"))
    assert page.h1 == [planted.name]
    assert page.h2 == ["Files and reporting organisations", "Completeness per field", "Findings"]
    summary, completeness, findings = page.tables
    assert len(summary) == len(report.rows) + 1  # and the header row
    assert len(findings) == len(report.findings) + 1
    assert [row[0] for row in findings[1:]] == [f.severity for f in report.findings]
    fields = {row[0]: row for row in completeness[1:]}
    column = completeness[0].index("other")
    assert fields["sector"][column].startswith("0% (was ")


def test_no_identifier_is_shown(delivery, tmp_path):
    _, db, planted, _ = delivery
    html_path = tmp_path / "check.html"
    result = run_cli("check", planted, "--db", db, "--html", html_path, env={"COLUMNS": "200"})
    shown = result.stdout + result.stderr + html_path.read_text("utf-8")
    regs = pd.concat([_read(p) for p in planted.glob("registrations_*.csv")])
    for column in ("national_id", "family_name", "birth_date"):
        values = regs[column][regs[column].str.len() >= 8].unique()
        assert len(values) > 20
        assert [v for v in values if v in shown] == [], column


def test_body_for_the_workspace_is_a_fragment(delivery):
    clean, _, _, _ = delivery
    body = render_body(check_delivery(clean))
    assert "<html" not in body and "<table" in body
    assert _parse(body).h2[-1] == "Findings"


def test_a_missing_organisation_and_an_unreadable_file(tmp_path, key_env):
    folder = make_input_dir(tmp_path)
    db = tmp_path / "store.duckdb"
    assert run_cli("run", folder, "--db", db).returncode == 0
    (folder / "registrations_care.csv").unlink()
    (folder / "registrations_kmar.csv").write_bytes(bytes(range(256)) * 8)
    report = check_delivery(folder, db)
    by_org = _rows_by_org(report)
    assert by_org["care"].status == "not delivered" and by_org["care"].rows is None
    assert by_org["care"].previous_rows == 3
    unreadable = [r for r in report.rows if r.status == "unreadable"]
    assert [r.files for r in unreadable] == [("registrations_kmar.csv",)]
    assert [f.file for f in report.named("validation")] == ["registrations_kmar.csv"]
    missing = report.named("previous delivery")
    assert any(f.org == "care" and f.figures["previous_rows"] == 3 for f in missing)
    assert any(f.file == "registrations_care.csv" for f in missing)
    assert run_cli("check", folder, "--db", db).returncode == 1


def test_an_invalid_file_never_names_an_organisation_it_does_not_know(tmp_path):
    """A header shifted by one puts names where the organisation should be; and file names
    with brackets are shown as they are (never read as Rich markup)."""
    folder = tmp_path / "shifted"
    folder.mkdir()
    rows = [registration(i) for i in range(1, 6)]
    for r in rows:
        r["reporting_org"] = f"[bold]Verschuerenhof-{r['registration_id']}"
    write_csv(folder / "registrations_[x].csv", rows, REGISTRATION_COLUMNS)
    report = check_delivery(folder)
    assert [(r.org, r.status, r.rows) for r in report.rows] == [("?", "invalid", 5)]
    assert completeness_cells(report)[0] == ["field", "?"]
    shown = [c for row in summary_cells(report) for c in row]
    assert not any("Verschuerenhof" in c for c in shown)
    result = run_cli("check", folder, env={"COLUMNS": "200"})
    assert result.returncode == 1
    assert "registrations_[x].csv" in result.stdout


def test_a_missing_folder_is_a_usage_error(tmp_path):
    result = run_cli("check", tmp_path / "nowhere")
    assert result.returncode == 2
    assert "is not a folder" in result.stderr and "Traceback" not in result.stderr


class _Page(HTMLParser):
    """Headings and tables (rows of cell texts) of a page."""

    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.tables = [], [], []
        self._text: list[str] | None = None
        self._tag = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in ("h1", "h2", "th", "td"):
            self._text, self._tag = [], tag

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag != self._tag or self._text is None:
            return
        text = " ".join("".join(self._text).split())
        if tag in ("h1", "h2"):
            getattr(self, tag).append(text)
        else:
            self.tables[-1][-1].append(text)
        self._text = self._tag = None


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page
