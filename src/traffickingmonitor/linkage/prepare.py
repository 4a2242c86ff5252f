"""The records Splink sees: pseudonymised tokens and a few clear person attributes, nothing else.

Registration ids, dates and everything about the exploitation stay out: Splink gets a row
number (``uid``) and the columns in ``SPLINK_COLUMNS``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOKEN_COLUMNS: tuple[str, ...] = (
    "nid_token",
    "name_token",
    "family_token",
    "given_token",
    "family_phonetic_token",
    "given_phonetic_token",
    "birth_date_token",
    "birth_date_swapped_token",
    "birth_monthday_token",
    "birth_month_token",
)
ARRAY_COLUMNS: tuple[str, ...] = (
    "name_word_tokens",
    "family_variant_tokens",
    "given_variant_tokens",
)
# Clear attributes, with "unknown" (or empty) as missing.
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "sex",
    "nationality",
    "residence_municipality",
    "residence_status",
)
# Blocking keys of registrations without a name (null where a name exists) and of the given
# name of registrations without a birth year (null where a year exists): see
# ``model.CORE_BLOCKING``.
NAMELESS_COLUMNS: tuple[str, ...] = (
    "nameless_birth_date_token",
    "nameless_birth_year",
    "yearless_given_token",
)
# The token sets the model tests for overlap most often (``model._overlap``: names within a
# typo), each with a signature of SIGNATURE_WORDS 64-bit words that sets one bit per token.
# Two sets that share a token share a bit, so a pair whose signatures share none is passed
# by one AND of integers instead of a set intersection (about four in five random pairs;
# the u estimate's million random pairs take half the time). The outcome is the same.
SIGNED_ARRAYS: tuple[str, ...] = ("family_variant_tokens", "given_variant_tokens")
SIGNATURE_WORDS = 4


def signature_columns(array: str) -> tuple[str, ...]:
    """The columns holding the signature of the token set ``array``."""
    return tuple(f"{array}_sig{k}" for k in range(SIGNATURE_WORDS))


SIGNATURE_COLUMNS: tuple[str, ...] = tuple(c for a in SIGNED_ARRAYS for c in signature_columns(a))
SPLINK_COLUMNS: tuple[str, ...] = (
    "uid",
    *TOKEN_COLUMNS,
    *ARRAY_COLUMNS,
    "birth_year",
    "birth_md_common",
    *ATTRIBUTE_COLUMNS,
    *NAMELESS_COLUMNS,
    *SIGNATURE_COLUMNS,
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    *TOKEN_COLUMNS,
    *ARRAY_COLUMNS,
    "birth_year",
    *ATTRIBUTE_COLUMNS,
)

# Shift unsigned 64-bit values into the signed range that every backend stores.
_SIGN = 1 << 63
# A month-day at five times the share of an ordinary day is a placeholder (1 January, 1 July).
_PLACEHOLDER_FACTOR = 5.0
_PLACEHOLDER_MIN_COUNT = 5


def common_monthdays(registrations: pd.DataFrame) -> list[str]:
    """Month-day tokens so frequent that they are placeholders rather than birthdays.

    Found from the data alone (no key needed): a placeholder is simply far more frequent than
    a day of the year.
    """
    md = registrations["birth_monthday_token"].dropna()
    if md.empty:
        return []
    counts = md.value_counts()
    share = counts / len(md)
    common = counts[(share > _PLACEHOLDER_FACTOR / 365) & (counts >= _PLACEHOLDER_MIN_COUNT)]
    return sorted(common.index.astype(str))


def splink_frame(
    registrations: pd.DataFrame, placeholders: list[str], uid_start: int = 0
) -> pd.DataFrame:
    """The Splink input: one row per registration, in the order given, ``uid`` from ``uid_start``.

    Parameters
    ----------
    registrations : pandas.DataFrame
        Registrations with the store's token and attribute columns.
    placeholders : list of str
        Month-day tokens that count as placeholders (from the training data, kept with the
        model so that every later run flags them alike).
    uid_start : int
        First row number (incremental linkage numbers the new rows after the existing ones).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in registrations]
    if missing:
        raise ValueError(f"registrations lack linkage columns {missing}")
    n = len(registrations)
    out = pd.DataFrame({"uid": np.arange(uid_start, uid_start + n, dtype=np.int64)})
    for col in TOKEN_COLUMNS:
        out[col] = _nullable_strings(registrations[col])
    for col in ARRAY_COLUMNS:
        out[col] = _integer_arrays(registrations[col])
    out["birth_year"] = pd.array(registrations["birth_year"], dtype="Int64").astype(object)
    out["birth_year"] = out["birth_year"].where(out["birth_year"].notna(), None)
    md = registrations["birth_monthday_token"]
    out["birth_md_common"] = md.isin(set(placeholders)).to_numpy(dtype=bool)
    for col in ATTRIBUTE_COLUMNS:
        values = _nullable_strings(registrations[col])
        out[col] = values.where(~values.isin(["unknown", ""]), None)
    nameless = out["name_token"].isna()
    out["nameless_birth_date_token"] = out["birth_date_token"].where(nameless, None)
    out["nameless_birth_year"] = out["birth_year"].where(nameless, None)
    out["yearless_given_token"] = out["given_token"].where(out["birth_year"].isna(), None)
    for col in SIGNED_ARRAYS:
        words = signatures(out[col])
        for k, name in enumerate(signature_columns(col)):
            out[name] = words[:, k]
    return out


def signatures(sets: pd.Series | list) -> np.ndarray:
    """``(len(sets), SIGNATURE_WORDS)`` int64: bit ``t mod 64`` of word ``(t mod 256) // 64``
    set for every token ``t`` of a set (all zero for a missing set)."""
    sizes = np.array([0 if s is None else len(s) for s in sets], dtype=np.int64)
    out = np.zeros((len(sizes), SIGNATURE_WORDS), dtype=np.uint64)
    if sizes.sum():
        tokens = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets if s is not None])
        bit = (tokens & (64 * SIGNATURE_WORDS - 1)).astype(np.uint64)
        rows = np.repeat(np.arange(len(sizes)), sizes)
        np.bitwise_or.at(
            out,
            (rows, (bit >> np.uint64(6)).astype(np.int64)),
            np.uint64(1) << (bit & np.uint64(63)),
        )
    return out.view(np.int64)


def _nullable_strings(values: pd.Series) -> pd.Series:
    out = values.astype(object).to_numpy()
    mask = pd.isna(values).to_numpy()
    out = np.where(mask, None, out)
    return pd.Series(out, dtype=object)


def _integer_arrays(values: pd.Series) -> list[list[int] | None]:
    """Token sets as sorted lists of 64-bit integers (the first 16 hex digits of each token).

    Set overlaps on integers are about twice as fast as on strings in DuckDB, and they are
    the costly part of scoring; 64 bits keep collisions negligible. An empty or missing set
    is NULL, so that "no name" is a missing value, not a mismatch.
    """
    cache: dict[tuple, list[int] | None] = {}
    out = []
    for value in values:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
            continue
        key = tuple(value)
        if key not in cache:
            cache[key] = sorted({int(str(x)[:16], 16) - _SIGN for x in key}) or None
        out.append(cache[key])
    return out
