"""Validation of a file against its ``FileSchema``: small checks that yield broken rules.

Every check is vectorised (a boolean mask over the rows), so a file of a million rows is
checked in seconds, and every error in the file is counted, not only the first.
"""

from __future__ import annotations

import datetime as dt
import difflib
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from traffickingmonitor.codes import api as codes
from traffickingmonitor.intake.errors import SHOWN_ERRORS, CellError, FileError, InvalidFile
from traffickingmonitor.intake.readers import RawFile
from traffickingmonitor.intake.schema import Field, FileSchema

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_INT_RE = r"^[+-]?\d+$"
_FORM_SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Broken:
    """Rows (a mask) that break one rule in one column."""

    column: str
    rule: str
    mask: np.ndarray


@dataclass
class Parsed:
    """The frame with typed columns, filled as checks parse them (each column parsed once)."""

    raw: pd.DataFrame
    typed: dict[str, pd.Series]

    def filled(self, name: str) -> np.ndarray:
        if name not in self.raw:
            return np.zeros(len(self.raw), dtype=bool)
        s = self.raw[name]
        return ((s != "") & (s.str.lower() != codes.UNKNOWN)).to_numpy()


Check = Callable[[Parsed, FileSchema], Iterator[Broken]]


def _field_check(parsed: Parsed, schema: FileSchema) -> Iterator[Broken]:
    today = pd.Timestamp(dt.date.today())
    for f in schema.fields:
        if f.name not in parsed.raw:
            continue
        s = parsed.raw[f.name]
        empty = (s == "").to_numpy()
        if f.required:
            yield Broken(f.name, "a value is required", empty)
        yield from _typed(parsed, f, s, empty, today)


def _typed(parsed: Parsed, f: Field, s: pd.Series, empty: np.ndarray, today) -> Iterator[Broken]:
    if f.type == "date":
        bad_form = ~empty & ~s.str.match(_DATE_RE).to_numpy()
        values = pd.to_datetime(
            s.where(~bad_form & ~empty, None), format="%Y-%m-%d", errors="coerce"
        )
        bad = ~empty & values.isna().to_numpy()
        yield Broken(f.name, "not a valid date (ISO 8601, YYYY-MM-DD)", bad)
        yield Broken(f.name, "date lies in the future", (values > today).fillna(False).to_numpy())
        yield Broken(f.name, "date before 1900", (values.dt.year < 1900).fillna(False).to_numpy())
        parsed.typed[f.name] = values
    elif f.type in ("year", "int"):
        is_int = s.str.match(_INT_RE).to_numpy()
        yield Broken(f.name, "not a whole number", ~empty & ~is_int)
        values = pd.to_numeric(s.where(is_int, None), errors="coerce").astype("Int64")
        low = f.minimum
        high = (
            f.maximum
            if f.maximum is not None
            else (dt.date.today().year if f.type == "year" else None)
        )
        if low is not None:
            yield Broken(
                f.name, f"must be at least {low:g}", (values < low).fillna(False).to_numpy()
            )
        if high is not None:
            yield Broken(
                f.name, f"must be at most {high:g}", (values > high).fillna(False).to_numpy()
            )
        parsed.typed[f.name] = values
    elif f.type == "number":
        values = pd.to_numeric(s.where(~empty, None), errors="coerce")
        yield Broken(f.name, "not a number", ~empty & values.isna().to_numpy())
        parsed.typed[f.name] = values
    elif f.type == "code":
        lowered = s.str.lower()
        allowed = f.codelist.values | {""} | (set() if f.required else {codes.UNKNOWN})
        ok = lowered.isin(allowed).to_numpy()
        yield Broken(f.name, f"unknown code; allowed: {', '.join(f.codelist.order())}", ~ok)
        parsed.typed[f.name] = lowered.where(lowered != "", codes.UNKNOWN)
    elif f.type == "codes":
        lowered = s.str.lower().str.replace(" ", "", regex=False)
        allowed = f.codelist.values
        parts = lowered.str.split(_FORM_SEPARATOR)
        ok = parts.map(lambda p: all(x in allowed for x in p) if p != [""] else True).to_numpy()
        rule = f"unknown code; allowed: {', '.join(f.codelist.order())} (several joined by ';')"
        yield Broken(f.name, rule, ~ok)
        parsed.typed[f.name] = parts.map(
            lambda p: _FORM_SEPARATOR.join(sorted(set(p))) if p != [""] else codes.UNKNOWN
        )
    elif f.type == "country":
        upper = s.str.upper()
        ok = upper.isin(codes.country_codes()) | (upper == "") | (s.str.lower() == codes.UNKNOWN)
        yield Broken(f.name, "not an ISO 3166-1 alpha-2 country code", ~ok.to_numpy())
        parsed.typed[f.name] = upper.where(ok & (upper != "") & (upper != "UNKNOWN"), codes.UNKNOWN)
    elif f.type == "gm":
        upper = s.str.upper()
        valid = upper.isin(codes.municipality_codes()).to_numpy()
        well_formed = upper.str.match(r"^GM\d{4}$").to_numpy()
        yield Broken(
            f.name, "not a CBS municipality code (GM followed by 4 digits)", ~empty & ~well_formed
        )
        yield Broken(
            f.name, "no such municipality in the 2023 indeling", ~empty & well_formed & ~valid
        )
        parsed.typed[f.name] = upper.where(valid, None)
    elif f.type in ("text", "id"):
        yield Broken(f.name, "longer than 200 characters", (s.str.len() > 200).to_numpy())
        if f.no_formula:
            yield Broken(
                f.name,
                "must not start with =, +, -, @, a tab or a carriage return "
                "(a spreadsheet would run it as a formula)",
                s.str.startswith(_FORMULA_STARTS).to_numpy(),
            )
        parsed.typed[f.name] = s


