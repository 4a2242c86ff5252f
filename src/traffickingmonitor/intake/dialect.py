"""The CSV dialect of a delivered file: separator, byte order mark and line ends.

Dutch Excel saves "CSV (gescheiden door lijstscheidingsteken)" with ``;`` between values and
often a UTF-8 byte order mark; other tools write ``,`` or tabs. The separator is sniffed from
the header row only: the header holds column names, which never contain a separator, while
values may (``sexual;labour`` in a comma-separated file).
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass

SEPARATORS = ",;\t"
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Dialect:
    separator: str  # one of SEPARATORS
    bom: bool  # the file starts with the UTF-8 byte order mark
    crlf: bool  # Windows line ends
    quoted: bool  # some value is in double quotes

    @property
    def separator_name(self) -> str:
        return _NAMES[self.separator]

    def describe(self) -> str:
        """Short, for the run summary: ``semicolon-separated, UTF-8 with BOM, CRLF``."""
        parts = [f"{self.separator_name}-separated", "UTF-8 with BOM" if self.bom else "UTF-8"]
        if self.crlf:
            parts.append("CRLF line ends")
        if self.quoted:
            parts.append("quoted values")
        return ", ".join(parts)


def header_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def sniff_separator(header: str) -> str:
    """The separator of a header row; a comma when the row has one column only."""
    try:
        found = csv.Sniffer().sniff(header, delimiters=SEPARATORS).delimiter
    except csv.Error:  # one column, or nothing that looks like a separator
        return ","
    return found if found in SEPARATORS else ","


def detect(data: bytes, text: str) -> Dialect:
    """The dialect of a CSV file, from its bytes and its decoded text (BOM removed)."""
    head = text[:8192]
    return Dialect(
        separator=sniff_separator(header_line(text)),
        bom=data.startswith(codecs.BOM_UTF8),
        crlf="\r\n" in head,
        quoted='"' in text,
    )
