"""``traffickingmonitor estimate``: the estimator on a CSV table (a contract for other tools).

Only typer is imported at module level: the main CLI imports this module on every start.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Method(StrEnum):
    stepwise = "stepwise"
    bic = "bic"
    aic = "aic"
    main = "main"


class CI(StrEnum):
    conditional = "conditional"
    profile = "profile"
    bca = "bca"


def estimate_command(
    file: Annotated[Path, typer.Argument(help="CSV: one 0/1 column per list plus count.")],
    method: Annotated[Method, typer.Option("--method", help="Model selection.")] = Method.stepwise,
    ci: Annotated[CI, typer.Option("--ci", help="Interval method.")] = CI.conditional,
    n_boot: Annotated[
        int, typer.Option("--n-boot", min=10, help="Bootstrap replicates (bca).")
    ] = 1000,
    seed: Annotated[int | None, typer.Option("--seed", help="Bootstrap seed.")] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0.0001, max=0.5, help="One minus the level.")
    ] = 0.05,
    pthresh: Annotated[float, typer.Option("--pthresh", help="Stepwise p-value threshold.")] = 0.02,
    max_order: Annotated[
        int, typer.Option("--max-order", min=2, help="Highest interaction order (bic/aic).")
    ] = 2,
    model: Annotated[
        str | None,
        typer.Option("--model", help='Fixed model, e.g. "A:B,B:C" (overrides --method).'),
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Bootstrap processes.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Estimate the population size from a capture-recapture table (multiple systems estimation)."""
    from traffickingmonitor.analysis.mse.api import estimate_population
    from traffickingmonitor.analysis.mse.table import CaptureTable, NotEstimableError
    from traffickingmonitor.errors import UserError

    table = CaptureTable.from_csv(file)
    terms = None
    if model is not None:
        terms = [t.strip() for t in model.split(",") if t.strip()]
    try:
        res = estimate_population(
            table,
            method=method.value,
            ci=ci.value,
            n_boot=n_boot,
            seed=seed,
            alpha=alpha,
            pthresh=pthresh,
            model=terms,
            max_order=max_order,
            n_jobs=jobs,
            diagnostics=not json_out,
        )
    except NotEstimableError as exc:
        msg = str(exc)
        if not msg.startswith(str(file)):
            msg = f"{file}: {msg}"
        raise UserError(msg) from None
    if json_out:
        d = res.to_dict()
        out = {
            k: d[k]
            for k in (
                "observed",
                "estimate",
                "ci_low",
                "ci_high",
                "ci_method",
                "ci_level",
                "model",
                "warnings",
                "dark_figure",
                "method",
                "hierarchy",
                "lists",
                "intervals",
            )
        }
        out["file"] = str(file)
        out["fitted"] = d["fitted"]
        if "bootstrap" in d["diagnostics"]:
            out["bootstrap"] = d["diagnostics"]["bootstrap"]
        typer.echo(json.dumps(out, allow_nan=False))
        return
    _print_rich(res, file)


def _fmt(v: float) -> str:
    return "∞" if not math.isfinite(v) else f"{v:,.0f}"


def _print_rich(res, file: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"Hidden number: {file.name}", show_header=True)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("observed", f"{res.observed:,}")
    t.add_row("estimate", _fmt(res.estimate))
    t.add_row("dark figure", _fmt(res.dark_figure))
    unbounded = bool(res.diagnostics.get("bootstrap", {}).get("upper_unbounded"))
    for iv in res.intervals:
        high = _fmt(iv.high)
        if iv.method == "bca" and unbounded:
            high = f"unbounded (finite replicates: {high})"
        t.add_row(f"{iv.level:.0%} interval ({iv.method})", f"{_fmt(iv.low)} – {high}")
    t.add_row("method", res.method)
    t.add_row("model", ", ".join(res.model) or "main effects only")
    console.print(t)
    sens = res.diagnostics.get("sensitivity")
    if sens:
        s = Table(title="Sensitivity (model-conditional intervals)")
        for c in ("method", "estimate", "interval", "model"):
            s.add_column(c)
        for r in sens:
            if "error" in r:
                s.add_row(r["method"], "—", "—", r["error"])
            else:
                s.add_row(
                    r["method"],
                    _fmt(r["estimate"]),
                    f"{_fmt(r['ci_low'])} – {_fmt(r['ci_high'])}",
                    ", ".join(r["model"]) or "main",
                )
        console.print(s)
    for w in res.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
