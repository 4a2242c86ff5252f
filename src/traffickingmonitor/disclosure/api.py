"""Public face of ``disclosure``: every number that leaves the system passes here."""

from traffickingmonitor.disclosure.primary import (
    PrimaryRule,
    ProtectedTable,
    protect,
    protect_edition,
    require_protected,
)

__all__ = ["PrimaryRule", "ProtectedTable", "protect", "protect_edition", "require_protected"]
