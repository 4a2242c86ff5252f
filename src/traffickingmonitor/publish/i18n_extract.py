"""Babel extractors: the catalog keys the code and the templates read (``pybabel extract``).

The code reads its words as ``TEXT[lang]["key"]`` (``i18n.catalog``), not through a gettext
function, so Babel's own Python extractor sees nothing. These extractors find:

- in Python: ``NAME = catalog("context", "section", dynamic=(...))`` (or ``NAME`` imported
  from a module that does so), the names bound to ``NAME[lang]`` (and ``ctx.t``, the report's
  shared words, context ``labels``), and every constant key read from them:
  ``w["key"]``, ``w["a" if x else "b"]``, ``w["section"]["key"]``, ``w.get("key")``,
  ``w.paragraphs("key")``, ``w.plural("key", n)`` (a plural message); plus the ``dynamic``
  keys, which the code reads through a variable (``"status.*"``: the whole section, ``"*"``:
  the whole context, as the English catalog has them);
- in Jinja templates: ``VAR.key`` and ``VAR["key"]`` for the variables named in the mapping's
  ``names`` option (``"t=labels foreword=foreword"``); ``ignore`` lists ``VAR.key`` that are
  no messages.

Each message gets the English text (``en.po``) as its extracted comment, so that
``pybabel update`` shows a Dutch editor the source of every entry (``#.``).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

from traffickingmonitor.publish import i18n

_METHODS = {"get", "paragraphs", "plural"}


@functools.cache
def _english() -> dict[tuple[str, str], str]:
    from babel.messages import pofile

    po = i18n.po_path("en")
    if not po.is_file():
        return {}
    with po.open("rb") as f:
        cat = pofile.read_po(f)
    out = {}
    for m in cat:
        if m.id and m.context:
            key = m.id[0] if isinstance(m.id, tuple) else m.id
            out[(m.context, key)] = (
                " | ".join(m.string) if isinstance(m.string, tuple) else m.string
            )
    return out


def _is_section(context: str, key: str) -> bool:
    """``key`` names a section (``hn_status``) of the catalog, not a message."""
    return (context, key) not in _english() and any(
        c == context and k.startswith(key + ".") for c, k in _english()
    )


def _expand(context: str, key: str) -> list[str]:
    """A declared dynamic key; ``section.*`` (or ``*``) stands for every key of the section
    in the English catalog, the source language."""
    if not key.endswith("*"):
        return [key]
    head = key[:-1]
    return sorted(k for c, k in _english() if c == context and k.startswith(head))


def _message(lineno: int, context: str, key: str, plural: bool = False):
    comments = [_english()[(context, key)]] if (context, key) in _english() else []
    if plural:
        return (lineno, "npgettext", (context, key, key), comments)
    return (lineno, "pgettext", (context, key), comments)


def _catalog_call(node: ast.AST) -> tuple[str, str, tuple[str, ...]] | None:
    """``catalog("ctx", "section", dynamic=(...))`` -> (ctx, prefix, dynamic keys)."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "catalog"
        and node.args
    ):
        return None
    args = [ast.literal_eval(a) for a in node.args]
    context, section = args[0], (args[1] if len(args) > 1 else "")
    dynamic: tuple[str, ...] = ()
    for kw in node.keywords:
        if kw.arg == "section":
            section = ast.literal_eval(kw.value)
        elif kw.arg == "dynamic":
            dynamic = tuple(ast.literal_eval(kw.value))
    return context, f"{section}." if section else "", dynamic


_READING: set[str] = set()


