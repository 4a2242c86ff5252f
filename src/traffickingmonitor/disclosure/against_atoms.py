"""Protection that holds against the attacker from the microdata.

The engine (:mod:`secondary`) protects against the model of :mod:`model`, whose relations
between tables are declared. The attacker of :mod:`atoms` knows every relation the microdata
make, declared or not. Each cell it narrows comes with the relation that narrowed it (a
combination of published cells, true for every edition made of the same atoms); the engine is
given those relations and protects again, until the attacker recovers nothing::

    protect -> attack from the atoms -> add the relations found -> protect ...

The relations only add to what the engine's attacker knows, so each round hides at least what
it must. Each round also starts from the cells the rounds before it hid: a relation is found
for the cells a pattern hides, and a new pattern that showed them again would leave them to
relations nobody has looked for (the loop would go round in circles). The pattern only grows,
so the loop ends: when the attacker recovers nothing, or when a round finds no relation it
did not have. Then the tables in which it still recovers cells are withheld: published with
their categories and a note, without a number. That only takes away from what a reader
knows, so nothing else becomes recoverable, and the edition is published without them rather
than not at all, unless a withheld table's counts from 1 to 9 follow from the other tables
(they are attacked as before); then nothing is published.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.atoms import (
    DEFAULT_VIEW,
    AtomAttack,
    Relation,
    attack_protected,
    repeats_in_sight,
)
from traffickingmonitor.disclosure.attack import truth_of
from traffickingmonitor.disclosure.edition import EditionProtection, protect_edition_details
from traffickingmonitor.disclosure.primary import withhold
from traffickingmonitor.disclosure.rule import DisclosureRule
from traffickingmonitor.errors import UserError

#: rounds of protect -> attack before giving up (each round adds what the last attack found)
MAX_ROUNDS = 6

log = logging.getLogger(__name__)


class NotClosedError(UserError):
    """The attacker from the microdata still recovers cells: nothing may be published."""

    exit_code = 3


@dataclass
class AtomProtection:
    protection: EditionProtection
    attack: AtomAttack  # the last attack: nothing recovered
    relations: list[Relation]  # every relation the engine was given
    rounds: int
    #: tables published without a number, when the rounds did not close
    withheld: tuple[str, ...] = ()


def protect_against_atoms(
    tables: dict[str, MonitorTable],
    rule: DisclosureRule,
    members: dict[str, pd.DataFrame],
    missing: dict[str, str] | None = None,
    max_rounds: int = MAX_ROUNDS,
    view: str = DEFAULT_VIEW,
) -> AtomProtection:
    """Protect ``tables`` until the attacker from their ``members`` recovers nothing.

    Parameters
    ----------
    tables
        The edition's unprotected tables.
    rule
        A suppression rule (rounding and noise are not attacked from the atoms).
    members
        Per table, the units of each cell (:func:`traffickingmonitor.analysis.microdata.
        edition_members`).
    missing
        Tables without members and why (they are reported "not attacked").
    max_rounds
        Rounds of protect -> attack at most.
    view
        What the attacker knows of which combinations of cells occur (:data:`atoms.VIEWS`).

    Notes
    -----
    When a round finds no relation it did not have, or after ``max_rounds``, while cells
    are still recovered, the tables with recovered cells are withheld (published without a
    number, :func:`primary.withhold`), which closes it.
    """
    if rule.method != "suppression":
        raise ValueError(f"only suppression is protected against the atoms ({rule.method})")
    truth = truth_of(tables)

    def attack_of(published: dict) -> AtomAttack:
        return attack_protected(published, members, missing or {}, truth, rule, view)

    found: list[Relation] = []
    kept: frozenset = frozenset()
    t0 = time.perf_counter()
    as_x: frozenset = frozenset()
    done: dict = {}  # components protected in a round before, by content
    for round_ in range(1, max_rounds + 1):
        protection = protect_edition_details(tables, rule, tuple(found), kept, as_x, done)
        kept |= _hidden_cells(protection)
        as_x = protection.shown_as_x
        t1 = time.perf_counter()
        attack = attack_of(protection.tables)
        recovered = [v for v in attack.verdicts.values() if v.recovered]
        log.info(
            "round %d: protected in %.1f s, attacked from the microdata in %.1f s: %d cells "
            "recovered",
            round_,
            protection.seconds,
            time.perf_counter() - t1,
            sum(len(v.recovered) for v in recovered),
        )
        if not recovered:
            protection.notes.append(
                f"protected against the attacker from the microdata: {round_} rounds, "
                f"{len(found)} relations it found given to the engine"
            )
            protection.seconds = time.perf_counter() - t0
            return AtomProtection(protection, attack, found, round_)
        known = set(found)
        new = [r for r in dict.fromkeys(attack.relations) if r not in known]
        if not new:
            break
        found += new
    attack, withheld = _withhold_recovered(protection, attack, attack_of)
    protection.notes.append(
        f"the attacker from the microdata still recovered cells after {round_} rounds of "
        f"protection: tables withheld ({', '.join(withheld)})"
    )
    protection.seconds = time.perf_counter() - t0
    return AtomProtection(protection, attack, found, round_, withheld)


def _withhold_recovered(
    protection: EditionProtection, attack: AtomAttack, attack_of
) -> tuple[AtomAttack, tuple[str, ...]]:
    """Withhold the tables in which the attacker still recovers cells, until it recovers
    none: the edition is published without their numbers rather than not at all.

    A withheld table shows no number, so what a reader knows only shrinks and no other
    hidden cell gets easier to recover; its own counts from 1 to 9 are still attacked,
    since the other tables may give them away (then nothing can be published).
    Changes ``protection.tables``.

    Raises
    ------
    NotClosedError
        When a withheld table's small count is recovered from the other tables.
    """
    withheld: list[str] = []
    while recovered := sorted(tid for tid, v in attack.verdicts.items() if v.recovered):
        if again := [tid for tid in recovered if protection.tables[tid].withheld]:
            # its counts from 1 to 9 follow from the other tables: withholding cannot help
            raise NotClosedError(
                "the attacker from the microdata recovers counts of withheld tables from the "
                f"other tables ({', '.join(again)}); nothing was published"
            )
        log.warning(
            "the attacker from the microdata still recovers cells in %s: withheld",
            ", ".join(recovered),
        )
        for tid in recovered:
            protection.tables[tid] = withhold(protection.tables[tid])
        withheld += recovered
        attack = attack_of(protection.tables)
    return attack, tuple(withheld)


def protect_with_repeats(
    tables: dict[str, MonitorTable],
    rule: DisclosureRule,
    members_of,
    max_rounds: int = MAX_ROUNDS,
) -> EditionProtection:
    """Protect ``tables`` against the declared model and against every figure the microdata
    show repeated under another name (:func:`atoms.repeats_in_sight`): one number, one cell,
    without a declaration.

    A repeat matters only where the pattern hides one of its cells and shows the other, so
    the pattern is made first and then looked at; the repeats found are given to the engine
    as relations, and the pattern grows from the last one until no hidden cell is repeated
    by a shown one. ``members_of(table ids)``: per table, its members from the microdata
    (made only for the tables of a possible repeat).

    Raises
    ------
    NotClosedError
        When hidden cells are still repeated after ``max_rounds``.
    """
    truth = truth_of(tables)
    found: list[Relation] = []
    kept: frozenset = frozenset()
    t0 = time.perf_counter()
    as_x: frozenset = frozenset()
    done: dict = {}  # components protected in a round before, by content
    for _ in range(max_rounds):
        protection = protect_edition_details(tables, rule, tuple(found), kept, as_x, done)
        as_x = protection.shown_as_x
        known = set(found)
        new = [r for r in repeats_in_sight(protection.tables, truth, members_of) if r not in known]
        if not new:
            if found:
                protection.notes.append(
                    f"{len(found) // 2} figures repeated under another name, found in the "
                    "microdata, hidden or shown alike"
                )
            protection.seconds = time.perf_counter() - t0
            return protection
        found += new
        kept |= _hidden_cells(protection)
    raise NotClosedError(
        f"hidden cells are still repeated by shown ones after {max_rounds} rounds of "
        "protection; nothing was published"
    )


def _hidden_cells(protection: EditionProtection) -> frozenset:
    """(table, row, column) of every cell the pattern hides."""
    cells, hidden = protection.model.cells, protection.suppression.hidden
    return frozenset(
        (cells[i].table_id, cells[i].row, cells[i].column) for i in np.flatnonzero(hidden)
    )
