"""The person model: a Fellegi-Sunter model in Splink over pseudonymised person attributes.

What two registrations are compared on (each a Splink comparison, its levels best first):

- ``nid``: the keyed hash of the national id. Equal ids are one person outright (an exact
  rule applied at clustering, see ``cluster.persons``); different ids are all but conclusive
  evidence of two people (a fixed m of one in a million: the id has a check digit).
- ``name``: the order-free full name token (term-frequency adjusted at half weight: a common
  name is weaker evidence), a dropped second given name (family and first given name agree
  and every word of one name is in the other, both of two words or more: a single shared
  word is what namesakes from a small name pool have), family and first given name equal but
  other given names differ, family and first given name each within one typo (shared
  deletion-variant hashes), the same but swapped, all words of one name in the other in
  another order (swapped and a second given name dropped; both of two words or more),
  phonetic codes, then family or first given name alone.
- ``birth``: the same year where a date is a common placeholder (1 January; before the exact
  level, so equal placeholders are no exact date), exact date (term-frequency adjusted at
  half weight), day and month transposed, year off by one in the same month (real dates
  only), the same year with a date missing, the same year with different dates, years one
  apart.
- ``sex``; ``nationality``: names come from the name pools of a culture, so next to two
  names an equal nationality is implied by them and neutral (m = u, fixed); it is evidence
  where a name is missing (term-frequency adjusted: a nationality a quarter of the people
  have is weak evidence, a rare one strong), and a different nationality always counts
  against; ``residence_municipality`` (term-frequency adjusted) and ``residence_status``
  (a citizen's status next to an equal nationality is implied by it and neutral, m = u
  fixed; a change from asylum seeker or undocumented to a permit is a usual change, not a
  contradiction).

Term frequencies are counted over people, not registrations, and give the chance that
*another* person holds a value (``engine.term_frequency_tables``).

Never the exploitation form, the registration date or anything else about the exploitation:
a re-registration years later, for another exploitation, must stay the same person, because
that re-victimisation is what the monitor measures.

The ``else`` levels of the nearly stable attributes (national id, sex, nationality, residence
municipality, residence status) have fixed m probabilities: clean data would drive their estimate to zero, and
a zero would let one recording error veto any link (and underflows Splink's EM).
"""

from __future__ import annotations

from dataclasses import dataclass

from traffickingmonitor.linkage import prepare

# Comparison output names, in model order; also the order of the stored link weights.
COMPARISONS: tuple[str, ...] = (
    "nid",
    "name",
    "birth",
    "sex",
    "nationality",
    "residence_municipality",
    "residence_status",
)
TF_COLUMNS: tuple[str, ...] = (
    "name_token",
    "birth_date_token",
    "nationality",
    "residence_municipality",
)
# Half-weight term-frequency adjustments for the name and the birth date: the frequencies are
# counted over people (see ``engine.term_frequency_tables``), but a person's registrations that the
# exact rules cannot join (a birth date or a name missing) still count as several people, so
# a full adjustment would mark exactly the names and dates of re-registered people as common.
TF_WEIGHT = 0.5

# Compatible in birth year, sex and nationality (or unknown): a pair that fails this would get
# a strongly negative weight anyway, so the looser blocking rules skip it.
COMPATIBLE = (
    "(l.birth_year IS NULL OR r.birth_year IS NULL OR abs(l.birth_year - r.birth_year) <= 1)"
    " AND (l.sex IS NULL OR r.sex IS NULL OR l.sex = r.sex)"
    " AND (l.nationality IS NULL OR r.nationality IS NULL OR l.nationality = r.nationality)"
)


