"""The report's words in Dutch and English, read from gettext catalogs.

Every sentence and label lives in ``locale/{nl,en}/LC_MESSAGES/traffickingmonitor.po``
(one domain, ``traffickingmonitor``). A message has a context (``msgctxt``: the module or
section that uses it, e.g. ``need_effort``) and a symbolic id (``msgid``: the key the code
uses, e.g. ``summary``); both languages carry the full text, so an editor changes wording in
the ``.po`` files without touching code (``locale/README.md``).

The code reads them as before, a mapping per language::

    TEXT = catalog("need_effort")
    TEXT["nl"]["summary"].format(...)

- a key with a dot is a section: ``TEXT["nl"]["hn_status"]["skipped"]`` reads
  ``hn_status.skipped``;
- a text of several paragraphs (an annex) is one message, its paragraphs separated by a
  blank line: ``TEXT["nl"].paragraphs("annex_lines")`` gives the list;
- a sentence with a count has plural forms: ``TEXT["nl"].plural("behind", n)`` (``npgettext``);
- a key the catalog lacks raises :class:`MissingMessage` naming context, key and language,
  never the key itself as text.

Keys the code reads only through a variable (a status, a code) are listed in the
``catalog(..., dynamic=...)`` call, so that ``pybabel extract`` (``i18n_extract``) finds every
key the code can ask for.

The compiled catalogs (``.mo``) are built from the ``.po`` files by the package build
(``setup.py``); when one is missing or older than its ``.po`` (a source checkout, an editable
install, an editor's change), it is compiled here in memory with Babel.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

DOMAIN = "traffickingmonitor"
LANGS = ("nl", "en")
#: gettext's separator of a context and an id in a catalog's keys
_CTX_SEP = "\x04"
#: paragraphs of one message
PARAGRAPH_SEP = "\n\n"


class MissingMessage(LookupError):
    """A key that the catalog of a context and language does not have.

    A ``LookupError``: ``Mapping.get`` and ``in`` treat it as absent, and Jinja's strict
    undefined reports it, while a plain lookup fails loudly instead of printing the key."""

    def __init__(self, context: str, key: str, lang: str) -> None:
        self.context, self.key, self.lang = context, key, lang
        super().__init__(
            f"no message {key!r} in context {context!r} for language {lang!r} "
            f"(locale/{lang}/LC_MESSAGES/{DOMAIN}.po)"
        )

    def __str__(self) -> str:  # KeyError-like classes quote their argument; this one reads
        return self.args[0]


def locale_dir() -> Path:
    return Path(str(resources.files("traffickingmonitor.publish").joinpath("locale")))


def po_path(lang: str) -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file (Babel), fuzzy entries left out."""
    from babel.messages import mofile, pofile

    with po.open("rb") as f:
        cat = pofile.read_po(f, abort_invalid=True)
    buf = io.BytesIO()
    mofile.write_mo(buf, cat, use_fuzzy=False)
    return buf.getvalue()


