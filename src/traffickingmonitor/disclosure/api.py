"""Public face of ``disclosure``: every number that leaves the system passes here."""

from traffickingmonitor.disclosure.edition import (
    EditionProtection,
    protect_edition,
    protect_edition_details,
)
from traffickingmonitor.disclosure.primary import ProtectedTable, protect, require_protected
from traffickingmonitor.disclosure.rule import (
    METHODS,
    DisclosureRule,
    PrimaryRule,
    rule_from_config,
)

__all__ = [
    "METHODS",
    "DisclosureRule",
    "EditionProtection",
    "PrimaryRule",
    "ProtectedTable",
    "protect",
    "protect_edition",
    "protect_edition_details",
    "require_protected",
    "rule_from_config",
]
