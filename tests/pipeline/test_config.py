"""One typed configuration: the annotated example holds every setting at its default, and a
bad file stops ``run`` with exit 2 and a message naming file, section and key, before anything
is loaded."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from traffickingmonitor.config import SECTIONS, _section, check_config, read_config
from traffickingmonitor.errors import UserError

from helpers import run_cli

EXAMPLE = Path(__file__).parents[2] / "docs" / "edition.toml"


def test_the_example_holds_every_setting_at_its_default():
    text = EXAMPLE.read_text("utf-8")
    written = tomllib.loads(text)
    sections = {name: _section(name) for name in SECTIONS}
    assert set(written) == set(sections)
    for name, cls in sections.items():
        for f in dataclasses.fields(cls):
            if f.default is None:
                # TOML has no "nothing": a setting without a value is shown commented out
                assert re.search(rf"^# {f.name} = ", text, re.M), (name, f.name)
                continue
            assert f.name in written[name], (name, f.name)
            value = written[name][f.name]
            expected = list(f.default) if isinstance(f.default, tuple) else f.default
            assert value == expected, (name, f.name, value, f.default)
    # and it reads as a configuration (types and values accepted)
    assert read_config(EXAMPLE) == written


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[linkage]\nthreshhold = 0.8\n", r"\[linkage\] unknown setting\(s\) threshhold"),
        ("[hidden_number]\nn_boots = 10\n", r"\[hidden_number\] unknown setting\(s\) n_boots"),
        ("[hidden_number]\nn_boot = '200'\n", r"n_boot = '200': expected a whole number"),
        ("[hidden_number]\nmethod = 'best'\n", r"\[hidden_number\] method must be one of"),
        ("[linkage]\nthreshold = 1.5\n", r"\[linkage\] linkage threshold must lie"),
        ("[linkage]\nreview_band = [0.3]\n", r"review_band = \[0.3\]: expected a list of 2"),
        ("[linkage]\nincremental = 1\n", r"incremental = 1: expected true or false"),
        ("[linkage]\nduckdb_memory_limit = '2 gigs'\n", r"duckdb_memory_limit must be a size"),
        ("[cohort]\nhorizons = [1, 0]\n", r"\[cohort\] horizons must be"),
        ("[cohort]\ncutoff = 2024-02-30\n", r"not valid TOML"),
        ("cutoff = 'yesterday'\n", r"\[cohort\] cutoff must be a date"),
        ("[disclosure]\nthreshold = 0\n", r"\[disclosure\] the disclosure threshold must be"),
        ("[disclosure]\nmethod = 'noise'\n", r"\[disclosure\] disclosure method must be one of"),
        ("linkage = 3\n", r"\[linkage\] must be a table of settings"),
        ("[linkages]\nmethod = 'splink'\n", r"unknown configuration key 'linkages'"),
        ("[local]\nneed_effort_draws = 10\n", r"\[local\] need_effort_draws must be at least 100"),
        ("[linkage\nmethod = 'splink'\n", r"not valid TOML: .*line 1"),
    ],
)
def test_a_bad_setting_names_file_section_and_key(tmp_path, toml, message):
    path = tmp_path / "edition.toml"
    path.write_text(toml, "utf-8")
    with pytest.raises(UserError, match=message) as caught:
        read_config(path)
    assert str(caught.value).startswith(str(path))


def test_toml_dates_are_recorded_as_text(tmp_path):
    path = tmp_path / "edition.toml"
    path.write_text("[cohort]\ncutoff = 2024-12-31\nhorizons = [1, 5]\n", "utf-8")
    assert read_config(path) == {"cohort": {"cutoff": "2024-12-31", "horizons": [1, 5]}}


def test_settings_given_from_python_are_checked_alike():
    with pytest.raises(UserError, match=r"\[hidden_number\] unknown setting\(s\) nboot"):
        check_config({"hidden_number": {"nboot": 5}})
    assert check_config({"disclosure": "rounding", "demo": True}) == {
        "disclosure": "rounding",
        "demo": True,
    }


def test_run_with_a_bad_file_exits_2_and_loads_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    bad = tmp_path / "edition.toml"
    bad.write_text("[hidden_number]\nn_boots = 10\n", "utf-8")
    db = tmp_path / "monitor.duckdb"
    done = run_cli("run", tmp_path / "in", "--db", db, "--config", bad)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert f"{bad}: [hidden_number] unknown setting(s) n_boots" in out.replace("\n", "")
    assert "Traceback" not in out
    assert not db.exists()
