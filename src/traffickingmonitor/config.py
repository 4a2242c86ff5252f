"""One typed configuration of a run: a frozen dataclass per section, read from TOML.

A run's configuration is a mapping of sections (``[linkage]``, ``[hidden_number]``,
``[cohort]``, ``[disclosure]``, ``[local]``) and a few top-level keys; the edition records it
as given. Each section is read into its settings class (``LinkageSettings``,
``HiddenNumberSettings``, ``CohortSettings``, ``DisclosureRule``, ``LocalSettings``), whose
field types are the only schema: an unknown
key, a value of the wrong type or a value the class refuses is a :class:`UserError` naming the
section and the key (exit 2), before anything is loaded.

``run --config edition.toml`` reads a file with the standard library's ``tomllib``;
``docs/edition.toml`` is the annotated example with every key at its default.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from traffickingmonitor.errors import UserError

#: each section's settings class, where it lives: with the steps it configures, imported
#: only for a section the configuration has (the analyses' code is most of a second)
SECTIONS = {
    "linkage": ("traffickingmonitor.linkage.settings", "LinkageSettings"),
    "hidden_number": ("traffickingmonitor.analysis.hidden_number", "HiddenNumberSettings"),
    "cohort": ("traffickingmonitor.analysis.cohort_steps", "CohortSettings"),
    "disclosure": ("traffickingmonitor.disclosure.rule", "DisclosureRule"),
    "local": ("traffickingmonitor.analysis.local_steps", "LocalSettings"),
}


def _section(name: str) -> type:
    module, cls = SECTIONS[name]
    return getattr(importlib.import_module(module), cls)


#: keys a configuration may hold outside the sections (``demo``, ``seed`` and ``scale`` are
#: written by ``demo``; ``cutoff`` is the cohort's, for short)
TOP_LEVEL: dict[str, Any] = {"cutoff": str, "demo": bool, "seed": int, "scale": float}


def read_section(cls: type, section: str, values: dict, where: str = "") -> Any:
    """``cls`` from one section's mapping; every key must be a field of ``cls`` with a value
    of the field's type (an int may stand for a float, a list for a tuple)."""
    prefix = f"{where}: " if where else ""
    if not isinstance(values, dict):
        raise UserError(f"{prefix}[{section}] must be a table of settings, not {values!r}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UserError(
            f"{prefix}[{section}] unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(known)}"
        )
    typed = {}
    for key, value in values.items():
        try:
            typed[key] = _as_type(value, hints[key])
        except TypeError:
            raise UserError(
                f"{prefix}[{section}] {key} = {value!r}: expected {_type_name(hints[key])}"
            ) from None
    try:
        settings = cls(**typed)
        check = getattr(settings, "check", None)
        if callable(check):
            check()
    except ValueError as exc:
        raise UserError(f"{prefix}[{section}] {exc}") from exc
    except UserError as exc:
        raise UserError(f"{prefix}[{section}] {exc}") from exc
    return settings


def _as_type(value: Any, hint: Any) -> Any:
    """``value`` as ``hint`` (int, float, str, bool, ``X | None``, tuples); TypeError if not."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _as_type(value, option)
            except TypeError:
                continue
        raise TypeError
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, (list, tuple)):
            raise TypeError
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_as_type(v, args[0]) for v in value)
        if len(value) != len(args):
            raise TypeError
        return tuple(_as_type(v, a) for v, a in zip(value, args, strict=True))
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError
        return value
    raise TypeError


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_type_name(args[0])}"
        return f"a list of {len(args)} ({', '.join(_type_name(a) for a in args)})"
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text",
        type(None): "nothing",
    }.get(hint, str(hint))


def check_config(config: dict | None, where: str = "") -> dict:
    """Every section and top-level key of a run configuration read as its type; the
    configuration itself is returned as given (the edition records it so)."""
    config = dict(config or {})
    prefix = f"{where}: " if where else ""
    for key, value in config.items():
        if key == "cohort":
            _section("cohort").from_config(config, where)
        elif key in SECTIONS:
            if key == "disclosure" and isinstance(value, str):
                value = {"method": value}  # the short form: a method name
            read_section(_section(key), key, value, where)
        elif key in TOP_LEVEL:
            try:
                _as_type(value, TOP_LEVEL[key])
            except TypeError:
                raise UserError(
                    f"{prefix}{key} = {value!r}: expected {_type_name(TOP_LEVEL[key])}"
                ) from None
        else:
            known = [*SECTIONS, *TOP_LEVEL]
            raise UserError(f"{prefix}unknown configuration key {key!r}; known: {', '.join(known)}")
    if "cutoff" in config and "cohort" not in config:
        _section("cohort").from_config(config, where)
    return config


def read_config(path: Path) -> dict:
    """A run configuration from a TOML file, checked (:func:`check_config`)."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the configuration ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (save the configuration as UTF-8)") from exc
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    return check_config(_iso_dates(config), str(path))


def _iso_dates(value: Any) -> Any:
    """TOML dates (``cutoff = 2024-12-31``) as ISO text: the edition records its
    configuration as JSON."""
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value
