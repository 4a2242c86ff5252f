"""ASVS 4.0 V5, validation and output encoding: the files/intake part.

- Parse errors (every reader: CSV, XLSX, Parquet) name file, row and column and never
  print the input's text (issue 13, finding 9). Validation of cell values against the data
  standard is tested in ``tests/intake/test_bad_inputs.py``.
- Every CSV the system writes escapes text cells against formula injection (finding 10),
  and reads back intact: the value with its escape, shown as text by a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from helpers import KEY, REGISTRATION_COLUMNS, make_input_dir, registration, run_cli, snapshot

# One registration full of identifiers; none of them may appear in any message.
LEAK = registration(
    3,
    registration_id="POL-LEAK-3",
    national_id="323456780",
    family_name="de Vries, van",
    given_names="Pieter Cornelis",
    birth_date="1980-05-17",
    birth_year="1980",
)
SECRETS = ("POL-LEAK", "323456780", "Vries", "Pieter", "Cornelis", "1980-05-17")


def _rows() -> list[dict]:
    rows = [registration(i, registration_id=f"NEW-{i}") for i in range(100, 106)]
    rows.insert(2, dict(LEAK))  # the fourth line of the file (the header is line 1)
    return rows


def _csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REGISTRATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _lines_with_leak(edit) -> bytes:
    lines = _csv_text(_rows()).split("\n")
    lines[3] = edit(lines[3])
    return "\n".join(lines).encode("utf-8")


def _extra_comma() -> bytes:
    # "de Vries, van" unquoted: one value too many, the finding's own example
    return _lines_with_leak(lambda line: line.replace('"de Vries, van"', "de Vries, van"))


def _too_few() -> bytes:
    return _lines_with_leak(lambda line: line.rsplit(",", 2)[0])


def _unterminated_quote() -> bytes:
    return _lines_with_leak(lambda line: line.replace('"de Vries, van"', '"de Vries, van'))


def _last_field_quote() -> bytes:
    # pyarrow took the rest of the file into this value: rows lost, or leaked by a later check
    rows = _rows()
    rows[2]["shelter_referral"] = "2020-01-01"
    lines = _csv_text(rows).split("\n")
    lines[3] = lines[3][: -len("2020-01-01")] + '"2020-01-01'
    return "\n".join(lines).encode("utf-8")


def _text_after_quote() -> bytes:
    return _lines_with_leak(lambda line: line.replace('"de Vries, van"', '"de Vries, van"x'))


def _latin1() -> bytes:
    rows = _rows()
    rows[2]["family_name"] = "Müller de Vries"
    return _csv_text(rows).encode("latin-1")


def _no_header() -> bytes:
    # The identifiers' row comes first, where the header belongs; no value in it repeats.
    rows = _rows()
    first = dict(
        rows.pop(2),
        sector="horeca",
        exploitation_start="2018-01-01",
        shelter_referral="2019-05-05",
        exploitation_country="BE",
    )
    return _csv_text([first, *rows]).split("\n", 1)[1].encode("utf-8")


def _xlsx(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_excel(out, index=False)
    return out.getvalue()


def _xlsx_value_beyond_header() -> bytes:
    frame = pd.DataFrame(_rows(), columns=REGISTRATION_COLUMNS)
    frame["extra"] = ["", "", "Pieter Cornelis", "", "", "", ""]
    data = _xlsx(frame)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    book.active.cell(row=1, column=len(REGISTRATION_COLUMNS) + 1).value = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_damaged() -> bytes:
    data = _xlsx(pd.DataFrame(_rows(), columns=REGISTRATION_COLUMNS))
    return data[: len(data) // 2]


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _parquet_damaged() -> bytes:
    import pyarrow as pa

    data = _parquet(pa.Table.from_pandas(pd.DataFrame(_rows(), columns=REGISTRATION_COLUMNS)))
    return data[: len(data) - 40]


def _parquet_not_utf8() -> bytes:
    import pyarrow as pa

    frame = pd.DataFrame(_rows(), columns=REGISTRATION_COLUMNS)
    columns = {c: pa.array(frame[c].tolist(), pa.string()) for c in REGISTRATION_COLUMNS}
    columns["family_name"] = pa.array(
        [v.encode("latin-1") for v in frame["family_name"].str.replace("Vries", "Vriës")],
        pa.binary(),
    )
    return _parquet(pa.table(columns))


# (case, file suffix, bytes, words the message must contain)
CASES = [
    ("csv_extra_comma", "csv", _extra_comma, ["row 4", "19 values", "18 columns"]),
    ("csv_too_few_values", "csv", _too_few, ["row 4", "'residence_status'", "16 values"]),
    ("csv_unterminated_quote", "csv", _unterminated_quote, ["row 4", "'family_name'", "never"]),
    (
        "csv_unterminated_quote_last_field",
        "csv",
        _last_field_quote,
        ["row 4", "'shelter_referral'", "never closed"],
    ),
    ("csv_text_after_quote", "csv", _text_after_quote, ["row 4", "'family_name'", "after"]),
    ("csv_latin1", "csv", _latin1, ["line 4", "'family_name'", "not UTF-8"]),
    ("csv_no_header", "csv", _no_header, ["header"]),
    ("xlsx_value_beyond_header", "xlsx", _xlsx_value_beyond_header, ["row 4", "column 19"]),
    ("xlsx_damaged", "xlsx", _xlsx_damaged, ["cannot read the workbook"]),
    ("parquet_damaged", "parquet", _parquet_damaged, ["not a readable Parquet file"]),
    ("parquet_not_utf8", "parquet", _parquet_not_utf8, ["row 4", "'family_name'", "UTF-8"]),
]


@pytest.mark.parametrize(("case", "suffix", "make", "words"), CASES, ids=[c[0] for c in CASES])
def test_parse_errors_name_the_place_and_never_print_the_input(
    tmp_path, key_env, case, suffix, make, words
):
    folder = make_input_dir(tmp_path)
    path = folder / f"registrations_leak.{suffix}"
    path.write_bytes(make())
    db = tmp_path / "s.duckdb"

    result = run_cli("run", folder, "--db", db)

    assert result.returncode == 2, result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert path.name in errors[0] and "nothing of this file was loaded" in errors[0]
    for word in words:
        assert word in errors[0], (word, errors[0])
    leaked = [s for s in SECRETS if s.lower() in output.lower()]
    assert leaked == [], output
    state = snapshot(db)
    assert all(rows == [] for name, rows in state.items() if name != "store_meta")


def test_an_unterminated_quote_no_longer_swallows_rows(tmp_path, key_env):
    """pyarrow read the rest of the file into a value never closed: rows silently lost."""
    from traffickingmonitor.intake.api import InvalidFile, read_table

    path = tmp_path / "registrations_x.csv"
    path.write_bytes(_last_field_quote())
    with pytest.raises(InvalidFile) as caught:
        read_table(path)
    assert "row 4" in str(caught.value)


def test_a_quoted_value_with_a_comma_or_line_break_is_still_read(tmp_path):
    from traffickingmonitor.intake.api import read_table

    rows = _rows()
    rows[0]["sector"] = "x, y"
    rows[1]["sector"] = 'a "b"\nc'
    path = tmp_path / "registrations_x.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    frame = read_table(path).frame
    assert len(frame) == len(rows)
    assert frame["sector"].tolist()[:2] == ["x, y", 'a "b"\nc']
    assert frame["family_name"].tolist()[2] == "de Vries, van"


def test_a_registration_id_like_a_formula_is_refused(tmp_path, key_env):
    """Registration ids leave the system as they are (the clerical review export, made to be
    opened in a spreadsheet), so they are checked at the door instead of escaped."""
    folder = make_input_dir(tmp_path)
    rows = _rows()
    rows[2]["registration_id"] = '=HYPERLINK("http://evil.example/","x")'
    (folder / "registrations_new.csv").write_text(_csv_text(rows), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = run_cli("run", folder, "--db", db)
    assert result.returncode == 2
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "row 4" in error and "'registration_id'" in error and "formula" in error
    assert all(rows == [] for name, rows in snapshot(db).items() if name != "store_meta")


# --- output encoding: CSV injection ------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_text_cell_gets_a_single_quote(value):
    from traffickingmonitor.publish.csv_safe import escape_cell

    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-3.5", "+12", "-1e3", "text", "'s-Gravenhage", "", "x", "<10"])
def test_plain_text_and_numbers_as_text_stay_as_they_are(value):
    from traffickingmonitor.publish.csv_safe import escape_cell

    assert escape_cell(value) == value


def test_numeric_columns_keep_their_negative_numbers():
    from traffickingmonitor.publish.csv_safe import to_csv

    frame = pd.DataFrame(
        {
            "change": [-3, 4],
            "rate": [-0.5, 1.25],
            "count": pd.array([-7, pd.NA], dtype="Int64"),
            "shown": [-12, "x"],  # counts beside the hidden symbol: one object column
            "name": ["=1+1", "plain"],
        }
    )
    back = list(csv.reader(io.StringIO(to_csv(frame))))
    assert back == [
        ["change", "rate", "count", "shown", "name"],
        ["-3", "-0.5", "-7", "-12", "'=1+1"],
        ["4", "1.25", "", "x", "plain"],
    ]


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
UNICODE = "Opvang ë – für Ørsted 🙂"


def _programme_file(folder):
    rows = [
        ["action_line", "indicator", "unit", "year", "baseline", "target", "value"],
        ["1", FORMULAS[0], "percent", "2019", "18.0", "40.0", "22.0"],
        ["1", FORMULAS[0], "percent", "2020", "18.0", "40.0", "-3.5"],
        ["2", FORMULAS[3], "count", "2019", "", "", "5"],
        ["3", FORMULAS[1], "count", "2019", "", "", "6"],
        ["4", SCRIPT, "count", "2019", "", "", "7"],
        ["5", UNICODE, "count", "2019", "", "", "8"],
    ]
    with (folder / "programme_indicators.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


@pytest.fixture(scope="module")
def injected_edition(tmp_path_factory):
    """A small edition whose programme indicators are named by formulas."""
    root = tmp_path_factory.mktemp("injection")
    folder = make_input_dir(root)
    _programme_file(folder)
    db = root / "m.duckdb"
    result = run_cli("run", folder, "--db", db, env={"TRAFFICKINGMONITOR_KEY": KEY})
    assert result.returncode == 0, result.stderr
    return db


def _assert_read_back_as_text(text: str) -> None:
    """Every formula comes back with its escape, and a spreadsheet shows it as text."""
    import openpyxl

    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert UNICODE in cells  # the character set is kept (UTF-8 in, UTF-8 out)
    for formula in (FORMULAS[0], FORMULAS[1], FORMULAS[3]):
        assert "'" + formula in cells
        assert formula not in cells
    # As a spreadsheet imports it: openpyxl, like a spreadsheet, takes "=..." for a formula.
    sheet = openpyxl.Workbook().active
    for row in rows:
        sheet.append(row)
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds
    probe = openpyxl.Workbook().active
    probe.append([FORMULAS[0]])
    assert probe["A1"].data_type == "f"  # the check above can fail
    assert not any(re.match(r"^[=+\-@\t\r]", c) and not _number(c) for c in cells)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def report(injected_edition, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_cli("report", "--db", injected_edition, "--out", out, "--no-pdf", "--lang", "en")
    assert result.returncode == 0, result.stderr
    return out


def test_report_tables_escape_formulas(report):
    text = (report / "tables" / "programme_indicators.csv").read_text("utf-8")
    _assert_read_back_as_text(text)
    # Numeric columns keep their negative numbers
    assert ",-3.5," in text


def test_input_text_is_html_escaped_in_the_report(report):
    html = (report / "report.html").read_text("utf-8")
    assert "&lt;script&gt;alert" in html  # the indicator is on the page, as text
    assert "<script>alert" not in html and "<img src=x" not in html


@pytest.fixture(scope="module")
def client(injected_edition, tmp_path_factory):
    from fastapi.testclient import TestClient

    from web_helpers import fresh_state_url, make_app

    app = make_app(injected_edition, fresh_state_url("sqlite", tmp_path_factory.mktemp("st")))
    with TestClient(app) as c:
        yield c, app.state.data.latest.edition_id


def test_api_csv_escapes_formulas(client):
    c, edition = client
    r = c.get(f"/api/v1/editions/{edition}/tables/programme_indicators", params={"format": "csv"})
    assert r.status_code == 200, r.text[:300]
    _assert_read_back_as_text(r.text)
    # An attachment under a name of the server's making (no reflected file download)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="[0-9.-]+_programme_indicators\.csv"',
        r.headers["content-disposition"],
    )
    # JSON is not a spreadsheet format: the value stays exactly as given.
    r = c.get(f"/api/v1/editions/{edition}/tables/programme_indicators")
    assert FORMULAS[0] in {row["indicator"] for row in r.json()["rows"]}


def test_dashboard_download_escapes_formulas(client):
    c, edition = client
    r = c.get(f"/downloads/{edition}/programme_indicators.csv")
    assert r.status_code == 200, r.text[:300]
    _assert_read_back_as_text(r.text)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment;")


def test_input_text_is_html_escaped_on_the_dashboard(client):
    c, _ = client
    r = c.get("/chapters/programme")
    assert r.status_code == 200
    assert "&lt;script&gt;alert" in r.text
    assert "<script>alert" not in r.text and "<img src=x" not in r.text


def _with_entities(data: bytes) -> bytes:
    """The workbook with an entity declared and used in its sheet (a small "billion laughs":
    harmless here, but a parser that expands it would expand a big one as well)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == SHEET:
                doctype = '<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
                text = body.decode("utf-8").replace(">police<", ">&lol2;<", 1)
                body = (doctype + text).encode("utf-8")
            target.writestr(item, body)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def test_a_workbook_declaring_xml_entities_is_refused(tmp_path, key_env):
    frame = pd.DataFrame(_rows(), columns=REGISTRATION_COLUMNS)
    folder = make_input_dir(tmp_path)
    path = folder / "registrations_x.xlsx"
    path.write_bytes(_with_entities(_xlsx(frame)))
    assert b"&lol2;" in __import__("zipfile").ZipFile(path).read(SHEET)
    db = tmp_path / "s.duckdb"
    result = run_cli("run", folder, "--db", db)
    assert result.returncode == 2, result.stderr
    assert "registrations_x.xlsx" in result.stderr and "cannot read the workbook" in result.stderr
    assert "Traceback" not in result.stderr
    assert all(rows == [] for name, rows in snapshot(db).items() if name != "store_meta")


def test_sql_metacharacters_in_input_are_stored_as_data(tmp_path, key_env):
    """Rows reach the store as a registered frame and parameters, never as SQL text."""
    import duckdb

    folder = make_input_dir(tmp_path)
    rows = _rows()
    rows[0]["registration_id"] = "R'); DROP TABLE registrations; --"
    rows[1]["registration_id"] = 'R" OR 1=1 --'
    (folder / "registrations_new.csv").write_text(_csv_text(rows), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = run_cli("run", folder, "--db", db)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        ids = {r[0] for r in con.execute("SELECT registration_id FROM registrations").fetchall()}
    finally:
        con.close()
    assert {rows[0]["registration_id"], rows[1]["registration_id"]} <= ids
    assert len(ids) == 43 + len(rows)