@functools.cache
def _module_catalogs(module: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """The catalogs a module binds at its top level, by name."""
    if module in _READING or not module.startswith("traffickingmonitor."):
        return {}
    _READING.add(module)
    try:
        return _read_catalogs(module)
    finally:
        _READING.discard(module)


def _read_catalogs(module: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return {}
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found = _catalog_call(node.value)
                if found:
                    out[target.id] = found
                elif isinstance(node.value, ast.Name) and node.value.id in out:
                    out[target.id] = out[node.value.id]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                known = _module_catalogs(node.module).get(alias.name)
                if known:
                    out[alias.asname or alias.name] = known
    return out


def _strings(node: ast.AST) -> list[str] | None:
    """The constant keys a subscript can be: ``"a"``, ``"a" if x else "b"``; None if any
    part is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


class _Visitor:
    def __init__(self, tree: ast.Module, module_catalogs: dict) -> None:
        self.catalogs = dict(module_catalogs)  # name -> (ctx, prefix, dynamic): NAME[lang]
        self.messages: dict[str, tuple[str, str]] = {}  # name -> (ctx, prefix): NAME["key"]
        self.tree = tree

    def resolve(self, node: ast.AST) -> tuple[str, str, str] | None:
        """("catalog"|"messages", ctx, prefix) of an expression, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.catalogs:
                ctx, prefix, _ = self.catalogs[node.id]
                return "catalog", ctx, prefix
            if node.id in self.messages:
                return "messages", *self.messages[node.id]
        if isinstance(node, ast.Attribute) and node.attr == "t":
            return "messages", "labels", ""
        if isinstance(node, ast.Subscript):
            inner = self.resolve(node.value)
            if inner and inner[0] == "catalog":
                return "messages", inner[1], inner[2]
            if inner and inner[0] == "messages":
                keys = _strings(node.slice)
                if keys and len(keys) == 1:
                    return "messages", inner[1], inner[2] + keys[0] + "."
        return None

    def bind(self) -> None:
        for _ in range(3):  # aliases of aliases, in any order of the source
            for node in ast.walk(self.tree):
                if not isinstance(node, ast.Assign):
                    continue
                pairs = []
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        pairs.append((target, node.value))
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        pairs.extend(zip(target.elts, node.value.elts, strict=False))
                for target, value in pairs:
                    if not isinstance(target, ast.Name):
                        continue
                    found = _catalog_call(value)
                    if found:
                        self.catalogs[target.id] = found
                        continue
                    r = self.resolve(value)
                    if r and r[0] == "messages":
                        self.messages[target.id] = (r[1], r[2])
                    elif r and r[0] == "catalog" and isinstance(value, ast.Name):
                        self.catalogs[target.id] = self.catalogs[value.id]

    def keys(self) -> Iterator[tuple]:
        for ctx, _prefix, dynamic in self.catalogs.values():
            for declared in dynamic:
                for key in _expand(ctx, declared):
                    yield _message(1, ctx, key)
        inner_subscripts = {
            id(n.value) for n in ast.walk(self.tree) if isinstance(n, ast.Subscript)
        }
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Subscript) and id(node) not in inner_subscripts:
                base = self.resolve(node.value)
                if base and base[0] == "messages":
                    for key in _strings(node.slice) or []:
                        if not _is_section(base[1], base[2] + key):
                            yield _message(node.lineno, base[1], base[2] + key)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _METHODS
                and node.args
            ):
                base = self.resolve(node.func.value)
                if base and base[0] == "messages":
                    for key in _strings(node.args[0]) or []:
                        plural = node.func.attr == "plural"
                        yield _message(node.lineno, base[1], base[2] + key, plural)


def extract_python(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extractor (``traffickingmonitor_python``) of the catalog keys a module reads."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    tree = ast.parse(source)
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                known = _module_catalogs(node.module).get(alias.name)
                if known:
                    imported[alias.asname or alias.name] = known
    # imports inside functions (``from ...labels import TEXT`` in a function body)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                known = _module_catalogs(node.module).get(alias.name)
                if known:
                    imported.setdefault(alias.asname or alias.name, known)
    visitor = _Visitor(tree, imported)
    visitor.bind()
    # a module's own catalogs carry their dynamic keys; imported ones are the defining
    # module's to declare
    own = {n for n in visitor.catalogs if n not in imported}
    for name in set(visitor.catalogs) - own:
        ctx, prefix, _ = visitor.catalogs[name]
        visitor.catalogs[name] = (ctx, prefix, ())
    yield from visitor.keys()


_TEMPLATE_USE = r"\b({names})(?:\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])"


def extract_jinja(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extractor (``traffickingmonitor_jinja``) of ``VAR.key`` in Jinja templates;
    ``names``: ``"VAR=context ..."``, ``ignore``: ``"VAR.key ..."``."""
    names = dict(pair.split("=", 1) for pair in options.get("names", "").split())
    ignore = set(options.get("ignore", "").split())
    if not names:
        return
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    pattern = re.compile(_TEMPLATE_USE.format(names="|".join(map(re.escape, names))))
    for tag in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", source, re.S):
        for m in pattern.finditer(tag.group(0)):
            var, key = m.group(1), m.group(2) or m.group(3)
            if f"{var}.{key}" in ignore or _is_section(names[var], key):
                continue
            lineno = source.count("\n", 0, tag.start() + m.start()) + 1
            yield _message(lineno, names[var], key)
