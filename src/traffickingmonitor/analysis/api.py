"""Public face of ``analysis``: tables and estimates of an edition (before disclosure control)."""

from traffickingmonitor.analysis.descriptive import descriptive_tables, edition_totals
from traffickingmonitor.analysis.hidden_number import (
    HiddenNumber,
    HiddenNumberSettings,
    estimate_hidden_number,
    list_frame,
)
from traffickingmonitor.analysis.persons import person_years, victim_groups
from traffickingmonitor.analysis.tables import MonitorTable

__all__ = [
    "HiddenNumber",
    "HiddenNumberSettings",
    "MonitorTable",
    "descriptive_tables",
    "edition_totals",
    "estimate_hidden_number",
    "list_frame",
    "person_years",
    "victim_groups",
]
