"""Public face of ``intake``: discover, validate, pseudonymise and load input files."""

from traffickingmonitor.intake.checks import validate
from traffickingmonitor.intake.discover import (
    SYNTHETIC_MARKER,
    discover,
    read_synthetic_marker,
    refuse_unknown,
)
from traffickingmonitor.intake.errors import CellError, FileError, InvalidFile
from traffickingmonitor.intake.load import ImportResult, PreparedFile, check_key, load, prepare
from traffickingmonitor.intake.pseudonymise import (
    KEY_ENV,
    TOKEN_COLUMNS,
    Key,
    create_key_file,
    load_key,
    normalise_name,
)
from traffickingmonitor.intake.readers import read_table
from traffickingmonitor.intake.schema import SCHEMAS, Field, FileSchema, kind_of

__all__ = [
    "KEY_ENV",
    "SCHEMAS",
    "SYNTHETIC_MARKER",
    "TOKEN_COLUMNS",
    "CellError",
    "Field",
    "FileError",
    "FileSchema",
    "ImportResult",
    "InvalidFile",
    "Key",
    "PreparedFile",
    "check_key",
    "create_key_file",
    "discover",
    "kind_of",
    "load",
    "load_key",
    "normalise_name",
    "prepare",
    "read_synthetic_marker",
    "read_table",
    "refuse_unknown",
    "validate",
]
