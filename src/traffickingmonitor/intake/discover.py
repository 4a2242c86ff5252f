"""Find the data standard files in an input folder, and the marker of synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

from traffickingmonitor.errors import UserError
from traffickingmonitor.intake.schema import SCHEMAS, SUFFIXES, kind_of

# Written by `synth` beside the files it made: what it wrote, with which parameters. Never data.
SYNTHETIC_MARKER = "synthetic.json"
_SHOWN_NAMES = 5


def discover(input_dir: Path) -> tuple[list[Path], list[Path]]:
    """Standard files (sorted by kind, then name) and the unknown files found beside them.

    Hidden files, the synthetic marker and subfolders (``truth/`` of a synthetic edition) are
    neither.
    """
    if not input_dir.is_dir():
        raise UserError(f"{input_dir} is not a folder")
    found, other = [], []
    for path in sorted(p for p in input_dir.iterdir() if not p.name.startswith(".")):
        if path.is_symlink() and kind_of(path.name):
            _refuse_outside(path, input_dir)
        if path.is_file() and path.name != SYNTHETIC_MARKER:
            (found if kind_of(path.name) else other).append(path)
    if not found:
        kinds = ", ".join(f"{k}*.csv" for k in SCHEMAS)
        raise UserError(f"no data standard files in {input_dir} (expected names like {kinds})")
    order = list(SCHEMAS)
    found.sort(key=lambda p: (order.index(kind_of(p.name)), p.name))
    return found, other


def _refuse_outside(link: Path, input_dir: Path) -> None:
    """A symbolic link may point to a file of the input folder only.

    A link out of the folder would import (and, on a parse error, describe) a file the
    folder's owner never delivered: any file the importing user can read.
    """
    folder = input_dir.resolve()
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UserError(
            f"{link.name}: a symbolic link to nothing (or a loop); nothing was loaded"
        ) from None
    if not target.is_relative_to(folder):
        raise UserError(
            f"{link.name}: a symbolic link to a file outside the input folder; copy the file "
            "into the folder instead; nothing was loaded"
        )


def expected_names() -> str:
    kinds = ", ".join(f"{k}*" for k in SCHEMAS)
    return f"{kinds} (ending {', '.join(SUFFIXES)}, e.g. registrations_police.csv)"


def refuse_unknown(unknown: list[Path]) -> None:
    """An unknown file may be data meant for the edition under a wrong name: never skip it
    silently (the edition would lack its rows)."""
    if not unknown:
        return
    names = ", ".join(p.name for p in unknown[:_SHOWN_NAMES])
    if len(unknown) > _SHOWN_NAMES:
        names += f" and {len(unknown) - _SHOWN_NAMES} more"
    raise UserError(
        f"{names}: not a data standard file name; nothing was loaded. Names must start with "
        f"the kind of file: {expected_names()}. Rename the file(s), or run with --skip-unknown "
        "to leave them out"
    )


def read_synthetic_marker(input_dir: Path) -> dict | None:
    """What `synth` wrote into this folder (parameters and file hashes), or None."""
    from traffickingmonitor.intake import readers

    path = input_dir / SYNTHETIC_MARKER
    if not path.exists() and not path.is_symlink():
        return None
    problem = (
        f"{SYNTHETIC_MARKER}: not a marker written by `traffickingmonitor synth`; delete it "
        "if the data in this folder are not synthetic; nothing was loaded"
    )
    try:
        doc = json.loads(readers.read_bytes(path))
    except ValueError:
        raise UserError(problem) from None
    if not (
        isinstance(doc, dict)
        and doc.get("synthetic") is True
        and isinstance(doc.get("files"), dict)
        and all(isinstance(v, str) for v in doc["files"].values())
    ):
        raise UserError(problem)
    return doc
