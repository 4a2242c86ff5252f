"""The charts' font as vl-convert measures it: a small copy of DejaVu Sans under a name of its own.

vl-convert measures every text it lays out (a label, a tick, a title, each try at shortening
one) by mapping the font file into memory afresh, hundreds of times per chart, and the
larger the file the longer that takes. A copy of only DejaVu Sans's Latin, punctuation and
symbol glyphs is a sixth of its 750 KB. The gain is modest: the demo's 45 charts of one
language took 2.5-3.1 s against 2.9-3.2 s (``benchmarks/chart_font.py``, the two taking
turns), and the demo 0.7-1.0 s less system time.

The copy keeps those glyphs' outlines and advance widths, so the charts come out the same.
It is named :data:`FAMILY` (DejaVu's Bitstream Vera licence asks that a modified copy be
named otherwise) and listed first in the charts' ``font-family``; a browser or WeasyPrint,
which lack it, take DejaVu Sans next. The copy is made once per DejaVu Sans installed
(fontTools, about half a second, by the chapters' worker during a run) and kept in the
user's cache folder; where there is no DejaVu Sans or no folder to write to, charts are
measured on what the system has, as before.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

FAMILY = "Traffickingmonitor Chart Sans"
#: the PostScript name and the file name of a style: the family without spaces, then the style
_STEM = FAMILY.replace(" ", "")
#: the styles charts use (titles are bold) and DejaVu's file of each
_STYLES = {"Book": "DejaVuSans.ttf", "Bold": "DejaVuSans-Bold.ttf"}
#: Latin with its extensions, general punctuation (the narrow no-break space between
#: thousands), currency, letter-like symbols, arrows and mathematical operators; a text
#: outside them is measured on the full font (vl-convert falls back to it)
_CODE_POINTS = (
    (0x20, 0x24F),
    (0x2000, 0x206F),
    (0x20A0, 0x20BF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
)
#: part of the cache key: raise it when the copy is made differently
_RECIPE = 1


def _font_folders() -> list[Path]:
    folders = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path("/Library/Fonts")]
    try:
        home = Path.home()
    except RuntimeError:  # a service account without a home: the system's folders only
        pass
    else:
        folders += [home / ".local/share/fonts", home / ".fonts", home / "Library/Fonts"]
    if windir := os.environ.get("WINDIR"):
        folders.append(Path(windir) / "Fonts")
    return [f for f in folders if f.is_dir()]


def find_sources(folders: list[Path] | None = None) -> dict[str, Path] | None:
    """DejaVu Sans's file per style in ``folders`` (the system's), or None if one is missing."""
    found: dict[str, Path] = {}
    for folder in _font_folders() if folders is None else folders:
        for style, name in _STYLES.items():
            if style not in found:
                found.update((style, p) for p in sorted(folder.rglob(name))[:1])
    return found if len(found) == len(_STYLES) else None


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "traffickingmonitor"


def _key(sources: dict[str, Path]) -> str:
    digest = hashlib.sha256(repr((_RECIPE, _CODE_POINTS)).encode())
    for style, path in sorted(sources.items()):
        stat = path.stat()
        digest.update(f"{style}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _subset(source: Path, style: str, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]  # kerning and ligatures measure as in the full font
    options.notdef_outline = True
    options.hinting = False  # hints shape pixels on screen, not advance widths
    options.drop_tables += ["FFTM"]
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in _CODE_POINTS for c in range(lo, hi + 1)])
    subsetter.subset(font)
    names = {1: FAMILY, 16: FAMILY, 4: f"{FAMILY} {style}", 6: f"{_STEM}-{style}"}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    font.save(target)


def make_copy(sources: dict[str, Path], root: Path) -> Path:
    """The folder under ``root`` with the copy of ``sources``, made unless it is there.

    The copy is made in a folder of its own and renamed into place whole, so a process that
    makes it beside another never registers a half-written font.
    """
    folder = root / f"chart-font-{_key(sources)}"
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    making = Path(tempfile.mkdtemp(prefix=".chart-font-", dir=root))
    try:
        for style, source in sources.items():
            _subset(source, style, making / f"{_STEM}-{style}.ttf")
        try:
            making.rename(folder)
        except OSError:
            if not folder.is_dir():  # not another process that was quicker
                raise
    finally:
        shutil.rmtree(making, ignore_errors=True)
    return folder


@functools.cache
def folder() -> Path | None:
    """The folder with the charts' font (made at the first call), or None without one."""
    sources = find_sources()
    if sources is None:
        log.debug("no DejaVu Sans: charts are measured on the system's fonts")
        return None
    try:
        return make_copy(sources, _cache_root())
    except Exception as exc:  # a font or a folder fontTools cannot handle: as before
        log.debug("charts are measured on DejaVu Sans itself: %s", exc)
        return None


@functools.cache
def register() -> None:
    """Give vl-convert, in this process, the charts' font (once)."""
    import vl_convert as vlc

    if (found := folder()) is not None:
        vlc.register_font_directory(str(found))
