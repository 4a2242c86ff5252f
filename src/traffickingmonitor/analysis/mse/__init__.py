"""Multiple systems estimation (the hidden number).

Import the public API from here::

    from traffickingmonitor.analysis.mse import estimate_population

The heavy modules load on first use so that ``traffickingmonitor --help`` stays quick.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CaptureTable",
    "Interval",
    "MSEResult",
    "NotEstimableError",
    "StratifiedResult",
    "TableError",
    "estimate_population",
    "estimate_stratified",
    "estimate_with_covariate",
    "sparse_reason",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from traffickingmonitor.analysis.mse import api

        return getattr(api, name)
    raise AttributeError(name)
