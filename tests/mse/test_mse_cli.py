"""The ``traffickingmonitor estimate`` command (a contract for other tools)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

DATA = Path(__file__).parent / "data"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "traffickingmonitor", "estimate", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_output_contract():
    p = run(str(DATA / "uk_2013_5lists.csv"), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)  # exactly one JSON object
    assert out["observed"] == 2744
    assert_allclose(out["estimate"], 11312.9903, rtol=5e-4)
    assert_allclose([out["ci_low"], out["ci_high"]], [9884.4028, 13027.3967], rtol=5e-4)
    assert out["ci_method"] == "conditional"
    assert out["model"] == ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]
    assert isinstance(out["warnings"], list)


def test_json_bca_is_reproducible_with_seed():
    args = (
        str(DATA / "korea_comfort_women_3lists.csv"),
        "--json",
        "--ci",
        "bca",
        "--n-boot",
        "50",
        "--seed",
        "11",
        "--method",
        "main",
    )
    a, b = run(*args), run(*args)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout)["ci_method"] == "bca"
    assert json.loads(a.stdout)["ci_low"] == json.loads(b.stdout)["ci_low"]


def test_rich_table_output():
    p = run(str(DATA / "korea_comfort_women_3lists.csv"), "--ci", "profile")
    assert p.returncode == 0, p.stderr
    assert "estimate" in p.stdout and "profile" in p.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B,count\n1,2,5\n", "must be 0 or 1, row 1"),
        ("A,B,count\n1,0,-1\n1,1,2\n", "whole number written in digits (e.g. 1000), row 1"),
        ("A,B,count\n1,0,1.5\n1,1,2\n", "whole number written in digits (e.g. 1000), row 1"),
        ("A,B,count\n1,0,3\n1,0,2\n", "duplicated capture pattern"),
        ("A,B,count\n1,0,3\n0,0,2\n", "all-zero capture pattern, row 2"),
        ("A,count\n1,3\n", "at least two list columns"),
        ("A,B,count\n1,0,3\n0,1,2\n", "no overlaps"),
        ("A,B\n1,0\n", "no 'count' column"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    p = run(str(f), "--json")
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {f}: ")
    assert message in lines[0]


def test_unreadable_and_missing_file(tmp_path):
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00\x81")
    assert run(str(f)).returncode == 2
    p = run(str(tmp_path / "missing.csv"))
    assert p.returncode == 2 and "file not found" in p.stderr


def test_fixed_model_without_mle_is_refused():
    p = run(str(DATA / "artificial_3lists.csv"), "--model", "A:B", "--json")
    assert p.returncode == 2
    assert "does not exist" in p.stderr


@pytest.mark.parametrize("command", [(), ("estimate",), ("run",), ("disclosure-check",)])
def test_help_imports_no_numerical_library(command):
    """``--help`` answers from the command's signature: the numerical libraries (which take
    most of a start-up) are imported inside the commands, not to list them."""
    code = (
        "import sys\n"
        "from traffickingmonitor.cli import main\n"
        f"sys.argv = ['traffickingmonitor', *{list(command)!r}, '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('numpy', 'pandas', 'scipy', 'duckdb', 'statsmodels', 'splink', 'weasyprint')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Usage" in p.stdout, p.stdout
    assert p.stderr.strip().splitlines()[-1] == "[]", p.stderr
