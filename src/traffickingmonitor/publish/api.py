"""Public face of ``publish``: report (HTML, PDF) and open-data tables of an edition."""

from traffickingmonitor.publish.report import (
    WrittenReport,
    render_html,
    write_pdf,
    write_report,
    write_report_from,
    write_tables,
)

__all__ = [
    "WrittenReport",
    "render_html",
    "write_pdf",
    "write_report",
    "write_report_from",
    "write_tables",
]