@dataclass(frozen=True)
class BlockingRule:
    """An equi-join on ``keys`` plus an optional residual condition (Splink SQL, l./r.).

    A key is a column (equal on both sides) or a pair ``(left, right)``: ``l.left = r.right``,
    a join across two columns (a rule and its mirror image find the pairs either way round).
    A key in ``exploded`` is an array column joined element by element: Splink explodes it
    into one row per element first, so that the rule stays an equi-join (sharing an element)
    rather than a comparison of every pair.
    """

    keys: tuple[str | tuple[str, str], ...]
    residual: str = ""
    exploded: tuple[str, ...] = ()

    @property
    def splink_rule(self) -> str | dict:
        """The rule as Splink's settings take it: SQL, or SQL and the arrays to explode."""
        if not self.exploded:
            return self.sql
        return {"blocking_rule": self.sql, "arrays_to_explode": list(self.exploded)}

    @property
    def sql(self) -> str:
        parts = [
            f"l.{k[0]} = r.{k[1]}" if isinstance(k, tuple) else f"l.{k} = r.{k}" for k in self.keys
        ]
        if self.residual:
            parts.append(self.residual)
        return " AND ".join(parts)

    def mirrored(self) -> BlockingRule:
        """The same rule with the sides of every cross key swapped."""
        return BlockingRule(
            tuple((k[1], k[0]) if isinstance(k, tuple) else k for k in self.keys),
            self.residual,
            self.exploded,
        )


# Registrations without a name have key columns of their own (null where a name exists), so
# that a nameless registration is joined to any other on its birth date, or on its birth year
# and municipality, without joining every pair of named people who share those; a given name
# without a birth year likewise meets the same given name in the same municipality.
_NAMELESS_DATE = BlockingRule((("nameless_birth_date_token", "birth_date_token"),), COMPATIBLE)
_NAMELESS_YEAR = BlockingRule(
    (("nameless_birth_year", "birth_year"), "residence_municipality"), COMPATIBLE
)
# The same for a given name where a birth year is missing (a typo in the family name).
_YEARLESS_GIVEN = BlockingRule(
    (("yearless_given_token", "given_token"), "residence_municipality"), COMPATIBLE
)

# Pairs that are scored at all. The core rules are always used; the wide ones (a name part
# alone) only while they stay within the pair budget, so that a national edition is searched
# thoroughly and a million registrations with their many shared names stay tractable. A birth
# date alone, or names that only sound alike, are shared by too many strangers in a large
# edition: each goes with a municipality, a birth year or a name's phonetic code.
CORE_BLOCKING: tuple[BlockingRule, ...] = (
    # A typo in the family name that changed its phonetic code, and no birth date or
    # municipality in common: the family name's deletion variants, joined element by element,
    # next to the given name's phonetic code. First: Splink's exploded table carries every
    # column that the preceding rules need (a million registrations times ten variants);
    # the pairs that later rules find again are dropped after scoring (``engine._links``).
    BlockingRule(
        ("given_phonetic_token", "family_variant_tokens"),
        COMPATIBLE,
        exploded=("family_variant_tokens",),
    ),
    BlockingRule(("nid_token",)),
    BlockingRule(("name_token",), COMPATIBLE),
    BlockingRule(("family_token", "given_phonetic_token"), COMPATIBLE),
    BlockingRule(("given_token", "family_phonetic_token"), COMPATIBLE),
    BlockingRule(("family_phonetic_token", "given_phonetic_token", "birth_year"), COMPATIBLE),
    BlockingRule(
        ("family_phonetic_token", "given_phonetic_token", "residence_municipality"), COMPATIBLE
    ),
    # one name exact, the other with a typo (its phonetic code changed too)
    BlockingRule(("family_token", "residence_municipality"), COMPATIBLE),
    BlockingRule(("family_token", "birth_year"), COMPATIBLE),
    BlockingRule(("given_token", "birth_year", "residence_municipality"), COMPATIBLE),
    BlockingRule(("birth_date_token", "residence_municipality"), COMPATIBLE),
    BlockingRule(("birth_date_token", "family_phonetic_token"), COMPATIBLE),
    BlockingRule(("birth_date_token", "given_phonetic_token"), COMPATIBLE),
    _NAMELESS_DATE,
    _NAMELESS_DATE.mirrored(),
    _NAMELESS_YEAR,
    _NAMELESS_YEAR.mirrored(),
    _YEARLESS_GIVEN,
    _YEARLESS_GIVEN.mirrored(),
)
# (A given name alone found no link of its own at 100k registrations, from 1.7M pairs.)
WIDE_BLOCKING: tuple[BlockingRule, ...] = (BlockingRule(("family_token",), COMPATIBLE),)

