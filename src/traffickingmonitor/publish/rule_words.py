"""What was done to every published number, in words: the disclosure rule described.

The words live in the catalogs (context ``disclosure_rule``); ``DisclosureRule.describe``
reads them here, so that the report's method annex, the dashboard's footer and pages, the
factsheets and ``disclosure-check`` say the same.
"""

from __future__ import annotations

from traffickingmonitor.publish.i18n import catalog

# the rule's method by its code; an estimate's rounding base by its value ("tientallen")
TEXT = catalog("disclosure_rule", dynamic=("suppression", "rounding", "dp", "estimates.*"))


def describe(rule, lang: str) -> str:
    """The rule of ``rule`` (a ``DisclosureRule``) in ``lang``, with its parameters."""
    w = TEXT[lang]
    estimates = w["estimates"]
    base = str(rule.estimate_rounding)
    rounded = estimates[base] if base in estimates else estimates["other"]
    return w[rule.method].format(
        largest_small=rule.threshold - 1,
        symbol=rule.symbol,
        secondary=rule.secondary_symbol,
        base=rule.rounding_base,
        epsilon=f"{rule.epsilon:g}",
        estimates=rounded.format(n=rule.estimate_rounding),
    )
