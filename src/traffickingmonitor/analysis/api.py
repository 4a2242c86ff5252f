"""Public face of ``analysis``: tables and estimates of an edition (before disclosure control)."""

from traffickingmonitor.analysis.descriptive import descriptive_tables, edition_totals
from traffickingmonitor.analysis.persons import person_years, victim_groups
from traffickingmonitor.analysis.tables import MonitorTable

__all__ = ["MonitorTable", "descriptive_tables", "edition_totals", "person_years", "victim_groups"]
