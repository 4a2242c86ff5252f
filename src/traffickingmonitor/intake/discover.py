"""Find the data standard files in an input folder."""

from __future__ import annotations

from pathlib import Path

from traffickingmonitor.errors import UserError
from traffickingmonitor.intake.schema import SCHEMAS, kind_of


def discover(input_dir: Path) -> tuple[list[Path], list[Path]]:
    """Standard files (sorted by kind, then name) and the other files found beside them."""
    if not input_dir.is_dir():
        raise UserError(f"{input_dir} is not a folder")
    found, other = [], []
    for path in sorted(p for p in input_dir.iterdir() if not p.name.startswith(".")):
        if path.is_symlink() and kind_of(path.name):
            _refuse_outside(path, input_dir)
        if path.is_file():
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
