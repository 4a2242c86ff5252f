"""Files as Dutch organisations deliver them: Excel's CSV (``;``, BOM, CRLF) and workbooks with
real date cells load without edits; the dialect used is said, not guessed silently."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from traffickingmonitor.intake import checks, readers
from traffickingmonitor.intake.errors import InvalidFile
from traffickingmonitor.intake.schema import REGISTRATIONS

from helpers import REGISTRATION_COLUMNS, registration, run_cli, snapshot, write_csv

DATE_FIELDS = [f.name for f in REGISTRATIONS.fields if f.type == "date"]


def _rows(n: int = 12, **over) -> list[dict]:
    # rows 3, 7, 11 have exploitation_form "sexual;criminal": the separator inside a value
    rows = [registration(i, **over) for i in range(1, n + 1)]
    rows[2]["shelter_referral"] = "2020-05-04"
    return rows


def _csv_bytes(rows, sep=";", bom=True, newline="\r\n", trailing_empty=True) -> bytes:
    """What Dutch Excel writes: the bytes, not a library's idea of them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, REGISTRATION_COLUMNS, delimiter=sep, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    text = out.getvalue() + (newline if trailing_empty else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _workbook(rows, path, epoch=None, serial: set[str] = frozenset(), cells=None):
    """A workbook as Excel saves it: date cells hold datetimes, numbers are numbers."""
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.title = "Blad1"
    sheet.append(REGISTRATION_COLUMNS)
    origin = dt.date(1904, 1, 1) if epoch == CALENDAR_MAC_1904 else dt.date(1899, 12, 30)
    for row in rows:
        values = []
        for column in REGISTRATION_COLUMNS:
            value = row[column]
            if column in DATE_FIELDS and value:
                day = dt.date.fromisoformat(value)
                # a date cell, or (a column without date format) Excel's serial day number
                value = (
                    (day - origin).days if column in serial else dt.datetime(*day.timetuple()[:3])
                )
            elif column in ("birth_year", "national_id") and value:
                value = float(value) if column == "national_id" else int(value)
            values.append(value)
        sheet.append(values)
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    book.save(path)
    return path


def _records(raw) -> list[dict]:
    return raw.frame.to_dict("records")


def _read(path):
    raw = readers.read_table(path)
    return raw, checks.validate(raw, REGISTRATIONS)


@pytest.mark.parametrize(
    ("sep", "bom", "newline", "said"),
    [
        (";", True, "\r\n", "semicolon-separated, UTF-8 with BOM, CRLF line ends"),
        (";", False, "\n", "semicolon-separated, UTF-8"),
        ("\t", True, "\r\n", "tab-separated, UTF-8 with BOM"),
        (",", False, "\n", "comma-separated, UTF-8"),
    ],
)
def test_csv_dialects_read_alike_and_are_named(tmp_path, sep, bom, newline, said):
    rows = _rows()
    reference = tmp_path / "registrations_ref.csv"
    write_csv(reference, rows, REGISTRATION_COLUMNS)
    path = tmp_path / "registrations_nl.csv"
    path.write_bytes(_csv_bytes(rows, sep, bom, newline))

    raw, typed = _read(path)

    assert raw.read_as.startswith(said)
    assert ("quoted values" in raw.read_as) == (sep == ";")  # "sexual;criminal" is quoted
    assert _records(raw) == _records(readers.read_table(reference))
    assert len(typed) == len(rows)
    assert typed["exploitation_form"].iloc[2] == "criminal;sexual"


def test_a_semicolon_header_is_never_one_unknown_column(tmp_path, key_env):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "registrations_police.csv").write_bytes(_csv_bytes(_rows(40)))
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 0, result.stderr
    assert "unknown column" not in result.stderr
    line = next(x for x in result.stderr.splitlines() if "registrations_police.csv" in x)
    assert "imported (40 rows; read as semicolon-separated, UTF-8 with BOM" in line


def test_semicolon_files_keep_the_hardening(tmp_path):
    rows = _rows()
    path = tmp_path / "registrations_nl.csv"
    # a byte of Windows-1252 in a family name: the "save as UTF-8" error, naming line and column
    data = _csv_bytes(rows).replace(b"Familyname4", "Müller".encode("cp1252"))
    path.write_bytes(data)
    with pytest.raises(InvalidFile) as bad:
        readers.read_table(path)
    assert "line 5, column 'family_name'" in str(bad.value)
    assert "save the file as UTF-8" in str(bad.value)
    assert "Müller" not in str(bad.value)

    # a row with a value too many names the row and the separator
    lines = _csv_bytes(rows).split(b"\r\n")
    lines[6] += b";extra"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(InvalidFile) as bad:
        readers.read_table(path)
    assert "row 7" in str(bad.value) and "a semicolon too many" in str(bad.value)

    # a quote never closed names the row and the column
    lines = _csv_bytes(rows).split(b"\r\n")
    lines[5] = lines[5].replace(b"Givenname5", b'"Givenname5')
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(InvalidFile) as bad:
        readers.read_table(path)
    assert "row 6, column 'given_names'" in str(bad.value)
    assert "never closed" in str(bad.value)


