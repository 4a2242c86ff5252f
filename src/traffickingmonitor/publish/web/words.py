"""Words of the web pages in Dutch and English (the report's own words stay in labels.TEXT).

They live in the catalogs (``publish/locale``, context ``web``; a role's name in the section
``roles``): ``WORDS[lang]["key"]`` in the code, ``w.key`` in the templates."""

from __future__ import annotations

from traffickingmonitor.publish.i18n import LANGS, catalog

__all__ = ["LANGS", "WORDS"]

WORDS = catalog(
    "web",
    dynamic=(
        # a role's name: ``w.roles[user.role]``
        "roles.*",
        # an area level (municipality.html.j2, downloads.html.j2: ``w[level + "s"]``)
        "province",
        "police_unit",
        "safety_region",
        "provinces",
        "police_units",
        "safety_regions",
        # a page's message by its key (account.html.j2, editions.html.j2: ``w[message]``)
        "login_blocked",
        "password_oidc",
        "password_wrong",
        "password_mismatch",
        "password_length",
        "password_changed",
        "approved_msg",
        "withdrawn_msg",
    ),
)
