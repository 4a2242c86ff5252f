"""The synth command: progress, summary, and one-line user errors."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from traffickingmonitor.errors import UserError
from traffickingmonitor.synthetic.cli import parse_years, synth_command

app = typer.Typer()
app.command("synth")(synth_command)
app.command("noop")(lambda: None)  # keep "synth" a subcommand
runner = CliRunner()


def test_parse_years():
    assert parse_years("2016-2020") == (2016, 2020)
    assert parse_years("2019") == (2019, 2019)
    for bad in ("2020-2016", "20-21", "abc", ""):
        try:
            parse_years(bad)
        except UserError:
            continue
        raise AssertionError(bad)


def test_synth_writes_files_and_summary(tmp_path):
    out = tmp_path / "ed"
    result = runner.invoke(app, ["synth", "--out", str(out), "--years", "2019", "--scale", "0.5"])
    assert result.exit_code == 0, result.output
    assert (out / "registrations_police.csv").exists()
    assert (out / "truth" / "summary.json").exists()
    assert "registrations of" in result.stdout


def _error(args) -> BaseException | None:
    result = runner.invoke(app, ["synth", *args])
    return result.exception


def test_user_errors(tmp_path):
    assert isinstance(_error(["--out", str(tmp_path), "--years", "2020-2016"]), UserError)
    assert isinstance(_error(["--out", str(tmp_path), "--scale", "0"]), UserError)
    assert isinstance(_error(["--out", str(tmp_path), "--scale", "-2"]), UserError)
    assert isinstance(_error(["--out", str(tmp_path), "--format", "xlsx"]), UserError)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = _error(["--out", str(blocker / "sub"), "--years", "2019"])
    assert isinstance(err, UserError)
    assert "not writable" in str(err) and "\n" not in str(err)
