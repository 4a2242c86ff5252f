"""A ``DeliveryReport`` shown: Rich tables for the terminal, an HTML page or page body.

Both renderers format the same cells (``summary_cells``, ``completeness_cells``), so the
terminal and the page never disagree. ``render_body`` is the part the analyst's workspace
embeds in its own page; ``render_page`` wraps it in a self-contained page with the
dashboard's style sheet inlined.
"""

from __future__ import annotations

from importlib import resources

import jinja2
from rich.console import Console
from rich.table import Table
from rich.text import Text

from traffickingmonitor.intake.delivery import NO_PREVIOUS, SEVERITIES, DeliveryReport
from traffickingmonitor.intake.delivery_checks import COMPLETENESS_DROP

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}
SUMMARY_HEADERS = ("file(s)", "organisation", "status", "rows", "persons", "previous delivery")
FINDING_HEADERS = ("severity", "check", "file", "organisation", "field", "finding")
# Shares of the terminal's width for the finding columns (the severity as wide as it is).
_FINDING_RATIOS = (None, 3, 4, 3, 3, 9)


def _number(value: int | None, missing: str = "—") -> str:
    return missing if value is None else f"{value:,}"


def _change(now: int | None, before: int | None) -> str:
    if now is None or before is None or now == before:
        return ""
    return f" ({now - before:+,})"


def summary_cells(report: DeliveryReport) -> list[tuple[str, ...]]:
    """One row of strings per summary row; a comparison never shows a made-up zero.

    The last cell is the previous delivery's rows (and persons, for registrations), or why
    there is none.
    """
    rows = []
    for r in report.rows:
        if report.previous_edition is None:
            before = NO_PREVIOUS
        elif r.previous_rows is None:
            before = "not in the previous delivery"
        elif r.kind == "registrations":
            before = f"{r.previous_rows:,} rows, {_number(r.previous_persons)} persons"
        else:
            before = f"{r.previous_rows:,} rows"
        persons = "—" if r.kind != "registrations" or r.rows is None else _number(r.persons)
        if r.kind == "registrations" and r.persons is None and r.rows is not None:
            persons = "not counted (file invalid)"
        rows.append(
            (
                ", ".join(r.files) or "—",
                r.org or "—",
                r.status,
                _number(r.rows) + _change(r.rows, r.previous_rows),
                persons + ("" if r.persons is None else _change(r.persons, r.previous_persons)),
                before,
            )
        )
    return rows


def completeness_cells(report: DeliveryReport) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Groups (organisations, then event files) as columns, fields as rows.

    Each cell is (text, worse): the share filled, "was N%" where a previous delivery had
    another share, and whether it fell by ``COMPLETENESS_DROP`` or more.
    """
    groups = list(dict.fromkeys(c.group for c in report.completeness))
    fields = list(dict.fromkeys(c.field for c in report.completeness))
    cells = {(c.group, c.field): c for c in report.completeness}
    rows = []
    for name in fields:
        row = [(name, False)]
        for group in groups:
            c = cells.get((group, name))
            if c is None:
                row.append(("", False))
                continue
            text = f"{c.share:.0%}"
            worse = False
            if c.previous_share is not None and round(c.previous_share, 2) != round(c.share, 2):
                text += f" (was {c.previous_share:.0%})"
                # Marked as the completeness check finds it: small moves are not alarms.
                worse = c.previous_share - c.share >= COMPLETENESS_DROP
            row.append((text, worse))
        rows.append(row)
    return ["field", *groups], rows


def finding_cells(report: DeliveryReport) -> list[tuple[str, ...]]:
    return [
        (f.severity, f.check, f.file or "", f.org or "", f.field or "", f.message)
        for f in report.findings
    ]


def verdict(report: DeliveryReport) -> str:
    counts = report.counts()
    told = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in SEVERITIES)
    against = (
        f"compared with edition {report.previous_edition}"
        if report.previous_edition
        else NO_PREVIOUS
    )
    return f"{told}; {against}"


# --- terminal ------------------------------------------------------------------------------


def print_report(report: DeliveryReport, console: Console) -> None:
    # Every text is a Text, never markup: file and folder names may hold "[...]".
    console.print(Text(f"Delivery check of {report.input_dir}", style="bold"))
    summary = Table(title="Files and reporting organisations", title_justify="left")
    for i, header in enumerate(SUMMARY_HEADERS):
        summary.add_column(
            Text(header), justify="right" if i in (3, 4) else "left", overflow="fold"
        )
    for row in summary_cells(report):
        style = "red" if row[2] in ("invalid", "unreadable") else None
        summary.add_row(*(Text(c) for c in row), style=style)
    console.print(summary)

    headers, rows = completeness_cells(report)
    table = Table(
        title="Completeness: share of rows filled (not empty, not unknown)", title_justify="left"
    )
    for i, header in enumerate(headers):
        table.add_column(
            Text(header), justify="right" if i else "left", overflow="fold", no_wrap=not i
        )
    for row in rows:
        table.add_row(*(Text(text, style="red" if worse else "") for text, worse in row))
    console.print(table)

    findings = Table(title="Findings", title_justify="left", expand=True)
    for header, ratio in zip(FINDING_HEADERS, _FINDING_RATIOS, strict=True):
        # The finding itself gets the room; names are folded, never cut.
        findings.add_column(Text(header), overflow="fold", ratio=ratio, no_wrap=ratio is None)
    for cells in finding_cells(report):
        findings.add_row(
            Text(cells[0], style=SEVERITY_STYLE[cells[0]]), *(Text(c) for c in cells[1:])
        )
    console.print(findings if report.findings else Text("Findings: none"))
    console.print(Text(report.persons_note, style="dim"))
    style = "bold red" if report.has_errors else "bold green"
    console.print(Text(verdict(report), style=style))


# --- HTML ----------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("traffickingmonitor.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _context(report: DeliveryReport) -> dict:
    headers, rows = completeness_cells(report)
    return {
        "report": report,
        "verdict": verdict(report),
        "summary_headers": SUMMARY_HEADERS,
        "summary_rows": summary_cells(report),
        "completeness_headers": headers,
        "completeness_rows": rows,
        "finding_headers": FINDING_HEADERS,
        "findings": finding_cells(report),
    }


def render_body(report: DeliveryReport) -> str:
    """The report as an HTML fragment (headings and tables) for a page of the workspace."""
    return (
        _environment().get_template("delivery_check.html.j2").render(page=False, **_context(report))
    )


def render_page(report: DeliveryReport) -> str:
    """A self-contained HTML page: the body with the dashboard's style sheet inlined."""
    css = (
        resources.files("traffickingmonitor.publish.web")
        .joinpath("static", "web.css")
        .read_text("utf-8")
    )
    return (
        _environment()
        .get_template("delivery_check.html.j2")
        .render(page=True, css=css, **_context(report))
    )