@pytest.mark.parametrize(
    ("epoch", "serial"),
    [
        (None, set()),
        (None, {"registered_on", "shelter_referral"}),
        (CALENDAR_MAC_1904, {"registered_on"}),
    ],
    ids=["date-cells", "serial-numbers", "1904-system"],
)
def test_excel_dates_and_numbers_read_as_the_csv_does(tmp_path, epoch, serial):
    rows = _rows()
    reference = write_csv(tmp_path / "registrations_ref.csv", rows, REGISTRATION_COLUMNS)
    path = _workbook(rows, tmp_path / "registrations_x.xlsx", epoch, serial)

    raw, typed = _read(path)

    assert raw.read_as.startswith("sheet 'Blad1'")
    assert ("1904" in raw.read_as) == (epoch == CALENDAR_MAC_1904)
    assert _records(raw) == _records(readers.read_table(reference))
    assert raw.frame["birth_year"].iloc[0] == rows[0]["birth_year"]  # 1971, not 1971.0
    assert raw.frame["shelter_referral"].iloc[2] == "2020-05-04"
    assert len(typed) == len(rows)


def test_a_time_of_day_in_a_date_cell_names_the_cell(tmp_path):
    cells = {"B4": dt.datetime(2019, 3, 5, 14, 30), "G6": dt.datetime(1980, 1, 2, 8, 0)}
    path = _workbook(_rows(), tmp_path / "registrations_x.xlsx", cells=cells)
    with pytest.raises(InvalidFile) as bad:
        readers.read_table(path)
    lines = bad.value.details()
    assert bad.value.total == 2
    assert "row 4, column 'registered_on'" in lines[0] and "cell B4" in lines[0]
    assert "time of day" in lines[0]
    assert "row 6, column 'birth_date'" in lines[1] and "cell G6" in lines[1]
    assert "1980" not in " ".join(lines)  # an identifier's value is never echoed


def test_an_excel_workbook_with_date_cells_runs_without_edits(tmp_path, key_env):
    folder = tmp_path / "in"
    folder.mkdir()
    _workbook(_rows(40), folder / "registrations_police.xlsx", serial={"shelter_referral"})
    result = run_cli("run", folder, "--db", tmp_path / "s.duckdb")
    assert result.returncode == 0, result.stderr
    assert "not a valid date" not in result.stderr
    assert "imported (40 rows; read as sheet 'Blad1')" in result.stderr
    assert "40 registrations" in result.stderr


def test_an_unknown_file_name_stops_the_run_unless_skipped(tmp_path, input_dir, key_env):
    db = tmp_path / "s.duckdb"
    rows = [registration(i, registration_id=f"ZRG-{i}", reporting_org="care") for i in range(91)]
    write_csv(input_dir / "care_registrations_2020.csv", rows, REGISTRATION_COLUMNS)
    (input_dir / ".hidden.csv").write_text("not read\n")
    (input_dir / "truth").mkdir()

    refused = run_cli("run", input_dir, "--db", db)

    assert refused.returncode == 2
    error = next(x for x in refused.stderr.splitlines() if x.startswith("error:"))
    assert "care_registrations_2020.csv" in error and "registrations*" in error
    assert "--skip-unknown" in error and "nothing was loaded" in error
    assert ".hidden" not in error and "truth" not in error
    assert all(rows == [] for name, rows in snapshot(db).items() if name != "store_meta")

    skipped = run_cli("run", input_dir, "--db", db, "--skip-unknown")

    assert skipped.returncode == 0, skipped.stderr
    assert "care_registrations_2020.csv: skipped" in skipped.stderr
    assert "43 registrations" in skipped.stderr  # the 91 are not in the edition


def test_workbook_header_problems_name_the_column(tmp_path):
    path = tmp_path / "registrations_x.xlsx"
    # an empty column without a name, and formatted empty rows at the end, are no problem
    cells = {"T1": None, "T2": None, "A14": "", "B15": None}
    _workbook(_rows(), path, cells={**cells, "S1": None})
    assert len(readers.read_table(path).frame) == 12
    # a value under a column without a name is
    _workbook(_rows(), path, cells={"T5": "x"})
    with pytest.raises(InvalidFile, match=r"row 5: a value in column 20, which has no name"):
        readers.read_table(path)
    # and a name twice, by position
    _workbook(_rows(), path, cells={"T1": "sex"})
    with pytest.raises(InvalidFile, match=r"columns 9 and 20 \('sex'\)"):
        readers.read_table(path)
