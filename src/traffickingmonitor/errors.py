"""Errors a user can act on. The CLI prints them as one line, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a bad request: the message says what and where, in one line."""

    exit_code = 2