def _cross_checks(parsed: Parsed, schema: FileSchema) -> Iterator[Broken]:
    t = parsed.typed
    if "birth_date" in t and "birth_year" in t:
        disagree = (t["birth_date"].dt.year.astype("Int64") != t["birth_year"]).fillna(False)
        yield Broken("birth_year", "does not agree with birth_date", disagree.to_numpy())
    reference = "registered_on" if "registered_on" in t else "event_date"
    if "birth_date" in t and reference in t:
        after = (t["birth_date"] > t[reference]).fillna(False).to_numpy()
        yield Broken("birth_date", f"lies after {reference}", after)
    if schema.kind == "events":
        has_ref = parsed.filled("registration_id") | parsed.filled("national_id")
        has_ref |= parsed.filled("family_name") & (
            parsed.filled("birth_date") | parsed.filled("birth_year")
        )
        yield Broken(
            "registration_id",
            "no person reference: give registration_id, national_id, or name with birth date/year",
            ~has_ref,
        )
        if "offence_group" in parsed.raw:
            needs = t["event_type"].isin(["victimisation", "suspect"]).to_numpy()
            missing = (parsed.raw["offence_group"] == "").to_numpy()
            yield Broken(
                "offence_group", "required for victimisation and suspect events", needs & missing
            )
        else:
            yield Broken(
                "offence_group",
                "required for victimisation and suspect events",
                t["event_type"].isin(["victimisation", "suspect"]).to_numpy(),
            )


def _unique_checks(parsed: Parsed, schema: FileSchema) -> Iterator[Broken]:
    for key in schema.unique:
        if not all(k in parsed.raw for k in key):
            continue
        values = parsed.raw[list(key)]
        filled = (values != "").all(axis=1)
        dup = values.duplicated(keep="first") & filled
        yield Broken(
            key[0], f"duplicated {' + '.join(key)} (must be unique in the file)", dup.to_numpy()
        )


CHECKS: tuple[Check, ...] = (_field_check, _cross_checks, _unique_checks)


def _header_errors(raw: pd.DataFrame, schema: FileSchema) -> list[FileError]:
    """Unknown columns first: their hint usually explains the missing one too."""
    present = list(raw.columns)
    if not set(schema.required_columns) & set(present):
        # Then the first row is data, not a header: its values are not shown.
        required = ", ".join(schema.required_columns)
        return [
            FileError(
                f"the first row is not a header of data standard v1 for {schema.kind}: none of "
                f"the required columns ({required}) is in it; is the header row missing?"
            )
        ]
    errors = []
    for name in present:
        if name not in schema.names:
            hint = difflib.get_close_matches(name, schema.names, n=1)
            did = f"; did you mean {hint[0]!r}?" if hint else ""
            errors.append(
                FileError(
                    f"unknown column {name!r} (not in data standard v1 for {schema.kind}){did}"
                )
            )
    for name in schema.required_columns:
        if name not in present:
            errors.append(FileError(f"missing required column {name!r}"))
    return errors


def validate(raw: RawFile, schema: FileSchema) -> pd.DataFrame:
    """Check ``raw`` against ``schema``; return the typed frame or raise ``InvalidFile``."""
    header = _header_errors(raw.frame, schema)
    if header:
        raise InvalidFile(raw.path.name, header)
    parsed = Parsed(raw=raw.frame, typed={})
    broken = [b for check in CHECKS for b in check(parsed, schema) if b.mask.any()]
    if broken:
        total = int(sum(b.mask.sum() for b in broken))
        raise InvalidFile(raw.path.name, _first_errors(broken, raw.frame, schema), total)
    return pd.DataFrame(parsed.typed)


def _first_errors(broken: list[Broken], frame: pd.DataFrame, schema: FileSchema) -> list[CellError]:
    candidates = []
    for order, b in enumerate(broken):
        rows = np.flatnonzero(b.mask)[:SHOWN_ERRORS]
        candidates.extend((int(r), order, b) for r in rows)
    errors = []
    hidden = {f.name for f in schema.fields if f.identifier}
    for r, _, b in heapq.nsmallest(SHOWN_ERRORS, candidates, key=lambda c: (c[0], c[1])):
        # Identifiers are never echoed: an error message may end up in a log.
        value = None if b.column in hidden or b.column not in frame else frame[b.column].iat[r]
        errors.append(CellError(row=r + 2, column=b.column, value=value, rule=b.rule))
    return errors
