"""Helpers shared by the tests: hand-made rows, CSV writing, store snapshots, the CLI."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

KEY = "test-key-0123456789abcdef"

REGISTRATION_COLUMNS = [
    "registration_id",
    "registered_on",
    "reporting_org",
    "national_id",
    "family_name",
    "given_names",
    "birth_date",
    "birth_year",
    "sex",
    "nationality",
    "exploitation_form",
    "sector",
    "exploitation_country",
    "exploitation_municipality",
    "residence_municipality",
    "exploitation_start",
    "residence_status",
    "shelter_referral",
]


def registration(i: int, **over) -> dict:
    row = {
        "registration_id": f"POL-{i:05d}",
        "registered_on": f"{2019 + i % 2}-0{1 + i % 9}-1{i % 9}",
        "reporting_org": "police",
        "national_id": f"{100000000 + i * 7919}",
        "family_name": f"Familyname{i}",
        "given_names": f"Givenname{i}",
        "birth_date": f"19{70 + i % 30}-0{1 + i % 9}-0{1 + i % 9}",
        "birth_year": f"19{70 + i % 30}",
        "sex": "female" if i % 4 else "male",
        "nationality": ["NL", "NG", "PL", "RO"][i % 4],
        "exploitation_form": ["sexual", "labour", "criminal", "sexual;criminal"][i % 4],
        "sector": "",
        "exploitation_country": "NL",
        "exploitation_municipality": "GM0363",
        "residence_municipality": "GM0599",
        "exploitation_start": "",
        "residence_status": "unknown",
        "shelter_referral": "",
    }
    row.update(over)
    return row


def write_csv(
    path: Path, rows: list[dict], columns: list[str] | None = None, encoding="utf-8"
) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_input_dir(tmp_path: Path) -> Path:
    """Police and care registrations; care reports three police persons again, one name swapped."""
    folder = tmp_path / "input"
    folder.mkdir()
    police = [registration(i) for i in range(1, 41)]
    care = [
        registration(i, registration_id=f"ZRG-{i:05d}", reporting_org="care", national_id="")
        for i in (1, 2, 3)
    ]
    care[2]["family_name"], care[2]["given_names"] = care[2]["given_names"], care[2]["family_name"]
    write_csv(folder / "registrations_police.csv", police, REGISTRATION_COLUMNS)
    write_csv(folder / "registrations_care.csv", care, REGISTRATION_COLUMNS)
    return folder


def snapshot(db: Path) -> dict:
    """Every row of every table, to prove that a failed command changed nothing."""
    import duckdb

    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        return {n: sorted(map(repr, con.execute(f'SELECT * FROM "{n}"').fetchall())) for n in names}
    finally:
        con.close()


def run_cli(
    *args: str, env: dict | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess:
    # no timeout by default: a whole `run` on a busy machine takes what it takes (a run of
    # synth --scale 0.2 passed 300 s beside other jobs); a test that must stop gives its own
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "traffickingmonitor", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def csv_numbers(folder: Path) -> set[int]:
    """Every whole number in the CSV files of ``folder`` (the open data of an edition)."""
    import pandas as pd

    numbers = set()
    for path in Path(folder).glob("*.csv"):
        for v in pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel():
            # whole numbers, also where a column of figures is written as decimals ("262.0")
            if re.fullmatch(r"-?\d+(\.0+)?", v or ""):
                numbers.add(int(float(v)))
    return numbers
