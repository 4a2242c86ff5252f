"""The titles and notes of the monitor's tables in Dutch and English (context ``tables``).

``analysis.tables.table_words`` reads them; they are declared here, in the package that
``pybabel extract`` reads (``locale/README.md``). Keys: ``<table_id>.title`` and
``<table_id>.note`` (a family of tables shares one, e.g. ``care_reach``, with the breakdown
as ``{by}``), further sentences a note may have (``care_reach.municipalities``), and the names
of the breakdowns (``by.<dimension>``).
"""

from __future__ import annotations

from traffickingmonitor.publish.i18n import catalog

# the analyses read titles and notes by table id
TEXT = catalog("tables", dynamic=("*",))
