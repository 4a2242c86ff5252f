"""Pseudonymisation at the door: direct identifiers become keyed hashes (HMAC-SHA256).

The key never enters the store; a fingerprint of it does, so that a later import with
another key (whose tokens could never link) is refused instead of silently splitting persons.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd

from traffickingmonitor.errors import UserError

KEY_ENV = "TRAFFICKINGMONITOR_KEY"
_MIN_KEY_BYTES = 16
# 128 bits of the HMAC: collisions stay negligible far beyond a billion registrations.
_TOKEN_HEX = 32
# 64 bits for the many tokens of the fuzzy-name sets: a collision only adds one spurious
# shared element to a set, and they are a tenth of the store at a million rows.
_SET_TOKEN_HEX = 16
TOKEN_COLUMNS = (
    "nid_token",
    "family_token",
    "given_token",
    "name_token",
    "family_phonetic_token",
    "given_phonetic_token",
    "birth_date_token",
    "birth_date_swapped_token",
    "birth_monthday_token",
    "birth_month_token",
    "name_word_tokens",
    "family_variant_tokens",
    "given_variant_tokens",
)


@dataclass(frozen=True)
class Key:
    secret: bytes

    @property
    def fingerprint(self) -> str:
        return hmac.new(
            self.secret, b"traffickingmonitor key fingerprint", hashlib.sha256
        ).hexdigest()[:16]

    def token(self, purpose: str, value: str, n_hex: int = _TOKEN_HEX) -> str:
        # The purpose keeps tokens of different fields apart: a family name equal to a given
        # name must not give the same token.
        return hmac.digest(self.secret, f"{purpose}\x1f{value}".encode(), "sha256").hex()[:n_hex]


def load_key(key_file: Path | None = None) -> Key:
    """The key from ``key_file`` or the environment; refuse to go on without one."""
    if key_file is not None:
        try:
            secret = key_file.read_bytes().strip()
            mode = key_file.stat().st_mode
        except OSError as exc:
            raise UserError(f"cannot read key file {key_file}: {exc.strerror}") from exc
        if mode & 0o077:
            # Whoever can read the key can re-identify: hash a known name and look it up.
            print(
                f"warning: key file {key_file} can be read by other users (mode "
                f"{stat.S_IMODE(mode):04o}); make it readable by its owner only: chmod 600 "
                f"{key_file}",
                file=sys.stderr,
                flush=True,
            )
        origin = f"key file {key_file}"
    elif os.environ.get(KEY_ENV):
        secret = os.environ[KEY_ENV].strip().encode()
        origin = f"environment variable {KEY_ENV}"
    else:
        raise UserError(
            f"no pseudonymisation key: set {KEY_ENV} or pass --key-file "
            "(identifiers are never stored without a keyed hash)"
        )
    if len(secret) < _MIN_KEY_BYTES:
        raise UserError(
            f"the key in {origin} is too short: use at least {_MIN_KEY_BYTES} characters"
        )
    return Key(secret)


def create_key_file(path: Path) -> Path:
    """Write a new random key (for the demo) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # The mode of open() counts for a new file only: an existing one keeps its own.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def normalise_name(value: str) -> str:
    """Lower case ASCII letters and single spaces: accents, hyphens and case never split a person."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z]+", " ", text).strip()


def _phonetic(normalised: str) -> str:
    first = normalised.split(" ", 1)[0]
    return jellyfish.metaphone(first) if first else ""


def deletion_variants(word: str) -> list[str]:
    """``word`` and every string with one of its letters deleted, sorted.

    Two words share a variant exactly when they are at most one typo apart (a letter
    substituted, dropped, doubled or two neighbours transposed), so keyed hashes of the
    variants let linkage tolerate a typo without any name in clear. Unlike keyed character
    bigrams, whose few hundred distinct hashes give in to frequency analysis, each variant is
    nearly as rare as the name itself.
    """
    if not word:
        return []
    return sorted({word} | {word[:i] + word[i + 1 :] for i in range(len(word))})


def _variant_tokens(key: Key, values: pd.Series) -> pd.Series:
    # One purpose for family and given names, so a swapped pair can still be compared.
    return _map_unique(
        values,
        lambda v: (
            [key.token("name_variant", x, _SET_TOKEN_HEX) for x in deletion_variants(v)] or None
        ),
    )


def _word_tokens(key: Key, values: pd.Series) -> pd.Series:
    return _map_unique(
        values, lambda v: sorted({key.token("name_word", w) for w in v.split()}) or None
    )


def _map_unique(values: pd.Series, fn) -> pd.Series:
    # Names repeat a lot; computing once per distinct value keeps a million rows fast.
    uniques = pd.unique(values.to_numpy())
    lookup = dict(zip(uniques, (fn(u) for u in uniques), strict=True))
    return values.map(lookup)


def _tokens(key: Key, purpose: str, values: pd.Series) -> pd.Series:
    return _map_unique(values, lambda v: key.token(purpose, v) if v else None)


def pseudonymise(frame: pd.DataFrame, key: Key) -> pd.DataFrame:
    """Replace the identifier columns of a typed frame by tokens.

    Keeps ``birth_year`` (filled from the birth date where only that is given) and derives
    ``age_at_registration`` while the exact date is still at hand; drops ``national_id``,
    names and ``birth_date``.
    """
    out = frame.copy()
    empty = pd.Series("", index=frame.index)
    nid = frame.get("national_id", empty).str.replace(r"[\s.\-]", "", regex=True).str.upper()
    family = _map_unique(frame.get("family_name", empty), normalise_name)
    given = _map_unique(frame.get("given_names", empty), normalise_name)
    both = (family + " " + given).str.strip()
    # Order-free: a swap of given and family name keeps the same name token.
    name_key = _map_unique(both, lambda v: " ".join(sorted(v.split())))
    out["nid_token"] = _tokens(key, "nid", nid)
    out["family_token"] = _tokens(key, "family", family)
    out["given_token"] = _tokens(key, "given", given)
    out["name_token"] = _tokens(key, "name", name_key)
    out["family_phonetic_token"] = _tokens(key, "family_phonetic", _map_unique(family, _phonetic))
    out["given_phonetic_token"] = _tokens(key, "given_phonetic", _map_unique(given, _phonetic))
    # Name parts for linkage: the words of the whole name (order-free, so a swap or a dropped
    # second given name still shares words), and typo-tolerant variants of the family name
    # (spaces dropped: "de Jong" and "deJong" are one name) and of the first given name.
    out["name_word_tokens"] = _word_tokens(key, both)
    out["family_variant_tokens"] = _variant_tokens(key, family.str.replace(" ", "", regex=False))
    out["given_variant_tokens"] = _variant_tokens(key, given.str.split(" ", n=1).str[0].fillna(""))
    birth = frame.get("birth_date")
    if birth is not None:
        iso = birth.dt.strftime("%Y-%m-%d").fillna("")
        out["birth_date_token"] = _tokens(key, "birth_date", iso)
        # Day and month transposed (same purpose as the date itself, so that one record's
        # date can equal the other's transposed date); only where a transposition is a date.
        swappable = (birth.dt.day <= 12) & (birth.dt.day != birth.dt.month)
        transposed = birth.dt.strftime("%Y-%d-%m").where(swappable, "").fillna("")
        out["birth_date_swapped_token"] = _tokens(key, "birth_date", transposed)
        # Month and day without the year: a birth year off by one keeps them.
        out["birth_monthday_token"] = _tokens(
            key, "birth_monthday", birth.dt.strftime("%m-%d").fillna("")
        )
        # The month alone: a year off by one is often recorded with a clipped day (31 -> 28).
        out["birth_month_token"] = _tokens(key, "birth_month", birth.dt.strftime("%m").fillna(""))
        year = birth.dt.year.astype("Int64")
        out["birth_year"] = out["birth_year"].fillna(year) if "birth_year" in out else year
    else:
        out["birth_date_token"] = None
        out["birth_date_swapped_token"] = None
        out["birth_monthday_token"] = None
        out["birth_month_token"] = None
    if "registered_on" in frame:
        out["age_at_registration"] = _age(frame["registered_on"], birth, out.get("birth_year"))
    return out.drop(
        columns=[c for c in ("national_id", "family_name", "given_names", "birth_date") if c in out]
    )


def _age(on: pd.Series, birth_date: pd.Series | None, birth_year: pd.Series | None) -> pd.Series:
    """Age in whole years on ``on``; from the birth year alone, the expected age (mid-year birth)."""
    age = pd.Series(pd.NA, index=on.index, dtype="Int64")
    if birth_year is not None:
        before_july = (on.dt.month < 7).astype("Int64")
        age = (on.dt.year.astype("Int64") - birth_year - before_july).astype("Int64")
    if birth_date is not None:
        had_birthday = (on.dt.month > birth_date.dt.month) | (
            (on.dt.month == birth_date.dt.month) & (on.dt.day >= birth_date.dt.day)
        )
        exact = on.dt.year - birth_date.dt.year - np.where(had_birthday, 0, 1)
        age = pd.Series(exact, index=on.index).astype("Int64").fillna(age)
    return age