# EM sessions, each estimating the comparisons its blocking does not fix. Pairs sharing a
# national id are nearly all matches (m of name and birth); pairs sharing name and date
# estimate the id and the other attributes; pairs sharing birth date and municipality
# estimate the name levels, including a missing or misspelt name.
TRAINING_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("nid_token",),
    ("name_token", "birth_date_token"),
    ("birth_date_token", "residence_municipality"),
)
# Near-certain rules for the prior (probability that two random registrations match).
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.nid_token = r.nid_token",
    "l.name_token = r.name_token AND l.birth_date_token = r.birth_date_token",
)

# Starting m of the name levels where a name differs beyond one typo (or both only sound
# alike). EM leaves a level at its starting value where no training pair falls in it, as
# happens in a national edition, and the start is then the level's weight: one in a
# thousand, about what EM estimates from a million registrations. One in a hundred made a
# given name within a typo next to another family name evidence for a match (u is about one
# in two hundred: given names are few), enough to join two people with one birth date.
ONE_NAME_M = 0.001

_IRREGULAR = "('asylum_seeker', 'undocumented')"
_SETTLED = "('b8_permit', 'residence_permit')"
_CITIZEN = "('nl_citizen', 'eu_citizen')"


def _overlap(left: str, right: str, dialect: str) -> str:
    """SQL: the arrays ``left`` (of l) and ``right`` (of r) share an element; for signed arrays
    (``prepare.SIGNED_ARRAYS``) asked only of pairs whose signatures share a bit."""
    if dialect == "spark":
        sets = f"arrays_overlap(`{left}_l`, `{right}_r`)"
    else:
        sets = f'list_has_any("{left}_l", "{right}_r")'
    if left not in prepare.SIGNED_ARRAYS or right not in prepare.SIGNED_ARRAYS:
        return sets
    return f"({_signatures_share(left, right, dialect)} AND {sets})"


def _signatures_share(left: str, right: str, dialect: str) -> str:
    """SQL: the signatures of the signed arrays ``left`` (of l) and ``right`` (of r) share a
    bit, which they do wherever the arrays share an element."""
    words = " OR ".join(
        f"({_q(a, 'l', dialect)} & {_q(b, 'r', dialect)}) <> 0"
        for a, b in zip(
            prepare.signature_columns(left), prepare.signature_columns(right), strict=True
        )
    )
    return f"({words})"


def _subset(column: str, dialect: str, min_size: int = 2) -> str:
    """SQL: every element of one array is in the other (either way round), both of ``min_size``.

    A one-word name inside a longer one ("Nakato" in "Nakato Byaruhanga") is no evidence of a
    dropped second given name: a single shared word is what namesakes of a small name pool have.
    """
    if dialect == "spark":
        sizes = f"size(`{column}_l`) >= {min_size} AND size(`{column}_r`) >= {min_size}"
        return f"({sizes} AND (size(array_except(`{column}_l`, `{column}_r`)) = 0 OR size(array_except(`{column}_r`, `{column}_l`)) = 0))"
    sizes = f'len("{column}_l") >= {min_size} AND len("{column}_r") >= {min_size}'
    return f'({sizes} AND (list_has_all("{column}_l", "{column}_r") OR list_has_all("{column}_r", "{column}_l")))'


def _q(column: str, side: str, dialect: str) -> str:
    name = f"{column}_{side}"
    return f"`{name}`" if dialect == "spark" else f'"{name}"'


