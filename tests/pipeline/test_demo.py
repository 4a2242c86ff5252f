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
    for value in sorted(ids):
        assert not re.search(rb"(?<![0-9a-f])" + value.encode() + rb"(?![0-9a-f])", raw), value


def test_demo_edition_is_listed_with_input_hashes(demo):
    out, _ = demo
    result = run_cli("editions", "--db", out / "monitor.duckdb")
    assert result.returncode == 0, result.stderr
    assert "registrations_police.csv" in result.stdout
    edition = json.loads((out / "report" / "tables" / "metadata.json").read_text("utf-8"))[
        "edition"
    ]
    assert edition in result.stdout


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
        "underscore": sorted({w for w in words if "_" in w and not files.match(w)}),
        "model syntax": sorted(set(re.findall(r"\b[a-z]+:[a-z_]+\b", text))),
        "codes": sorted(set(re.findall(r"\b(?:PV|GM|VR)\d{2,4}\b", text))),
    }
    assert found == {"underscore": [], "model syntax": [], "codes": []}
