"""Words of the analyst's workspace pages in Dutch and English.

They live in the catalogs (``publish/locale``, context ``workspace``): ``WORDS[lang]["key"]``
in the code, ``ww.key`` in the templates."""

from __future__ import annotations

from traffickingmonitor.publish.i18n import catalog

WORDS = catalog(
    "workspace",
    # a change or a row's status by its code (workspace_compare.html.j2: ``ww[f.change]``)
    dynamic=("added", "removed", "changed"),
)