def comparisons(dialect: str) -> list:
    """Splink comparisons of the person model for a SQL dialect ("duckdb" or "spark")."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def c(column: str, side: str) -> str:
        return _q(column, side, dialect)

    def custom(sql: str, label: str, m: float) -> object:
        return cll.CustomLevel(sql, label_for_charts=label).configure(m_probability=m)

    def implied(sql: str, label: str) -> object:
        """Agreement that other comparisons already imply: neutral (m = u, fixed)."""
        return cll.CustomLevel(sql, label_for_charts=label).configure(
            m_probability=0.5, u_probability=0.5, fix_m_probability=True, fix_u_probability=True
        )

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_token"),
            cll.ExactMatchLevel("name_token", term_frequency_adjustments=True).configure(
                label_for_charts="full name exact (order-free)",
                m_probability=0.75,
                tf_adjustment_weight=TF_WEIGHT,
            ),
            custom(
                f"{_subset('name_word_tokens', dialect)} AND "
                f"{_overlap('family_variant_tokens', 'family_variant_tokens', dialect)} AND "
                f"{_overlap('given_variant_tokens', 'given_variant_tokens', dialect)}",
                "same first given name, all words of one name in the other",
                0.08,
            ),
            custom(
                f"{c('family_token', 'l')} = {c('family_token', 'r')} AND "
                f"{c('given_variant_tokens', 'l')} = {c('given_variant_tokens', 'r')}",
                "same family and first given name, other given names differ",
                0.02,
            ),
            custom(
                f"{_overlap('family_variant_tokens', 'family_variant_tokens', dialect)} AND "
                f"{_overlap('given_variant_tokens', 'given_variant_tokens', dialect)}",
                "family and first given name each within one typo",
                0.13,
            ),
            custom(
                f"{_overlap('family_variant_tokens', 'given_variant_tokens', dialect)} AND "
                f"{_overlap('given_variant_tokens', 'family_variant_tokens', dialect)}",
                "names swapped, each within one typo",
                0.005,
            ),
            custom(
                _subset("name_word_tokens", dialect),
                "all words of one name in the other, in another order",
                0.005,
            ),
            cll.And(
                cll.ExactMatchLevel("family_phonetic_token"),
                cll.ExactMatchLevel("given_phonetic_token"),
            ).configure(
                label_for_charts="family and given name sound alike", m_probability=ONE_NAME_M
            ),
            custom(
                _overlap("family_variant_tokens", "family_variant_tokens", dialect),
                "family name within one typo, given name differs",
                ONE_NAME_M,
            ),
            custom(
                _overlap("given_variant_tokens", "given_variant_tokens", dialect),
                "first given name within one typo, family name differs",
                ONE_NAME_M,
            ),
            cll.ElseLevel().configure(label_for_charts="names differ", m_probability=0.01),
        ],
    )
    year_l, year_r = c("birth_year", "l"), c("birth_year", "r")
    date_l, date_r = c("birth_date_token", "l"), c("birth_date_token", "r")
    common_l, common_r = c("birth_md_common", "l"), c("birth_md_common", "r")
    # A placeholder (1 January) says no more than the year: a pair with one is "the same
    # year, a placeholder" before any date level (equal placeholders are no exact date), and
    # the month of a placeholder is no evidence either.
    real_dates = f"NOT {common_l} AND NOT {common_r}"
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            custom(
                f"{year_l} = {year_r} AND ({common_l} OR {common_r})",
                "same year, a date a common placeholder",
                0.1,
            ),
            cll.ExactMatchLevel("birth_date_token", term_frequency_adjustments=True).configure(
                label_for_charts="birth date exact",
                m_probability=0.65,
                tf_adjustment_weight=TF_WEIGHT,
            ),
            custom(
                f"({date_l} = {c('birth_date_swapped_token', 'r')} "
                f"OR {c('birth_date_swapped_token', 'l')} = {date_r})",
                "day and month transposed",
                0.05,
            ),
            custom(
                f"{c('birth_month_token', 'l')} = {c('birth_month_token', 'r')} "
                f"AND abs({year_l} - {year_r}) = 1 AND {real_dates}",
                "year off by one, same month",
                0.05,
            ),
            custom(
                f"{year_l} = {year_r} AND ({date_l} IS NULL OR {date_r} IS NULL)",
                "same year, a date missing",
                0.07,
            ),
            custom(f"{year_l} = {year_r}", "same year, dates differ", 0.005),
            custom(f"abs({year_l} - {year_r}) = 1", "years one apart", 0.03),
            cll.ElseLevel().configure(label_for_charts="birth years differ", m_probability=0.001),
        ],
    )

    def stable(column: str, *, tf: bool, m_else: float, label: str) -> object:
        exact = cll.ExactMatchLevel(column, term_frequency_adjustments=tf)
        return cl.CustomComparison(
            output_column_name=column if column != "nid_token" else "nid",
            comparison_levels=[
                cll.NullLevel(column),
                exact.configure(label_for_charts=f"{label} equal", m_probability=0.99),
                cll.ElseLevel().configure(
                    label_for_charts=f"{label} differs",
                    m_probability=m_else,
                    fix_m_probability=True,
                ),
            ],
        )

    # Names come from name pools of a culture: two registrations whose names agree share a
    # nationality anyway, so an equal nationality is evidence only where a name is missing.
    # Counting it again next to agreeing names (by its term frequency, a lot for a rare
    # nationality) would double the evidence of namesakes. With both names present the
    # level is neutral (m = u, fixed); a different nationality still counts against.
    both_named = f"{c('name_token', 'l')} IS NOT NULL AND {c('name_token', 'r')} IS NOT NULL"
    nationality = cl.CustomComparison(
        output_column_name="nationality",
        comparison_levels=[
            cll.NullLevel("nationality"),
            implied(
                f"{c('nationality', 'l')} = {c('nationality', 'r')} AND {both_named}",
                "nationality equal, both named (implied by the names)",
            ),
            cll.ExactMatchLevel("nationality", term_frequency_adjustments=True).configure(
                label_for_charts="nationality equal, a name missing", m_probability=0.1
            ),
            cll.ElseLevel().configure(
                label_for_charts="nationality differs", m_probability=0.01, fix_m_probability=True
            ),
        ],
    )

    # A citizen's status (Dutch or EU citizen) follows from the nationality: next to an
    # equal nationality an equal citizen's status says nothing more (m = u, fixed), or the
    # nationality of two nameless reports would count twice. Other statuses (asylum seeker,
    # undocumented, a permit) are evidence of their own.
    status_l, status_r = c("residence_status", "l"), c("residence_status", "r")
    status = cl.CustomComparison(
        output_column_name="residence_status",
        comparison_levels=[
            cll.NullLevel("residence_status"),
            implied(
                f"{status_l} = {status_r} AND {status_l} IN {_CITIZEN} "
                f"AND {c('nationality', 'l')} = {c('nationality', 'r')}",
                "a citizen's status equal, nationality equal (implied by it)",
            ),
            cll.ExactMatchLevel("residence_status").configure(
                label_for_charts="residence status equal", m_probability=0.8
            ),
            custom(
                " OR ".join(
                    [
                        f"({c('residence_status', 'l')} IN {_IRREGULAR} AND {c('residence_status', 'r')} IN {_SETTLED})",
                        f"({c('residence_status', 'r')} IN {_IRREGULAR} AND {c('residence_status', 'l')} IN {_SETTLED})",
                        f"({c('residence_status', 'l')} IN {_IRREGULAR} AND {c('residence_status', 'r')} IN {_IRREGULAR})",
                    ]
                ),
                "a usual change of residence status",
                0.15,
            ),
            cll.ElseLevel().configure(
                label_for_charts="residence status differs",
                m_probability=0.01,
                fix_m_probability=True,
            ),
        ],
    )
    return [
        stable("nid_token", tf=False, m_else=1e-6, label="national id"),
        name,
        birth,
        stable("sex", tf=False, m_else=0.005, label="sex"),
        nationality,
        stable("residence_municipality", tf=True, m_else=0.05, label="residence municipality"),
        status,
    ]


def settings_dict(
    dialect: str, blocking: list[BlockingRule | str | dict], *, max_iterations: int = 20
) -> dict:
    """Untrained Splink settings of the person model as a plain dict.

    Blocking as rules, or as Splink takes them (SQL, or a dict of SQL and arrays to explode).
    """
    from splink import SettingsCreator

    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=comparisons(dialect),
        blocking_rules_to_generate_predictions=[
            b.splink_rule if isinstance(b, BlockingRule) else b for b in blocking
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=max_iterations,
        em_convergence=0.0001,
    )
    return creator.get_settings(dialect).as_dict()
