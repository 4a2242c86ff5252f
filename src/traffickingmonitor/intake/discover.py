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
    for path in sorted(
        p for p in input_dir.iterdir() if p.is_file() and not p.name.startswith(".")
    ):
        (found if kind_of(path.name) else other).append(path)
    if not found:
        kinds = ", ".join(f"{k}*.csv" for k in SCHEMAS)
        raise UserError(f"no data standard files in {input_dir} (expected names like {kinds})")
    order = list(SCHEMAS)
    found.sort(key=lambda p: (order.index(kind_of(p.name)), p.name))
    return found, other