@functools.cache
def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``lang``: the built ``.mo`` when it is as new as its ``.po``,
    else the ``.po`` compiled now."""
    if lang not in LANGS:
        raise ValueError(f"no catalog for language {lang!r} (have {', '.join(LANGS)})")
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        data = mo.read_bytes()
    elif po.is_file():
        data = compile_po(po)
    else:
        raise FileNotFoundError(f"no catalog for {lang!r}: {po} is missing")
    return gettext.GNUTranslations(io.BytesIO(data))


@functools.cache
def _messages(lang: str) -> dict[str, dict[str, str | tuple[str, ...]]]:
    """context -> key -> text (a tuple of the plural forms for a plural message)."""
    out: dict[str, dict[str, str | tuple[str, ...]]] = {}
    for raw, text in translations(lang)._catalog.items():
        if isinstance(raw, tuple):  # a plural form: (msgid, n)
            raw, n = raw
            if _CTX_SEP not in raw:
                continue
            context, key = raw.split(_CTX_SEP, 1)
            forms = list(out.setdefault(context, {}).get(key, ()))
            forms.extend([""] * (n + 1 - len(forms)))
            forms[n] = text
            out[context][key] = tuple(forms)
        elif _CTX_SEP in raw:
            context, key = raw.split(_CTX_SEP, 1)
            out.setdefault(context, {})[key] = text
    return out


def contexts(lang: str) -> dict[str, dict[str, str | tuple[str, ...]]]:
    """Every message of ``lang`` by context (the tests compare the languages with it)."""
    return _messages(lang)


class Messages(Mapping):
    """The messages of one context (or a section of it) in one language, read only."""

    __slots__ = ("_context", "_lang", "_prefix")

    def __init__(self, context: str, lang: str, prefix: str = "") -> None:
        if lang not in LANGS:
            raise MissingMessage(context, prefix.rstrip("."), lang)
        self._context, self._lang, self._prefix = context, lang, prefix

    @property
    def _all(self) -> dict[str, str | tuple[str, ...]]:
        return _messages(self._lang).get(self._context, {})

    def _text(self, key: str):
        full = self._prefix + key
        try:
            return self._all[full]
        except KeyError:
            raise MissingMessage(self._context, full, self._lang) from None

    def __getitem__(self, key: str):
        if not isinstance(key, str):
            raise MissingMessage(self._context, repr(key), self._lang)
        full = self._prefix + key
        text = self._all.get(full)
        if isinstance(text, str):
            return text
        if text is not None:
            raise TypeError(f"{self._context}/{full} has plural forms: use .plural(key, n)")
        section = full + "."
        if any(k.startswith(section) for k in self._all):
            return Messages(self._context, self._lang, section)
        raise MissingMessage(self._context, full, self._lang)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (MissingMessage, TypeError):
            return False
        return True

    def get(self, key: str, default=None):
        try:
            return self[key]
        except MissingMessage:
            return default

    def __iter__(self) -> Iterator[str]:
        seen = set()
        for k in self._all:
            if k.startswith(self._prefix):
                head = k[len(self._prefix) :].split(".", 1)[0]
                if head not in seen:
                    seen.add(head)
                    yield head

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Messages({self._context!r}, {self._lang!r}, prefix={self._prefix!r})"

    def __reduce__(self):  # to a worker process: the names, read there from its catalogs
        return (Messages, (self._context, self._lang, self._prefix))

    def paragraphs(self, key: str) -> list[str]:
        """A message of several paragraphs (separated by a blank line) as a list."""
        text = self[key]
        return [p.strip() for p in text.split(PARAGRAPH_SEP) if p.strip()]

    def plural(self, key: str, n: int) -> str:
        """The form of a plural message for the count ``n`` (``npgettext``)."""
        forms = self._text(key)
        if isinstance(forms, str):
            raise TypeError(f"{self._context}/{self._prefix + key} has no plural forms")
        return translations(self._lang).npgettext(self._context, self._prefix + key, key, n)


class Catalog(Mapping):
    """A context's messages per language: ``catalog("labels")["nl"]["title"]``."""

    def __init__(self, context: str, prefix: str = "", dynamic: tuple[str, ...] = ()) -> None:
        self.context, self.prefix, self.dynamic = context, prefix, tuple(dynamic)

    def __getitem__(self, lang: str) -> Messages:
        if lang not in LANGS:
            raise KeyError(lang)
        return Messages(self.context, lang, self.prefix)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)

    def __repr__(self) -> str:
        return f"catalog({self.context!r})"


def catalog(context: str, section: str = "", dynamic: tuple[str, ...] = ()) -> Catalog:
    """The messages of ``context`` (optionally only its ``section``) in both languages.

    ``dynamic``: the keys (full, with the section) that the code reads through a variable;
    ``pybabel extract`` cannot see those, so they are named here."""
    return Catalog(context, f"{section}." if section else "", dynamic)


def text(context: str, key: str, lang: str) -> str:
    """One message: ``text("categories", "unknown", "nl")``."""
    return catalog(context)[lang][key]
