"""The analyst's foreword and conclusions: a Markdown file rendered after the report's cover.

The file is the analyst's text, not the system's: its numbers are not checked against the
tables (the report says so under it). Raw HTML in the file is escaped, never passed through,
and images are not rendered (a PDF must not fetch anything), so the file cannot add markup,
scripts or remote content to the report.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.i18n import catalog

TEXT = catalog("foreword")


def read_foreword(path: Path) -> str:
    """The Markdown text of ``path`` (UTF-8), or a ``UserError`` naming the file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"foreword file not found: {path}") from None
    except OSError as exc:
        raise UserError(f"cannot read the foreword file {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"the foreword file {path} is not UTF-8 text (invalid byte at position {exc.start})"
        ) from None
    if not text.strip():
        raise UserError(f"the foreword file {path} is empty")
    return text


def render_foreword(text: str) -> str:
    """HTML of the Markdown ``text``: raw HTML escaped, no images, headings below the
    report's own (a ``#`` heading becomes an ``h3``)."""
    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
    return md.renderer.render(tokens, md.options, {})


def foreword_context(text: str | None, lang: str) -> dict | None:
    """What the report template needs for the foreword, or None without one."""
    if text is None:
        return None
    return {**TEXT[lang], "html": render_foreword(text)}
